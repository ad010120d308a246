import { Duration, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DATABASE_NETWORK, DATABASE_NETWORK_ENV } from '../../lambdas/shared/database-network';
import type { HistoryTable } from './history-table';
import type { NotificationTopic } from './notification-topic';
import type { PreservedDataBucket } from './preserved-data-bucket';
import { RefreshPermissions } from './refresh-permissions';
import type { IScriptRunner } from './script-runner';
import { type DatabaseNetwork, TaskFunction } from './task-function';

export interface RefreshFunctionsProps {
  readonly history: HistoryTable;
  readonly notifications: NotificationTopic;
  /** Where the rows and users a target keeps (`preserve`) wait between their capture and reapply. */
  readonly preservedData: PreservedDataBucket;
  /**
   * Where the functions that connect to databases (scripts, hooks' endpoints are only read) run.
   * @default - outside any VPC: the plan then refuses scripts run in Lambda and preserve, which could not
   * reach the copy (private until it is swapped)
   */
  readonly network?: DatabaseNetwork;
  /**
   * Buckets the SQL scripts may be read from.
   * @default - any bucket the function's role can reach ("*")
   */
  readonly scriptBucketNames?: readonly string[];
  /**
   * Where the scripts step runs `scripts.method: "ec2"`.
   * @default - none: the step refuses method "ec2"
   */
  readonly scriptRunner?: IScriptRunner;
}

/**
 * One function per step handler, each with only the permissions its step needs. Poll steps have a
 * start and a check function built from the same `lambdas/<step>/handler.ts`.
 */
export class RefreshFunctions extends Construct {
  readonly plan: TaskFunction;
  readonly approval: TaskFunction;
  readonly restore: StartAndCheck;
  readonly adminPassword: StartAndCheck;
  readonly scripts: StartAndCheck;
  readonly capturePreserved: TaskFunction;
  readonly reapplyPreserved: TaskFunction;
  readonly hookBeforeSwap: TaskFunction;
  readonly hookAfterRefresh: TaskFunction;
  readonly swap: StartAndCheck;
  readonly replicas: StartAndCheck;
  readonly tags: TaskFunction;
  readonly rotateSecret: StartAndCheck;
  readonly undoRotation: StartAndCheck;
  readonly retire: StartAndCheck;
  readonly deleteOldTarget: StartAndCheck;
  readonly rollback: StartAndCheck;
  readonly recordSuccess: TaskFunction;
  readonly recordFailure: TaskFunction;

  constructor(scope: Construct, id: string, props: RefreshFunctionsProps) {
    super(scope, id);
    const can = new RefreshPermissions(Stack.of(this));
    const fn = (
      name: string,
      step: string,
      handler: string,
      description: string,
      extra: Partial<TaskFunctionOptions> = {},
    ) => new TaskFunction(this, name, { step, handler, description, ...extra });
    const pair = (name: string, step: string, what: string, extra: Partial<TaskFunctionOptions> = {}) => ({
      start: fn(name, step, 'start', `Start: ${what}`, extra),
      check: fn(`Check${name}`, step, 'check', `Check: ${what}`, extra),
    });

    this.plan = fn('Plan', 'plan', 'handler', 'Validate, resolve and guard a refresh; take the lock');
    can.readRds(this.plan);
    can.readGroups(this.plan);
    can.describeKeys(this.plan);
    can.useSecrets(this.plan, ['DescribeSecret']);
    props.history.bindReadWrite(this.plan);
    // Without it the plan refuses scripts.method "ec2" before anything changes: there is no runner to send them to.
    // With it, the plan refuses a file whose admin secret the runner's role may not read.
    if (props.scriptRunner) {
      this.plan.addEnvironment('SCRIPT_RUNNER_INSTANCE_ID', props.scriptRunner.instanceId);
      this.plan.addEnvironment('SCRIPT_RUNNER_SECRET_NAMES', props.scriptRunner.secretNames.join(','));
    }
    // The copy stays private until the swap: without the databases' network the plan refuses the steps
    // that would have to reach it (scripts in Lambda, preserve), instead of letting them time out.
    this.plan.addEnvironment(
      DATABASE_NETWORK_ENV,
      props.network ? DATABASE_NETWORK.vpc : DATABASE_NETWORK.none,
    );

    this.approval = fn('Approval', 'approval', 'handler', "Ask for a protected target's approval");
    props.history.bindReadWrite(this.approval);
    props.notifications.bindPublish(this.approval);
    can.publishToTopics(this.approval);

    this.restore = pair('Restore', 'restore', 'restore the source into the temporary copy');
    for (const f of both(this.restore)) {
      can.readRds(f);
      can.createRefreshable(f);
      can.changeRefreshable(f);
      can.useKeysThroughRds(f);
      can.passMonitoringRole(f);
    }

    this.adminPassword = pair('AdminPassword', 'admin-password', "set the copy's admin password");
    for (const f of both(this.adminPassword)) {
      can.readRds(f);
      can.changeRefreshable(f);
      can.generatePasswords(f);
      can.useSecrets(f, [
        'DescribeSecret',
        'GetSecretValue',
        'CreateSecret',
        'PutSecretValue',
        'TagResource',
      ]);
      can.useKeysThroughRds(f);
    }

    const scriptOptions = { timeout: Duration.minutes(15), memorySize: 1024, network: props.network };
    this.scripts = pair('Scripts', 'scripts', 'run the SQL scripts on the copy', scriptOptions);
    for (const f of both(this.scripts)) {
      can.readRds(f);
      can.useSecrets(f, ['GetSecretValue']);
      can.readScripts(f, props.scriptBucketNames ?? ['*']);
      props.scriptRunner?.bindRunScripts(f);
    }

    // The preserve steps connect to the target and the copy as the scripts do.
    this.capturePreserved = fn(
      'CapturePreserved',
      'preserve',
      'capture',
      'Read the rows and users the target keeps',
      scriptOptions,
    );
    this.reapplyPreserved = fn(
      'ReapplyPreserved',
      'preserve',
      'reapply',
      'Write the preserved rows and users into the copy',
      scriptOptions,
    );
    for (const f of [this.capturePreserved, this.reapplyPreserved]) {
      can.readRds(f);
      can.useSecrets(f, ['GetSecretValue']);
      props.preservedData.bindReadWrite(f);
    }

    const hookOptions = { timeout: Duration.minutes(15) };
    this.hookBeforeSwap = fn(
      'HookBeforeSwap',
      'hook',
      'beforeSwap',
      'Invoke the before-swap hook',
      hookOptions,
    );
    this.hookAfterRefresh = fn(
      'HookAfterRefresh',
      'hook',
      'afterRefresh',
      'Invoke the after-refresh hook',
      hookOptions,
    );
    for (const f of [this.hookBeforeSwap, this.hookAfterRefresh]) {
      can.readRds(f);
      can.invokeHooks(f);
    }

    this.swap = pair('Swap', 'swap', 'swap the names of the target and the copy');
    for (const f of both(this.swap)) {
      can.readRds(f);
      can.changeRefreshable(f);
      can.useSecrets(f, ['DescribeSecret', 'UpdateSecretVersionStage']);
    }

    this.replicas = pair('Replicas', 'replicas', 'create the read replicas of the new target');
    for (const f of both(this.replicas)) {
      can.readRds(f);
      can.createRefreshable(f);
      can.changeRefreshable(f);
      can.rebootRefreshable(f);
      can.passMonitoringRole(f);
    }

    this.tags = fn('Tags', 'tags', 'handler', 'Fix the tags of the refreshed target');
    can.readRds(this.tags);
    can.changeRefreshable(this.tags);

    this.rotateSecret = pair('RotateSecret', 'rotate-secret', "rotate the target's secret");
    for (const f of both(this.rotateSecret)) {
      can.readRds(f);
      can.useSecrets(f, ['DescribeSecret']);
    }
    can.rotateSecrets(this.rotateSecret.start);

    // After a failed rotation: the target's password back to its secret's current version, AWSPENDING cleared.
    this.undoRotation = {
      start: fn('UndoRotation', 'rotate-secret', 'undoStart', 'Start: undo a failed rotation'),
      check: fn('CheckUndoRotation', 'rotate-secret', 'undoCheck', 'Check: undo a failed rotation'),
    };
    can.readRds(this.undoRotation.check);
    can.readRds(this.undoRotation.start);
    can.changeRefreshable(this.undoRotation.start);
    can.useSecrets(this.undoRotation.start, ['DescribeSecret', 'GetSecretValue', 'UpdateSecretVersionStage']);

    this.retire = pair('Retire', 'retire', 'retire the old target');
    this.deleteOldTarget = {
      start: fn('DeleteOldTarget', 'retire', 'deleteStart', 'Start: delete the kept old target'),
      check: fn('CheckDeleteOldTarget', 'retire', 'deleteCheck', 'Check: delete the kept old target'),
    };
    for (const f of [...both(this.retire), ...both(this.deleteOldTarget)]) {
      can.readRds(f);
      can.changeRefreshable(f);
      can.startRefreshable(f);
      can.manageFinalSnapshots(f);
    }

    this.rollback = pair('Rollback', 'rollback', 'undo a failed refresh');
    for (const f of both(this.rollback)) {
      can.readRds(f);
      can.changeRefreshable(f);
      can.useSecrets(f, ['DescribeSecret', 'UpdateSecretVersionStage']);
    }

    this.recordSuccess = fn('RecordSuccess', 'finish', 'succeeded', 'Record a successful run and notify');
    this.recordFailure = fn('RecordFailure', 'finish', 'failed', 'Record a failed run and notify');
    for (const f of [this.recordSuccess, this.recordFailure]) {
      props.history.bindReadWrite(f);
      props.notifications.bindPublish(f);
      can.publishToTopics(f);
    }
  }

  /** Every function, for the local runner and the tests. */
  all(): TaskFunction[] {
    return this.node.children.filter((child): child is TaskFunction => child instanceof TaskFunction);
  }
}

export interface StartAndCheck {
  readonly start: TaskFunction;
  readonly check: TaskFunction;
}

type TaskFunctionOptions = Pick<
  ConstructorParameters<typeof TaskFunction>[2],
  'timeout' | 'memorySize' | 'network'
>;

function both(pair: StartAndCheck): TaskFunction[] {
  return [pair.start, pair.check];
}
