import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import type { EngineBackend, ManagedSecretStore } from '../../../local/endpoint/rds/dependencies';
import { RdsService, type RdsServiceOptions } from '../../../local/endpoint/rds/rds-service';
import type { RdsTag } from '../../../local/endpoint/rds/state';
import type { LocalEndpoint } from '../../../local/endpoint/server';
import type { LocalEngine } from '../../../local/engines/binaries';
import type { NewServer, ServerStatus, SnapshotInfo } from '../../../local/engines/engine-manager';
import {
  EngineCommandError,
  InvalidServerStateError,
  RestoreWindowError,
  ServerExistsError,
  ServerNotFoundError,
  SnapshotExistsError,
  SnapshotNotFoundError,
} from '../../../local/engines/errors';
import {
  clientConfig,
  removeDirectory,
  startEndpoint,
  temporaryDirectory,
  uniqueName,
} from './endpoint-fixture';

/** One fake server: its admin password and its rows over time, so restores can be checked by content. */
export interface FakeServer {
  readonly id: string;
  readonly engine: LocalEngine;
  readonly port: number;
  readonly adminUser: string;
  readonly databaseName?: string;
  readonly createdAt: Date;
  password: string;
  running: boolean;
  stoppedAt?: Date;
  /** Every version of the rows, oldest first, with when it was written. */
  history: { at: Date; rows: string[] }[];
}

type Method = keyof EngineBackend;

/**
 * The engines, faked in memory for unit tests: servers with a password and rows, snapshots, point-in-time
 * restores by row history, clones. `hold()` keeps every operation waiting until released (to observe
 * `creating`), `failNext(method)` makes the next call of a method fail like an engine command.
 */
export class FakeEngines implements EngineBackend {
  readonly servers = new Map<string, FakeServer>();
  readonly snapshots = new Map<string, { server: FakeServer; rows: string[]; createdAt: Date }>();
  readonly calls: { method: Method; args: unknown[] }[] = [];
  private gate?: Promise<void>;
  private readonly failures = new Set<Method>();
  private nextPort = 41000;

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Holds every engine operation until the returned function is called. */
  hold(): () => void {
    let release = () => {};
    this.gate = new Promise<void>((resolve) => {
      release = () => {
        this.gate = undefined;
        resolve();
      };
    });
    return release;
  }

  failNext(method: Method): void {
    this.failures.add(method);
  }

  insert(id: string, ...rows: string[]): void {
    const server = this.server(id);
    server.history.push({ at: this.now(), rows: [...this.rows(id), ...rows] });
  }

  rows(id: string): string[] {
    return [...(this.server(id).history.at(-1)?.rows ?? [])];
  }

  server(id: string): FakeServer {
    const server = this.servers.get(id);
    if (!server) throw new ServerNotFoundError(`No local server "${id}"`);
    return server;
  }

  async createServer(input: Parameters<EngineBackend['createServer']>[0]): Promise<ServerStatus> {
    await this.enter('createServer', input.id);
    return this.add(input, input.engine, input.adminUser, input.adminPassword, input.databaseName, []);
  }

  async start(id: string): Promise<ServerStatus> {
    await this.enter('start', id);
    const server = this.server(id);
    server.running = true;
    server.stoppedAt = undefined;
    return status(server);
  }

  async stop(id: string): Promise<ServerStatus> {
    await this.enter('stop', id);
    const server = this.server(id);
    if (server.running) server.stoppedAt = this.now();
    server.running = false;
    return status(server);
  }

  async remove(id: string): Promise<void> {
    await this.enter('remove', id);
    this.server(id);
    this.servers.delete(id);
  }

  async setAdminPassword(id: string, password: string): Promise<void> {
    await this.enter('setAdminPassword', id);
    const server = this.server(id);
    if (!server.running) throw new InvalidServerStateError(`Local server "${id}" is stopped`);
    server.password = password;
  }

  async snapshot(id: string, name: string): Promise<SnapshotInfo> {
    await this.enter('snapshot', id, name);
    const server = this.server(id);
    if (this.snapshots.has(name)) throw new SnapshotExistsError(`Local snapshot "${name}" already exists`);
    const createdAt = this.now();
    this.snapshots.set(name, { server, rows: this.rows(id), createdAt });
    return { name, engine: server.engine, sourceId: id, adminUser: server.adminUser, createdAt };
  }

  async removeSnapshot(name: string): Promise<void> {
    await this.enter('removeSnapshot', name);
    if (!this.snapshots.delete(name)) throw new SnapshotNotFoundError(`No local snapshot "${name}"`);
  }

  async restoreSnapshot(name: string, target: NewServer): Promise<ServerStatus> {
    await this.enter('restoreSnapshot', name, target);
    const snapshot = this.snapshots.get(name);
    if (!snapshot) throw new SnapshotNotFoundError(`No local snapshot "${name}"`);
    const { server } = snapshot;
    return this.add(
      target,
      server.engine,
      server.adminUser,
      server.password,
      server.databaseName,
      snapshot.rows,
    );
  }

  async restoreToTime(sourceId: string, time: Date, target: NewServer): Promise<ServerStatus> {
    await this.enter('restoreToTime', sourceId, time, target);
    const source = this.server(sourceId);
    const latest = source.running ? this.now() : (source.stoppedAt ?? this.now());
    if (time < source.createdAt || time > latest) {
      throw new RestoreWindowError(
        `Restore time ${time.toISOString()} is outside the window of "${sourceId}"`,
      );
    }
    const rows = source.history.filter((version) => version.at <= time).at(-1)?.rows ?? [];
    return this.add(target, source.engine, source.adminUser, source.password, source.databaseName, rows);
  }

  async clone(sourceId: string, target: NewServer): Promise<ServerStatus> {
    await this.enter('clone', sourceId, target);
    const source = this.server(sourceId);
    return this.add(
      target,
      source.engine,
      source.adminUser,
      source.password,
      source.databaseName,
      this.rows(sourceId),
    );
  }

  async earliestRestorableTime(id: string): Promise<Date> {
    return this.server(id).createdAt;
  }

  async latestRestorableTime(id: string): Promise<Date> {
    const server = this.server(id);
    return server.running ? this.now() : (server.stoppedAt ?? this.now());
  }

  async unusedPort(): Promise<number> {
    this.nextPort += 1;
    return this.nextPort;
  }

  private async enter(method: Method, ...args: unknown[]): Promise<void> {
    this.calls.push({ method, args });
    while (this.gate) await this.gate;
    if (this.failures.delete(method)) {
      throw new EngineCommandError(`${method} failed: the fake engine was told to fail`);
    }
  }

  private add(
    target: NewServer,
    engine: LocalEngine,
    adminUser: string,
    password: string,
    databaseName: string | undefined,
    rows: string[],
  ): ServerStatus {
    if (this.servers.has(target.id))
      throw new ServerExistsError(`Local server "${target.id}" already exists`);
    const createdAt = this.now();
    const server: FakeServer = {
      id: target.id,
      engine,
      port: target.port,
      adminUser,
      databaseName,
      createdAt,
      password,
      running: true,
      history: [{ at: createdAt, rows: [...rows] }],
    };
    this.servers.set(target.id, server);
    return status(server);
  }
}

function status(server: FakeServer): ServerStatus {
  return {
    id: server.id,
    engine: server.engine,
    host: '127.0.0.1',
    port: server.port,
    state: server.running ? 'running' : 'stopped',
    adminUser: server.adminUser,
    databaseName: server.databaseName,
    createdAt: server.createdAt,
    dataDirectory: `/fake/${server.id}/data`,
    logFile: `/fake/${server.id}/server.log`,
  };
}

/** A ManagedSecretStore that keeps secrets in a map. */
export class FakeSecrets implements ManagedSecretStore {
  readonly secrets = new Map<string, { name: string; value: string; tags: readonly RdsTag[] }>();

  async createSecret(name: string, value: string, tags: readonly RdsTag[]): Promise<string> {
    const arn = `arn:aws:secretsmanager:eu-west-1:000000000000:secret:${name}-AbCdEf`;
    this.secrets.set(arn, { name, value, tags });
    return arn;
  }

  async deleteSecret(arn: string): Promise<void> {
    this.secrets.delete(arn);
  }
}

/** A clock tests move by hand. */
export class FakeClock {
  private time = Date.parse('2026-03-01T10:00:00.000Z');

  readonly now = (): Date => new Date(this.time);

  advance(milliseconds: number): void {
    this.time += milliseconds;
  }
}

/** The RDS service on a real local endpoint, with the real RDSClient pointed at it. */
export interface RdsHarness {
  readonly rds: RDSClient;
  readonly service: RdsService;
  readonly engines: FakeEngines;
  /** The service's and the engines' clock (delayScale 1: each status phase lasts 1 s of it). */
  readonly clock: FakeClock;
  /** Lets the engine work under way finish and enough time pass for every change to be over. */
  finish(): Promise<void>;
  readonly endpoint: LocalEndpoint;
  readonly stateDir: string;
  /** Another service on the same state directory: a later process of the local endpoint. */
  reopen(options?: Partial<RdsServiceOptions>): Promise<RdsHarness>;
  close(): Promise<void>;
}

export type RdsHarnessOptions = Partial<RdsServiceOptions> & {
  engines?: FakeEngines;
  stateDir?: string;
  clock?: FakeClock;
};

export async function startRdsHarness(options: RdsHarnessOptions = {}): Promise<RdsHarness> {
  const clock = options.clock ?? new FakeClock();
  const engines = options.engines ?? new FakeEngines(clock.now);
  const stateDir = options.stateDir ?? temporaryDirectory('dbrefresh-rds-');
  const service = new RdsService({
    delayScale: 1,
    now: clock.now,
    onWorkFailed: () => undefined,
    ...options,
    engines,
    stateDir,
  });
  const endpoint = await startEndpoint({ services: [service] });
  const rds = new RDSClient(clientConfig(endpoint));
  const harness: RdsHarness = {
    rds,
    service,
    engines,
    clock,
    endpoint,
    stateDir,
    async finish() {
      await service.idle();
      clock.advance(10_000);
    },
    reopen: (more = {}) => startRdsHarness({ ...options, ...more, engines, stateDir, clock }),
    async close() {
      rds.destroy();
      await endpoint.close();
    },
  };
  return harness;
}

/** Closes a harness and removes its state directory (after closing every other harness on it). */
async function discard(harness: RdsHarness): Promise<void> {
  await harness.close();
  removeDirectory(harness.stateDir);
}

/** Runs `use` with a harness of its own, discarded afterwards. */
export async function withRdsHarness(
  options: RdsHarnessOptions,
  use: (harness: RdsHarness) => Promise<void>,
): Promise<void> {
  const harness = await startRdsHarness(options);
  try {
    await use(harness);
  } finally {
    await discard(harness);
  }
}

/**
 * A harness for the test file's tests: started before them (or before each test, with `each`) and
 * discarded after. The returned harness reads through to the one currently started.
 */
export function useRdsHarness(options: RdsHarnessOptions = {}, per: 'file' | 'each' = 'file'): RdsHarness {
  let started: RdsHarness | undefined;
  const current = (): RdsHarness => {
    if (!started) throw new Error('The RDS harness is only started in the tests');
    return started;
  };
  const [before, after] = per === 'file' ? [beforeAll, afterAll] : [beforeEach, afterEach];
  before(async () => {
    started = await startRdsHarness(options);
  });
  after(async () => {
    await discard(current());
    started = undefined;
  });
  return {
    get rds() {
      return current().rds;
    },
    get service() {
      return current().service;
    },
    get engines() {
      return current().engines;
    },
    get clock() {
      return current().clock;
    },
    get endpoint() {
      return current().endpoint;
    },
    get stateDir() {
      return current().stateDir;
    },
    finish: () => current().finish(),
    reopen: (more) => current().reopen(more),
    close: () => current().close(),
  };
}

/** The master password of the instances and clusters the rules tests create. */
export const RULES_PASSWORD = 'rules-Pa55word';

/** Sends CreateDBInstance for a 20 GiB MySQL instance with backups on, unless `extra` says otherwise. */
export function sendCreateInstance(harness: RdsHarness, id: string, extra: Record<string, unknown> = {}) {
  return harness.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: 'mysql',
      DBInstanceClass: 'db.t4g.micro',
      AllocatedStorage: 20,
      MasterUsername: 'admin',
      MasterUserPassword: RULES_PASSWORD,
      ...extra,
    }),
  );
}

/** Creates an instance (see sendCreateInstance), lets its creation finish and describes it. */
export async function createInstance(harness: RdsHarness, id: string, extra: Record<string, unknown> = {}) {
  await sendCreateInstance(harness, id, extra);
  await harness.finish();
  return describeInstance(harness, id);
}

export async function describeInstance(harness: RdsHarness, id: string) {
  const out = await harness.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  return out.DBInstances?.[0];
}

/** Takes a manual snapshot of an instance and lets it finish. */
export async function snapshotInstance(harness: RdsHarness, instanceId: string, snapshotId: string) {
  await harness.rds.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: instanceId, DBSnapshotIdentifier: snapshotId }),
  );
  await harness.finish();
}

/** Sends CreateDBCluster for an Aurora MySQL cluster with a Serverless v2 capacity range, unless `extra` says otherwise. */
export function sendCreateCluster(harness: RdsHarness, id: string, extra: Record<string, unknown> = {}) {
  return harness.rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: id,
      Engine: 'aurora-mysql',
      MasterUsername: 'admin',
      MasterUserPassword: RULES_PASSWORD,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 2 },
      ...extra,
    }),
  );
}

/**
 * A harness for the test file (see useRdsHarness) and a fresh name for each test (`<prefix>-<n>`), read with
 * `name()`: the setup every rules test file shares.
 */
export function useNamedRdsHarness(
  prefix: string,
  options: RdsHarnessOptions = {},
): { harness: RdsHarness; name: () => string } {
  const harness = useRdsHarness(options);
  let current = '';
  beforeEach(() => {
    current = uniqueName(prefix);
  });
  return { harness, name: () => current };
}

/** Sends RestoreDBInstanceToPointInTime of `source` at its latest restorable time as `target`. */
export function restoreToLatest(
  harness: RdsHarness,
  source: string,
  target: string,
  extra: Record<string, unknown> = {},
) {
  return harness.rds.send(
    new RestoreDBInstanceToPointInTimeCommand({
      SourceDBInstanceIdentifier: source,
      TargetDBInstanceIdentifier: target,
      UseLatestRestorableTime: true,
      ...extra,
    }),
  );
}

/** Sends RestoreDBInstanceFromDBSnapshot of `snapshot` as `target`. */
export function restoreSnapshot(
  harness: RdsHarness,
  snapshot: string,
  target: string,
  extra: Record<string, unknown> = {},
) {
  return harness.rds.send(
    new RestoreDBInstanceFromDBSnapshotCommand({
      DBSnapshotIdentifier: snapshot,
      DBInstanceIdentifier: target,
      ...extra,
    }),
  );
}
