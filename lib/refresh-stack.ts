import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import { SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { HistoryTable } from './constructs/history-table';
import { NotificationTopic } from './constructs/notification-topic';
import { RefreshFunctions } from './constructs/refresh-functions';
import { RefreshStateMachine } from './constructs/refresh-state-machine';
import type { DatabaseNetwork } from './constructs/task-function';

/** Where the databases are, for the functions that connect to them (the scripts step). */
export interface DatabaseNetworkIds {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
}

export interface RefreshStackProps extends StackProps {
  /**
   * Run the scripts step inside the databases' VPC.
   * @default - outside any VPC: only databases with a public endpoint (and local mode) are reachable
   */
  readonly databaseNetwork?: DatabaseNetworkIds;
  /**
   * Buckets SQL scripts may be read from.
   * @default - any bucket
   */
  readonly scriptBucketNames?: readonly string[];
}

/** dbrefresh in one stack: composes the constructs and declares the outputs the CLI reads. */
export class RefreshStack extends Stack {
  readonly history: HistoryTable;
  readonly notifications: NotificationTopic;
  readonly functions: RefreshFunctions;
  readonly refresh: RefreshStateMachine;

  constructor(scope: Construct, id: string, props: RefreshStackProps = {}) {
    super(scope, id, props);
    this.history = new HistoryTable(this, 'History');
    this.notifications = new NotificationTopic(this, 'Notifications');
    this.functions = new RefreshFunctions(this, 'Steps', {
      history: this.history,
      notifications: this.notifications,
      network: props.databaseNetwork && this.network(props.databaseNetwork),
      scriptBucketNames: props.scriptBucketNames,
    });
    this.refresh = new RefreshStateMachine(this, 'Refresh', { functions: this.functions });

    new CfnOutput(this, 'StateMachineArn', {
      value: this.refresh.stateMachine.stateMachineArn,
      description: 'Starts refreshes (Step Functions)',
    });
    new CfnOutput(this, 'HistoryTableName', {
      value: this.history.table.tableName,
      description: 'Run history (DynamoDB)',
    });
    new CfnOutput(this, 'NotificationTopicArn', {
      value: this.notifications.topic.topicArn,
      description: 'Run outcomes (SNS)',
    });
  }

  private network(ids: DatabaseNetworkIds): DatabaseNetwork {
    const subnets = ids.subnetIds.map((subnetId, index) =>
      Subnet.fromSubnetId(this, `DatabaseSubnet${index}`, subnetId),
    );
    return {
      vpc: Vpc.fromVpcAttributes(this, 'DatabaseVpc', {
        vpcId: ids.vpcId,
        // Lambda uses only the subnets and security groups given below; CDK needs a zone per
        // subnet to describe the VPC, and none of them is read.
        availabilityZones: ids.subnetIds.map((_, index) => Fn.select(index, Fn.getAzs())),
      }),
      vpcSubnets: { subnets },
      securityGroups: ids.securityGroupIds.map((groupId, index) =>
        SecurityGroup.fromSecurityGroupId(this, `DatabaseSecurityGroup${index}`, groupId),
      ),
    };
  }
}
