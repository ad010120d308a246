/**
 * Errors of the local database engines. The local RDS endpoint maps them to RDS API errors
 * (not found → DBInstanceNotFound, wrong state → InvalidDBInstanceState, ...), so each kind is its own class.
 */
export class LocalEngineError extends Error {
  override readonly name: string = 'LocalEngineError';
}

/** A binary the engine needs is not installed; the message names the package to install. */
export class EngineNotInstalledError extends LocalEngineError {
  override readonly name = 'EngineNotInstalledError';
}

/** An engine program (initdb, mariadb-backup, postgres, ...) failed; the message ends with its last output lines. */
export class EngineCommandError extends LocalEngineError {
  override readonly name = 'EngineCommandError';
}

/** No local server has this id. */
export class ServerNotFoundError extends LocalEngineError {
  override readonly name = 'ServerNotFoundError';
}

/** A local server with this id already exists. */
export class ServerExistsError extends LocalEngineError {
  override readonly name = 'ServerExistsError';
}

/** The server is not in a state that allows the operation (e.g. changing a password while it is stopped). */
export class InvalidServerStateError extends LocalEngineError {
  override readonly name = 'InvalidServerStateError';
}

/** No snapshot has this name. */
export class SnapshotNotFoundError extends LocalEngineError {
  override readonly name = 'SnapshotNotFoundError';
}

/** A snapshot with this name already exists. */
export class SnapshotExistsError extends LocalEngineError {
  override readonly name = 'SnapshotExistsError';
}

/** A point-in-time restore asked for a time outside the source's restorable window. */
export class RestoreWindowError extends LocalEngineError {
  override readonly name = 'RestoreWindowError';
}

/** An argument is invalid (identifier, user name, port); the message names the value and what is allowed. */
export class InvalidEngineInputError extends LocalEngineError {
  override readonly name = 'InvalidEngineInputError';
}
