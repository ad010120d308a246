/** The messages between the function host (main thread) and a function's worker thread. */

/** What a worker is started with (its `workerData`). */
export interface WorkerSettings {
  /** `lambdas/<step>/handler.ts` */
  readonly entry: string;
  readonly handlerName: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly memorySize: number;
}

/** One invocation, sent to an idle worker. */
export interface FunctionInvocation {
  readonly id: number;
  readonly requestId: string;
  /** The event as JSON text. */
  readonly event: string;
  /** When Lambda would stop the invocation (epoch milliseconds); the context counts down to it. */
  readonly deadline: number;
}

/** How an invocation ended: the result as JSON text, or the error as the Node.js runtime reports it. */
export interface FunctionOutcome {
  readonly id: number;
  readonly payload?: string;
  readonly error?: {
    readonly errorType: string;
    readonly errorMessage: string;
    readonly trace: readonly string[];
  };
}
