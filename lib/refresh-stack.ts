import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { HistoryTable } from './constructs/history-table';
import { NotificationTopic } from './constructs/notification-topic';

export type RefreshStackProps = StackProps;

/** dbrefresh in one stack: composes the constructs and declares the outputs the CLI reads. */
export class RefreshStack extends Stack {
  readonly history: HistoryTable;
  readonly notifications: NotificationTopic;

  constructor(scope: Construct, id: string, props: RefreshStackProps = {}) {
    super(scope, id, props);
    this.history = new HistoryTable(this, 'History');
    this.notifications = new NotificationTopic(this, 'Notifications');

    new CfnOutput(this, 'HistoryTableName', {
      value: this.history.table.tableName,
      description: 'Run history (DynamoDB)',
    });
    new CfnOutput(this, 'NotificationTopicArn', {
      value: this.notifications.topic.topicArn,
      description: 'Run outcomes (SNS)',
    });
  }
}
