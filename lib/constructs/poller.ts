import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  Choice,
  Condition,
  type IChainable,
  type INextable,
  Pass,
  Result,
  type State,
  StateMachineFragment,
  type TaskStateBase,
  Timeout,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { ERROR_NAMES } from '../../lambdas/shared/errors';
import { retryTransient } from './task-retries';

/** Where pollers keep their progress in the execution state, one entry per step; the handlers return it. */
export const POLLS_PATH = '$.polls';
/** Where a caught error is put, for the failure path to record. */
export const ERROR_PATH = '$.error';

export interface PollerProps {
  /** The step as a short sentence, used in the state names: "Restore temporary copy". */
  readonly stepName: string;
  /** The step's entry under `$.polls` ("restore"), which its check handler reads. */
  readonly key: string;
  /** Starts the operation; returns `{ startedAt, deadline, waitSeconds, attempt: 0, done }`. */
  readonly start: IFunction;
  /** Describes the operation; returns the poll state with `done`, the next `waitSeconds` and `attempt + 1`, and throws on terminal states and past the deadline. */
  readonly check: IFunction;
  /** Where the refresh goes when the loop gives up: the failure path, which reads `$.error`. */
  readonly failure: IChainable;
  /**
   * Upper bound on checks, enforced by the definition in case a check never reaches its deadline.
   * @default 360
   */
  readonly maxAttempts?: number;
  /**
   * Timeout of each start and check invocation.
   * @default Duration.minutes(5)
   */
  readonly taskTimeout?: Duration;
}

/**
 * The wait/check loop of every long operation:
 * `<Step>` → `Wait for <step>` → `Check <step>` → `<Step> done?`
 * (not done, checks left → wait; not done, none left → failure path; done → the next step).
 */
export class Poller extends StateMachineFragment {
  readonly startState: State;
  readonly endStates: INextable[];
  /** The start and check tasks, to which the state machine adds its Catch. */
  readonly tasks: readonly TaskStateBase[];

  constructor(scope: Construct, id: string, props: PollerProps) {
    super(scope, id);
    const { stepName } = props;
    const step = stepName.charAt(0).toLowerCase() + stepName.slice(1);
    const maxAttempts = props.maxAttempts ?? 360;
    const pollPath = `${POLLS_PATH}.${props.key}`;
    const invokeTask = (stateName: string) =>
      new LambdaInvoke(this, stateName, {
        stateName,
        lambdaFunction: stateName === stepName ? props.start : props.check,
        payloadResponseOnly: true,
        resultPath: pollPath,
        taskTimeout: Timeout.duration(props.taskTimeout ?? Duration.minutes(5)),
      });
    const invoke = (stateName: string) => {
      const task = invokeTask(stateName);
      retryTransient(task);
      return task;
    };

    const start = invoke(stepName);
    const check = invoke(`Check ${step}`);
    const wait = new Wait(this, 'Wait', {
      stateName: `Wait for ${step}`,
      time: WaitTime.secondsPath(`${pollPath}.waitSeconds`),
    });
    const gaveUp = new Pass(this, 'GaveUp', {
      stateName: `${stepName} took too long`,
      result: Result.fromObject({
        Error: ERROR_NAMES.pollTimeout,
        Cause: `${stepName}: not finished after ${maxAttempts} checks`,
      }),
      resultPath: ERROR_PATH,
    }).next(props.failure);
    const notDone = Condition.booleanEquals(`${pollPath}.done`, false);
    const decide = new Choice(this, 'Done', { stateName: `${stepName} done?` })
      .when(Condition.and(notDone, Condition.numberLessThan(`${pollPath}.attempt`, maxAttempts)), wait)
      .when(notDone, gaveUp);

    start.next(wait);
    wait.next(check);
    check.next(decide);

    this.startState = start;
    this.endStates = decide.afterwards({ includeOtherwise: true }).endStates;
    this.tasks = [start, check];
  }
}
