import { Duration } from 'aws-cdk-lib';
import { JitterType, type TaskStateBase } from 'aws-cdk-lib/aws-stepfunctions';
import { ERROR_NAMES } from '../../lambdas/shared/errors';

/**
 * Lambda's throttling error as Step Functions reports it when the function's concurrency is exhausted; the
 * LambdaInvoke task's own retry (service exceptions) does not cover it.
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 */
export const LAMBDA_THROTTLED = 'Lambda.TooManyRequestsException';

/**
 * Retries what passes by itself, with exponential backoff and full jitter: AWS throttling and transient errors
 * the steps raise as TransientAwsError, and Lambda throttling the invocation itself.
 */
export function retryTransient(task: TaskStateBase): void {
  task.addRetry({
    errors: [ERROR_NAMES.transientAws, LAMBDA_THROTTLED],
    interval: Duration.seconds(5),
    backoffRate: 2,
    maxAttempts: 4,
    jitterStrategy: JitterType.FULL,
  });
}
