import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { type SeededCluster, seedCluster } from '../../local/seed/seed-cluster';
import {
  acceptsPassword,
  clusterEndpoint,
  clusterIds,
  clusterMembers,
  clusterTags,
  describeCluster,
  describeInstance,
  exampleFile,
  execute,
  insertCustomers,
  isoSeconds,
  notificationsOf,
  pointBetweenWrites,
  sampleData,
  secretLogin,
} from './examples/example-helpers';
import { openTestAccount, type TestAccount } from './refresh-fixture';

/**
 * The Aurora example files of refresh-files/, run as shipped through the real state machine: each cluster
 * is one real MariaDB (Aurora MySQL) or PostgreSQL (Aurora PostgreSQL) server, its instances bookkeeping.
 */

const REFRESHABLE = { 'dbrefresh:refreshable': 'true' };

let test: TestAccount;

beforeAll(async () => {
  test = await openTestAccount();
}, 60_000);

afterAll(async () => {
  await test?.close();
}, 60_000);

describe('refresh-files/aurora-mysql-fastclone.json', () => {
  it('replaces shop-int with a copy-on-write clone of shop-prod, keeping its writer and reader names', async () => {
    const secretName = '/integration/shop/shop-int';
    const source = await seedCluster(test.clients, {
      id: 'shop-prod',
      engine: 'aurora-mysql',
      databaseName: 'shop',
      customers: 150,
      instances: ['shop-prod-1', 'shop-prod-2'],
      tags: { environment: 'production' },
    });
    const oldTarget = await seedCluster(test.clients, {
      id: 'shop-int',
      engine: 'aurora-mysql',
      databaseName: 'shop',
      customers: 3,
      instances: ['shop-int-1', 'shop-int-2'],
      instanceClass: 'db.t4g.medium',
      tags: { ...REFRESHABLE, team: 'shop' },
      secretName,
    });
    const startedAt = Date.now();

    const result = await test.refresh(exampleFile('aurora-mysql-fastclone'), 'aurora-mysql-fastclone');

    const finishedAt = Date.now();
    expect(result.status).toBe('SUCCEEDED');
    const login = await secretLogin(test.clients.secrets, secretName);
    const target = await clusterEndpoint(test.clients.rds, 'shop-int');
    expect(await sampleData('mysql', target, login, 'shop')).toEqual(
      await sampleData('mysql', source.endpoint, source, 'shop'),
    );
    for (const password of [oldTarget.password, source.password]) {
      expect(await acceptsPassword('mysql', target, { ...login, password }, 'shop')).toBe(false);
    }
    expect(await clusterMembers(test.clients.rds, 'shop-int')).toEqual({
      writer: ['shop-int-1'],
      readers: ['shop-int-2'],
    });
    for (const member of ['shop-int-1', 'shop-int-2']) {
      expect(await describeInstance(test.clients.rds, member)).toMatchObject({
        DBInstanceClass: 'db.r6g.large',
        DBClusterIdentifier: 'shop-int',
        DBInstanceStatus: 'available',
      });
    }
    const [record] = await test.historyOf('shop-int');
    expect(record).toMatchObject({
      status: 'succeeded',
      application: 'shop',
      environment: 'integration',
      source: 'shop-prod',
      restoreType: 'fastcloning',
      engine: 'aurora-mysql',
    });
    // A clone holds the source as it is when the restore starts: within the run, with no write in between.
    const restorePoint = Date.parse(String(record?.restorePoint));
    expect(restorePoint).toBeGreaterThanOrEqual(startedAt);
    expect(restorePoint).toBeLessThanOrEqual(finishedAt);
    expect(await clusterTags(test, 'shop-int')).toEqual({
      ...REFRESHABLE,
      team: 'shop',
      'dbrefresh:source': 'shop-prod',
      'dbrefresh:restore-point': record?.restorePoint,
      'dbrefresh:run': record?.runId,
    });
    for (const member of ['shop-int-1', 'shop-int-2']) {
      expect(await test.tags(member)).toMatchObject({ ...REFRESHABLE, 'dbrefresh:source': 'shop-prod' });
    }
    expect(await clusterIds(test.clients.rds)).toEqual(['shop-int', 'shop-prod']);
    expect((await test.instanceIds()).filter((id) => id.startsWith('shop-'))).toEqual([
      'shop-int-1',
      'shop-int-2',
      'shop-prod-1',
      'shop-prod-2',
    ]);
    expect(await test.lockOf('shop-int')).toBeUndefined();
    const notification = notificationsOf(test, 'shop-int').at(-1);
    expect(notification?.subject).toBe('[dbrefresh] shop/integration shop-int: SUCCEEDED');
    expect(notification?.message).toContain(`Data aligned to: ${record?.restorePoint} (fastcloning)`);
  }, 120_000);
});

describe('refresh-files/aurora-postgres-restorepoint.json', () => {
  it('replaces claims-stg with claims-prod as it was at the restore point, with an RDS-managed password', async () => {
    const source = await seedCluster(test.clients, {
      id: 'claims-prod',
      engine: 'aurora-postgresql',
      databaseName: 'claims',
      customers: 160,
      instances: ['claims-prod-1'],
      tags: { environment: 'production' },
    });
    const oldTarget: SeededCluster = await seedCluster(test.clients, {
      id: 'claims-stg',
      engine: 'aurora-postgresql',
      databaseName: 'claims',
      customers: 2,
      instances: ['claims-stg-writer', 'claims-stg-reader'],
      serverless: { minCapacity: 0.5, maxCapacity: 2 },
      tags: { ...REFRESHABLE, team: 'claims' },
      managedPassword: true,
    });
    const write = (statements: string[]) =>
      execute('postgres', source.endpoint, source, 'claims', statements);
    await write(insertCustomers(10_001, 3, 'Before'));
    const point = await pointBetweenWrites();
    const atPoint = await sampleData('postgres', source.endpoint, source, 'claims');
    await write(insertCustomers(20_001, 3, 'After'));
    // The shipped time (month-end close, 2026-10-31T23:59:00Z) lies outside the new local source's restorable
    // window: the test sets restore.time to the point it just made, between the two writes. Nothing else changes.
    const file = exampleFile('aurora-postgres-restorepoint');
    file.restore.time = isoSeconds(point);

    const result = await test.refresh(file, 'aurora-postgres-restorepoint');

    expect(result.status).toBe('SUCCEEDED');
    const cluster = await describeCluster(test.clients.rds, 'claims-stg');
    const secretArn = cluster.MasterUserSecret?.SecretArn ?? '';
    expect(cluster.MasterUserSecret?.SecretStatus).toBe('active');
    expect(secretArn).not.toBe(oldTarget.masterUserSecretArn);
    const login = await secretLogin(test.clients.secrets, secretArn);
    const target = await clusterEndpoint(test.clients.rds, 'claims-stg');
    const data = await sampleData('postgres', target, login, 'claims');
    expect(data).toEqual(atPoint);
    expect(data.customers.filter((row) => row.first_name === 'Before')).toHaveLength(3);
    expect(data.customers.filter((row) => row.first_name === 'After')).toEqual([]);
    for (const password of [oldTarget.password, source.password]) {
      expect(await acceptsPassword('postgres', target, { ...login, password }, 'claims')).toBe(false);
    }
    // The old cluster's RDS-managed secret went with it.
    await expect(
      test.clients.secrets.send(new GetSecretValueCommand({ SecretId: oldTarget.masterUserSecretArn })),
    ).rejects.toThrow();
    expect(cluster.ServerlessV2ScalingConfiguration).toMatchObject({ MinCapacity: 0.5, MaxCapacity: 8 });
    // replicas: [] — the refreshed cluster has its writer only; the old reader went with the old cluster.
    expect(await clusterMembers(test.clients.rds, 'claims-stg')).toEqual({
      writer: ['claims-stg-writer'],
      readers: [],
    });
    expect(await describeInstance(test.clients.rds, 'claims-stg-writer')).toMatchObject({
      DBInstanceClass: 'db.serverless',
    });
    const [record] = await test.historyOf('claims-stg');
    expect(record).toMatchObject({
      status: 'succeeded',
      application: 'claims',
      environment: 'staging',
      source: 'claims-prod',
      restoreType: 'restorepoint',
      restorePoint: point.toISOString(),
      engine: 'aurora-postgresql',
    });
    expect(await clusterTags(test, 'claims-stg')).toEqual({
      ...REFRESHABLE,
      team: 'claims',
      'dbrefresh:source': 'claims-prod',
      'dbrefresh:restore-point': point.toISOString(),
      'dbrefresh:run': record?.runId,
    });
    expect((await clusterIds(test.clients.rds)).filter((id) => id.startsWith('claims-'))).toEqual([
      'claims-prod',
      'claims-stg',
    ]);
    expect((await test.instanceIds()).filter((id) => id.startsWith('claims-'))).toEqual([
      'claims-prod-1',
      'claims-stg-writer',
    ]);
    expect(await test.lockOf('claims-stg')).toBeUndefined();
    const notification = notificationsOf(test, 'claims-stg').at(-1);
    expect(notification?.subject).toBe('[dbrefresh] claims/staging claims-stg: SUCCEEDED');
    expect(notification?.message).toContain(`Data aligned to: ${point.toISOString()} (restorepoint)`);
  }, 120_000);
});
