import {
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { dbrefresh, mockStack } from './cli-harness';

const stack = mockStack();
const rds = mockClient(RDSClient);

const notFound = (name: string) => Object.assign(new Error(`${name}`), { name, $metadata: {} });

beforeEach(() => {
  stack.reset();
  rds.reset();
  rds.on(DescribeDBClustersCommand).rejects(notFound('DBClusterNotFoundFault'));
  rds.on(DescribeDBInstancesCommand).rejects(notFound('DBInstanceNotFoundFault'));
});

describe('dbrefresh snapshots', () => {
  it("shows an instance's restorable window and its manual and automated snapshots, newest first", async () => {
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'app1-prod',
          DbiResourceId: 'db-ABC',
          Engine: 'mysql',
          DBInstanceStatus: 'available',
          BackupRetentionPeriod: 7,
          LatestRestorableTime: new Date('2026-05-10T11:55:00Z'),
        },
      ],
    });
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
      DBInstanceAutomatedBackups: [{ RestoreWindow: { EarliestTime: new Date('2026-05-03T12:00:00Z') } }],
    });
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        {
          DBSnapshotIdentifier: 'rds:app1-prod-2026-05-09-03-00',
          SnapshotCreateTime: new Date('2026-05-09T03:00:00Z'),
          SnapshotType: 'automated',
          AllocatedStorage: 100,
          Encrypted: true,
          KmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k1',
          Status: 'available',
        },
        {
          DBSnapshotIdentifier: 'before-upgrade',
          SnapshotCreateTime: new Date('2026-05-10T08:00:00Z'),
          SnapshotType: 'manual',
          AllocatedStorage: 100,
          Encrypted: false,
          Status: 'creating',
        },
      ],
    });

    const { code, stdout } = await dbrefresh('snapshots', 'app1-prod');

    expect(code).toBe(0);
    expect(rds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'app1-prod' });
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstanceAutomatedBackupsCommand, {
      DbiResourceId: 'db-ABC',
    });
    expect(stdout.split('\n')).toEqual([
      'Source             app1-prod (DB instance, mysql, available)',
      'Restorable window  2026-05-03 12:00:00Z to 2026-05-10 11:55:00Z (backups kept 7 days)',
      '2 snapshots, newest first:',
      expect.stringMatching(/^SNAPSHOT +TAKEN +TYPE +SIZE +ENCRYPTION +STATUS$/),
      expect.stringMatching(
        /^before-upgrade +2026-05-10 08:00:00Z +manual +100 GiB +not encrypted +creating$/,
      ),
      expect.stringMatching(
        /^rds:app1-prod-2026-05-09-03-00 +2026-05-09 03:00:00Z +automated +100 GiB +KMS arn:aws:kms:eu-west-1:111122223333:key\/k1 +available$/,
      ),
      '',
    ]);
  });

  it('looks the id up as a cluster first and prints JSON with --json', async () => {
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: 'app2-prod',
          Engine: 'aurora-postgresql',
          Status: 'available',
          EarliestRestorableTime: new Date('2026-05-09T00:00:00Z'),
          LatestRestorableTime: new Date('2026-05-10T11:55:00Z'),
          BackupRetentionPeriod: 1,
        },
      ],
    });
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotIdentifier: 'rds:app2-prod-2026-05-10',
          SnapshotCreateTime: new Date('2026-05-10T03:00:00Z'),
          SnapshotType: 'automated',
          AllocatedStorage: 1,
          StorageEncrypted: true,
          KmsKeyId: 'k2',
          Status: 'available',
        },
      ],
    });

    const { code, stdout } = await dbrefresh('snapshots', '--json', 'app2-prod');

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      source: {
        kind: 'cluster',
        id: 'app2-prod',
        engine: 'aurora-postgresql',
        status: 'available',
        earliestRestorableTime: '2026-05-09T00:00:00.000Z',
        latestRestorableTime: '2026-05-10T11:55:00.000Z',
        backupRetentionDays: 1,
      },
      snapshots: [
        {
          id: 'rds:app2-prod-2026-05-10',
          takenAt: '2026-05-10T03:00:00.000Z',
          type: 'automated',
          sizeGiB: 1,
          encrypted: true,
          kmsKeyId: 'k2',
          status: 'available',
        },
      ],
    });
    expect(rds).not.toHaveReceivedCommand(DescribeDBInstancesCommand);
  });

  it('says why an instance without automated backups has no restorable window', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ DBInstanceIdentifier: 'app3-prod', Engine: 'postgres', BackupRetentionPeriod: 0 }],
    });
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });

    const { stdout } = await dbrefresh('snapshots', 'app3-prod');

    expect(stdout).toContain(
      'Restorable window  none: automated backups are off (backup retention 0): restore types latestpoint and restorepoint are not possible, only fromsnapshot',
    );
    expect(stdout).toContain('No snapshots.');
  });

  it('fails with exit 1 when there is no such cluster or instance', async () => {
    const { code, stdout, stderr } = await dbrefresh('snapshots', 'app9-prod');

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'error: no DB cluster or DB instance named "app9-prod" in eu-west-1; check the identifier (list them with `aws rds describe-db-instances`)\n',
    );
  });
});
