/**
 * Errors of the local database engines. The local RDS endpoint maps them to RDS API errors
 * (not found → DBInstanceNotFound, wrong state → InvalidDBInstanceState, ...), so each kind is its own class.
 */
export class LocalEngineError extends Error {
  override readonly name: string = 'LocalEngineError';
}

/** A base class whose instances carry `name` (a string literal: bundles may rename classes). */
function namedError<N extends string>(name: N) {
  return class extends LocalEngineError {
    override readonly name: N = name;
  };
}

/** A binary the engine needs is not installed; the message names the package to install. */
export class EngineNotInstalledError extends namedError('EngineNotInstalledError') {}

/** An engine program (initdb, mariadb-backup, postgres, ...) failed; the message ends with its last output lines. */
export class EngineCommandError extends namedError('EngineCommandError') {}

/** No local server has this id. */
export class ServerNotFoundError extends namedError('ServerNotFoundError') {}

/** A local server with this id already exists. */
export class ServerExistsError extends namedError('ServerExistsError') {}

/** The server is not in a state that allows the operation (e.g. changing a password while it is stopped). */
export class InvalidServerStateError extends namedError('InvalidServerStateError') {}

/** No snapshot has this name. */
export class SnapshotNotFoundError extends namedError('SnapshotNotFoundError') {}

/** A snapshot with this name already exists. */
export class SnapshotExistsError extends namedError('SnapshotExistsError') {}

/** A point-in-time restore asked for a time outside the source's restorable window. */
export class RestoreWindowError extends namedError('RestoreWindowError') {}

/** An argument is invalid (identifier, user name, port); the message names the value and what is allowed. */
export class InvalidEngineInputError extends namedError('InvalidEngineInputError') {}
