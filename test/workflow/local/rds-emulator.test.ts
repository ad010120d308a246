import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RestoreDBClusterToPointInTimeCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import mysql from 'mysql2/promise';
import { Client } from 'pg';
import { findCluster, findInstance } from '../../../lambdas/shared/aws/rds';
import { TERMINAL_STATUSES } from '../../../lambdas/shared/rds-status';
import { RdsService } from '../../../local/endpoint/rds/rds-service';
import type { LocalEndpoint } from '../../../local/endpoint/server';
import { EngineManager } from '../../../local/engines/engine-manager';
import { clientConfig, startEndpoint } from '../../local/endpoint/endpoint-fixture';

jest.setTimeout(180_000);

const FIRST_PASSWORD = 'first-Pa55word';
const SECOND_PASSWORD = 'second-Pa55word';

let root: string;
let engines: EngineManager;
let service: RdsService;
let endpoint: LocalEndpoint;
let rds: RDSClient;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'dbrefresh-rds-emulator-'));
  engines = new EngineManager({ root });
  service = new RdsService({ engines, stateDir: path.join(root, 'rds'), delayScale: 0.2 });
  endpoint = await startEndpoint({ services: [service] });
  rds = new RDSClient(clientConfig(endpoint));
});

afterAll(async () => {
  rds?.destroy();
  await endpoint?.close();
  if (engines) for (const server of await engines.listServers()) await engines.remove(server.id);
  await rm(root, { recursive: true, force: true });
});

/** Polls like a state machine's check until `done` holds; returns the value and the statuses seen on the way. */
async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  status: (value: T) => string | undefined,
  done: (value: T) => boolean,
): Promise<{ value: T; seen: string[] }> {
  const seen: string[] = [];
  const deadline = Date.now() + 120_000;
  for (;;) {
    const value = await read();
    const current = status(value) ?? 'gone';
    if (seen.at(-1) !== current) seen.push(current);
    if (done(value)) return { value, seen };
    if (TERMINAL_STATUSES.has(current)) {
      throw new Error(`${what} ended ${current}: ${JSON.stringify(value)}`);
    }
    if (Date.now() > deadline) throw new Error(`${what} did not finish; statuses seen: ${seen.join(' → ')}`);
    await sleep(100);
  }
}

function instanceAvailable(id: string) {
  return waitFor(
    `instance ${id}`,
    () => findInstance(rds, id),
    (instance) => instance?.DBInstanceStatus,
    (instance) =>
      instance?.DBInstanceStatus === 'available' && !instance.PendingModifiedValues?.MasterUserPassword,
  );
}

function clusterAvailable(id: string) {
  return waitFor(
    `cluster ${id}`,
    () => findCluster(rds, id),
    (cluster) => cluster?.Status,
    (cluster) => cluster?.Status === 'available' && !cluster.PendingModifiedValues?.MasterUserPassword,
  );
}

function instanceGone(id: string) {
  return waitFor(
    `deletion of ${id}`,
    () => findInstance(rds, id),
    (i) => i?.DBInstanceStatus,
    (i) => !i,
  );
}

interface Login {
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly database?: string;
}

async function mariadbQuery(login: Login, password: string, sql: string): Promise<Record<string, unknown>[]> {
  const connection = await mysql.createConnection({ ...login, password });
  try {
    return (await connection.query<mysql.RowDataPacket[]>(sql))[0];
  } finally {
    await connection.end();
  }
}

async function postgresQuery(
  login: Login,
  password: string,
  sql: string,
): Promise<Record<string, unknown>[]> {
  const client = new Client({ ...login, password });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('the local RDS API on real engines', () => {
  it('restores a MariaDB instance to a point in time, renames it, changes its password and deletes it', async () => {
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'shop-prod',
        Engine: 'mysql',
        DBInstanceClass: 'db.t3.micro',
        AllocatedStorage: 20,
        MasterUsername: 'admin',
        MasterUserPassword: FIRST_PASSWORD,
        DBName: 'shop',
      }),
    );
    const created = await instanceAvailable('shop-prod');
    const source = created.value;
    const sourceLogin = {
      host: source?.Endpoint?.Address,
      port: source?.Endpoint?.Port,
      user: source?.MasterUsername,
      database: source?.DBName,
    };
    await mariadbQuery(sourceLogin, FIRST_PASSWORD, 'CREATE TABLE items (label VARCHAR(20) PRIMARY KEY)');
    await mariadbQuery(sourceLogin, FIRST_PASSWORD, "INSERT INTO items VALUES ('apple'), ('pear')");
    // MariaDB replays its binary log to whole seconds: keep the restore point a second away from both writes.
    await sleep(1100);
    const restoreTime = new Date();
    await sleep(1100);
    await mariadbQuery(sourceLogin, FIRST_PASSWORD, "INSERT INTO items VALUES ('plum')");

    await rds.send(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceIdentifier: 'shop-prod',
        TargetDBInstanceIdentifier: 'shop-test-new',
        RestoreTime: restoreTime,
        Tags: [{ Key: 'dbrefresh:run', Value: 'run1' }],
      }),
    );
    const restored = await instanceAvailable('shop-test-new');
    const copy = restored.value;
    const copyLogin = {
      host: copy?.Endpoint?.Address,
      port: copy?.Endpoint?.Port,
      user: copy?.MasterUsername,
      database: copy?.DBName,
    };
    const rows = await mariadbQuery(copyLogin, FIRST_PASSWORD, 'SELECT label FROM items ORDER BY label');

    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'shop-test-new',
        NewDBInstanceIdentifier: 'shop-test',
        ApplyImmediately: true,
      }),
    );
    const renamed = await instanceAvailable('shop-test');
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'shop-test',
        MasterUserPassword: SECOND_PASSWORD,
        ApplyImmediately: true,
      }),
    );
    const reset = await instanceAvailable('shop-test');
    const withNewPassword = await mariadbQuery(copyLogin, SECOND_PASSWORD, 'SELECT COUNT(*) AS n FROM items');
    await expect(mariadbQuery(copyLogin, FIRST_PASSWORD, 'SELECT 1')).rejects.toThrow(/Access denied/);
    for (const id of ['shop-test', 'shop-prod']) {
      await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true }));
    }
    const deleted = await instanceGone('shop-test');
    await instanceGone('shop-prod');

    expect(created.seen).toEqual(['creating', 'backing-up', 'available']);
    expect(copyLogin).toMatchObject({ host: '127.0.0.1', user: 'admin', database: 'shop' });
    expect(copyLogin.port).not.toBe(sourceLogin.port);
    expect(rows.map((row) => row.label)).toEqual(['apple', 'pear']);
    expect(restored.seen).toEqual(['creating', 'backing-up', 'available']);
    expect(renamed.value?.Endpoint).toEqual(copy?.Endpoint);
    expect(reset.seen.at(-1)).toBe('available');
    expect(withNewPassword).toEqual([{ n: 2 }]);
    expect(deleted.seen.at(-1)).toBe('gone');
    expect((await engines.listServers()).map((server) => server.id)).toEqual([]);
  });

  it('clones a PostgreSQL Aurora cluster, adds a writer, renames it, changes its password and deletes it', async () => {
    await rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: 'ledger-prod',
        Engine: 'aurora-postgresql',
        MasterUsername: 'master',
        MasterUserPassword: FIRST_PASSWORD,
        DatabaseName: 'ledger',
        ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 2 },
      }),
    );
    await rds.send(
      new CreateDBInstanceCommand({
        DBClusterIdentifier: 'ledger-prod',
        DBInstanceIdentifier: 'ledger-prod-1',
        Engine: 'aurora-postgresql',
        DBInstanceClass: 'db.serverless',
      }),
    );
    const source = (await clusterAvailable('ledger-prod')).value;
    await instanceAvailable('ledger-prod-1');
    const sourceLogin = {
      host: source?.Endpoint,
      port: source?.Port,
      user: source?.MasterUsername,
      database: source?.DatabaseName,
    };
    await postgresQuery(sourceLogin, FIRST_PASSWORD, 'CREATE TABLE entries (id int PRIMARY KEY, amount int)');
    await postgresQuery(sourceLogin, FIRST_PASSWORD, 'INSERT INTO entries VALUES (1, 10), (2, 20)');

    await rds.send(
      new RestoreDBClusterToPointInTimeCommand({
        DBClusterIdentifier: 'ledger-test-new',
        SourceDBClusterIdentifier: 'ledger-prod',
        RestoreType: 'copy-on-write',
        UseLatestRestorableTime: true,
      }),
    );
    const cloned = await clusterAvailable('ledger-test-new');
    await rds.send(
      new CreateDBInstanceCommand({
        DBClusterIdentifier: 'ledger-test-new',
        DBInstanceIdentifier: 'ledger-test-1',
        Engine: 'aurora-postgresql',
        DBInstanceClass: 'db.serverless',
      }),
    );
    const writer = (await instanceAvailable('ledger-test-1')).value;
    const writerLogin = {
      host: writer?.Endpoint?.Address,
      port: writer?.Endpoint?.Port,
      user: writer?.MasterUsername,
      database: 'ledger',
    };
    const rows = await postgresQuery(
      writerLogin,
      FIRST_PASSWORD,
      'SELECT id, amount FROM entries ORDER BY id',
    );

    await rds.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: 'ledger-test-new',
        NewDBClusterIdentifier: 'ledger-test',
        ApplyImmediately: true,
      }),
    );
    await clusterAvailable('ledger-test');
    await rds.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: 'ledger-test',
        MasterUserPassword: SECOND_PASSWORD,
        ApplyImmediately: true,
      }),
    );
    const reset = await clusterAvailable('ledger-test');
    const count = await postgresQuery(writerLogin, SECOND_PASSWORD, 'SELECT COUNT(*)::int AS n FROM entries');
    await expect(postgresQuery(writerLogin, FIRST_PASSWORD, 'SELECT 1')).rejects.toThrow(
      /password authentication failed/,
    );
    const members = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'ledger-test' })))
      .DBClusters?.[0]?.DBClusterMembers;
    for (const [cluster, member] of [
      ['ledger-test', 'ledger-test-1'],
      ['ledger-prod', 'ledger-prod-1'],
    ] as const) {
      await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: member }));
      await instanceGone(member);
      await rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: cluster, SkipFinalSnapshot: true }));
    }
    await waitFor(
      'deletion of ledger-test',
      () => findCluster(rds, 'ledger-test'),
      (c) => c?.Status,
      (c) => !c,
    );
    await waitFor(
      'deletion of ledger-prod',
      () => findCluster(rds, 'ledger-prod'),
      (c) => c?.Status,
      (c) => !c,
    );

    expect(cloned.seen).toEqual(['creating', 'backing-up', 'available']);
    expect(writerLogin.port).toBe(cloned.value?.Port);
    expect(writerLogin.port).not.toBe(sourceLogin.port);
    expect(rows).toEqual([
      { id: 1, amount: 10 },
      { id: 2, amount: 20 },
    ]);
    expect(members).toEqual([
      expect.objectContaining({ DBInstanceIdentifier: 'ledger-test-1', IsClusterWriter: true }),
    ]);
    expect(reset.value?.Status).toBe('available');
    expect(count).toEqual([{ n: 2 }]);
    await expect(
      rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'ledger-test-1' })),
    ).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
    expect(await engines.listServers()).toEqual([]);
  });
});
