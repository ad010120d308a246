import { logger } from '../../lambdas/shared/handler';
import type { RunInput } from '../../lambdas/shared/run/run-state';
import type { AslDefinition } from '../../lib/resolve-definition';
import type { LocalCredentials } from '../iam/identities';
import { integrationHandler, localDefinition, taskContext } from './lambda-integrations';
import {
  type LocalResources,
  type LocalTask,
  loadRefreshMachine,
  type RefreshMachine,
} from './refresh-machine';
import { TaskTokens } from './task-tokens';

// aws-local-stepfunctions expects Node 22's Promise.withResolvers; Node 20 lacks it.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    value<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

/** One step of a local run, as the runner reports it. */
export interface RunEvent {
  readonly type: 'entered' | 'succeeded' | 'failed' | 'retried' | 'caught';
  readonly stateName: string;
  readonly stateType: string;
  readonly at: Date;
  readonly error?: string;
  /** Why the state failed (`failed`). */
  readonly cause?: string;
  /** The state's input (`entered`). */
  readonly input?: unknown;
  /** The state's output (`succeeded`). */
  readonly output?: unknown;
  /** A Task state's Resource. */
  readonly resource?: string;
}

export interface LocalRunOptions extends LocalResources {
  /** The local AWS endpoint the handlers' SDK clients talk to. */
  readonly endpointUrl: string;
  /** What the handlers' SDK clients sign with (the local account's administrator, for now). */
  readonly credentials: LocalCredentials;
  readonly region?: string;
  readonly account?: string;
  /** Execution name; defaults to a unique one. */
  readonly executionName?: string;
  /** How long each Wait lasts locally, in milliseconds (checks then poll the local endpoint). */
  readonly waitMilliseconds?: number;
  /**
   * The handlers' log level (Powertools).
   * @default "WARN"
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly onEvent?: (event: RunEvent) => void;
  /**
   * The time each invocation of a state's function gets, by state name, instead of the function's timeout
   * (what `getRemainingTimeInMillis` counts down from); for tests that make a step span several invocations.
   * @default - each function's timeout
   */
  readonly taskTimeoutSeconds?: Readonly<Record<string, number>>;
  /**
   * Answers tasks that wait for a task token (SendTaskSuccess/SendTaskFailure of the local states service).
   * @default - a registry of this run only
   */
  readonly taskTokens?: TaskTokens;
  /**
   * Aborts the run (StopExecution): it fails with ExecutionAbortedError; the handler running then finishes in
   * the background, its result unused.
   */
  readonly signal?: AbortSignal;
}

export interface LocalRunResult {
  readonly executionArn: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

type Handler = (event: unknown, context: { getRemainingTimeInMillis(): number }) => Promise<unknown>;

/**
 * Runs the synthesized refresh state machine on this machine with aws-local-stepfunctions: every
 * Task runs the handler its function names, in this process, with that function's environment and
 * the SDK pointed at the local endpoint. Waits are shortened; everything else is the real definition.
 */
export async function runRefreshLocally(input: RunInput, options: LocalRunOptions): Promise<LocalRunResult> {
  const { StateMachine } = await import('aws-local-stepfunctions');
  const region = options.region ?? 'eu-west-1';
  const account = options.account ?? '000000000000';
  const machine = withTaskTimeouts(loadRefreshMachine(options), options.taskTimeoutSeconds);
  configureProcess(machine.tasks, options.endpointUrl, region, options.credentials);
  // The handlers share this process's one logger, which may have been created before the run.
  logger.setLogLevel(options.logLevel ?? 'WARN');

  const name = options.executionName ?? `local-${Date.now().toString(36)}`;
  const executionArn = `arn:aws:states:${region}:${account}:execution:DbRefresh:${name}`;
  const targets = new Map(machine.tasks.map((task) => [task.stateName, task]));
  const stateMachine = new StateMachine(localDefinition(machine.definition, targets) as never, {
    validationOptions: { checkArn: false, checkPaths: true },
  });
  const taskExecution = { executionArn, tokens: options.taskTokens ?? new TaskTokens() };
  const waitMs = options.waitMilliseconds ?? 200;
  const states = Object.entries(machine.definition.States);
  const execution = stateMachine.run(input as never, {
    context: {
      Execution: {
        Id: executionArn,
        Name: name,
        StartTime: new Date().toISOString(),
        Input: input,
        RoleArn: `arn:aws:iam::${account}:role/DbRefresh`,
      },
      Task: taskContext(taskExecution),
    } as never,
    overrides: {
      taskResourceLocalHandlers: Object.fromEntries(
        machine.tasks.map((task) => [
          task.stateName,
          integrationHandler(
            task.stateName,
            task.integration,
            (event) => invoke(task, event),
            taskExecution,
          ) as (parameters: unknown) => Promise<never>,
        ]),
      ),
      waitTimeOverrides: Object.fromEntries(
        states.filter(([, state]) => state.Type === 'Wait').map(([stateName]) => [stateName, waitMs]),
      ),
      retryIntervalOverrides: Object.fromEntries(
        states.filter(([, state]) => state.Retry).map(([stateName]) => [stateName, waitMs]),
      ),
    },
  });
  const report = reportEvents(execution.eventLogs, options.onEvent, machine.definition.States);
  const abort = () => execution.abort();
  if (options.signal?.aborted) abort();
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    const output = await execution.result;
    await report;
    return { executionArn, status: 'SUCCEEDED', output };
  } catch (error: unknown) {
    await report.catch(() => undefined);
    const cause = (error as { cause?: { name?: string; message?: string } }).cause;
    return {
      executionArn,
      status: 'FAILED',
      error: cause?.name ?? (error instanceof Error ? error.name : 'Error'),
      cause: cause?.message ?? (error instanceof Error ? error.message : String(error)),
    };
  } finally {
    options.signal?.removeEventListener('abort', abort);
    taskExecution.tokens.closeExecution(executionArn);
  }
}

/** The machine with the per-invocation time of some states replaced (LocalRunOptions.taskTimeoutSeconds). */
function withTaskTimeouts(
  machine: RefreshMachine,
  timeouts: Readonly<Record<string, number>> = {},
): RefreshMachine {
  const tasks = machine.tasks.map((task) => ({
    ...task,
    timeoutSeconds: timeouts[task.stateName] ?? task.timeoutSeconds,
  }));
  return { ...machine, tasks };
}

const handlers = new Map<string, Handler>();

async function invoke(task: LocalTask, event: unknown): Promise<unknown> {
  const key = `${task.entry}#${task.handlerName}`;
  let handler = handlers.get(key);
  if (!handler) {
    // require, not import(): under tsx's CommonJS hook (the `local up` daemon) import() of a .ts file fails.
    const module = require(task.entry) as Record<string, unknown>;
    const exported = module[task.handlerName];
    if (typeof exported !== 'function')
      throw new Error(`${task.entry} exports no function ${task.handlerName}`);
    handler = exported as Handler;
    handlers.set(key, handler);
  }
  const deadline = Date.now() + task.timeoutSeconds * 1000;
  return handler(event, { getRemainingTimeInMillis: () => deadline - Date.now() });
}

/**
 * The handlers create their SDK clients and read their environment when first loaded, so the
 * environment is set once for the process: every function's variables (they agree on shared names)
 * and the endpoint, with the credentials the local endpoint verifies the handlers' signatures with.
 */
function configureProcess(
  tasks: readonly LocalTask[],
  endpointUrl: string,
  region: string,
  credentials: LocalCredentials,
): void {
  for (const task of tasks) Object.assign(process.env, task.environment);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpointUrl,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    DB_TLS: 'off',
  });
  if (credentials.sessionToken === undefined) delete process.env.AWS_SESSION_TOKEN;
  else process.env.AWS_SESSION_TOKEN = credentials.sessionToken;
}

async function reportEvents(
  events: AsyncGenerator<unknown>,
  onEvent: ((event: RunEvent) => void) | undefined,
  states: AslDefinition['States'],
): Promise<void> {
  for await (const raw of events) {
    const event = raw as {
      type?: string;
      state?: { name?: string; type?: string; input?: unknown; output?: unknown };
      timestamp?: number;
      Error?: string;
      Cause?: unknown;
    };
    const type = EVENT_TYPES[event.type ?? ''];
    if (!type || !event.state?.name || !onEvent) continue;
    onEvent({
      type,
      stateName: event.state.name,
      stateType: event.state.type ?? 'Unknown',
      at: new Date(event.timestamp ?? Date.now()),
      error: event.Error,
      cause: type === 'failed' ? causeText(event.Cause) : undefined,
      input: type === 'entered' ? event.state.input : undefined,
      output: type === 'succeeded' ? event.state.output : undefined,
      resource: states[event.state.name]?.Resource,
    });
  }
}

/** The library reports the error's `cause` when it has one, else its message. */
function causeText(cause: unknown): string | undefined {
  if (cause === undefined || typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause);
}

const EVENT_TYPES: Record<string, RunEvent['type']> = {
  StateEntered: 'entered',
  StateExited: 'succeeded',
  StateFailed: 'failed',
  StateRetried: 'retried',
  StateCaught: 'caught',
};
