import {
  CreateDBInstanceCommand,
  type DBCluster,
  type DBInstance,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { check, start } from '../../lambdas/restore/handler';
import { checkRestore, RestorePhase, startRestore } from '../../lambdas/restore/restore-copy';
import { GuardError, PollTimeoutError, TerminalStateError } from '../../lambdas/shared/errors';
import { type PollState, startPoll } from '../../lambdas/shared/poll';
import type { Plan } from '../../lambdas/shared/run/plan';
import { auroraPlan, rdsPlan, runState } from '../fixtures/plans';
import { describesFrom } from '../fixtures/rds-describe';

const rds = mockClient(RDSClient);
const client = new RDSClient({});
const now = new Date('2026-11-21T03:05:00.000Z');

const COPY = 'app1-dev-new-ab12cd34';
const CLUSTER_COPY = 'app2-test-new-ab12cd34';
const WRITER = 'app2-test-1-new-ab12cd34';
const READER = 'app2-test-2-new-ab12cd34';
const RUN_TAGS = [{ Key: 'dbrefresh:run', Value: 'ab12cd34' }];

/** What DescribeDBInstances / DescribeDBClusters answer, by name; a name not listed does not exist. */
let instances: Map<string, DBInstance>;
let clusters: Map<string, DBCluster>;

function instanceIs(id: string, status: string, extra: Partial<DBInstance> = {}): void {
  instances.set(id, { DBInstanceIdentifier: id, DBInstanceStatus: status, TagList: RUN_TAGS, ...extra });
}

function clusterIs(id: string, status: string, extra: Partial<DBCluster> = {}): void {
  clusters.set(id, { DBClusterIdentifier: id, Status: status, TagList: RUN_TAGS, ...extra });
}

/** The RDS sample plan with other target settings and restore type. */
function rdsPlanWith(
  target: Partial<Extract<Plan['file'], { service: 'rds' }>['target']>,
  overrides: Partial<Plan> = {},
): Plan {
  const base = rdsPlan();
  return rdsPlan({
    file: { ...base.file, target: { ...base.file.target, ...target } } as Plan['file'],
    ...overrides,
  });
}

function auroraPlanWith(
  target: Partial<Extract<Plan['file'], { service: 'aurora' }>['target']>,
  overrides: Partial<Plan> = {},
): Plan {
  const base = auroraPlan();
  return auroraPlan({
    file: { ...base.file, target: { ...base.file.target, ...target } } as Plan['file'],
    ...overrides,
  });
}

function withRestore(plan: Plan, restore: Plan['file']['restore'], overrides: Partial<Plan> = {}): Plan {
  return { ...plan, file: { ...plan.file, restore } as Plan['file'], ...overrides };
}

function pollAt(position: number, startedAt = now): PollState {
  return { ...startPoll(startedAt, { expectedSeconds: 900, timeoutSeconds: 12 * 3600 }), position };
}

beforeEach(() => {
  rds.reset();
  instances = new Map();
  clusters = new Map();
  describesFrom(rds, instances, clusters);
});

describe('startRestore for an RDS instance', () => {
  it("restores the source to the plan's restore point with the target's settings, private and unprotected", async () => {
    const plan = rdsPlanWith({
      subnetGroup: 'app1-dev-subnets',
      securityGroupIds: ['sg-0123456789abcdef0'],
      parameterGroup: 'app1-mysql80',
      storageType: 'gp3',
      deletionProtection: true,
    });

    const poll = await startRestore(client, plan, now);

    expect(rds).toHaveReceivedCommandTimes(RestoreDBInstanceToPointInTimeCommand, 1);
    expect(rds).toHaveReceivedCommandWith(RestoreDBInstanceToPointInTimeCommand, {
      SourceDBInstanceIdentifier: 'app1-prod',
      TargetDBInstanceIdentifier: COPY,
      RestoreTime: new Date('2026-11-21T02:55:00.000Z'),
      DBInstanceClass: 'db.t4g.medium',
      Port: 3306,
      MultiAZ: false,
      DBSubnetGroupName: 'app1-dev-subnets',
      VpcSecurityGroupIds: ['sg-0123456789abcdef0'],
      DBParameterGroupName: 'app1-mysql80',
      StorageType: 'gp3',
      PubliclyAccessible: false,
      DeletionProtection: false,
      Tags: plan.tags,
    });
    expect(rds).not.toHaveReceivedCommand(RestoreDBInstanceFromDBSnapshotCommand);
    expect(poll).toEqual({
      ...startPoll(now, { expectedSeconds: 900, timeoutSeconds: 12 * 3600 }),
      position: 0,
    });
  });

  it('restores a chosen restore point the same way', async () => {
    const plan = withRestore(
      rdsPlan(),
      { type: 'restorepoint', time: '2026-11-20T22:00:00Z' },
      {
        restorePoint: '2026-11-20T22:00:00.000Z',
      },
    );

    await startRestore(client, plan, now);

    expect(rds).toHaveReceivedCommandWith(RestoreDBInstanceToPointInTimeCommand, {
      SourceDBInstanceIdentifier: 'app1-prod',
      RestoreTime: new Date('2026-11-20T22:00:00.000Z'),
    });
  });

  it("restores the plan's snapshot with the same settings for fromsnapshot", async () => {
    const plan = withRestore(
      rdsPlan(),
      { type: 'fromsnapshot', snapshot: 'latest' },
      {
        snapshot: 'rds:app1-prod-2026-11-21-02-10',
      },
    );

    await startRestore(client, plan, now);

    expect(rds).toHaveReceivedCommandWith(RestoreDBInstanceFromDBSnapshotCommand, {
      DBInstanceIdentifier: COPY,
      DBSnapshotIdentifier: 'rds:app1-prod-2026-11-21-02-10',
      DBInstanceClass: 'db.t4g.medium',
      PubliclyAccessible: false,
      DeletionProtection: false,
      Tags: plan.tags,
    });
    expect(rds).not.toHaveReceivedCommand(RestoreDBInstanceToPointInTimeCommand);
  });

  it('names a source in another account by its ARN', async () => {
    const arn = 'arn:aws:rds:eu-west-1:444455556666:db:app1-prod';
    const plan = rdsPlan({ source: { id: 'app1-prod', arn } });

    await startRestore(client, plan, now);

    expect(rds).toHaveReceivedCommandWith(RestoreDBInstanceToPointInTimeCommand, {
      SourceDBInstanceIdentifier: arn,
    });
  });

  it('restores with the CA certificate, backup window and storage autoscaling the restore keeps nothing of', async () => {
    const plan = rdsPlanWith({
      caCertificate: 'rds-ca-rsa4096-g1',
      backupWindow: '02:00-02:30',
      backupRetentionDays: 7,
      maxAllocatedStorageGiB: 1000,
    });

    await startRestore(client, plan, now);

    expect(rds).toHaveReceivedCommandWith(RestoreDBInstanceToPointInTimeCommand, {
      CACertificateIdentifier: 'rds-ca-rsa4096-g1',
      PreferredBackupWindow: '02:00-02:30',
      MaxAllocatedStorage: 1000,
      PubliclyAccessible: false,
    });
  });

  it('leaves storage autoscaling out of a snapshot restore, which does not take it, and the window without backups', async () => {
    const plan = withRestore(
      rdsPlanWith({ maxAllocatedStorageGiB: 1000, backupWindow: '02:00-02:30', backupRetentionDays: 0 }),
      { type: 'fromsnapshot', snapshot: 'latest' },
      { snapshot: 'rds:app1-prod-2026-11-21-02-10' },
    );

    await startRestore(client, plan, now);

    const input = rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ DBInstanceIdentifier: COPY, BackupRetentionPeriod: 0 });
    expect(input).not.toHaveProperty('MaxAllocatedStorage', expect.anything());
    expect(input?.PreferredBackupWindow).toBeUndefined();
  });

  it('leaves out the post-restore settings, which the check applies', async () => {
    const plan = rdsPlanWith({ monitoringIntervalSeconds: 60, performanceInsights: true });

    await startRestore(client, plan, now);

    const input = rds.commandCalls(RestoreDBInstanceToPointInTimeCommand)[0]?.args[0].input;
    expect(input).not.toHaveProperty('MonitoringInterval');
    expect(input).not.toHaveProperty('EnablePerformanceInsights');
  });

  it('waits first for the time past restores of the target took', async () => {
    const poll = await startRestore(client, rdsPlan({ expectedSeconds: { restore: 1800 } }), now);

    expect(poll.waitSeconds).toBe(1800);
  });

  it('does not restore again when this run already created the copy', async () => {
    instanceIs(COPY, 'creating');

    const poll = await startRestore(client, rdsPlan(), now);

    expect(rds).not.toHaveReceivedCommand(RestoreDBInstanceToPointInTimeCommand);
    expect(poll).toMatchObject({ done: false, position: RestorePhase.copy });
  });

  it('fails when the temporary name is taken by a resource this run did not create', async () => {
    instanceIs(COPY, 'available', { TagList: [{ Key: 'dbrefresh:run', Value: 'zz99yy88' }] });

    const started = startRestore(client, rdsPlan(), now);

    await expect(started).rejects.toThrow(GuardError);
    await expect(started).rejects.toThrow(`${COPY} already exists and was not created by run ab12cd34`);
    expect(rds).not.toHaveReceivedCommand(RestoreDBInstanceToPointInTimeCommand);
  });
});

describe('startRestore for an Aurora cluster', () => {
  it('clones the source copy-on-write at its latest restorable time for fastcloning', async () => {
    const plan = auroraPlanWith({
      subnetGroup: 'app2-subnets',
      clusterParameterGroup: 'app2-pg16',
      port: 5432,
    });

    const poll = await startRestore(client, plan, now);

    expect(rds).toHaveReceivedCommandWith(RestoreDBClusterToPointInTimeCommand, {
      DBClusterIdentifier: CLUSTER_COPY,
      SourceDBClusterIdentifier: 'app2-prod',
      RestoreType: 'copy-on-write',
      UseLatestRestorableTime: true,
      DBSubnetGroupName: 'app2-subnets',
      DBClusterParameterGroupName: 'app2-pg16',
      Port: 5432,
      DeletionProtection: false,
      Tags: plan.tags,
    });
    const input = rds.commandCalls(RestoreDBClusterToPointInTimeCommand)[0]?.args[0].input;
    expect(input).not.toHaveProperty('RestoreToTime');
    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceCommand);
    expect(poll).toMatchObject({ waitSeconds: 600, position: RestorePhase.copy });
  });

  it.each([
    ['latestpoint', { type: 'latestpoint' }],
    ['restorepoint', { type: 'restorepoint', time: '2026-11-21T02:55:00Z' }],
  ] as const)("copies the source in full at the plan's restore point for %s", async (_type, restore) => {
    const plan = withRestore(auroraPlan(), restore);

    await startRestore(client, plan, now);

    expect(rds).toHaveReceivedCommandWith(RestoreDBClusterToPointInTimeCommand, {
      DBClusterIdentifier: CLUSTER_COPY,
      SourceDBClusterIdentifier: 'app2-prod',
      RestoreType: 'full-copy',
      RestoreToTime: new Date('2026-11-21T02:55:00.000Z'),
      DeletionProtection: false,
      Tags: plan.tags,
    });
    const input = rds.commandCalls(RestoreDBClusterToPointInTimeCommand)[0]?.args[0].input;
    expect(input).not.toHaveProperty('UseLatestRestorableTime');
  });

  it("restores the plan's cluster snapshot with the engine and the file's engine version", async () => {
    const snapshot = 'arn:aws:rds:eu-west-1:444455556666:cluster-snapshot:app2-prod-2026-11-20';
    const plan = withRestore(
      auroraPlanWith({ engineVersion: '16.6' }),
      { type: 'fromsnapshot', snapshot },
      {
        snapshot,
      },
    );

    await startRestore(client, plan, now);

    expect(rds).toHaveReceivedCommandWith(RestoreDBClusterFromSnapshotCommand, {
      DBClusterIdentifier: CLUSTER_COPY,
      SnapshotIdentifier: snapshot,
      Engine: 'aurora-postgresql',
      EngineVersion: '16.6',
      DeletionProtection: false,
      Tags: plan.tags,
    });
    expect(rds).not.toHaveReceivedCommand(RestoreDBClusterToPointInTimeCommand);
  });

  it("restores a cluster snapshot at the snapshot's engine version when the file names none", async () => {
    const snapshot = 'app2-prod-2026-11-20';
    const plan = withRestore(
      auroraPlan(),
      { type: 'fromsnapshot', snapshot },
      { snapshot, engineVersion: '16.4' },
    );

    await startRestore(client, plan, now);

    expect(rds).toHaveReceivedCommandWith(RestoreDBClusterFromSnapshotCommand, {
      SnapshotIdentifier: snapshot,
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
    });
  });

  it('restores with the storage type and backup window the restore would not keep', async () => {
    const plan = auroraPlanWith({ storageType: 'aurora-iopt1', backupWindow: '01:00-01:30' });

    await startRestore(client, plan, now);

    expect(rds).toHaveReceivedCommandWith(RestoreDBClusterToPointInTimeCommand, {
      StorageType: 'aurora-iopt1',
      PreferredBackupWindow: '01:00-01:30',
    });
  });

  it('names a source cluster in another account by its ARN', async () => {
    const arn = 'arn:aws:rds:eu-west-1:444455556666:cluster:app2-prod';

    await startRestore(client, auroraPlan({ source: { id: 'app2-prod', arn } }), now);

    expect(rds).toHaveReceivedCommandWith(RestoreDBClusterToPointInTimeCommand, {
      SourceDBClusterIdentifier: arn,
    });
  });

  it('does not restore again when this run already created the copy', async () => {
    clusterIs(CLUSTER_COPY, 'creating');

    await startRestore(client, auroraPlan(), now);

    expect(rds).not.toHaveReceivedCommand(RestoreDBClusterToPointInTimeCommand);
  });

  it('fails when the temporary cluster name is taken by a cluster this run did not create', async () => {
    clusterIs(CLUSTER_COPY, 'available', { TagList: [] });

    await expect(startRestore(client, auroraPlan(), now)).rejects.toThrow(GuardError);
    expect(rds).not.toHaveReceivedCommand(RestoreDBClusterToPointInTimeCommand);
  });
});

describe('checkRestore for an RDS instance', () => {
  it('waits while the copy is being restored', async () => {
    instanceIs(COPY, 'creating');

    const poll = await checkRestore(client, rdsPlan(), pollAt(RestorePhase.copy), now);

    expect(poll).toMatchObject({ done: false, waitSeconds: 15, attempt: 1, position: RestorePhase.copy });
  });

  it('waits while the copy does not show up yet', async () => {
    const poll = await checkRestore(client, rdsPlan(), pollAt(RestorePhase.copy), now);

    expect(poll).toMatchObject({ done: false, position: RestorePhase.copy });
  });

  it('is done once the copy is available when no setting is left to apply', async () => {
    instanceIs(COPY, 'available', { PendingModifiedValues: {} });

    const poll = await checkRestore(client, rdsPlan(), pollAt(RestorePhase.copy), now);

    expect(poll).toMatchObject({ done: true, finishedAt: now.toISOString() });
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });

  it('applies monitoring and Performance Insights once the copy is available, then waits for them', async () => {
    const roleArn = 'arn:aws:iam::111122223333:role/rds-monitoring';
    const plan = rdsPlanWith({
      monitoringIntervalSeconds: 60,
      monitoringRoleArn: roleArn,
      performanceInsights: true,
    });
    instanceIs(COPY, 'available');

    const applying = await checkRestore(client, plan, pollAt(RestorePhase.copy), now);

    expect(rds).toHaveReceivedCommandWith(ModifyDBInstanceCommand, {
      DBInstanceIdentifier: COPY,
      ApplyImmediately: true,
      MonitoringInterval: 60,
      MonitoringRoleArn: roleArn,
      EnablePerformanceInsights: true,
    });
    expect(applying).toMatchObject({ done: false, position: RestorePhase.settings });

    instanceIs(COPY, 'modifying');
    const modifying = await checkRestore(client, plan, applying, now);
    instanceIs(COPY, 'available', { PendingModifiedValues: { DBInstanceClass: 'db.t4g.large' } });
    const pending = await checkRestore(client, plan, modifying, now);
    instanceIs(COPY, 'available', { PendingModifiedValues: {} });
    const done = await checkRestore(client, plan, pending, now);

    expect(modifying).toMatchObject({ done: false, position: RestorePhase.settings });
    expect(pending).toMatchObject({ done: false, position: RestorePhase.settings });
    expect(done.done).toBe(true);
    expect(rds).toHaveReceivedCommandTimes(ModifyDBInstanceCommand, 1);
  });

  it('applies Performance Insights with its key and retention, the maintenance window and, after a snapshot, storage autoscaling', async () => {
    const key = 'arn:aws:kms:eu-west-1:111122223333:key/pi';
    const plan = withRestore(
      rdsPlanWith({
        performanceInsights: true,
        performanceInsightsKmsKeyId: key,
        performanceInsightsRetentionDays: 731,
        maintenanceWindow: 'sun:04:00-sun:04:30',
        maxAllocatedStorageGiB: 1000,
      }),
      { type: 'fromsnapshot', snapshot: 'latest' },
      { snapshot: 'rds:app1-prod-2026-11-21-02-10' },
    );
    instanceIs(COPY, 'available');

    await checkRestore(client, plan, pollAt(RestorePhase.copy), now);

    expect(rds).toHaveReceivedCommandWith(ModifyDBInstanceCommand, {
      DBInstanceIdentifier: COPY,
      ApplyImmediately: true,
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: key,
      PerformanceInsightsRetentionPeriod: 731,
      PreferredMaintenanceWindow: 'sun:04:00-sun:04:30',
      MaxAllocatedStorage: 1000,
    });
  });

  it('applies no Performance Insights key or retention with Performance Insights off', async () => {
    const plan = rdsPlanWith({
      performanceInsights: false,
      performanceInsightsKmsKeyId: 'alias/pi',
      performanceInsightsRetentionDays: 7,
    });
    instanceIs(COPY, 'available');

    await checkRestore(client, plan, pollAt(RestorePhase.copy), now);

    const input = rds.commandCalls(ModifyDBInstanceCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ EnablePerformanceInsights: false });
    expect(input?.PerformanceInsightsKMSKeyId).toBeUndefined();
    expect(input?.PerformanceInsightsRetentionPeriod).toBeUndefined();
  });

  it('fails when the copy reaches a terminal status', async () => {
    instanceIs(COPY, 'incompatible-restore');

    const checked = checkRestore(client, rdsPlan(), pollAt(RestorePhase.copy), now);

    await expect(checked).rejects.toThrow(TerminalStateError);
    await expect(checked).rejects.toThrow(`${COPY} is in terminal state "incompatible-restore"`);
  });

  it('fails when the copy is not available by the deadline', async () => {
    instanceIs(COPY, 'creating');
    const pastDeadline = new Date(now.getTime() + 12 * 3600 * 1000 + 1000);

    await expect(checkRestore(client, rdsPlan(), pollAt(RestorePhase.copy), pastDeadline)).rejects.toThrow(
      PollTimeoutError,
    );
  });
});

describe('checkRestore for an Aurora cluster', () => {
  it('waits while the cluster is being restored and creates no instance yet', async () => {
    clusterIs(CLUSTER_COPY, 'creating');

    const poll = await checkRestore(client, auroraPlan(), pollAt(RestorePhase.copy), now);

    expect(poll).toMatchObject({ done: false, position: RestorePhase.copy });
    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceCommand);
  });

  it('creates the writer in the copy once the cluster is available', async () => {
    const plan = auroraPlanWith({ parameterGroup: 'app2-pg16-instances', performanceInsights: true });
    clusterIs(CLUSTER_COPY, 'available');

    const poll = await checkRestore(client, plan, pollAt(RestorePhase.copy), now);

    expect(rds).toHaveReceivedCommandTimes(CreateDBInstanceCommand, 1);
    expect(rds).toHaveReceivedCommandWith(CreateDBInstanceCommand, {
      DBInstanceIdentifier: WRITER,
      DBClusterIdentifier: CLUSTER_COPY,
      DBInstanceClass: 'db.r6g.large',
      Engine: 'aurora-postgresql',
      PromotionTier: 0,
      DBParameterGroupName: 'app2-pg16-instances',
      EnablePerformanceInsights: true,
      PubliclyAccessible: false,
      Tags: plan.tags,
    });
    expect(rds).not.toHaveReceivedCommand(ModifyDBClusterCommand);
    expect(poll).toMatchObject({ done: false, position: RestorePhase.writer });
  });

  it('sets the Serverless v2 capacity before creating the writer', async () => {
    const plan = auroraPlanWith(
      { instanceClass: 'db.serverless', serverless: { minCapacity: 0.5, maxCapacity: 4 } },
      { writer: { id: WRITER, finalId: 'app2-test-1', instanceClass: 'db.serverless' } },
    );
    clusterIs(CLUSTER_COPY, 'available');

    await checkRestore(client, plan, pollAt(RestorePhase.copy), now);

    expect(rds).toHaveReceivedNthCommandWith(2, ModifyDBClusterCommand, {
      DBClusterIdentifier: CLUSTER_COPY,
      ApplyImmediately: true,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
    });
    expect(rds).toHaveReceivedNthCommandWith(4, CreateDBInstanceCommand, {
      DBInstanceIdentifier: WRITER,
      DBInstanceClass: 'db.serverless',
    });
  });

  it('sets the maintenance window once the cluster is available, and creates the writer with its CA and Performance Insights settings', async () => {
    const plan = auroraPlanWith({
      maintenanceWindow: 'sat:22:00-sat:22:30',
      caCertificate: 'rds-ca-ecc384-g1',
      performanceInsights: true,
      performanceInsightsRetentionDays: 93,
    });
    clusterIs(CLUSTER_COPY, 'available');

    await checkRestore(client, plan, pollAt(RestorePhase.copy), now);

    expect(rds).toHaveReceivedCommandWith(ModifyDBClusterCommand, {
      DBClusterIdentifier: CLUSTER_COPY,
      ApplyImmediately: true,
      PreferredMaintenanceWindow: 'sat:22:00-sat:22:30',
    });
    expect(rds).toHaveReceivedCommandWith(CreateDBInstanceCommand, {
      DBInstanceIdentifier: WRITER,
      CACertificateIdentifier: 'rds-ca-ecc384-g1',
      EnablePerformanceInsights: true,
      PerformanceInsightsRetentionPeriod: 93,
      PubliclyAccessible: false,
    });
  });

  it('does not create the writer again when it already exists', async () => {
    clusterIs(CLUSTER_COPY, 'available');
    instanceIs(WRITER, 'creating');

    const poll = await checkRestore(client, auroraPlan(), pollAt(RestorePhase.copy), now);

    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceCommand);
    expect(poll.position).toBe(RestorePhase.writer);
  });

  it('creates no reader while the writer is being created', async () => {
    clusterIs(CLUSTER_COPY, 'available');
    instanceIs(WRITER, 'creating');

    const poll = await checkRestore(client, auroraPlan(), pollAt(RestorePhase.writer), now);

    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceCommand);
    expect(poll).toMatchObject({ done: false, position: RestorePhase.writer });
  });

  it('creates the readers once the writer is available', async () => {
    const plan = auroraPlan();
    clusterIs(CLUSTER_COPY, 'available');
    instanceIs(WRITER, 'available');

    const poll = await checkRestore(client, plan, pollAt(RestorePhase.writer), now);

    expect(rds).toHaveReceivedCommandTimes(CreateDBInstanceCommand, 1);
    expect(rds).toHaveReceivedCommandWith(CreateDBInstanceCommand, {
      DBInstanceIdentifier: READER,
      DBClusterIdentifier: CLUSTER_COPY,
      DBInstanceClass: 'db.r6g.large',
      PromotionTier: 1,
      PubliclyAccessible: false,
      Tags: plan.tags,
    });
    expect(poll).toMatchObject({ done: false, position: RestorePhase.readers });
  });

  it('waits for the readers, then is done when every instance is available', async () => {
    clusterIs(CLUSTER_COPY, 'available');
    instanceIs(WRITER, 'available');
    instanceIs(READER, 'creating');

    const waiting = await checkRestore(client, auroraPlan(), pollAt(RestorePhase.readers), now);
    instanceIs(READER, 'available');
    const done = await checkRestore(client, auroraPlan(), waiting, now);

    expect(waiting).toMatchObject({ done: false, position: RestorePhase.readers });
    expect(done).toMatchObject({ done: true, attempt: 2 });
    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceCommand);
  });

  it('is done once the writer is available when the copy has no readers', async () => {
    clusterIs(CLUSTER_COPY, 'available');
    instanceIs(WRITER, 'available');

    const poll = await checkRestore(client, auroraPlan({ replicas: [] }), pollAt(RestorePhase.writer), now);

    expect(poll.done).toBe(true);
    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceCommand);
  });

  it('fails when the cluster reaches a terminal status', async () => {
    clusterIs(CLUSTER_COPY, 'inaccessible-encryption-credentials');

    await expect(checkRestore(client, auroraPlan(), pollAt(RestorePhase.copy), now)).rejects.toThrow(
      TerminalStateError,
    );
  });

  it('fails when the writer reaches a terminal status', async () => {
    clusterIs(CLUSTER_COPY, 'available');
    instanceIs(WRITER, 'incompatible-parameters');

    await expect(checkRestore(client, auroraPlan(), pollAt(RestorePhase.writer), now)).rejects.toThrow(
      `${WRITER} is in terminal state "incompatible-parameters"`,
    );
  });

  it('fails when the readers are not available by the deadline', async () => {
    clusterIs(CLUSTER_COPY, 'available');
    instanceIs(WRITER, 'available');
    instanceIs(READER, 'creating');
    const pastDeadline = new Date(now.getTime() + 12 * 3600 * 1000);

    await expect(
      checkRestore(client, auroraPlan(), pollAt(RestorePhase.readers), pastDeadline),
    ).rejects.toThrow(PollTimeoutError);
  });
});

describe('restore handler', () => {
  it('starts the restore, then checks it with the poll state the state machine stored', async () => {
    const plan = rdsPlan();

    const started = await start(runState(plan));
    instanceIs(COPY, 'available', { PendingModifiedValues: {} });
    const checked = await check(runState(plan, { polls: { restore: started } }));

    expect(rds).toHaveReceivedCommandTimes(RestoreDBInstanceToPointInTimeCommand, 1);
    expect(checked.done).toBe(true);
  });

  it('rejects a check without the poll state of its start', async () => {
    await expect(check(runState(rdsPlan()))).rejects.toThrow('No poll state at $.polls.restore');
  });
});
