import type { DBCluster, DBInstance, RDSClient, Tag } from '@aws-sdk/client-rds';
import { findCluster, findInstance, isRefreshable, REFRESHABLE_TAG } from '../shared/aws/rds';
import { GuardError } from '../shared/errors';
import type { AuroraRefreshFile, RdsRefreshFile } from '../shared/refresh-model';

/** The live target as the plan sees it; `undefined` settings mean "not carried over". */
export interface TargetFacts<T> {
  readonly exists: boolean;
  readonly arn?: string;
  /** The target's settings, the file's overriding the live target's. */
  readonly settings: T;
  readonly tags: readonly Tag[];
  /** The live target's read replicas (Aurora: its instances other than the writer), which the swap retires. */
  readonly liveReplicas: readonly LiveReplica[];
  /** Aurora: the live writer instance. */
  readonly writer?: string;
}

export interface LiveReplica {
  readonly instance: string;
  readonly instanceClass?: string;
  readonly port?: number;
}

const PRODUCTION_TAG_KEYS = ['environment', 'env', 'stage'];
const PRODUCTION_VALUES = /^(prod|production|prd|live)$/i;

export async function inspectInstanceTarget(
  rds: RDSClient,
  file: RdsRefreshFile,
): Promise<TargetFacts<RdsRefreshFile['target']>> {
  const instance = await findInstance(rds, file.target.instance);
  if (!instance) return { exists: false, settings: file.target, tags: [], liveReplicas: [] };
  checkRefreshable(
    instance.DBInstanceArn ?? file.target.instance,
    instance.TagList ?? [],
    instance.DBInstanceStatus,
    'instance',
  );
  return {
    exists: true,
    arn: instance.DBInstanceArn,
    tags: instance.TagList ?? [],
    liveReplicas: await liveReplicas(rds, instance),
    settings: instanceSettings(carriedOverInstanceSettings(instance), file.target),
  };
}

export async function inspectClusterTarget(
  rds: RDSClient,
  file: AuroraRefreshFile,
): Promise<TargetFacts<AuroraRefreshFile['target']>> {
  const cluster = await findCluster(rds, file.target.cluster);
  if (!cluster) return { exists: false, settings: file.target, tags: [], liveReplicas: [] };
  checkRefreshable(
    cluster.DBClusterArn ?? file.target.cluster,
    cluster.TagList ?? [],
    cluster.Status,
    'cluster',
  );
  const members = cluster.DBClusterMembers ?? [];
  const writerId = members.find((member) => member.IsClusterWriter)?.DBInstanceIdentifier;
  const writer = writerId ? await findInstance(rds, writerId) : undefined;
  if (writer) checkMember(writer, file.target.cluster);
  const readers: LiveReplica[] = [];
  for (const member of members.filter((m) => !m.IsClusterWriter)) {
    const reader = member.DBInstanceIdentifier
      ? await findInstance(rds, member.DBInstanceIdentifier)
      : undefined;
    if (reader) checkMember(reader, file.target.cluster);
    if (reader?.DBInstanceIdentifier) {
      readers.push({ instance: reader.DBInstanceIdentifier, instanceClass: reader.DBInstanceClass });
    }
  }
  return {
    exists: true,
    arn: cluster.DBClusterArn,
    tags: cluster.TagList ?? [],
    writer: writerId,
    liveReplicas: readers,
    settings: { ...carriedOverClusterSettings(cluster, writer), ...defined(file.target) },
  };
}

/**
 * The guards on an existing target: dbrefresh replaces only databases marked refreshable, never one
 * tagged as production, and only when it is available (RDS renames nothing else).
 */
function checkRefreshable(arn: string, tags: readonly Tag[], status: string | undefined, kind: string): void {
  const production = tags.find(
    (tag) =>
      PRODUCTION_TAG_KEYS.includes((tag.Key ?? '').toLowerCase()) && PRODUCTION_VALUES.test(tag.Value ?? ''),
  );
  if (production) {
    throw new GuardError(
      `Target ${arn} is tagged ${production.Key}=${production.Value}; dbrefresh never replaces a production database`,
    );
  }
  if (!isRefreshable(tags)) {
    throw new GuardError(
      `Target ${arn} exists but is not marked refreshable, so dbrefresh will not replace it. If it may be overwritten, tag it: aws rds add-tags-to-resource --resource-name ${arn} --tags Key=${REFRESHABLE_TAG.Key},Value=${REFRESHABLE_TAG.Value}`,
    );
  }
  if (status !== 'available') {
    throw new GuardError(
      `Target DB ${kind} ${arn} is "${status}"; it must be available to be swapped. Start it or wait, then refresh again`,
    );
  }
}

/**
 * The target's read replicas (Aurora: its instances) are renamed by the swap and deleted when the old
 * target retires, so they must be refreshable and available too; finding out after the swap would be too late.
 */
function checkMember(member: DBInstance, targetId: string): void {
  const arn = member.DBInstanceArn ?? member.DBInstanceIdentifier ?? 'unknown';
  if (!isRefreshable(member.TagList ?? [])) {
    throw new GuardError(
      `Instance ${arn} of target ${targetId} is not marked refreshable, and the refresh would rename and later delete it. If it may be replaced, tag it: aws rds add-tags-to-resource --resource-name ${arn} --tags Key=${REFRESHABLE_TAG.Key},Value=${REFRESHABLE_TAG.Value}`,
    );
  }
  if (member.DBInstanceStatus !== 'available') {
    throw new GuardError(
      `Instance ${arn} of target ${targetId} is "${member.DBInstanceStatus}"; it must be available to be renamed. Wait, then refresh again`,
    );
  }
}

async function liveReplicas(rds: RDSClient, instance: DBInstance): Promise<LiveReplica[]> {
  const replicas: LiveReplica[] = [];
  for (const id of instance.ReadReplicaDBInstanceIdentifiers ?? []) {
    const replica = await findInstance(rds, id);
    if (replica) checkMember(replica, instance.DBInstanceIdentifier ?? '');
    if (replica?.DBInstanceIdentifier) {
      replicas.push({
        instance: replica.DBInstanceIdentifier,
        instanceClass: replica.DBInstanceClass,
        port: replica.Endpoint?.Port,
      });
    }
  }
  return replicas;
}

function carriedOverInstanceSettings(instance: DBInstance): RdsRefreshFile['target'] {
  return {
    instance: instance.DBInstanceIdentifier ?? '',
    instanceClass: instance.DBInstanceClass,
    parameterGroup: instance.DBParameterGroups?.[0]?.DBParameterGroupName,
    optionGroup: ownOptionGroup(instance.OptionGroupMemberships?.[0]?.OptionGroupName),
    multiAz: instance.MultiAZ,
    storageType: storageType(instance.StorageType),
    iops:
      instance.StorageType === 'io1' || instance.StorageType === 'io2' || instance.StorageType === 'gp3'
        ? instance.Iops
        : undefined,
    storageThroughput: instance.StorageType === 'gp3' ? instance.StorageThroughput : undefined,
    port: instance.Endpoint?.Port,
    subnetGroup: instance.DBSubnetGroup?.DBSubnetGroupName,
    securityGroupIds: securityGroups(instance.VpcSecurityGroups),
    deletionProtection: instance.DeletionProtection,
    iamAuthentication: instance.IAMDatabaseAuthenticationEnabled,
    cloudwatchLogsExports: instance.EnabledCloudwatchLogsExports,
    copyTagsToSnapshot: instance.CopyTagsToSnapshot,
    autoMinorVersionUpgrade: instance.AutoMinorVersionUpgrade,
    backupRetentionDays: instance.BackupRetentionPeriod,
    monitoringIntervalSeconds: monitoringInterval(instance.MonitoringInterval),
    monitoringRoleArn: instance.MonitoringRoleArn,
    maxAllocatedStorageGiB: instance.MaxAllocatedStorage,
    backupWindow: instance.PreferredBackupWindow,
    maintenanceWindow: instance.PreferredMaintenanceWindow,
    ...instanceLevelSettings(instance),
  };
}

/**
 * Settings of an instance that a restore does not keep, which an RDS target and an Aurora cluster's writer
 * both have: public accessibility, the CA certificate and Performance Insights (its key and retention are
 * carried only with it on).
 */
function instanceLevelSettings(instance: DBInstance | undefined) {
  const insights = instance?.PerformanceInsightsEnabled;
  return {
    performanceInsights: insights,
    performanceInsightsKmsKeyId: insights ? instance?.PerformanceInsightsKMSKeyId : undefined,
    performanceInsightsRetentionDays: insights ? instance?.PerformanceInsightsRetentionPeriod : undefined,
    publiclyAccessible: instance?.PubliclyAccessible,
    caCertificate: instance?.CACertificateIdentifier,
  };
}

/**
 * The file's settings over the live target's. IOPS and throughput belong to the live storage type, so a
 * file that changes the type does not inherit them (gp2 with IOPS, say, is refused by RDS and by the file's rules).
 */
function instanceSettings(
  live: RdsRefreshFile['target'],
  file: RdsRefreshFile['target'],
): RdsRefreshFile['target'] {
  const { iops, storageThroughput, ...carried } = live;
  const sameStorage = file.storageType === undefined || file.storageType === live.storageType;
  return { ...carried, ...(sameStorage && { iops, storageThroughput }), ...defined(file) };
}

function carriedOverClusterSettings(
  cluster: DBCluster,
  writer: DBInstance | undefined,
): AuroraRefreshFile['target'] {
  const serverless = cluster.ServerlessV2ScalingConfiguration;
  return {
    cluster: cluster.DBClusterIdentifier ?? '',
    writer: writer?.DBInstanceIdentifier,
    instanceClass: writer?.DBInstanceClass,
    clusterParameterGroup: cluster.DBClusterParameterGroup,
    parameterGroup: writer?.DBParameterGroups?.[0]?.DBParameterGroupName,
    backtrackWindowSeconds: cluster.BacktrackWindow || undefined,
    serverless:
      serverless?.MinCapacity !== undefined && serverless.MaxCapacity !== undefined
        ? { minCapacity: serverless.MinCapacity, maxCapacity: serverless.MaxCapacity }
        : undefined,
    port: cluster.Port,
    subnetGroup: cluster.DBSubnetGroup,
    securityGroupIds: securityGroups(cluster.VpcSecurityGroups),
    deletionProtection: cluster.DeletionProtection,
    iamAuthentication: cluster.IAMDatabaseAuthenticationEnabled,
    cloudwatchLogsExports: cluster.EnabledCloudwatchLogsExports,
    copyTagsToSnapshot: cluster.CopyTagsToSnapshot,
    autoMinorVersionUpgrade: writer?.AutoMinorVersionUpgrade,
    backupRetentionDays: cluster.BackupRetentionPeriod,
    monitoringIntervalSeconds: monitoringInterval(writer?.MonitoringInterval),
    monitoringRoleArn: writer?.MonitoringRoleArn,
    storageType: AURORA_STORAGE_TYPES.find((type) => type === cluster.StorageType),
    backupWindow: cluster.PreferredBackupWindow,
    maintenanceWindow: cluster.PreferredMaintenanceWindow,
    ...instanceLevelSettings(writer),
  };
}

const AURORA_STORAGE_TYPES = ['aurora', 'aurora-iopt1'] as const;

/**
 * A default option group ("default:mysql-8-0") is not carried over: the restore picks the default of the
 * source's engine version, and the refresh file cannot hold a name with a colon.
 */
function ownOptionGroup(name: string | undefined): string | undefined {
  return name?.startsWith('default:') ? undefined : name;
}

function securityGroups(
  groups: readonly { VpcSecurityGroupId?: string }[] | undefined,
): string[] | undefined {
  const ids = (groups ?? []).map((group) => group.VpcSecurityGroupId).filter((id): id is string => !!id);
  return ids.length > 0 ? ids : undefined;
}

const STORAGE_TYPES = ['gp2', 'gp3', 'io1', 'io2', 'standard'] as const;
function storageType(value: string | undefined): RdsRefreshFile['target']['storageType'] {
  return STORAGE_TYPES.find((type) => type === value);
}

const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60] as const;
function monitoringInterval(
  value: number | undefined,
): RdsRefreshFile['target']['monitoringIntervalSeconds'] {
  return MONITORING_INTERVALS.find((interval) => interval === value);
}

/** The fields the file sets, so they override the carried-over ones and unset ones do not erase them. */
function defined<T extends object>(settings: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(settings).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
