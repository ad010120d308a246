import { TransientAwsError } from '../errors';

/** Error names AWS services use for throttling and passing trouble. */
const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'InternalError',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** Whether `error` is throttling or a passing AWS/network failure that a later retry may not see. */
export function isTransient(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const e = error as SdkErrorShape;
  if (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && TRANSIENT_NAMES.has(e.code)) return true;
  if (e.$retryable !== undefined && e.$retryable !== null) return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status === 429 || status >= 500);
}

/**
 * Turns a transient error that outlived the SDK's own retries into TransientAwsError, the name the
 * state machine retries with backoff and jitter; any other error is returned unchanged.
 */
export function classifyError(error: unknown): unknown {
  if (!isTransient(error)) return error;
  const name = (error as SdkErrorShape).name;
  const message = error instanceof Error ? error.message : String(error);
  return new TransientAwsError(`${typeof name === 'string' ? name : 'Transient error'}: ${message}`, {
    cause: error,
  });
}

/** Client settings every handler uses: the SDK retries throttling itself first, adaptively. */
export const SDK_CLIENT_CONFIG = { maxAttempts: 5, retryMode: 'adaptive' } as const;
