import { randomUUID } from 'node:crypto';
import type { AslDefinition } from '../../lib/resolve-definition';
import type { TaskTokens } from './task-tokens';

/**
 * How a Task state calls its function: `function` names the function itself as its Resource
 * (`arn:aws:lambda:…:function:<name>`, the input is the event); `invoke` is the optimized integration
 * `arn:aws:states:::lambda:invoke` (Parameters `FunctionName` and `Payload`, the result is Lambda's Invoke
 * response); `invoke.waitForTaskToken` invokes the same way, then waits for SendTaskSuccess/SendTaskFailure.
 */
export type TaskIntegration = 'function' | 'invoke' | 'invoke.waitForTaskToken';

/** The function a Task state calls and how: the function's name is its logical id in the template. */
export interface TaskTarget {
  readonly integration: TaskIntegration;
  readonly logicalId: string;
}

const INVOKE_RESOURCE = /^arn:[^:]+:states:::lambda:invoke(\.waitForTaskToken)?$/;
/** `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`, as resolveDefinition renders a function's Arn. */
const FUNCTION_ARN = /:function:([^:]+)(?::[^:]+)?$/;

/**
 * The function a Task state of the resolved definition calls, or undefined when its Resource is neither a
 * function nor the Lambda integration.
 * @throws Error when a Lambda integration names its function dynamically (`FunctionName.$`)
 */
export function taskTarget(stateName: string, state: Record<string, unknown>): TaskTarget | undefined {
  const resource = String(state.Resource ?? '');
  const integration = INVOKE_RESOURCE.exec(resource);
  if (!integration) {
    const logicalId = resource.split(':function:')[1];
    return logicalId === undefined ? undefined : { integration: 'function', logicalId };
  }
  const parameters = (state.Parameters ?? {}) as Record<string, unknown>;
  const functionName = parameters.FunctionName;
  if (typeof functionName !== 'string') {
    throw new Error(
      `Task "${stateName}" (${resource}) must name its function in Parameters.FunctionName; ` +
        'local mode cannot run a function chosen at run time (FunctionName.$)',
    );
  }
  const logicalId = FUNCTION_ARN.exec(functionName)?.[1] ?? functionName;
  return { integration: integration[1] ? 'invoke.waitForTaskToken' : 'invoke', logicalId };
}

/**
 * Where the local definition carries a Lambda integration's timeout into its parameters (see
 * {@link localDefinition}); the handlers read it from there and never pass it on.
 */
const TIMEOUT_PARAMETER = 'DbRefreshLocalTimeoutSeconds';
/**
 * A task that waits for its token without a timeout waits as long as a timer can (about 24 days); Step
 * Functions would wait until the execution ends, a year at most.
 */
const LONGEST_TIMEOUT_SECONDS = 2_147_483;
const TIMER_SLACK_MILLISECONDS = 10;

/**
 * The definition the local runner runs: the real one, with the timeouts of Lambda integrations restated for
 * aws-local-stepfunctions. That library evaluates `TimeoutSecondsPath` against the state's parameters rather
 * than its input, and gives every task without a timeout 60 seconds (an approval would time out in a minute).
 * So the timeout becomes a parameter (`<TIMEOUT_PARAMETER>.$` = the path, evaluated against the input as
 * Step Functions does) and the library reads it back from the parameters.
 */
export function localDefinition(
  definition: AslDefinition,
  targets: ReadonlyMap<string, TaskTarget>,
): AslDefinition {
  const states = Object.fromEntries(
    Object.entries(definition.States).map(([stateName, state]) => {
      const target = targets.get(stateName);
      if (target === undefined || target.integration === 'function') return [stateName, state];
      const { TimeoutSeconds, TimeoutSecondsPath, ...rest } = state;
      const timeout =
        typeof TimeoutSecondsPath === 'string'
          ? { [`${TIMEOUT_PARAMETER}.$`]: TimeoutSecondsPath }
          : {
              [TIMEOUT_PARAMETER]:
                TimeoutSeconds ?? (target.integration === 'invoke' ? 60 : LONGEST_TIMEOUT_SECONDS),
            };
      return [
        stateName,
        {
          ...rest,
          Parameters: { ...rest.Parameters, ...timeout },
          TimeoutSecondsPath: `$.${TIMEOUT_PARAMETER}`,
        },
      ];
    }),
  );
  return { ...definition, States: states };
}

/** Calls the function of a task with an event and returns what it returns. */
export type InvokeFunction = (event: unknown) => Promise<unknown>;

/** One execution, as the handlers of its waiting tasks need it. */
export interface TaskExecution {
  readonly executionArn: string;
  readonly tokens: TaskTokens;
}

/**
 * The local handler of a Task state, for aws-local-stepfunctions' `taskResourceLocalHandlers`: it receives
 * the state's effective parameters and returns its result, as the integration would.
 */
export function integrationHandler(
  stateName: string,
  integration: TaskIntegration,
  invoke: InvokeFunction,
  execution: TaskExecution,
): (parameters: unknown) => Promise<unknown> {
  switch (integration) {
    case 'function':
      return invoke;
    case 'invoke':
      return async (parameters) => invokeResponse(await invoke(payloadOf(parameters)));
    case 'invoke.waitForTaskToken':
      return async (parameters) => {
        // Claimed before the function runs: its parameters carry the token `$$.Task.Token` just issued.
        const token = execution.tokens.claim(execution.executionArn, stateName, payloadOf(parameters));
        // A little early: the library's timer and the wall clock may disagree by a millisecond, and an
        // answer must not be accepted once the task has failed with States.Timeout.
        const deadline = Date.now() + timeoutSecondsOf(parameters) * 1000 - TIMER_SLACK_MILLISECONDS;
        try {
          await invoke(payloadOf(parameters));
        } catch (error: unknown) {
          execution.tokens.abandon(token);
          throw error;
        }
        return execution.tokens.wait(token, deadline);
      };
  }
}

/**
 * The Task part of the context object: `$$.Task.Token` reads a fresh token each time a state's parameters
 * are evaluated (aws-local-stepfunctions copies the context object shallowly, so the getter survives).
 */
export function taskContext(execution: TaskExecution): { readonly Token: string } {
  return {
    get Token() {
      return execution.tokens.issue(execution.executionArn);
    },
  };
}

function payloadOf(parameters: unknown): unknown {
  return (parameters as { Payload?: unknown } | null)?.Payload ?? {};
}

function timeoutSecondsOf(parameters: unknown): number {
  const value = (parameters as Record<string, unknown> | null)?.[TIMEOUT_PARAMETER];
  return typeof value === 'number' ? value : LONGEST_TIMEOUT_SECONDS;
}

/** Lambda's Invoke response as the `lambda:invoke` integration returns it (`$.Payload` is the function's result). */
function invokeResponse(payload: unknown): Record<string, unknown> {
  const requestId = randomUUID();
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload ?? null,
    SdkHttpMetadata: {
      HttpHeaders: { 'Content-Type': 'application/json', 'X-Amz-Executed-Version': '$LATEST' },
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: 200,
  };
}
