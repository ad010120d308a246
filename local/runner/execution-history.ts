import type { RunEvent } from './run-refresh';

/**
 * One event of an execution's history as GetExecutionHistory returns it (`id`, `previousEventId`,
 * `timestamp`, `type` and the `<type>EventDetails` member), before it is numbered.
 */
export interface NewHistoryEvent {
  readonly type: string;
  readonly timestamp: Date;
  /** The details member, e.g. `{ stateEnteredEventDetails: { name, input } }`; absent for LambdaFunctionStarted. */
  readonly details?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** How the Resource of a Task state reads in history events. */
type TaskKind =
  | { readonly lambda: true; readonly resource: string }
  | { readonly lambda: false; readonly resourceType: string; readonly resource: string };

/** `arn:<partition>:states:::<resourceType>:<resource>`, a service integration. */
const INTEGRATION = /^arn:[^:]+:states:::([^:]+):(.+)$/;

/**
 * The history events Step Functions records for the steps of one run, by their real names: `TaskStateEntered`
 * with `stateEnteredEventDetails {name, input}`, the task's own events (`LambdaFunctionScheduled`/`Started`/
 * `Succeeded`/`Failed`/`TimedOut` for a Resource that is a function, `TaskScheduled`/`Started`/`Succeeded`/
 * `Failed`/`TimedOut` for a service integration such as `lambda:invoke`), `TaskStateExited` with
 * `stateExitedEventDetails {name, output}`, and so on for every state type.
 *
 * A retry schedules the task again without entering the state again; a caught error is followed by the
 * state's exit (with no success of its task); the failure of a state that is not a Task (a Fail state, a
 * Choice without a match) shows in the execution's own ExecutionFailed event.
 */
export class ExecutionHistoryEvents {
  /** States whose error a Catch caught: their exit is not a success of their task. */
  private readonly caught = new Set<string>();

  constructor(private readonly region: string) {}

  /** The history events of one step the runner reported, in order. */
  of(event: RunEvent): NewHistoryEvent[] {
    const at = event.at;
    const task = event.stateType === 'Task' ? taskKind(event.resource ?? '') : undefined;
    switch (event.type) {
      case 'entered':
        this.caught.delete(event.stateName);
        return [
          {
            type: `${event.stateType}StateEntered`,
            timestamp: at,
            details: { stateEnteredEventDetails: { name: event.stateName, input: json(event.input) } },
          },
          ...(task ? taskStarted(task, this.region, at) : []),
        ];
      case 'retried':
        return task ? taskStarted(task, this.region, at) : [];
      case 'succeeded': {
        const succeeded = task !== undefined && !this.caught.delete(event.stateName);
        return [
          ...(succeeded ? [taskEnded(task, 'Succeeded', at, { output: json(event.output) })] : []),
          {
            type: `${event.stateType}StateExited`,
            timestamp: at,
            details: { stateExitedEventDetails: { name: event.stateName, output: json(event.output) } },
          },
        ];
      }
      case 'failed': {
        if (!task) return [];
        const outcome = event.error === 'States.Timeout' ? 'TimedOut' : 'Failed';
        return [taskEnded(task, outcome, at, { error: event.error ?? '', cause: event.cause ?? '' })];
      }
      case 'caught':
        this.caught.add(event.stateName);
        return [];
    }
  }
}

/** The history of a new execution starts with ExecutionStarted. */
export function executionStarted(input: string, roleArn: string, at: Date): NewHistoryEvent {
  return {
    type: 'ExecutionStarted',
    timestamp: at,
    details: {
      executionStartedEventDetails: { input, inputDetails: { truncated: false }, roleArn },
    },
  };
}

/** The last event of an execution's history, by its outcome. */
export function executionEnded(
  outcome:
    | { readonly status: 'SUCCEEDED'; readonly output: string }
    | { readonly status: 'FAILED' | 'ABORTED'; readonly error?: string; readonly cause?: string },
  at: Date,
): NewHistoryEvent {
  if (outcome.status === 'SUCCEEDED') {
    return {
      type: 'ExecutionSucceeded',
      timestamp: at,
      details: {
        executionSucceededEventDetails: { output: outcome.output, outputDetails: { truncated: false } },
      },
    };
  }
  const details = { error: outcome.error, cause: outcome.cause };
  return outcome.status === 'FAILED'
    ? { type: 'ExecutionFailed', timestamp: at, details: { executionFailedEventDetails: details } }
    : { type: 'ExecutionAborted', timestamp: at, details: { executionAbortedEventDetails: details } };
}

function taskKind(resource: string): TaskKind {
  const integration = INTEGRATION.exec(resource);
  if (integration?.[1] && integration[2]) {
    return { lambda: false, resourceType: integration[1], resource: integration[2] };
  }
  return { lambda: true, resource };
}

function taskStarted(task: TaskKind, region: string, at: Date): NewHistoryEvent[] {
  if (task.lambda) {
    return [
      {
        type: 'LambdaFunctionScheduled',
        timestamp: at,
        details: { lambdaFunctionScheduledEventDetails: { resource: task.resource } },
      },
      { type: 'LambdaFunctionStarted', timestamp: at },
    ];
  }
  const resource = { resourceType: task.resourceType, resource: task.resource };
  return [
    {
      type: 'TaskScheduled',
      timestamp: at,
      details: { taskScheduledEventDetails: { ...resource, region } },
    },
    { type: 'TaskStarted', timestamp: at, details: { taskStartedEventDetails: resource } },
  ];
}

function taskEnded(
  task: TaskKind,
  outcome: 'Succeeded' | 'Failed' | 'TimedOut',
  at: Date,
  details: Record<string, unknown>,
): NewHistoryEvent {
  if (task.lambda) {
    return {
      type: `LambdaFunction${outcome}`,
      timestamp: at,
      details: { [`lambdaFunction${outcome}EventDetails`]: details },
    };
  }
  return {
    type: `Task${outcome}`,
    timestamp: at,
    details: {
      [`task${outcome}EventDetails`]: {
        resourceType: task.resourceType,
        resource: task.resource,
        ...details,
      },
    },
  };
}

function json(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}
