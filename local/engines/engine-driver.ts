import type { LocalEngine } from './binaries';
import type { EngineAccount } from './engine-account';
import type { BaseBackup, BinlogPosition, ServerPaths } from './engine-store';

/** A server's files and the TCP port it listens (or will listen) on. */
export interface ServerLocation {
  readonly id: string;
  readonly paths: ServerPaths;
  readonly port: number;
}

/** The admin account a new server gets, like an RDS master user. */
export interface AdminAccount {
  readonly user: string;
  readonly password: string;
  readonly databaseName?: string;
}

/** The server whose changes a point-in-time restore replays. */
export interface RecoverySource {
  readonly server: ServerLocation;
  readonly running: boolean;
}

/**
 * What differs between MariaDB and PostgreSQL. The engine manager does the rest (records, locking, choosing
 * backups, restorable windows) the same way for both.
 */
export interface EngineDriver {
  readonly engine: LocalEngine;
  /** The account the engine's programs run as; it owns every directory they write to. */
  readonly account: EngineAccount;

  /** Creates a fresh data directory for the new server, whose only account is the maintenance account. */
  initialize(server: ServerLocation): Promise<void>;

  /** Starts the server; resolves with its process id once it accepts connections. */
  start(server: ServerLocation): Promise<number>;

  /** The process id in the engine's own pid file, if it has one. */
  readPid(server: ServerLocation): Promise<number | undefined>;

  /**
   * Shuts the running server down cleanly.
   * @returns the latest time a point-in-time restore of the stopped server can reach
   */
  stop(server: ServerLocation, pid: number): Promise<Date>;

  /** Creates the admin user (all privileges, reachable over TCP with its password) and the database if named. */
  createAdmin(server: ServerLocation, admin: AdminAccount): Promise<void>;

  /** Changes the admin user's password; new sessions with the old one are refused. */
  setAdminPassword(server: ServerLocation, user: string, password: string): Promise<void>;

  /**
   * Writes a consistent physical copy of the server into the new directory `target`, hot when `running`
   * (mariadb-backup, pg_basebackup), else a plain copy of the cleanly stopped data directory.
   * @returns where the copy leaves off in the binary log (MariaDB)
   */
  copy(server: ServerLocation, running: boolean, target: string): Promise<BinlogPosition | undefined>;

  /** Turns a copy into the data directory of the new server `server` (created by the caller, not started). */
  adoptCopy(copy: string, server: ServerLocation): Promise<void>;

  /**
   * Starts `target`, whose data directory holds `backup` of `source`, and replays the source's changes
   * committed up to `until` (everything available when undefined).
   * @returns the target's process id, once it accepts connections with the replay done
   */
  startRecovered(
    source: RecoverySource,
    backup: BaseBackup,
    target: ServerLocation,
    until?: Date,
  ): Promise<number>;
}
