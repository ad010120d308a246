import { randomUUID } from 'node:crypto';
import { chmod, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultSearchPath, findMariadb, findOpenssl, findPostgres, type LocalEngine } from './binaries';
import { LocalCertificateAuthority } from './certificate-authority';
import type { EngineDriver, ServerLocation } from './engine-driver';
import {
  type BaseBackup,
  checkIdentifier,
  EngineStore,
  type ServerRecord,
  type SnapshotRecord,
} from './engine-store';
import {
  InvalidEngineInputError,
  InvalidServerStateError,
  LocalEngineError,
  RestoreWindowError,
  ServerExistsError,
  SnapshotExistsError,
} from './errors';
import { KeyedLock } from './keyed-lock';
import { MariadbDriver } from './mariadb-server';
import { findFreePort } from './ports';
import { PostgresDriver } from './postgres-server';
import { isAlive, MAINTENANCE_USER, SERVER_HOST, STOP_TIMEOUT_MS, socketDirectory } from './server-process';

export interface EngineManagerOptions {
  /**
   * Directory holding every server, snapshot and template.
   * @default `<project>/.dbrefresh/engines`
   */
  readonly root?: string;
  /**
   * Directories searched for the engine programs.
   * @default PATH, the sbin directories and /usr/lib/postgresql/<version>/bin
   */
  readonly searchPath?: readonly string[];
}

/** Where a new server (restored, cloned) goes. */
export interface NewServer {
  readonly id: string;
  readonly port: number;
}

export interface CreateServerInput extends NewServer {
  readonly engine: LocalEngine;
  /** Like the RDS master user: all privileges, reachable over TCP with `adminPassword`. */
  readonly adminUser: string;
  readonly adminPassword: string;
  /** A database to create, owned by (PostgreSQL) or fully granted to (MariaDB) the admin user. */
  readonly databaseName?: string;
}

export interface ServerStatus {
  readonly id: string;
  readonly engine: LocalEngine;
  readonly host: string;
  readonly port: number;
  readonly state: 'running' | 'stopped';
  readonly pid?: number;
  readonly adminUser: string;
  readonly databaseName?: string;
  readonly createdAt: Date;
  readonly dataDirectory: string;
  readonly logFile: string;
}

export interface SnapshotInfo {
  readonly name: string;
  readonly engine: LocalEngine;
  readonly sourceId: string;
  readonly adminUser: string;
  readonly databaseName?: string;
  /** When the copy finished; its data is consistent as of a moment no later than this. */
  readonly createdAt: Date;
}

const USER_NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
const DATABASE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** What a provisioning step reports about the server it started. */
interface Started {
  readonly pid: number;
  readonly adminUser: string;
  readonly databaseName?: string;
}

/**
 * Real MariaDB and PostgreSQL servers that play RDS DB instances in local mode.
 *
 * Each server is a process with its own data directory and TCP port on 127.0.0.1, its binary log or WAL kept for
 * point-in-time restores, and automated base backups. Everything about a server is persisted in its directory
 * (see EngineStore), so any process (the CLI, the local RDS endpoint, a test) can manage the servers another one
 * created. Operations on one server are serialised within a process, not across processes.
 */
export class EngineManager {
  readonly root: string;
  /**
   * Signs the TLS certificate every server of this root serves (`<root>/ca`); clients trust its
   * `certificateFile` as functions on AWS trust the RDS CAs.
   */
  readonly certificateAuthority: LocalCertificateAuthority;
  private readonly store: EngineStore;
  private readonly searchPath: readonly string[];
  private readonly drivers = new Map<LocalEngine, EngineDriver>();
  private readonly reachable = new Map<LocalEngine, Promise<void>>();
  private readonly lock = new KeyedLock();

  constructor(options: EngineManagerOptions = {}) {
    this.root = path.resolve(options.root ?? EngineManager.defaultRoot());
    this.store = new EngineStore(this.root);
    this.searchPath = options.searchPath ?? defaultSearchPath();
    this.certificateAuthority = new LocalCertificateAuthority(path.join(this.root, 'ca'), () =>
      findOpenssl(this.searchPath),
    );
  }

  /** `<project>/.dbrefresh/engines`: local state that persists between commands (git-ignored). */
  static defaultRoot(): string {
    return path.resolve(__dirname, '..', '..', '.dbrefresh', 'engines');
  }

  /**
   * Creates, configures and starts a server, creates its admin user and database, and takes its first base
   * backup (the start of its restorable window).
   * @throws ServerExistsError, InvalidEngineInputError, EngineNotInstalledError, EngineCommandError
   */
  async createServer(input: CreateServerInput): Promise<ServerStatus> {
    checkNewServer(input);
    checkAdminUser(input.adminUser);
    if (input.adminPassword === '') throw new InvalidEngineInputError('The admin password must not be empty');
    if (input.databaseName !== undefined && !DATABASE_NAME.test(input.databaseName)) {
      throw new InvalidEngineInputError(
        `Database name "${input.databaseName}" is invalid: use 1-64 letters, digits and "_", starting with a letter`,
      );
    }
    const driver = this.driver(input.engine);
    return this.lock.run([input.id], () =>
      this.provision(driver, input, async (server) => {
        await driver.initialize(server);
        const pid = await driver.start(server);
        await driver.createAdmin(server, {
          user: input.adminUser,
          password: input.adminPassword,
          databaseName: input.databaseName,
        });
        return { pid, adminUser: input.adminUser, databaseName: input.databaseName };
      }),
    );
  }

  /** Starts a stopped server; does nothing to a running one. */
  async start(id: string): Promise<ServerStatus> {
    return this.lock.run([id], async () => {
      const record = await this.store.readServer(id);
      if ((await this.runningPid(record)) !== undefined) return this.statusOf(record);
      const driver = this.driver(record.engine);
      const location = this.location(record);
      // A server made before its certificate ends, or by a copy of the account with another CA, gets a new one.
      await this.certificateAuthority.ensureServerCertificate(driver.account, location.paths);
      const pid = await driver.start(location);
      const started: ServerRecord = { ...record, pid, stoppedAt: undefined };
      await this.store.writeServer(started);
      return this.statusOf(started);
    });
  }

  /** Shuts a server down cleanly; does nothing to a stopped one. */
  async stop(id: string): Promise<ServerStatus> {
    return this.lock.run([id], async () => {
      const record = await this.store.readServer(id);
      const pid = await this.runningPid(record);
      if (pid === undefined) return this.statusOf(record);
      const stoppedAt = await this.driver(record.engine).stop(this.location(record), pid);
      const stopped: ServerRecord = { ...record, pid: undefined, stoppedAt: stoppedAt.toISOString() };
      await this.store.writeServer(stopped);
      return this.statusOf(stopped);
    });
  }

  /** @throws ServerNotFoundError */
  async status(id: string): Promise<ServerStatus> {
    return this.statusOf(await this.store.readServer(id));
  }

  async listServers(): Promise<ServerStatus[]> {
    return Promise.all((await this.store.listServers()).map((record) => this.statusOf(record)));
  }

  /** Stops the server and deletes it with its data and base backups (its snapshots are kept). */
  async remove(id: string): Promise<void> {
    await this.lock.run([id], async () => {
      const record = await this.store.readServer(id);
      const pid = await this.runningPid(record);
      if (pid !== undefined) await this.driver(record.engine).stop(this.location(record), pid);
      await this.removeFiles(id);
    });
  }

  /**
   * Changes the admin user's password on a running server; new sessions with the old password are refused.
   * @throws InvalidServerStateError when the server is stopped
   */
  async setAdminPassword(id: string, password: string): Promise<void> {
    if (password === '') throw new InvalidEngineInputError('The admin password must not be empty');
    await this.lock.run([id], async () => {
      const record = await this.store.readServer(id);
      if ((await this.runningPid(record)) === undefined) {
        throw new InvalidServerStateError(
          `Local server "${id}" is stopped; start it to change its admin password`,
        );
      }
      await this.driver(record.engine).setAdminPassword(this.location(record), record.adminUser, password);
    });
  }

  /**
   * Takes a base backup now (an RDS automated backup), moving nothing of the restorable window but its start.
   * @returns when it finished
   */
  async takeBaseBackup(id: string): Promise<Date> {
    return this.lock.run([id], async () => {
      const record = await this.store.readServer(id);
      const backup = await this.backUp(record, (await this.runningPid(record)) !== undefined);
      return new Date(backup.completedAt);
    });
  }

  /** The start of the restorable window: when the oldest base backup finished. */
  async earliestRestorableTime(id: string): Promise<Date> {
    return restorableWindow(await this.store.readServer(id), false).earliest;
  }

  /** The end of the restorable window: now for a running server, its stop time for a stopped one. */
  async latestRestorableTime(id: string): Promise<Date> {
    const record = await this.store.readServer(id);
    return restorableWindow(record, (await this.runningPid(record)) !== undefined).latest;
  }

  /**
   * Takes a consistent physical copy of the server (running or stopped) that outlives it, like a manual
   * RDS snapshot.
   * @throws SnapshotExistsError
   */
  async snapshot(id: string, name: string): Promise<SnapshotInfo> {
    checkIdentifier('Snapshot name', name);
    return this.lock.run([id], async () => {
      const record = await this.store.readServer(id);
      const driver = this.driver(record.engine);
      const running = (await this.runningPid(record)) !== undefined;
      const directory = this.store.snapshotDirectory(name);
      await this.ensureRoot(driver);
      await claimDirectory(
        directory,
        () => new SnapshotExistsError(`Local snapshot "${name}" already exists`),
      );
      try {
        await driver.account.makeDirectory(directory);
        await driver.copy(this.location(record), running, this.store.snapshotDataDirectory(name));
        const snapshot: SnapshotRecord = {
          name,
          engine: record.engine,
          sourceId: id,
          adminUser: record.adminUser,
          databaseName: record.databaseName,
          createdAt: new Date().toISOString(),
        };
        await this.store.writeSnapshot(snapshot);
        return snapshotInfo(snapshot);
      } catch (error: unknown) {
        await rm(directory, { recursive: true, force: true });
        throw error;
      }
    });
  }

  /** @throws SnapshotNotFoundError */
  async describeSnapshot(name: string): Promise<SnapshotInfo> {
    return snapshotInfo(await this.store.readSnapshot(name));
  }

  async listSnapshots(): Promise<SnapshotInfo[]> {
    return (await this.store.listSnapshots()).map(snapshotInfo);
  }

  /** @throws SnapshotNotFoundError */
  async removeSnapshot(name: string): Promise<void> {
    await this.store.readSnapshot(name);
    await rm(this.store.snapshotDirectory(name), { recursive: true, force: true });
  }

  /**
   * Creates and starts a new independent server from a snapshot; it keeps the snapshot's admin user and
   * password, as RDS does.
   */
  async restoreSnapshot(name: string, target: NewServer): Promise<ServerStatus> {
    checkNewServer(target);
    const snapshot = await this.store.readSnapshot(name);
    const driver = this.driver(snapshot.engine);
    return this.lock.run([target.id], () =>
      this.provision(driver, target, async (server) => {
        await driver.adoptCopy(this.store.snapshotDataDirectory(name), server);
        const pid = await driver.start(server);
        return { pid, adminUser: snapshot.adminUser, databaseName: snapshot.databaseName };
      }),
    );
  }

  /**
   * Creates a new independent server holding the source's data as of `time`: the newest base backup finished
   * by then, rolled forward through the source's binary log or WAL. Transactions committed before `time` are
   * present, those committed after it absent (MariaDB resolves to the second: see binlogDatetime).
   * @throws RestoreWindowError when `time` is outside [earliestRestorableTime, latestRestorableTime]
   */
  async restoreToTime(sourceId: string, time: Date, target: NewServer): Promise<ServerStatus> {
    checkNewServer(target);
    return this.lock.run([sourceId, target.id], async () => {
      const source = await this.store.readServer(sourceId);
      const running = (await this.runningPid(source)) !== undefined;
      const { earliest, latest } = restorableWindow(source, running);
      // The newest base backup finished by `time`; none when `time` is before the window.
      const backup = source.backups.filter((candidate) => new Date(candidate.completedAt) <= time).at(-1);
      if (backup === undefined || time > latest) {
        throw new RestoreWindowError(
          `Restore time ${time.toISOString()} is outside the restorable window of "${sourceId}": ` +
            `${earliest.toISOString()} to ${latest.toISOString()}`,
        );
      }
      // Past a clean stop there is nothing more to replay: recover everything rather than look for a later commit.
      const stoppedBefore = !running && source.stoppedAt !== undefined && time >= new Date(source.stoppedAt);
      const driver = this.driver(source.engine);
      const sourceLocation = this.location(source);
      return this.provision(driver, target, async (server) => {
        await driver.adoptCopy(path.join(sourceLocation.paths.backupsDirectory, backup.directory), server);
        const recovery = { server: sourceLocation, running };
        const pid = await driver.startRecovered(recovery, backup, server, stoppedBefore ? undefined : time);
        return { pid, adminUser: source.adminUser, databaseName: source.databaseName };
      });
    });
  }

  /** Creates a new independent server with the source's current data (like an Aurora clone). */
  async clone(sourceId: string, target: NewServer): Promise<ServerStatus> {
    checkNewServer(target);
    return this.lock.run([sourceId, target.id], async () => {
      const source = await this.store.readServer(sourceId);
      const running = (await this.runningPid(source)) !== undefined;
      const driver = this.driver(source.engine);
      return this.provision(driver, target, async (server) => {
        const copy = path.join(server.paths.directory, 'clone');
        await driver.copy(this.location(source), running, copy);
        await driver.adoptCopy(copy, server);
        await rm(copy, { recursive: true, force: true });
        const pid = await driver.start(server);
        return { pid, adminUser: source.adminUser, databaseName: source.databaseName };
      });
    });
  }

  /** A free loopback port not assigned to any server of this root, for a new server. */
  async unusedPort(): Promise<number> {
    return findFreePort((await this.store.listServers()).map((record) => record.port));
  }

  /**
   * Claims the server's directory, gives it a TLS certificate, runs `build` to fill and start it, records it and
   * takes its first base backup. On any failure the half-made server is killed and deleted, so the same id can be tried again.
   */
  private async provision(
    driver: EngineDriver,
    target: NewServer,
    build: (server: ServerLocation) => Promise<Started>,
  ): Promise<ServerStatus> {
    const server: ServerLocation = {
      id: target.id,
      port: target.port,
      paths: this.store.serverPaths(target.id),
    };
    await this.ensureRoot(driver);
    await claimDirectory(
      server.paths.directory,
      () => new ServerExistsError(`Local server "${target.id}" already exists`),
    );
    try {
      await driver.account.makeDirectory(server.paths.directory);
      await driver.account.makeDirectory(server.paths.changeLogDirectory);
      await driver.account.makeDirectory(server.paths.backupsDirectory);
      // Its own certificate, whatever data it starts from: a copy's data directory carries none.
      await this.certificateAuthority.ensureServerCertificate(driver.account, server.paths);
      const started = await build(server);
      const record: ServerRecord = {
        id: target.id,
        engine: driver.engine,
        port: target.port,
        adminUser: started.adminUser,
        databaseName: started.databaseName,
        createdAt: new Date().toISOString(),
        pid: started.pid,
        backups: [],
      };
      await this.store.writeServer(record);
      await this.backUp(record, true);
      return this.status(target.id);
    } catch (error: unknown) {
      const pid = await driver.readPid(server).catch(() => undefined);
      if (pid !== undefined && isAlive(pid)) await killAndWait(pid);
      await this.removeFiles(target.id);
      throw error;
    }
  }

  /** Takes a base backup into the server's backups directory and records it. */
  private async backUp(record: ServerRecord, running: boolean): Promise<BaseBackup> {
    const location = this.location(record);
    const directory = `${new Date().toISOString().replaceAll(':', '')}-${randomUUID().slice(0, 8)}`;
    const binlog = await this.driver(record.engine).copy(
      location,
      running,
      path.join(location.paths.backupsDirectory, directory),
    );
    const backup: BaseBackup = { directory, completedAt: new Date().toISOString(), binlog };
    const current = await this.store.readServer(record.id);
    await this.store.writeServer({ ...current, backups: [...current.backups, backup] });
    return backup;
  }

  private async removeFiles(id: string): Promise<void> {
    const directory = this.store.serverDirectory(id);
    await rm(socketDirectory(directory), { recursive: true, force: true });
    await rm(directory, { recursive: true, force: true });
  }

  /** The server's pid when it runs: the engine's own pid file names a live process. */
  private async runningPid(record: ServerRecord): Promise<number | undefined> {
    const pid = await this.driver(record.engine).readPid(this.location(record));
    return pid !== undefined && Number.isInteger(pid) && isAlive(pid) ? pid : undefined;
  }

  private async statusOf(record: ServerRecord): Promise<ServerStatus> {
    const pid = await this.runningPid(record);
    const paths = this.store.serverPaths(record.id);
    return {
      id: record.id,
      engine: record.engine,
      host: SERVER_HOST,
      port: record.port,
      state: pid === undefined ? 'stopped' : 'running',
      pid,
      adminUser: record.adminUser,
      databaseName: record.databaseName,
      createdAt: new Date(record.createdAt),
      dataDirectory: paths.dataDirectory,
      logFile: paths.logFile,
    };
  }

  private location(record: ServerRecord): ServerLocation {
    return { id: record.id, port: record.port, paths: this.store.serverPaths(record.id) };
  }

  /** The engine's driver, locating its programs on first use. @throws EngineNotInstalledError */
  private driver(engine: LocalEngine): EngineDriver {
    let driver = this.drivers.get(engine);
    if (driver === undefined) {
      const templates = path.join(this.root, 'templates');
      driver =
        engine === 'mariadb'
          ? new MariadbDriver(findMariadb(this.searchPath), templates)
          : new PostgresDriver(findPostgres(this.searchPath), templates);
      this.drivers.set(engine, driver);
    }
    return driver;
  }

  /**
   * Creates the root's directories, traversable (not readable) by the engines' accounts, and checks that the
   * engine's account can reach the root at all (a root under /root, for instance, is not).
   */
  private async ensureRoot(driver: EngineDriver): Promise<void> {
    let check = this.reachable.get(driver.engine);
    if (check === undefined) {
      check = (async () => {
        for (const directory of [
          this.root,
          path.join(this.root, 'servers'),
          path.join(this.root, 'snapshots'),
        ]) {
          await mkdir(directory, { recursive: true, mode: 0o711 });
          if (process.getuid?.() === 0) await chmod(directory, 0o711);
        }
        try {
          await driver.account.run('test', ['-x', this.root]);
        } catch (error: unknown) {
          throw new LocalEngineError(
            `The "${driver.account.name}" account that runs ${driver.engine} cannot reach ${this.root}: ` +
              'make its parent directories traversable (chmod o+x) or choose an engines root elsewhere',
            { cause: error },
          );
        }
      })();
      this.reachable.set(driver.engine, check);
      check.catch(() => this.reachable.delete(driver.engine));
    }
    await check;
  }
}

function checkNewServer(target: NewServer): void {
  checkIdentifier('Server id', target.id);
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    throw new InvalidEngineInputError(`Port ${target.port} of server "${target.id}" is invalid: use 1-65535`);
  }
}

function checkAdminUser(user: string): void {
  if (!USER_NAME.test(user)) {
    throw new InvalidEngineInputError(
      `Admin user "${user}" is invalid: use 1-63 letters, digits and "_", starting with a letter`,
    );
  }
  if (user === MAINTENANCE_USER) {
    throw new InvalidEngineInputError(
      `Admin user "${user}" is reserved for the engines' own maintenance (as on RDS)`,
    );
  }
}

function restorableWindow(record: ServerRecord, running: boolean): { earliest: Date; latest: Date } {
  const oldest = record.backups[0];
  const newest = record.backups.at(-1);
  if (oldest === undefined || newest === undefined) {
    throw new InvalidServerStateError(
      `Local server "${record.id}" has no base backup yet; it cannot be restored`,
    );
  }
  const latest = running ? new Date() : new Date(record.stoppedAt ?? newest.completedAt);
  return { earliest: new Date(oldest.completedAt), latest };
}

function snapshotInfo(record: SnapshotRecord): SnapshotInfo {
  return { ...record, createdAt: new Date(record.createdAt) };
}

/** Creates `directory` (not its parents), failing with `exists()` if it is already there: an atomic claim. */
async function claimDirectory(directory: string, exists: () => Error): Promise<void> {
  try {
    await mkdir(directory, { mode: 0o700 });
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw exists();
    throw error;
  }
}

/** Kills a half-started server whose data is about to be deleted. */
async function killAndWait(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid) && Date.now() < deadline) await sleep(20);
}
