import {
  type DBClusterSnapshot,
  type DBSnapshot,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { engineFamily, inspectSource } from '../../../lambdas/plan/inspect-source';
import { GuardError } from '../../../lambdas/shared/errors';
import { RefreshFileSchema } from '../../../lambdas/shared/refresh-model/refresh-file-schema';
import { awsError } from '../../fixtures/aws-errors';
import { describesCluster, describesInstance, describesNothing, RDS_ARN } from '../../fixtures/rds-describe';

const rds = mockClient(RDSClient);
const client = new RDSClient({ region: 'eu-west-1' });
const NOW = new Date('2026-11-21T03:00:00.000Z');
const LATEST = new Date('2026-11-21T02:55:00.000Z');
const EARLIEST = new Date('2026-11-14T03:00:00.000Z');
const SHARED_ARN = 'arn:aws:rds:eu-west-1:444455556666';

function rdsFile(restore: Record<string, unknown>) {
  return RefreshFileSchema.parse({
    application: 'app1',
    environment: 'development',
    service: 'rds',
    source: { instance: 'app1-prod' },
    target: { instance: 'app1-dev' },
    restore,
  });
}

function auroraFile(restore: Record<string, unknown>, source = 'shop-prod') {
  return RefreshFileSchema.parse({
    application: 'shop',
    environment: 'integration',
    service: 'aurora',
    source: { cluster: source },
    target: { cluster: 'shop-int' },
    restore,
  });
}

function snapshot(id: string, created: string, extra: DBSnapshot = {}): DBSnapshot {
  return {
    DBSnapshotIdentifier: id,
    DBSnapshotArn: `${RDS_ARN}:snapshot:${id}`,
    DBInstanceIdentifier: 'app1-prod',
    Engine: 'mysql',
    EngineVersion: '8.0.39',
    Status: 'available',
    SnapshotCreateTime: new Date(created),
    ...extra,
  };
}

function clusterSnapshot(id: string, created: string, extra: DBClusterSnapshot = {}): DBClusterSnapshot {
  return {
    DBClusterSnapshotIdentifier: id,
    DBClusterSnapshotArn: `${RDS_ARN}:cluster-snapshot:${id}`,
    DBClusterIdentifier: 'shop-prod',
    Engine: 'aurora-mysql',
    EngineVersion: '8.0.mysql_aurora.3.08.0',
    Status: 'available',
    SnapshotCreateTime: new Date(created),
    ...extra,
  };
}

beforeEach(() => {
  rds.reset();
  describesNothing(rds);
  describesInstance(rds, 'app1-prod', {
    Engine: 'mysql',
    EngineVersion: '8.0.39',
    DBInstanceClass: 'db.r6g.large',
    DbiResourceId: 'db-APP1PROD',
    KmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/prod',
    LatestRestorableTime: LATEST,
  });
  rds.on(DescribeDBInstanceAutomatedBackupsCommand, { DbiResourceId: 'db-APP1PROD' }).resolves({
    DBInstanceAutomatedBackups: [{ RestoreWindow: { EarliestTime: EARLIEST, LatestTime: LATEST } }],
  });
  describesCluster(rds, 'shop-prod', {
    Engine: 'aurora-mysql',
    EngineVersion: '8.0.mysql_aurora.3.08.0',
    LatestRestorableTime: LATEST,
    EarliestRestorableTime: EARLIEST,
    DBClusterMembers: [
      { DBInstanceIdentifier: 'shop-prod-2', IsClusterWriter: false },
      { DBInstanceIdentifier: 'shop-prod-1', IsClusterWriter: true },
    ],
  });
  describesInstance(rds, 'shop-prod-1', { DBInstanceClass: 'db.r6g.2xlarge' });
});

describe('inspectSource for an RDS instance', () => {
  it('resolves latestpoint to the latest restorable time', async () => {
    const facts = await inspectSource(client, rdsFile({ type: 'latestpoint' }), NOW);

    expect(facts).toEqual({
      id: 'app1-prod',
      arn: `${RDS_ARN}:db:app1-prod`,
      engine: 'mysql',
      engineVersion: '8.0.39',
      kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/prod',
      instanceClass: 'db.r6g.large',
      restorePoint: LATEST.toISOString(),
      snapshot: null,
      allocatedStorageGiB: undefined,
    });
  });

  it('keeps a restorepoint inside the window of the automated backups', async () => {
    const facts = await inspectSource(
      client,
      rdsFile({ type: 'restorepoint', time: '2026-11-20 02:55:00' }),
      NOW,
    );

    expect(facts.restorePoint).toBe('2026-11-20T02:55:00.000Z');
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstanceAutomatedBackupsCommand, {
      DbiResourceId: 'db-APP1PROD',
    });
  });

  it.each([
    ['before the earliest restorable time', '2026-11-13T23:00:00Z'],
    ['after the latest restorable time', '2026-11-21T02:58:00Z'],
  ])('fails when the restorepoint is %s', async (_when, time) => {
    const attempt = inspectSource(client, rdsFile({ type: 'restorepoint', time }), NOW);

    await expect(attempt).rejects.toThrow(GuardError);
    await expect(attempt).rejects.toThrow(
      `is outside the restorable window of app1-prod (${EARLIEST.toISOString()} to ${LATEST.toISOString()})`,
    );
  });

  it('fails when the source has no automated backups', async () => {
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'app1-prod' }).resolves({
      DBInstances: [{ DBInstanceIdentifier: 'app1-prod', Engine: 'mysql' }],
    });

    await expect(inspectSource(client, rdsFile({ type: 'latestpoint' }), NOW)).rejects.toThrow(
      /Source app1-prod has no restorable time: automated backups are off/,
    );
  });

  it('fails when the source does not exist', async () => {
    const file = RefreshFileSchema.parse({
      ...rdsFile({ type: 'latestpoint' }),
      source: { instance: 'app9-prod' },
    });

    await expect(inspectSource(client, file, NOW)).rejects.toThrow(GuardError);
  });

  it('rejects fastcloning for an instance', async () => {
    await expect(inspectSource(client, rdsFile({ type: 'fastcloning' }), NOW)).rejects.toThrow(
      /"fastcloning" is for Aurora clusters only/,
    );
  });

  it('picks the newest available snapshot for "latest"', async () => {
    rds.on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'app1-prod' }).resolves({
      DBSnapshots: [
        snapshot('rds:app1-prod-2026-11-19-03-00', '2026-11-19T03:00:00Z'),
        snapshot('app1-prod-manual', '2026-11-21T01:00:00Z', { Status: 'creating' }),
        snapshot('rds:app1-prod-2026-11-20-03-00', '2026-11-20T03:00:00Z', { KmsKeyId: 'key-1' }),
        snapshot('app1-prod-failed', '2026-11-20T12:00:00Z', { Status: 'failed' }),
      ],
    });

    const facts = await inspectSource(client, rdsFile({ type: 'fromsnapshot', snapshot: 'latest' }), NOW);

    expect(facts).toEqual({
      id: 'app1-prod',
      arn: `${RDS_ARN}:snapshot:rds:app1-prod-2026-11-20-03-00`,
      engine: 'mysql',
      engineVersion: '8.0.39',
      restorePoint: '2026-11-20T03:00:00.000Z',
      snapshot: `${RDS_ARN}:snapshot:rds:app1-prod-2026-11-20-03-00`,
      kmsKeyId: 'key-1',
      instanceClass: 'db.r6g.large',
    });
  });

  it('looks for the newest snapshot on every page', async () => {
    rds
      .on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'app1-prod' })
      .resolvesOnce({ DBSnapshots: [snapshot('old', '2026-10-01T00:00:00Z')], Marker: 'page-2' })
      .resolvesOnce({ DBSnapshots: [snapshot('new', '2026-11-20T00:00:00Z')] });

    const facts = await inspectSource(client, rdsFile({ type: 'fromsnapshot', snapshot: 'latest' }), NOW);

    expect(facts.snapshot).toBe(`${RDS_ARN}:snapshot:new`);
    expect(rds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { Marker: 'page-2' });
  });

  it('judges a copied snapshot by the time its data was taken', async () => {
    rds.on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'app1-prod' }).resolves({
      DBSnapshots: [
        snapshot('app1-prod-copy', '2026-11-21T01:00:00Z', {
          OriginalSnapshotCreateTime: new Date('2026-10-01T00:00:00Z'),
        }),
        snapshot('rds:app1-prod-2026-11-20-03-00', '2026-11-20T03:00:00Z'),
      ],
    });

    const facts = await inspectSource(client, rdsFile({ type: 'fromsnapshot', snapshot: 'latest' }), NOW);

    expect(facts.snapshot).toBe(`${RDS_ARN}:snapshot:rds:app1-prod-2026-11-20-03-00`);
    expect(facts.restorePoint).toBe('2026-11-20T03:00:00.000Z');
  });

  it('fails when the source has no available snapshot', async () => {
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [snapshot('app1-prod-manual', '2026-11-21T01:00:00Z', { Status: 'creating' })],
    });

    await expect(
      inspectSource(client, rdsFile({ type: 'fromsnapshot', snapshot: 'latest' }), NOW),
    ).rejects.toThrow(/Source app1-prod has no available snapshot for restore.snapshot "latest"/);
  });

  it('restores a named snapshot of this account', async () => {
    rds
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'app1-prod-manual' })
      .resolves({ DBSnapshots: [snapshot('app1-prod-manual', '2026-11-20T12:00:00Z')] });

    const facts = await inspectSource(
      client,
      rdsFile({ type: 'fromsnapshot', snapshot: 'app1-prod-manual' }),
      NOW,
    );

    expect(facts.restorePoint).toBe('2026-11-20T12:00:00.000Z');
    expect(rds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, {
      DBSnapshotIdentifier: 'app1-prod-manual',
      IncludeShared: false,
    });
  });

  it('reports the allocated storage of the source, or of the snapshot, which the copy gets', async () => {
    describesInstance(rds, 'app1-prod', {
      Engine: 'mysql',
      EngineVersion: '8.0.39',
      AllocatedStorage: 500,
      LatestRestorableTime: LATEST,
    });
    rds.on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'app1-prod-manual' }).resolves({
      DBSnapshots: [snapshot('app1-prod-manual', '2026-11-20T12:00:00Z', { AllocatedStorage: 300 })],
    });

    const latest = await inspectSource(client, rdsFile({ type: 'latestpoint' }), NOW);
    const fromSnapshot = await inspectSource(
      client,
      rdsFile({ type: 'fromsnapshot', snapshot: 'app1-prod-manual' }),
      NOW,
    );

    expect(latest.allocatedStorageGiB).toBe(500);
    expect(fromSnapshot.allocatedStorageGiB).toBe(300);
  });

  it('fails when the named snapshot is not available yet', async () => {
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [snapshot('app1-prod-manual', '2026-11-20T12:00:00Z', { Status: 'creating' })],
    });

    await expect(
      inspectSource(client, rdsFile({ type: 'fromsnapshot', snapshot: 'app1-prod-manual' }), NOW),
    ).rejects.toThrow(/Snapshot app1-prod-manual is "creating", not available/);
  });

  it('fails when the named snapshot does not exist', async () => {
    rds.on(DescribeDBSnapshotsCommand).rejects(awsError('DBSnapshotNotFoundFault'));

    await expect(
      inspectSource(client, rdsFile({ type: 'fromsnapshot', snapshot: 'app1-prod-manual' }), NOW),
    ).rejects.toThrow(/Snapshot app1-prod-manual was not found in this account and region/);
  });

  it('rethrows other errors than a missing snapshot', async () => {
    rds.on(DescribeDBSnapshotsCommand).rejects(awsError('AccessDenied'));

    await expect(
      inspectSource(client, rdsFile({ type: 'fromsnapshot', snapshot: 'app1-prod-manual' }), NOW),
    ).rejects.toThrow('AccessDenied: not found');
  });

  it('restores a shared snapshot by its ARN without reading the source', async () => {
    const arn = `${SHARED_ARN}:snapshot:app1-prod-shared`;
    rds.on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: arn, IncludeShared: true }).resolves({
      DBSnapshots: [snapshot('app1-prod-shared', '2026-11-20T12:00:00Z', { DBSnapshotArn: arn })],
    });

    const facts = await inspectSource(client, rdsFile({ type: 'fromsnapshot', snapshot: arn }), NOW);

    expect(facts).toMatchObject({ id: 'app1-prod', arn, snapshot: arn });
    expect(rds).not.toHaveReceivedCommand(DescribeDBInstancesCommand);
  });

  it('fails when a shared snapshot is not visible to this account', async () => {
    rds.on(DescribeDBSnapshotsCommand).rejects(awsError('DBSnapshotNotFoundFault'));

    await expect(
      inspectSource(client, rdsFile({ type: 'fromsnapshot', snapshot: `${SHARED_ARN}:snapshot:app1` }), NOW),
    ).rejects.toThrow(/is not visible to this account; share it with this account/);
  });
});

describe('inspectSource for an Aurora cluster', () => {
  it("resolves latestpoint to the cluster's latest restorable time, with its writer's class", async () => {
    const facts = await inspectSource(client, auroraFile({ type: 'latestpoint' }), NOW);

    expect(facts).toMatchObject({
      id: 'shop-prod',
      arn: `${RDS_ARN}:cluster:shop-prod`,
      engine: 'aurora-mysql',
      restorePoint: LATEST.toISOString(),
      snapshot: null,
      instanceClass: 'db.r6g.2xlarge',
    });
  });

  it('resolves fastcloning to the time of the plan', async () => {
    const facts = await inspectSource(client, auroraFile({ type: 'fastcloning' }), NOW);

    expect(facts.restorePoint).toBe(NOW.toISOString());
  });

  it('keeps a restorepoint inside the window', async () => {
    const facts = await inspectSource(
      client,
      auroraFile({ type: 'restorepoint', time: '2026-11-15T00:00:00Z' }),
      NOW,
    );

    expect(facts.restorePoint).toBe('2026-11-15T00:00:00.000Z');
    expect(rds).not.toHaveReceivedCommand(DescribeDBInstanceAutomatedBackupsCommand);
  });

  it('fails when the restorepoint is before EarliestRestorableTime', async () => {
    await expect(
      inspectSource(client, auroraFile({ type: 'restorepoint', time: '2026-11-01T00:00:00Z' }), NOW),
    ).rejects.toThrow(/outside the restorable window of shop-prod/);
  });

  it('picks the newest available cluster snapshot on every page', async () => {
    rds
      .on(DescribeDBClusterSnapshotsCommand, { DBClusterIdentifier: 'shop-prod' })
      .resolvesOnce({
        DBClusterSnapshots: [
          clusterSnapshot('newest-but-creating', '2026-11-21T01:00:00Z', { Status: 'creating' }),
          clusterSnapshot('old', '2026-11-18T00:00:00Z'),
        ],
        Marker: 'page-2',
      })
      .resolvesOnce({ DBClusterSnapshots: [clusterSnapshot('new', '2026-11-20T00:00:00Z')] });

    const facts = await inspectSource(client, auroraFile({ type: 'fromsnapshot', snapshot: 'latest' }), NOW);

    expect(facts).toMatchObject({
      snapshot: `${RDS_ARN}:cluster-snapshot:new`,
      restorePoint: '2026-11-20T00:00:00.000Z',
      instanceClass: 'db.r6g.2xlarge',
    });
  });

  it('fails when a shared cluster snapshot is not visible to this account', async () => {
    rds.on(DescribeDBClusterSnapshotsCommand).rejects(awsError('DBClusterSnapshotNotFoundFault'));

    await expect(
      inspectSource(
        client,
        auroraFile({ type: 'fromsnapshot', snapshot: `${SHARED_ARN}:cluster-snapshot:shop` }),
        NOW,
      ),
    ).rejects.toThrow(/is not visible to this account/);
  });

  it('clones a cluster shared from another account by its ARN', async () => {
    const arn = `${SHARED_ARN}:cluster:shop-prod`;
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: arn, IncludeShared: true }).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: 'shop-prod',
          DBClusterArn: arn,
          Engine: 'aurora-mysql',
          DBClusterMembers: [{ DBInstanceIdentifier: 'shop-prod-1', IsClusterWriter: true }],
        },
      ],
    });

    const facts = await inspectSource(client, auroraFile({ type: 'fastcloning' }, arn), NOW);

    expect(facts).toMatchObject({ id: 'shop-prod', arn, instanceClass: undefined });
    expect(rds).not.toHaveReceivedCommand(DescribeDBInstancesCommand);
  });

  it('fails when a shared source cluster is not visible to this account', async () => {
    const arn = `${SHARED_ARN}:cluster:shop-prod`;

    const attempt = inspectSource(client, auroraFile({ type: 'fastcloning' }, arn), NOW);

    await expect(attempt).rejects.toThrow(GuardError);
    await expect(attempt).rejects.toThrow(`Source DB cluster "${arn}" was not found`);
  });
});

describe('engineFamily', () => {
  it.each([
    ['mysql', 'mysql'],
    ['mariadb', 'mariadb'],
    ['postgres', 'postgres'],
    ['oracle-ee', 'oracle'],
    ['oracle-se2-cdb', 'oracle'],
    ['aurora', 'aurora-mysql'],
    ['aurora-mysql', 'aurora-mysql'],
    ['aurora-postgresql', 'aurora-postgresql'],
  ])('maps %s to %s', (engine, family) => {
    expect(engineFamily(engine)).toBe(family);
  });

  it('rejects engines dbrefresh does not refresh', () => {
    expect(() => engineFamily('sqlserver-ee')).toThrow(GuardError);
  });
});
