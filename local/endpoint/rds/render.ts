import { InvalidServerStateError, ServerNotFoundError } from '../../engines/errors';
import type { XmlStructure, XmlValue } from '../query-protocol';
import { xmlList } from '../query-protocol';
import type { RdsAccount } from './account';
import { type ArnScope, rdsArn } from './identifiers';
import { shownPerformance } from './rules/storage';
import type { ClusterRecord, ClusterSnapshotRecord, InstanceRecord, RdsTag, SnapshotRecord } from './state';

/**
 * The API shapes of the account's resources (DBInstance, DBCluster, DBSnapshot, ...), with the element
 * and list member names of the RDS model.
 */

/** Every local engine server listens here; handlers connect to Endpoint.Address and Endpoint.Port. */
export const LOCAL_ADDRESS = '127.0.0.1';
const HOSTED_ZONE_ID = 'Z2R2ITUGPM61AM';

export function tagList(tags: readonly RdsTag[]): XmlValue {
  return xmlList(
    'Tag',
    tags.map((tag) => ({ Key: tag.Key, Value: tag.Value })),
  );
}

export async function renderInstance(
  account: RdsAccount,
  record: InstanceRecord,
  scope: ArnScope,
): Promise<XmlStructure> {
  const status = account.statusOf(record);
  const cluster = account.clusterByResourceId(record.clusterResourceId);
  const server = record.server ?? cluster?.server;
  const source = account.instanceByResourceId(record.replicaSourceResourceId);
  const reachable = server?.serverReady === true && status !== 'creating' && !isFailed(status);
  const performance = cluster ? {} : shownPerformance(record.engine, record);
  return {
    DBInstanceIdentifier: record.identifier,
    DBInstanceClass: record.instanceClass,
    Engine: record.engine,
    DBInstanceStatus: status,
    MasterUsername: server?.masterUsername,
    DBName: server?.databaseName,
    Endpoint: reachable
      ? { Address: LOCAL_ADDRESS, Port: server.port, HostedZoneId: HOSTED_ZONE_ID }
      : undefined,
    AllocatedStorage: record.allocatedStorage,
    InstanceCreateTime: new Date(record.createdAt),
    PreferredBackupWindow: '03:00-03:30',
    BackupRetentionPeriod: record.backupRetentionPeriod,
    VpcSecurityGroups: xmlList(
      'VpcSecurityGroupMembership',
      record.securityGroupIds.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' })),
    ),
    DBParameterGroups: xmlList('DBParameterGroup', [
      { DBParameterGroupName: record.parameterGroup, ParameterApplyStatus: 'in-sync' },
    ]),
    AvailabilityZone: record.availabilityZone,
    DBSubnetGroup: record.subnetGroup
      ? { DBSubnetGroupName: record.subnetGroup, SubnetGroupStatus: 'Complete' }
      : undefined,
    PreferredMaintenanceWindow: 'sun:04:00-sun:04:30',
    PendingModifiedValues: pendingInstanceValues(record),
    LatestRestorableTime: await latestRestorableTime(account, record, status),
    MultiAZ: record.multiAz,
    EngineVersion: record.engineVersion,
    AutoMinorVersionUpgrade: record.autoMinorVersionUpgrade,
    ReadReplicaSourceDBInstanceIdentifier: source?.identifier,
    ReadReplicaDBInstanceIdentifiers: xmlList(
      'ReadReplicaDBInstanceIdentifier',
      account.replicasOf(record).map((replica) => replica.identifier),
    ),
    LicenseModel: record.engine.includes('postgres') ? 'postgresql-license' : 'general-public-license',
    OptionGroupMemberships: xmlList('OptionGroupMembership', [
      { OptionGroupName: record.optionGroup, Status: 'in-sync' },
    ]),
    PubliclyAccessible: record.publiclyAccessible,
    StatusInfos: record.failure
      ? xmlList('DBInstanceStatusInfo', [
          { StatusType: 'local-engine', Normal: false, Status: 'error', Message: record.failure },
        ])
      : undefined,
    StorageType: record.storageType,
    Iops: performance.iops,
    StorageThroughput: performance.storageThroughput,
    MaxAllocatedStorage: record.maxAllocatedStorage,
    DbInstancePort: 0,
    DBClusterIdentifier: cluster?.identifier,
    StorageEncrypted: cluster?.storageEncrypted ?? record.storageEncrypted,
    KmsKeyId: cluster?.kmsKeyId ?? record.kmsKeyId,
    DbiResourceId: record.resourceId,
    CopyTagsToSnapshot: record.copyTagsToSnapshot,
    MonitoringInterval: record.monitoringInterval,
    MonitoringRoleArn: record.monitoringRoleArn,
    PromotionTier: record.promotionTier,
    DBInstanceArn: rdsArn(scope, 'db', record.identifier),
    IAMDatabaseAuthenticationEnabled: record.iamAuthentication,
    PerformanceInsightsEnabled: record.performanceInsights,
    EnabledCloudwatchLogsExports: xmlList('member', record.cloudwatchLogsExports),
    DeletionProtection: record.deletionProtection,
    TagList: tagList(record.tags),
    MasterUserSecret: record.masterUserSecret
      ? { SecretArn: record.masterUserSecret.arn, SecretStatus: record.masterUserSecret.status }
      : undefined,
  };
}

/** What waits: a password being set, and changes deferred to the maintenance window (deferred-changes.ts). */
function pendingInstanceValues(record: InstanceRecord): XmlStructure {
  const { masterUserPassword, identifier, settings = {} } = record.pending;
  return {
    MasterUserPassword: masterUserPassword ? '****' : undefined,
    DBInstanceIdentifier: identifier,
    DBInstanceClass: settings.instanceClass as string | undefined,
    AllocatedStorage: settings.allocatedStorage as number | undefined,
    StorageType: settings.storageType as string | undefined,
    Iops: settings.iops as number | undefined,
    StorageThroughput: settings.storageThroughput as number | undefined,
    MultiAZ: settings.multiAz as boolean | undefined,
  };
}

export async function renderCluster(
  account: RdsAccount,
  record: ClusterRecord,
  scope: ArnScope,
): Promise<XmlStructure> {
  const status = account.statusOf(record);
  const window = await restorableWindow(account, record, status);
  const members = account.members(record);
  return {
    AllocatedStorage: 1,
    AvailabilityZones: xmlList('AvailabilityZone', [
      `${scope.region}a`,
      `${scope.region}b`,
      `${scope.region}c`,
    ]),
    BackupRetentionPeriod: record.backupRetentionPeriod,
    DatabaseName: record.server.databaseName,
    DBClusterIdentifier: record.identifier,
    DBClusterParameterGroup: record.clusterParameterGroup,
    DBSubnetGroup: record.subnetGroup,
    Status: status,
    EarliestRestorableTime: window?.earliest,
    Endpoint: record.server.serverReady ? LOCAL_ADDRESS : undefined,
    ReaderEndpoint: record.server.serverReady ? LOCAL_ADDRESS : undefined,
    MultiAZ: members.length > 1,
    Engine: record.engine,
    EngineVersion: record.engineVersion,
    LatestRestorableTime: window?.latest,
    Port: record.server.port,
    MasterUsername: record.server.masterUsername,
    PreferredBackupWindow: '03:00-03:30',
    PreferredMaintenanceWindow: 'sun:04:00-sun:04:30',
    DBClusterMembers: xmlList(
      'DBClusterMember',
      members.map((member) => ({
        DBInstanceIdentifier: member.identifier,
        IsClusterWriter: member.isClusterWriter ?? false,
        DBClusterParameterGroupStatus: 'in-sync',
        PromotionTier: member.promotionTier ?? 1,
      })),
    ),
    VpcSecurityGroups: xmlList(
      'VpcSecurityGroupMembership',
      record.securityGroupIds.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' })),
    ),
    HostedZoneId: HOSTED_ZONE_ID,
    StorageEncrypted: record.storageEncrypted,
    KmsKeyId: record.kmsKeyId,
    DbClusterResourceId: record.resourceId,
    DBClusterArn: rdsArn(scope, 'cluster', record.identifier),
    IAMDatabaseAuthenticationEnabled: record.iamAuthentication,
    ClusterCreateTime: new Date(record.createdAt),
    EnabledCloudwatchLogsExports: xmlList('member', record.cloudwatchLogsExports),
    BacktrackWindow: record.backtrackWindow,
    EngineMode: 'provisioned',
    DeletionProtection: record.deletionProtection,
    CopyTagsToSnapshot: record.copyTagsToSnapshot,
    PendingModifiedValues:
      record.pending.masterUserPassword || record.pending.identifier
        ? {
            MasterUserPassword: record.pending.masterUserPassword ? '****' : undefined,
            DBClusterIdentifier: record.pending.identifier,
          }
        : undefined,
    StatusInfos: record.failure
      ? xmlList('DBClusterStatusInfo', [
          { StatusType: 'local-engine', Normal: false, Status: 'error', Message: record.failure },
        ])
      : undefined,
    TagList: tagList(record.tags),
    ServerlessV2ScalingConfiguration: record.serverless
      ? { MinCapacity: record.serverless.minCapacity, MaxCapacity: record.serverless.maxCapacity }
      : undefined,
    MasterUserSecret: record.masterUserSecret
      ? { SecretArn: record.masterUserSecret.arn, SecretStatus: record.masterUserSecret.status }
      : undefined,
  };
}

export function renderSnapshot(account: RdsAccount, record: SnapshotRecord, scope: ArnScope): XmlStructure {
  const status = account.statusOf(record);
  return {
    DBSnapshotIdentifier: record.identifier,
    DBInstanceIdentifier: record.instanceIdentifier,
    SnapshotCreateTime: record.createdAt ? new Date(record.createdAt) : undefined,
    Engine: record.engine,
    AllocatedStorage: record.allocatedStorage,
    Status: status,
    Port: record.port,
    AvailabilityZone: `${scope.region}a`,
    InstanceCreateTime: new Date(record.instanceCreatedAt),
    MasterUsername: record.masterUsername,
    EngineVersion: record.engineVersion,
    SnapshotType: record.snapshotType,
    PercentProgress: status === 'available' ? 100 : 0,
    StorageType: record.storageType,
    Iops: record.iops,
    StorageThroughput: record.storageThroughput,
    Encrypted: record.storageEncrypted,
    KmsKeyId: record.kmsKeyId,
    DBSnapshotArn: rdsArn(scope, 'snapshot', record.identifier),
    IAMDatabaseAuthenticationEnabled: false,
    DbiResourceId: record.dbiResourceId,
    TagList: tagList(record.tags),
    OriginalSnapshotCreateTime: record.createdAt ? new Date(record.createdAt) : undefined,
    SnapshotTarget: 'region',
  };
}

export function renderClusterSnapshot(
  account: RdsAccount,
  record: ClusterSnapshotRecord,
  scope: ArnScope,
): XmlStructure {
  const status = account.statusOf(record);
  return {
    AvailabilityZones: xmlList('AvailabilityZone', [
      `${scope.region}a`,
      `${scope.region}b`,
      `${scope.region}c`,
    ]),
    DBClusterSnapshotIdentifier: record.identifier,
    DBClusterIdentifier: record.clusterIdentifier,
    SnapshotCreateTime: record.createdAt ? new Date(record.createdAt) : undefined,
    Engine: record.engine,
    EngineMode: 'provisioned',
    AllocatedStorage: 1,
    Status: status,
    Port: record.port,
    ClusterCreateTime: new Date(record.clusterCreatedAt),
    MasterUsername: record.masterUsername,
    EngineVersion: record.engineVersion,
    SnapshotType: record.snapshotType,
    PercentProgress: status === 'available' ? 100 : 0,
    StorageEncrypted: record.storageEncrypted,
    KmsKeyId: record.kmsKeyId,
    DBClusterSnapshotArn: rdsArn(scope, 'cluster-snapshot', record.identifier),
    IAMDatabaseAuthenticationEnabled: false,
    DbClusterResourceId: record.clusterResourceId,
    TagList: tagList(record.tags),
  };
}

/** The automated backups of a standalone instance: its engine's base backups and change log. */
export async function renderAutomatedBackup(
  account: RdsAccount,
  record: InstanceRecord,
  scope: ArnScope,
): Promise<XmlStructure> {
  const window = await restorableWindow(account, record, account.statusOf(record));
  return {
    DBInstanceArn: rdsArn(scope, 'db', record.identifier),
    DbiResourceId: record.resourceId,
    Region: scope.region,
    DBInstanceIdentifier: record.identifier,
    RestoreWindow: window ? { EarliestTime: window.earliest, LatestTime: window.latest } : undefined,
    AllocatedStorage: record.allocatedStorage,
    Status: 'active',
    Port: record.server?.port,
    AvailabilityZone: record.availabilityZone,
    InstanceCreateTime: new Date(record.createdAt),
    MasterUsername: record.server?.masterUsername,
    Engine: record.engine,
    EngineVersion: record.engineVersion,
    StorageType: record.storageType,
    Encrypted: record.storageEncrypted,
    KmsKeyId: record.kmsKeyId,
    BackupRetentionPeriod: record.backupRetentionPeriod,
    DBInstanceAutomatedBackupsArn: `arn:aws:rds:${scope.region}:${scope.account}:auto-backup:ab-${record.resourceId.slice(3).toLowerCase()}`,
  };
}

async function latestRestorableTime(
  account: RdsAccount,
  record: InstanceRecord,
  status: string,
): Promise<Date | undefined> {
  if (!record.server) return undefined;
  return (await restorableWindow(account, record, status))?.latest;
}

/** The engine's restorable window, when the resource has backups and a working server. */
export async function restorableWindow(
  account: RdsAccount,
  record: InstanceRecord | ClusterRecord,
  status: string,
): Promise<{ earliest: Date; latest: Date } | undefined> {
  const server = record.server;
  if (!server?.serverReady || record.backupRetentionPeriod === 0 || isFailed(status)) return undefined;
  try {
    return {
      earliest: await account.engines.earliestRestorableTime(server.serverId),
      latest: await account.engines.latestRestorableTime(server.serverId),
    };
  } catch (error: unknown) {
    // A server whose deletion already removed it, or that has no base backup yet, has no window to show.
    if (error instanceof ServerNotFoundError || error instanceof InvalidServerStateError) return undefined;
    throw error;
  }
}

/** Failed and terminal statuses: the engine server, if any, is not to be trusted. */
export function isFailed(status: string): boolean {
  return (
    status === 'failed' ||
    status.startsWith('incompatible-') ||
    status.startsWith('inaccessible-') ||
    ['storage-full', 'restore-error', 'insufficient-capacity', 'cloning-failed', 'migration-failed'].includes(
      status,
    )
  );
}
