import { type DBCluster, type DBInstance, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { inspectClusterTarget, inspectInstanceTarget } from '../../../lambdas/plan/inspect-target';
import { GuardError } from '../../../lambdas/shared/errors';
import { awsError } from '../../fixtures/aws-errors';
import { auroraFile, rdsFile } from '../../fixtures/concise-files';
import {
  describesCluster,
  describesInstance,
  describesNothing,
  RDS_ARN,
  REFRESHABLE_TAG,
} from '../../fixtures/rds-describe';

const rds = mockClient(RDSClient);
const client = new RDSClient({ region: 'eu-west-1' });

/** A refreshable instance: the target checks pass unless `settings` say otherwise. */
function instance(id: string, settings: DBInstance = {}): void {
  describesInstance(rds, id, { TagList: [REFRESHABLE_TAG], ...settings });
}

/** A refreshable cluster: the target checks pass unless `settings` say otherwise. */
function cluster(id: string, settings: DBCluster = {}): void {
  describesCluster(rds, id, { TagList: [REFRESHABLE_TAG], ...settings });
}

beforeEach(() => {
  rds.reset();
  describesNothing(rds);
});

describe('inspectInstanceTarget', () => {
  it("reports a missing target as a first refresh with the file's settings", async () => {
    const file = rdsFile({ instanceClass: 'db.t4g.medium' });

    const facts = await inspectInstanceTarget(client, file);

    expect(facts).toEqual({ exists: false, settings: file.target, tags: [], liveReplicas: [] });
  });

  it('rethrows errors other than a missing target', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(awsError('AccessDenied'));

    await expect(inspectInstanceTarget(client, rdsFile())).rejects.toThrow('AccessDenied: not found');
  });

  it('keeps IOPS and throughput of the live storage when the file keeps its type', async () => {
    instance('app1-dev', { StorageType: 'gp3', Iops: 12000, StorageThroughput: 500 });

    const facts = await inspectInstanceTarget(client, rdsFile({ storageType: 'gp3' }));

    expect(facts.settings).toMatchObject({ storageType: 'gp3', iops: 12000, storageThroughput: 500 });
  });

  it('drops IOPS and throughput of the live storage when the file changes its type', async () => {
    instance('app1-dev', { StorageType: 'gp3', Iops: 12000, StorageThroughput: 500 });

    const facts = await inspectInstanceTarget(client, rdsFile({ storageType: 'gp2' }));

    expect(facts.settings.storageType).toBe('gp2');
    expect(facts.settings.iops).toBeUndefined();
    expect(facts.settings.storageThroughput).toBeUndefined();
  });

  it("takes the file's IOPS for a new storage type", async () => {
    instance('app1-dev', { StorageType: 'gp3', Iops: 12000, StorageThroughput: 500 });

    const facts = await inspectInstanceTarget(client, rdsFile({ storageType: 'io2', iops: 20000 }));

    expect(facts.settings).toMatchObject({ storageType: 'io2', iops: 20000 });
    expect(facts.settings.storageThroughput).toBeUndefined();
  });

  it('does not carry IOPS over from gp2 storage, which has none to set', async () => {
    instance('app1-dev', { StorageType: 'gp2', Iops: 3000 });

    const facts = await inspectInstanceTarget(client, rdsFile());

    expect(facts.settings).toMatchObject({ storageType: 'gp2', iops: undefined });
  });

  it("carries over what a restore does not keep: public access, autoscaling, CA, Performance Insights' key and retention, windows", async () => {
    instance('app1-dev', {
      PubliclyAccessible: true,
      MaxAllocatedStorage: 1000,
      CACertificateIdentifier: 'rds-ca-rsa4096-g1',
      PerformanceInsightsEnabled: true,
      PerformanceInsightsKMSKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/pi',
      PerformanceInsightsRetentionPeriod: 93,
      PreferredBackupWindow: '02:00-02:30',
      PreferredMaintenanceWindow: 'sun:04:00-sun:04:30',
    });

    const facts = await inspectInstanceTarget(client, rdsFile({ publiclyAccessible: false }));

    expect(facts.settings).toMatchObject({
      publiclyAccessible: false,
      maxAllocatedStorageGiB: 1000,
      caCertificate: 'rds-ca-rsa4096-g1',
      performanceInsights: true,
      performanceInsightsKmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/pi',
      performanceInsightsRetentionDays: 93,
      backupWindow: '02:00-02:30',
      maintenanceWindow: 'sun:04:00-sun:04:30',
    });
  });

  it('carries no Performance Insights key or retention when it is off', async () => {
    instance('app1-dev', {
      PerformanceInsightsEnabled: false,
      PerformanceInsightsKMSKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/pi',
      PerformanceInsightsRetentionPeriod: 7,
    });

    const facts = await inspectInstanceTarget(client, rdsFile());

    expect(facts.settings).toMatchObject({
      performanceInsights: false,
      performanceInsightsKmsKeyId: undefined,
      performanceInsightsRetentionDays: undefined,
    });
  });

  it('carries over its own option group but not a default one', async () => {
    instance('app1-dev', { OptionGroupMemberships: [{ OptionGroupName: 'default:mysql-8-0' }] });
    instance('app1-test', { OptionGroupMemberships: [{ OptionGroupName: 'app1-options' }] });

    const dev = await inspectInstanceTarget(client, rdsFile());
    const test = await inspectInstanceTarget(client, rdsFile({ instance: 'app1-test' }));

    expect(dev.settings.optionGroup).toBeUndefined();
    expect(test.settings.optionGroup).toBe('app1-options');
  });

  it('maps an unknown monitoring interval or storage type to no setting', async () => {
    instance('app1-dev', { MonitoringInterval: 7, StorageType: 'aurora' });

    const facts = await inspectInstanceTarget(client, rdsFile());

    expect(facts.settings).toMatchObject({ monitoringIntervalSeconds: undefined, storageType: undefined });
  });

  it('lists the live read replicas that still exist', async () => {
    instance('app1-dev', { ReadReplicaDBInstanceIdentifiers: ['app1-dev-ro', 'app1-dev-gone'] });
    instance('app1-dev-ro', { DBInstanceClass: 'db.t4g.small', Endpoint: { Port: 3307 } });

    const facts = await inspectInstanceTarget(client, rdsFile());

    expect(facts.liveReplicas).toEqual([
      { instance: 'app1-dev-ro', instanceClass: 'db.t4g.small', port: 3307 },
    ]);
  });

  it.each([
    [{ Key: 'environment', Value: 'production' }],
    [{ Key: 'Env', Value: 'PRD' }],
    [{ Key: 'stage', Value: 'live' }],
  ])('fails when the target is tagged %o', async (tag) => {
    instance('app1-dev', { TagList: [REFRESHABLE_TAG, tag] });

    const attempt = inspectInstanceTarget(client, rdsFile());

    await expect(attempt).rejects.toThrow(GuardError);
    await expect(attempt).rejects.toThrow(`is tagged ${tag.Key}=${tag.Value}`);
  });

  it('accepts environment tags that merely contain "prod"', async () => {
    instance('app1-dev', { TagList: [REFRESHABLE_TAG, { Key: 'environment', Value: 'preprod-copy' }] });

    const facts = await inspectInstanceTarget(client, rdsFile());

    expect(facts.exists).toBe(true);
  });

  it('fails when the refreshable tag is not "true"', async () => {
    instance('app1-dev', { TagList: [{ Key: 'dbrefresh:refreshable', Value: 'false' }] });

    await expect(inspectInstanceTarget(client, rdsFile())).rejects.toThrow(
      `aws rds add-tags-to-resource --resource-name ${RDS_ARN}:db:app1-dev --tags Key=dbrefresh:refreshable,Value=true`,
    );
  });
});

describe('inspectClusterTarget', () => {
  it('reports the live writer and the readers that still exist', async () => {
    cluster('shop-int', {
      DBClusterMembers: [
        { DBInstanceIdentifier: 'shop-int-2', IsClusterWriter: false },
        { DBInstanceIdentifier: 'shop-int-1', IsClusterWriter: true },
        { DBInstanceIdentifier: 'shop-int-gone', IsClusterWriter: false },
      ],
    });
    instance('shop-int-1', { DBInstanceClass: 'db.r6g.xlarge' });
    instance('shop-int-2', { DBInstanceClass: 'db.r6g.large' });

    const facts = await inspectClusterTarget(client, auroraFile());

    expect(facts).toMatchObject({
      exists: true,
      arn: `${RDS_ARN}:cluster:shop-int`,
      writer: 'shop-int-1',
      liveReplicas: [{ instance: 'shop-int-2', instanceClass: 'db.r6g.large' }],
    });
    expect(facts.settings).toMatchObject({ writer: 'shop-int-1', instanceClass: 'db.r6g.xlarge' });
  });

  it('carries over Serverless v2 capacity and leaves an off backtrack unset', async () => {
    cluster('shop-int', {
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
      BacktrackWindow: 0,
    });

    const facts = await inspectClusterTarget(client, auroraFile());

    expect(facts.settings).toMatchObject({
      serverless: { minCapacity: 0.5, maxCapacity: 8 },
      backtrackWindowSeconds: undefined,
    });
  });

  it("carries over the cluster's storage type and windows, and its writer's public access and CA", async () => {
    cluster('shop-int', {
      StorageType: 'aurora-iopt1',
      PreferredBackupWindow: '01:00-01:30',
      PreferredMaintenanceWindow: 'sat:22:00-sat:22:30',
      DBClusterMembers: [{ DBInstanceIdentifier: 'shop-int-1', IsClusterWriter: true }],
    });
    instance('shop-int-1', { PubliclyAccessible: true, CACertificateIdentifier: 'rds-ca-ecc384-g1' });

    const facts = await inspectClusterTarget(client, auroraFile());

    expect(facts.settings).toMatchObject({
      storageType: 'aurora-iopt1',
      backupWindow: '01:00-01:30',
      maintenanceWindow: 'sat:22:00-sat:22:30',
      publiclyAccessible: true,
      caCertificate: 'rds-ca-ecc384-g1',
    });
  });

  it("lets the file's settings win over the live cluster's", async () => {
    cluster('shop-int', { Port: 3306, DBClusterParameterGroup: 'live-params' });

    const facts = await inspectClusterTarget(client, auroraFile({ port: 3307 }));

    expect(facts.settings).toMatchObject({ port: 3307, clusterParameterGroup: 'live-params' });
  });

  it('fails when the cluster is not available', async () => {
    cluster('shop-int', { Status: 'stopped' });

    await expect(inspectClusterTarget(client, auroraFile())).rejects.toThrow(
      `Target DB cluster ${RDS_ARN}:cluster:shop-int is "stopped"`,
    );
  });

  it('fails when the cluster is not marked refreshable', async () => {
    cluster('shop-int', { TagList: [] });

    await expect(inspectClusterTarget(client, auroraFile())).rejects.toThrow(
      `--resource-name ${RDS_ARN}:cluster:shop-int --tags Key=dbrefresh:refreshable,Value=true`,
    );
  });
});
