/**
 * One execution environment of a local Lambda function: a worker thread with the function's own environment
 * (its variables, its role's credentials, the endpoint), which loads the function's handler once and runs one
 * invocation at a time, as a Lambda execution environment does. Started by function-host.ts under tsx.
 *
 * Events and results cross the thread boundary as JSON text, as they cross Lambda's API, so a handler that
 * returns something JSON cannot carry fails here as it would there.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FunctionInvocation, FunctionOutcome, WorkerSettings } from './function-protocol';

type Handler = (event: unknown, context: LambdaContext) => Promise<unknown>;

/** The part of Lambda's context object the handlers use (Powertools reads the names). */
interface LambdaContext {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

const settings = workerData as WorkerSettings;
let handler: Handler | undefined;

function loadHandler(): Handler {
  if (handler) return handler;
  // require, not import(): under tsx's CommonJS hook import() of a .ts file fails.
  const module = require(settings.entry) as Record<string, unknown>;
  const exported = module[settings.handlerName];
  if (typeof exported !== 'function') {
    throw new TypeError(`${settings.entry} exports no function ${settings.handlerName}`);
  }
  handler = exported as Handler;
  return handler;
}

async function run(invocation: FunctionInvocation): Promise<FunctionOutcome> {
  try {
    const context: LambdaContext = {
      functionName: settings.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: settings.functionArn,
      memoryLimitInMB: String(settings.memorySize),
      awsRequestId: invocation.requestId,
      logGroupName: `/aws/lambda/${settings.functionName}`,
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, invocation.deadline - Date.now()),
    };
    const result = await loadHandler()(JSON.parse(invocation.event), context);
    return { id: invocation.id, payload: JSON.stringify(result ?? null) };
  } catch (error: unknown) {
    return { id: invocation.id, error: lambdaError(error) };
  }
}

/** An error as the Node.js runtime reports it: its type (the class name), its message and its stack. */
function lambdaError(error: unknown): NonNullable<FunctionOutcome['error']> {
  if (error instanceof Error) {
    return {
      errorType: error.name,
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

parentPort?.on('message', (invocation: FunctionInvocation) => {
  void run(invocation).then((outcome) => parentPort?.postMessage(outcome));
});
