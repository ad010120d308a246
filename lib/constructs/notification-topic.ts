import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge';

export const NOTIFICATION_TOPIC_ENV = 'NOTIFICATION_TOPIC_ARN';

/** The topic every run's outcome is published to: KMS-encrypted with its own key, TLS-only. */
export class NotificationTopic extends Construct {
  readonly topic: Topic;
  readonly key: Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'Encrypts dbrefresh notifications',
      enableKeyRotation: true,
    });
    this.topic = new Topic(this, 'Topic', {
      displayName: 'dbrefresh',
      masterKey: this.key,
      enforceSSL: true,
    });
  }

  /** Lets `fn` publish (including the KMS permissions the encrypted topic needs) and tells it the topic. */
  bindPublish(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    this.topic.grantPublish(fn);
    fn.addEnvironment(NOTIFICATION_TOPIC_ENV, this.topic.topicArn);
    acknowledge(
      fn,
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      "Publishing to the encrypted topic needs GenerateDataKey* on the topic's own key only",
    );
  }
}
