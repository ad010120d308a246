import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  type IChainable,
  type INextable,
  IntegrationPattern,
  JsonPath,
  LogLevel,
  Pass,
  Result,
  StateMachine,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  ROTATION_ERROR_KEY,
  ROTATION_STEP,
  UNDO_ROTATION_ERROR_KEY,
  UNDO_ROTATION_POLL_KEY,
  UNDO_ROTATION_STEP,
} from '../../lambdas/shared/run/run-warnings';
import { acknowledge } from './acknowledge';
import { ERROR_PATH, Poller } from './poller';
import type { RefreshFunctions, StartAndCheck } from './refresh-functions';
import { retryTransient } from './task-retries';

export interface RefreshStateMachineProps {
  readonly functions: RefreshFunctions;
}

/** The names of the steps, as the execution history shows them. */
export const STEP_NAMES = {
  plan: 'Plan refresh',
  approval: 'Wait for approval',
  capturePreserved: 'Capture preserved data',
  restore: 'Restore temporary copy',
  adminPassword: 'Set admin password',
  reapplyPreserved: 'Reapply preserved data',
  scripts: 'Run scripts',
  hookBeforeSwap: 'Run hook before swap',
  swap: 'Swap names',
  replicas: 'Create replicas',
  tags: 'Fix tags',
  rotateSecret: ROTATION_STEP,
  undoRotation: UNDO_ROTATION_STEP,
  retire: 'Retire old target',
  hookAfterRefresh: 'Run hook after refresh',
  recordSuccess: 'Record success and notify',
  deleteOldTarget: 'Delete old target',
  rollback: 'Roll back',
  recordFailure: 'Record failure and notify',
} as const;

/** A piece of the definition: where it starts, and how each of its exits is joined to what follows. */
interface Piece {
  readonly start: IChainable;
  readonly exits: ((next: IChainable) => void)[];
}

/**
 * The refresh as a state machine that reads like the table of steps in DESIGN.md §3: plan, restore,
 * admin password, scripts, hook, swap, replicas, tags, rotation, retirement, record. Every task has a
 * Catch into the failure path: roll back (until the old target is retired), record the failure, notify, fail.
 */
export class RefreshStateMachine extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: RefreshStateMachineProps) {
    super(scope, id);
    const f = props.functions;

    const failed = new Fail(this, 'Failed', {
      stateName: 'Refresh failed',
      errorPath: `${ERROR_PATH}.Error`,
      causePath: '$.outcome.cause',
    });
    const recordFailure = this.task(STEP_NAMES.recordFailure, f.recordFailure, '$.outcome');
    recordFailure.addCatch(
      new Fail(this, 'NotRecorded', {
        stateName: 'Refresh failed and was not recorded',
        errorPath: `${ERROR_PATH}.Error`,
      }),
      { resultPath: '$.recordError' },
    );
    recordFailure.next(failed);

    const rollback = new Poller(this, 'Rollback', {
      stepName: STEP_NAMES.rollback,
      key: 'rollback',
      ...f.rollback,
      failure: recordFailure,
    });
    for (const task of rollback.tasks) task.addCatch(recordFailure, { resultPath: '$.rollbackError' });
    rollback.next(recordFailure);

    /** The failure path of one step: name the step, then roll back (or, past the point of no return, only record). */
    const failurePath = (stepName: string, then: IChainable) =>
      new Pass(this, `${stepName} failed`, {
        stateName: `${stepName} failed`,
        result: Result.fromString(stepName),
        resultPath: '$.failedStep',
      }).next(then);
    const recoveryOf = (rollsBack: boolean) => (rollsBack ? rollback : recordFailure);

    const step = (stepName: string, key: string, pair: StartAndCheck, options: StepOptions = {}): Piece => {
      const failure = failurePath(stepName, recoveryOf(options.rollsBack ?? true));
      const poller = new Poller(this, key, {
        stepName,
        key,
        ...pair,
        failure,
        maxAttempts: options.maxAttempts,
        taskTimeout: options.taskTimeout,
      });
      for (const task of poller.tasks) task.addCatch(failure, { resultPath: ERROR_PATH });
      return { start: poller, exits: poller.endStates.map((end) => (next) => end.next(next)) };
    };
    const single = (stepName: string, fn: IFunction, rollsBack = true): Piece => {
      const task = this.task(stepName, fn, JsonPath.DISCARD);
      task.addCatch(failurePath(stepName, recoveryOf(rollsBack)), { resultPath: ERROR_PATH });
      return { start: task, exits: [(next) => task.next(next)] };
    };
    const when = (question: string, flag: string, body: Piece): Piece => {
      const choice = new Choice(this, question, { stateName: question }).when(
        Condition.booleanEquals(`$.plan.steps.${flag}`, true),
        body.start,
      );
      return { start: choice, exits: [...body.exits, (next) => choice.otherwise(next)] };
    };

    const plan = new LambdaInvoke(this, 'Plan', {
      stateName: STEP_NAMES.plan,
      lambdaFunction: f.plan,
      payloadResponseOnly: true,
      payload: TaskInput.fromObject({
        input: JsonPath.entirePayload,
        executionArn: JsonPath.executionId,
        startTime: JsonPath.stringAt('$$.Execution.StartTime'),
      }),
      taskTimeout: Timeout.duration(Duration.minutes(5)),
    });
    retryTransient(plan);
    // A refused run has no plan to name it: the record of its failure needs the execution.
    const noteExecution = new Pass(this, 'NoteExecution', {
      stateName: 'Note the execution',
      parameters: { arn: JsonPath.executionId, startTime: JsonPath.stringAt('$$.Execution.StartTime') },
      resultPath: '$.execution',
    }).next(recordFailure);
    plan.addCatch(failurePath(STEP_NAMES.plan, noteExecution), { resultPath: ERROR_PATH });

    // The function stores the token and asks for approval; `dbrefresh approve` answers with
    // SendTaskSuccess ({decision, by, at} at $.approval), `dbrefresh reject` with SendTaskFailure.
    const approval = new LambdaInvoke(this, 'Approval', {
      stateName: STEP_NAMES.approval,
      lambdaFunction: f.approval,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({ taskToken: JsonPath.taskToken, plan: JsonPath.objectAt('$.plan') }),
      resultPath: '$.approval',
      taskTimeout: Timeout.at('$.plan.approval.timeoutSeconds'),
    });
    retryTransient(approval);
    // Nothing exists yet: a rejection or a timeout is recorded (and the lock released) without a rollback.
    approval.addCatch(failurePath(STEP_NAMES.approval, recordFailure), { resultPath: ERROR_PATH });

    const keepOldTarget = new Wait(this, 'KeepOldTarget', {
      stateName: 'Keep old target stopped',
      time: WaitTime.secondsPath('$.plan.keepOldTargetSeconds'),
    });
    const deleteOldTarget = new Poller(this, 'DeleteOldTarget', {
      stepName: STEP_NAMES.deleteOldTarget,
      key: 'deleteOldTarget',
      ...f.deleteOldTarget,
      failure: new Fail(this, 'OldTargetNotDeleted', {
        stateName: 'Old target not deleted',
        error: 'OldTargetNotDeleted',
        cause: 'The refresh succeeded, but deleting the kept old target failed; delete it by hand',
      }),
    });
    const deletingFailed = new Fail(this, 'DeleteOldTargetFailed', {
      stateName: 'Deleting old target failed',
      errorPath: `${ERROR_PATH}.Error`,
      causePath: `${ERROR_PATH}.Cause`,
    });
    for (const task of deleteOldTarget.tasks) task.addCatch(deletingFailed, { resultPath: ERROR_PATH });
    const succeeded = new Succeed(this, 'Succeeded', { stateName: 'Refresh succeeded' });
    deleteOldTarget.next(succeeded);
    keepOldTarget.next(deleteOldTarget);
    const keep = new Choice(this, 'Keep?', { stateName: 'Keep old target for a while?' })
      .when(Condition.booleanEquals('$.plan.steps.keepOldTarget', true), keepOldTarget)
      .otherwise(succeeded);

    const pieces: Piece[] = [
      { start: plan, exits: [(next) => plan.next(next)] },
      when('Approval needed?', 'approval', { start: approval, exits: [(next) => approval.next(next)] }),
      when('Data to preserve?', 'preserve', single(STEP_NAMES.capturePreserved, f.capturePreserved)),
      step(STEP_NAMES.restore, 'restore', f.restore),
      step(STEP_NAMES.adminPassword, 'adminPassword', f.adminPassword),
      when('Preserved data to reapply?', 'preserve', single(STEP_NAMES.reapplyPreserved, f.reapplyPreserved)),
      when(
        'Scripts to run?',
        'scripts',
        // Each invocation runs statements for up to ~14 minutes; 6 hours of script fit these checks.
        step(STEP_NAMES.scripts, 'scripts', f.scripts, {
          maxAttempts: 2000,
          taskTimeout: Duration.minutes(15),
        }),
      ),
      when('Hook before swap?', 'hookBeforeSwap', single(STEP_NAMES.hookBeforeSwap, f.hookBeforeSwap)),
      step(STEP_NAMES.swap, 'swap', f.swap),
      when('Replicas to create?', 'replicas', step(STEP_NAMES.replicas, 'replicas', f.replicas)),
      single(STEP_NAMES.tags, f.tags),
      when('Secret to rotate?', 'rotateSecret', this.rotation(f)),
      // Past this point the old target is going away, so a failure is recorded, not rolled back.
      when(
        'Old target to retire?',
        'retire',
        step(STEP_NAMES.retire, 'retire', f.retire, { rollsBack: false }),
      ),
      when(
        'Hook after refresh?',
        'hookAfterRefresh',
        single(STEP_NAMES.hookAfterRefresh, f.hookAfterRefresh, false),
      ),
      single(STEP_NAMES.recordSuccess, f.recordSuccess, false),
      { start: keep, exits: [] },
    ];
    for (const [index, piece] of pieces.entries()) {
      const next = pieces[index + 1];
      if (next) for (const exit of piece.exits) exit(next.start);
    }

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: 'dbrefresh: refresh a non-production RDS instance or Aurora cluster from a source',
      definitionBody: DefinitionBody.fromChainable(plan),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'Logs', { retention: RetentionDays.THREE_MONTHS }),
        level: LogLevel.ALL,
        // The execution input holds the refresh file, which in the per-step form may carry a temppwd.
        includeExecutionData: false,
      },
    });
    for (const fn of f.all()) {
      const logicalId = Stack.of(this).getLogicalId(fn.node.defaultChild as CfnElement);
      acknowledge(
        this.stateMachine,
        `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        'LambdaInvoke allows every version and alias of its own step function',
      );
    }
    acknowledge(
      this.stateMachine,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray tracing and CloudWatch Logs delivery have no resource to scope to',
    );
  }

  /**
   * Rotates the secret. The refresh is done by then, so a failed rotation does not roll it back: its error is
   * kept at `$.rotationError` for the success record and notification, and "Undo failed rotation" gives the
   * target its secret's current password back and clears the half-done rotation (a failure there is kept at
   * `$.rotationUndoError`). Either way the run goes on to retire the old target.
   */
  private rotation(f: RefreshFunctions): Piece {
    const undoFailed = new Pass(this, 'UndoRotationFailed', {
      stateName: `${STEP_NAMES.undoRotation} failed`,
      inputPath: ERROR_PATH,
      resultPath: `$.${UNDO_ROTATION_ERROR_KEY}`,
    });
    const undo = new Poller(this, 'UndoRotation', {
      stepName: STEP_NAMES.undoRotation,
      key: UNDO_ROTATION_POLL_KEY,
      ...f.undoRotation,
      failure: undoFailed,
    });
    for (const task of undo.tasks) task.addCatch(undoFailed, { resultPath: ERROR_PATH });
    const rotationFailed = new Pass(this, 'RotationFailed', {
      stateName: `${STEP_NAMES.rotateSecret} failed`,
      inputPath: ERROR_PATH,
      resultPath: `$.${ROTATION_ERROR_KEY}`,
    }).next(undo);
    const rotate = new Poller(this, 'rotateSecret', {
      stepName: STEP_NAMES.rotateSecret,
      key: 'rotateSecret',
      ...f.rotateSecret,
      failure: rotationFailed,
    });
    for (const task of rotate.tasks) task.addCatch(rotationFailed, { resultPath: ERROR_PATH });
    // A poller's end states include those its give-up branch leads to, so the same state may come twice.
    const ends = new Set<INextable>([...rotate.endStates, ...undo.endStates, undoFailed]);
    return { start: rotate, exits: [...ends].map((end) => (next) => end.next(next)) };
  }

  private task(stepName: string, fn: IFunction, resultPath: string): LambdaInvoke {
    const task = new LambdaInvoke(this, stepName, {
      stateName: stepName,
      lambdaFunction: fn,
      payloadResponseOnly: true,
      resultPath,
      taskTimeout: Timeout.duration(Duration.minutes(15)),
    });
    retryTransient(task);
    return task;
  }
}

interface StepOptions {
  /** Whether a failure rolls the refresh back; false past the point of no return. Default: true. */
  readonly rollsBack?: boolean;
  readonly maxAttempts?: number;
  readonly taskTimeout?: Duration;
}
