import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import { SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { HistoryTable } from './constructs/history-table';
import { NotificationTopic } from './constructs/notification-topic';
import { PreservedDataBucket } from './constructs/preserved-data-bucket';
import { RefreshFunctions } from './constructs/refresh-functions';
import { RefreshSchedules } from './constructs/refresh-schedules';
import { RefreshStateMachine } from './constructs/refresh-state-machine';
import { type IScriptRunner, ScriptRunner } from './constructs/script-runner';
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
  /**
   * Create a script runner instance for `scripts.method: "ec2"` in the databases' network (needs
   * databaseNetwork): SSM-managed, no SSH, no public address.
   * @default false - method "ec2" is refused unless scriptRunnerInstanceId names a runner
   */
  readonly scriptRunner?: boolean;
  /**
   * Run `scripts.method: "ec2"` on this existing SSM-managed instance instead of creating one.
   * @default - none
   */
  readonly scriptRunnerInstanceId?: string;
  /**
   * The secret names (IAM patterns, e.g. `/development/*`) the runner instance may read the copy's admin login
   * from: the created runner's role gets exactly these; an existing instance's role must grant them.
   * @default - `dbrefresh/*` and `rds!*`
   */
  readonly scriptRunnerSecretNames?: readonly string[];
  /**
   * The command the runner instance (existing or created) runs the job with.
   * @default - `node /opt/dbrefresh/run-scripts.js`, where the created runner installs its bundle
   */
  readonly scriptRunnerCommand?: string;
  /**
   * The folder of refresh files to deploy: each file that declares `schedule` becomes an EventBridge
   * Scheduler schedule starting the state machine.
   * @default - no schedules (the `dbrefresh` schedule group is still created)
   */
  readonly refreshFilesDir?: string;
}

/** dbrefresh in one stack: composes the constructs and declares the outputs the CLI reads. */
export class RefreshStack extends Stack {
  readonly history: HistoryTable;
  readonly notifications: NotificationTopic;
  readonly preservedData: PreservedDataBucket;
  readonly functions: RefreshFunctions;
  readonly refresh: RefreshStateMachine;
  /** Where `scripts.method: "ec2"` runs, when the stack has a runner. */
  readonly scriptRunner?: IScriptRunner;
  readonly schedules: RefreshSchedules;

  constructor(scope: Construct, id: string, props: RefreshStackProps = {}) {
    super(scope, id, props);
    this.history = new HistoryTable(this, 'History');
    this.notifications = new NotificationTopic(this, 'Notifications');
    this.preservedData = new PreservedDataBucket(this, 'PreservedData');
    const network = props.databaseNetwork && this.network(props.databaseNetwork);
    this.scriptRunner = this.scriptRunnerOf(props, network);
    this.functions = new RefreshFunctions(this, 'Steps', {
      history: this.history,
      notifications: this.notifications,
      preservedData: this.preservedData,
      network,
      scriptBucketNames: props.scriptBucketNames,
      scriptRunner: this.scriptRunner,
    });
    this.refresh = new RefreshStateMachine(this, 'Refresh', { functions: this.functions });
    this.schedules = new RefreshSchedules(this, 'Schedules', {
      stateMachine: this.refresh.stateMachine,
      refreshFilesDir: props.refreshFilesDir,
    });

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
    new CfnOutput(this, 'ScheduleGroupName', {
      value: this.schedules.group.scheduleGroupName,
      description: 'Refresh schedules (EventBridge Scheduler)',
    });
  }

  private scriptRunnerOf(
    props: RefreshStackProps,
    network: DatabaseNetwork | undefined,
  ): IScriptRunner | undefined {
    if (props.scriptRunnerInstanceId !== undefined && props.scriptRunnerInstanceId !== '') {
      if (props.scriptRunner) {
        throw new Error(
          'Set either scriptRunner (create a runner instance) or scriptRunnerInstanceId (use an existing one), not both',
        );
      }
      return ScriptRunner.fromInstanceId(
        props.scriptRunnerInstanceId,
        props.scriptRunnerCommand,
        props.scriptRunnerSecretNames,
      );
    }
    if (!props.scriptRunner) return undefined;
    if (network === undefined) {
      throw new Error(
        "scriptRunner needs databaseNetwork: the runner instance runs in the databases' private subnets; deploy with -c vpcId=vpc-... -c subnetIds=subnet-a,subnet-b -c securityGroupIds=sg-...",
      );
    }
    const runner = new ScriptRunner(this, 'ScriptRunner', {
      network,
      scriptBucketNames: props.scriptBucketNames,
      command: props.scriptRunnerCommand,
      secretNames: props.scriptRunnerSecretNames,
    });
    new CfnOutput(this, 'ScriptRunnerInstanceId', {
      value: runner.instanceId,
      description: 'Runs scripts.method "ec2" (SSM Run Command)',
    });
    return runner;
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
