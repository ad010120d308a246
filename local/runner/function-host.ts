import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LocalCredentials, LocalIdentities, LocalRole } from '../iam/identities';
import type { FunctionInvocation, FunctionOutcome, WorkerSettings } from './function-protocol';

/** A function as the template defines it: its code, its settings, its environment and its role. */
export interface LocalFunction {
  /** The function's name (locally, its logical id in the template). */
  readonly name: string;
  /** `lambdas/<step>/handler.ts`, the file the function is bundled from. */
  readonly entry: string;
  readonly handlerName: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** The function's environment variables, with the stack's references replaced by local values. */
  readonly environment: Readonly<Record<string, string>>;
  /** The function's execution role: its credentials are what the function's SDK clients sign with. */
  readonly role: LocalRole;
}

export interface FunctionHostOptions {
  /** The local AWS endpoint, the functions' `AWS_ENDPOINT_URL`. */
  readonly endpointUrl: string;
  readonly region: string;
  readonly account: string;
  /** Issues each function's role credentials, as Lambda receives them for its execution role. */
  readonly identities: LocalIdentities;
  /**
   * Variables every function gets on top of its own (the database CA bundle of local mode, say).
   * @default - none
   */
  readonly runtimeEnvironment?: Readonly<Record<string, string>>;
}

/** A function invocation that failed; its name and message are what Step Functions reports as Error and Cause. */
export class FunctionInvocationError extends Error {
  override readonly name: string;

  /**
   * @param error what Step Functions reports as the state's Error: the function's error type for a function
   *   error, `Lambda.Unknown` for a timeout or a crashed runtime
   * @param payload the error as Lambda returns it; its JSON is the state's Cause, as on AWS
   */
  constructor(error: string, payload: NonNullable<FunctionOutcome['error']>) {
    super(JSON.stringify(payload));
    this.name = error;
  }
}

/**
 * Synchronous invocation payloads are at most 6 MB each way.
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/**
 * Unhandled errors (function timeouts, a runtime that crashed) reach Step Functions as Lambda.Unknown.
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 */
const UNHANDLED = 'Lambda.Unknown';

/** The variables of this process that a function's runtime may see; nothing else of the caller's leaks in. */
const INHERITED_VARIABLES = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL'];

/**
 * Runs the step functions of the local account as Lambda runs them: each function in execution environments
 * of its own (worker threads), with only its own environment variables and its role's temporary credentials,
 * one invocation at a time per environment, stopped at its timeout. Environments stay warm between runs, as
 * Lambda keeps them, and are closed with the host.
 */
export class FunctionHost {
  private readonly pools = new Map<string, FunctionPool>();
  private readonly credentials = new Map<string, LocalCredentials>();

  constructor(private readonly options: FunctionHostOptions) {}

  /**
   * Invokes a function synchronously and returns its result.
   * @param timeoutSeconds how long this invocation may run; the function's timeout when absent
   * @throws FunctionInvocationError when the function fails, times out or returns more than Lambda allows
   */
  invoke(fn: LocalFunction, event: unknown, timeoutSeconds = fn.timeoutSeconds): Promise<unknown> {
    const environment = this.environmentOf(fn);
    const key = `${fn.name}\n${fn.entry}#${fn.handlerName}\n${JSON.stringify(environment)}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new FunctionPool(this.workerSettings(fn), environment);
      this.pools.set(key, pool);
    }
    return pool.invoke(event, timeoutSeconds);
  }

  /** Stops every execution environment. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }

  private workerSettings(fn: LocalFunction): WorkerSettings {
    const { region, account } = this.options;
    return {
      entry: fn.entry,
      handlerName: fn.handlerName,
      functionName: fn.name,
      functionArn: `arn:aws:lambda:${region}:${account}:function:${fn.name}`,
      memorySize: fn.memorySize,
    };
  }

  /** What Lambda puts in a function's environment: its variables, the runtime's, and its role's credentials. */
  private environmentOf(fn: LocalFunction): Record<string, string> {
    const credentials = this.roleCredentials(fn);
    const inherited = Object.fromEntries(
      INHERITED_VARIABLES.flatMap((name) => {
        const value = process.env[name];
        return value === undefined ? [] : [[name, value]];
      }),
    );
    return {
      ...inherited,
      ...this.options.runtimeEnvironment,
      ...fn.environment,
      AWS_ENDPOINT_URL: this.options.endpointUrl,
      AWS_REGION: this.options.region,
      AWS_DEFAULT_REGION: this.options.region,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      ...(credentials.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: credentials.sessionToken }),
      // The functions run on Node.js 24 on Lambda; the SDK's notice about this machine's Node.js is noise here.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
  }

  /** One role session per function, issued once: Lambda's session name is the function's name. */
  private roleCredentials(fn: LocalFunction): LocalCredentials {
    let credentials = this.credentials.get(fn.name);
    if (!credentials) {
      credentials = this.options.identities.roleSession(fn.role, fn.name);
      this.credentials.set(fn.name, credentials);
    }
    return credentials;
  }
}

/** The execution environments of one function: idle ones are reused, a busy function gets another. */
class FunctionPool {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private nextId = 1;

  constructor(
    private readonly settings: WorkerSettings,
    private readonly environment: Record<string, string>,
  ) {}

  async invoke(event: unknown, timeoutSeconds: number): Promise<unknown> {
    const requestId = randomUUID();
    const eventText = JSON.stringify(event ?? null);
    if (Buffer.byteLength(eventText) > MAX_PAYLOAD_BYTES) {
      throw new FunctionInvocationError('Lambda.RequestTooLargeException', {
        errorType: 'RequestTooLargeException',
        errorMessage: `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
        trace: [],
      });
    }
    const worker = this.idle.pop() ?? this.start();
    worker.ref();
    const invocation: FunctionInvocation = {
      id: this.nextId++,
      requestId,
      event: eventText,
      deadline: Date.now() + timeoutSeconds * 1000,
    };
    const outcome = await this.send(worker, invocation, timeoutSeconds);
    if (outcome.kind === 'lost') {
      this.discard(worker);
      throw new FunctionInvocationError(UNHANDLED, outcome.error);
    }
    worker.unref();
    this.idle.push(worker);
    const { error, payload } = outcome.outcome;
    if (error) throw new FunctionInvocationError(error.errorType, error);
    const text = payload ?? 'null';
    if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
      throw new FunctionInvocationError(UNHANDLED, {
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).`,
        trace: [],
      });
    }
    return JSON.parse(text);
  }

  async close(): Promise<void> {
    const workers = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private start(): Worker {
    const worker = new Worker(path.join(__dirname, 'function-worker.ts'), {
      workerData: this.settings,
      env: this.environment,
      // The handlers are TypeScript, run from source as the rest of local mode is.
      execArgv: ['--require', require.resolve('tsx/cjs')],
    });
    this.all.add(worker);
    return worker;
  }

  private discard(worker: Worker): void {
    this.all.delete(worker);
    void worker.terminate();
  }

  /** Sends one invocation and waits for its outcome, the function's timeout, or the worker's end. */
  private send(worker: Worker, invocation: FunctionInvocation, timeoutSeconds: number): Promise<SendResult> {
    return new Promise((resolve) => {
      const finish = (result: SendResult) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(result);
      };
      const onMessage = (outcome: FunctionOutcome) => {
        if (outcome.id === invocation.id) finish({ kind: 'done', outcome });
      };
      const onError = (error: Error) =>
        finish({
          kind: 'lost',
          error: { errorType: 'Runtime.ExitError', errorMessage: error.message, trace: [] },
        });
      const onExit = (code: number) =>
        finish({
          kind: 'lost',
          error: {
            errorType: 'Runtime.ExitError',
            errorMessage: `RequestId: ${invocation.requestId} Error: Runtime exited with error: exit status ${code}`,
            trace: [],
          },
        });
      const timer = setTimeout(
        () =>
          finish({
            kind: 'lost',
            error: {
              errorType: 'Sandbox.Timedout',
              errorMessage: `RequestId: ${invocation.requestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
              trace: [],
            },
          }),
        Math.max(0, invocation.deadline - Date.now()),
      );
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(invocation);
    });
  }
}

type SendResult =
  | { readonly kind: 'done'; readonly outcome: FunctionOutcome }
  | { readonly kind: 'lost'; readonly error: NonNullable<FunctionOutcome['error']> };
