/**
 * Every error a step throws. The state machine's Retry and Catch match on error *names*, and those
 * names are read from this module, so a handler and the definition cannot disagree. Names are string
 * literals, not class names, because minified bundles rename classes.
 */
export class DbRefreshError extends Error {
  override readonly name: string = 'DbRefreshError';
}

/** A base class whose instances and `errorName` carry `name`. */
function namedError<N extends string>(name: N) {
  return class extends DbRefreshError {
    static readonly errorName: N = name;
    override readonly name: N = name;
  };
}

/** A wait/check loop reached its deadline without the operation finishing. */
export class PollTimeoutError extends namedError('PollTimeoutError') {}

/** The resource reached a state it cannot leave on its own (incompatible-restore, storage-full, failed, ...). */
export class TerminalStateError extends namedError('TerminalStateError') {
  constructor(
    readonly resource: string,
    readonly status: string,
    options?: { cause?: unknown },
  ) {
    super(`${resource} is in terminal state "${status}"`, options);
  }
}

/** A pre-flight guard refused the refresh before anything changed (not refreshable, production, ...). */
export class GuardError extends namedError('GuardError') {}

/** Another refresh of the same target holds the lock. */
export class TargetLockedError extends namedError('TargetLockedError') {}

/** The refresh file is invalid; the message lists every problem. */
export class RefreshFileError extends namedError('RefreshFileError') {}

/** A SQL script or verification query failed; the message names the file, statement and line. */
export class ScriptError extends namedError('ScriptError') {}

/** A hook function (beforeSwap, afterRefresh) failed or returned a function error. */
export class HookError extends namedError('HookError') {}

/** A throttling or transient AWS error that survived the handler's own retries; Step Functions retries it. */
export class TransientAwsError extends namedError('TransientAwsError') {}

/**
 * A database connection's TLS failed: the server's certificate did not verify against the trusted CAs or the
 * host name, or the server offered no TLS. The message names the host, the CAs trusted and the fix.
 */
export class DatabaseTlsError extends namedError('DatabaseTlsError') {}

/** Names for Retry/Catch `ErrorEquals`. */
export const ERROR_NAMES = {
  pollTimeout: PollTimeoutError.errorName,
  terminalState: TerminalStateError.errorName,
  guard: GuardError.errorName,
  targetLocked: TargetLockedError.errorName,
  refreshFile: RefreshFileError.errorName,
  script: ScriptError.errorName,
  hook: HookError.errorName,
  transientAws: TransientAwsError.errorName,
} as const;
