import { Logger } from '@aws-lambda-powertools/logger';
import type * as z from 'zod';
import { classifyError } from './aws/transient';

/** The one structured logger. Log names, ids and statuses; never passwords, events or table data. */
export const logger = new Logger({ serviceName: 'dbrefresh' });

/** What a step may know about its invocation. */
export interface StepContext {
  /** Milliseconds left before Lambda stops the invocation (a long script stops well before). */
  remainingMilliseconds(): number;
}

interface LambdaContextLike {
  getRemainingTimeInMillis?: () => number;
}

const NO_DEADLINE: StepContext = { remainingMilliseconds: () => Number.POSITIVE_INFINITY };

/**
 * A thin Lambda adapter: parse the event with `schema`, run `logic`, and turn throttling and transient
 * AWS errors into TransientAwsError so the state machine retries them with backoff and jitter.
 */
export function stepHandler<S extends z.ZodType, R>(
  step: string,
  schema: S,
  logic: (event: z.output<S>, context: StepContext) => Promise<R>,
): (event: unknown, context?: LambdaContextLike) => Promise<R> {
  return async (event, lambdaContext) => {
    logger.resetKeys();
    logger.appendKeys({ step });
    const parsed = schema.parse(event);
    const runId = runIdOf(parsed);
    if (runId) logger.appendKeys({ runId });
    const context: StepContext = lambdaContext?.getRemainingTimeInMillis
      ? { remainingMilliseconds: () => lambdaContext.getRemainingTimeInMillis?.() ?? 0 }
      : NO_DEADLINE;
    try {
      return await logic(parsed, context);
    } catch (error: unknown) {
      const classified = classifyError(error);
      logger.error('Step failed', {
        errorName: classified instanceof Error ? classified.name : typeof classified,
        errorMessage: classified instanceof Error ? classified.message : String(classified),
      });
      throw classified;
    }
  };
}

function runIdOf(event: unknown): string | undefined {
  if (event === null || typeof event !== 'object' || !('plan' in event)) return undefined;
  const plan = (event as { plan?: { runId?: unknown } }).plan;
  return typeof plan?.runId === 'string' ? plan.runId : undefined;
}
