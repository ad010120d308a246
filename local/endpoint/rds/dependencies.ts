import type { EngineManager } from '../../engines/engine-manager';
import type { RdsTag } from './state';

/** What the emulator asks of the local engines; EngineManager provides it, tests fake it. */
export type EngineBackend = Pick<
  EngineManager,
  | 'createServer'
  | 'start'
  | 'stop'
  | 'remove'
  | 'setAdminPassword'
  | 'snapshot'
  | 'removeSnapshot'
  | 'restoreSnapshot'
  | 'restoreToTime'
  | 'clone'
  | 'earliestRestorableTime'
  | 'latestRestorableTime'
  | 'unusedPort'
>;

/**
 * Where RDS-managed master passwords go (ManageMasterUserPassword): the local Secrets Manager.
 * RDS names such secrets `rds!db-<uuid>` / `rds!cluster-<uuid>` and stores `{"username","password"}`.
 */
export interface ManagedSecretStore {
  /** Creates the secret and returns its ARN. */
  createSecret(name: string, value: string, tags: readonly RdsTag[]): Promise<string>;
  /** Deletes it with its instance or cluster, as RDS does; left alone when absent. */
  deleteSecret?(arn: string): Promise<void>;
}

/**
 * Fault injection: the status a change ends in instead of its normal outcome (e.g. `incompatible-restore`
 * for `RestoreDBInstanceToPointInTime` of `db-new`), or undefined for the normal outcome. A resource sent
 * to such a status gets no engine server; it can only be deleted. Deletions are never redirected.
 */
export type TerminalStatusHook = (action: string, identifier: string) => string | undefined;
