import { DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import type { SeededDatabase } from '../../local/seed/seed-database';
import { seedGroups } from '../../local/seed/seed-groups';
import { type SeededSnapshot, snapshotInstance } from '../../local/seed/seed-snapshot';
import {
  acceptsPassword,
  describeInstance,
  exampleFile,
  execute,
  insertCustomers,
  notificationsOf,
  sampleData,
  secretLogin,
  snapshotIds,
} from './examples/example-helpers';
import { openTestAccount, type TestAccount } from './refresh-fixture';

/**
 * refresh-files/rds-postgres-latest-snapshot.json run as shipped through the real state machine: RDS for
 * PostgreSQL restored from the newest snapshot of billing-prod, the old billing-dev kept as a final snapshot.
 */

const DATABASE = 'billing';
const SECRET = '/development/billing/billing-dev';
const POSTGRES_VERSION = '16.4';

let test: TestAccount;
let source: SeededDatabase;
let oldTarget: SeededDatabase;

beforeAll(async () => {
  test = await openTestAccount();
  // The file names billing-pg16-dev, a PostgreSQL 16 parameter group: billing runs PostgreSQL 16.
  await seedGroups(test.clients.rds, {
    parameterGroups: [{ name: 'billing-pg16-dev', family: 'postgres16' }],
  });
  source = await test.seed({
    id: 'billing-prod',
    engine: 'postgres',
    engineVersion: POSTGRES_VERSION,
    databaseName: DATABASE,
    customers: 180,
    tags: { environment: 'production' },
  });
  oldTarget = await test.seed({
    id: 'billing-dev',
    engine: 'postgres',
    engineVersion: POSTGRES_VERSION,
    databaseName: DATABASE,
    customers: 4,
    tags: { 'dbrefresh:refreshable': 'true', team: 'billing' },
    secretName: SECRET,
  });
}, 60_000);

afterAll(async () => {
  await test?.close();
}, 60_000);

describe('refresh-files/rds-postgres-latest-snapshot.json', () => {
  it('replaces billing-dev with the newest snapshot of billing-prod and keeps a final snapshot of the old one', async () => {
    const write = (statements: string[]) =>
      execute('postgres', source.endpoint, source, DATABASE, statements);
    const older = await snapshotInstance(test.clients.rds, 'billing-prod', 'billing-prod-2026-11-01');
    await write(insertCustomers(10_001, 4, 'Snapshotted'));
    const newest: SeededSnapshot = await snapshotInstance(
      test.clients.rds,
      'billing-prod',
      'billing-prod-nightly',
    );
    const atSnapshot = await sampleData('postgres', source.endpoint, source, DATABASE);
    await write(insertCustomers(20_001, 4, 'Later'));

    const result = await test.refresh(
      exampleFile('rds-postgres-latest-snapshot'),
      'rds-postgres-latest-snapshot',
    );

    expect(result.status).toBe('SUCCEEDED');
    const login = await secretLogin(test.clients.secrets, SECRET);
    const target = await test.endpointOf('billing-dev');
    const data = await sampleData('postgres', target, login, DATABASE);
    expect(data).toEqual(atSnapshot);
    expect(data.customers.filter((row) => row.first_name === 'Snapshotted')).toHaveLength(4);
    expect(data.customers.filter((row) => row.first_name === 'Later')).toEqual([]);
    for (const password of [oldTarget.password, source.password]) {
      expect(await acceptsPassword('postgres', target, { ...login, password }, DATABASE)).toBe(false);
    }
    expect(await describeInstance(test.clients.rds, 'billing-dev')).toMatchObject({
      Engine: 'postgres',
      DBInstanceClass: 'db.t4g.large',
      StorageType: 'gp3',
      DeletionProtection: false,
      DBParameterGroups: [expect.objectContaining({ DBParameterGroupName: 'billing-pg16-dev' })],
    });
    const [record] = await test.historyOf('billing-dev');
    expect(record).toMatchObject({
      status: 'succeeded',
      application: 'billing',
      environment: 'development',
      source: 'billing-prod',
      restoreType: 'fromsnapshot',
      engine: 'postgres',
      snapshot: newest.arn,
      restorePoint: newest.createdAt.toISOString(),
    });
    expect(await test.tags('billing-dev')).toEqual({
      'dbrefresh:refreshable': 'true',
      team: 'billing',
      'dbrefresh:source': 'billing-prod',
      'dbrefresh:restore-point': newest.createdAt.toISOString(),
      'dbrefresh:run': record?.runId,
    });
    // finalSnapshot: the old billing-dev is gone, its final snapshot stays beside the source's snapshots.
    const finalSnapshot = `billing-dev-old-${record?.runId}-final`;
    expect(await test.instanceIds()).toEqual(['billing-dev', 'billing-prod']);
    expect(await snapshotIds(test.clients.rds)).toEqual([older.id, newest.id, finalSnapshot].sort());
    const final = (
      await test.clients.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: finalSnapshot }))
    ).DBSnapshots?.[0];
    expect(final).toMatchObject({
      Status: 'available',
      DBInstanceIdentifier: `billing-dev-old-${record?.runId}`,
    });
    expect(await test.lockOf('billing-dev')).toBeUndefined();
    const notification = notificationsOf(test, 'billing-dev').at(-1);
    expect(notification?.subject).toBe('[dbrefresh] billing/development billing-dev: SUCCEEDED');
    expect(notification?.message).toContain(`Snapshot:        ${newest.arn}`);
  }, 120_000);
});
