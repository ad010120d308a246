import type { QueryInput } from '../query-protocol';
import { rdsErrors } from './errors';
import { DEFAULT_SUBNET_GROUP, defaultOptionGroupName, defaultParameterGroupName } from './groups';
import { checkRetention } from './rules/backups';
import { checkTagCount, checkTags } from './rules/tags';
import type { ClusterRecord, InstanceRecord, RdsTag } from './state';

/**
 * The settings of instances and clusters that the API sets by the same parameters in Create, Restore and
 * Modify calls. Locally they are bookkeeping (a class or storage type changes nothing about the engine),
 * but they are validated as RDS validates them and described back as set.
 */

/** Settings instances and clusters both have, set by the same parameters. */
const COMMON_SETTING_KEYS = [
  'deletionProtection',
  'copyTagsToSnapshot',
  'backupRetentionPeriod',
  'iamAuthentication',
  'cloudwatchLogsExports',
  'storageEncrypted',
  'kmsKeyId',
  'subnetGroup',
  'securityGroupIds',
] as const;

export const INSTANCE_SETTING_KEYS = [
  'instanceClass',
  'allocatedStorage',
  'maxAllocatedStorage',
  'storageType',
  'iops',
  'storageThroughput',
  'multiAz',
  'publiclyAccessible',
  'availabilityZone',
  'parameterGroup',
  'optionGroup',
  'autoMinorVersionUpgrade',
  'performanceInsights',
  'monitoringInterval',
  'monitoringRoleArn',
  'promotionTier',
  ...COMMON_SETTING_KEYS,
] as const;

const CLUSTER_SETTING_KEYS = [
  ...COMMON_SETTING_KEYS,
  'clusterParameterGroup',
  'serverless',
  'backtrackWindow',
] as const;

export type InstanceSettings = Pick<InstanceRecord, (typeof INSTANCE_SETTING_KEYS)[number]>;
export type ClusterSettings = Pick<ClusterRecord, (typeof CLUSTER_SETTING_KEYS)[number]>;
type CommonSettings = Pick<InstanceRecord & ClusterRecord, (typeof COMMON_SETTING_KEYS)[number]>;

/** Only the listed settings of `record` (a restore takes them over, nothing else of its source). */
function pick<S>(record: S, keys: readonly (keyof S)[]): S {
  return Object.fromEntries(keys.map((key) => [key, record[key]])) as S;
}

/** The engines local mode plays, with the version RDS picks when a request names none. */
export const ENGINE_VERSIONS: Readonly<Record<string, string>> = {
  mysql: '8.0.39',
  mariadb: '10.11.9',
  postgres: '15.8',
  'aurora-mysql': '8.0.mysql_aurora.3.07.1',
  'aurora-postgresql': '15.8',
};

export const AURORA_ENGINES: ReadonlySet<string> = new Set(['aurora-mysql', 'aurora-postgresql']);
const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60];

/**
 * The engine name and version to record, the version defaulting as RDS picks a default.
 * @throws AwsError InvalidParameterValue for engines local mode cannot play
 */
export function engineAndVersion(
  engine: string,
  version: string | undefined,
): { engine: string; version: string } {
  const defaultVersion = ENGINE_VERSIONS[engine];
  if (defaultVersion === undefined) {
    throw rdsErrors.invalidValue(
      `Invalid DB engine: ${engine}. Local mode plays ${Object.keys(ENGINE_VERSIONS).join(', ')}`,
    );
  }
  return { engine, version: version ?? defaultVersion };
}

function commonDefaults(): CommonSettings {
  return {
    deletionProtection: false,
    copyTagsToSnapshot: false,
    backupRetentionPeriod: 1,
    iamAuthentication: false,
    cloudwatchLogsExports: [],
    storageEncrypted: false,
    kmsKeyId: undefined,
    subnetGroup: DEFAULT_SUBNET_GROUP,
    securityGroupIds: [],
  };
}

/**
 * What a new instance of `engine` `version` has unless the request says otherwise. No AllocatedStorage is
 * 0 GiB, which RDS refuses for every engine but Aurora; the storage type defaults to gp3.
 */
// StorageType "Default: io1, if the Iops parameter is specified. Otherwise, gp3."
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html
export function defaultInstanceSettings(engine: string, version: string, region: string): InstanceSettings {
  return {
    instanceClass: 'db.t3.micro',
    allocatedStorage: AURORA_ENGINES.has(engine) ? 1 : 0,
    maxAllocatedStorage: undefined,
    storageType: AURORA_ENGINES.has(engine) ? 'aurora' : 'gp3',
    iops: undefined,
    storageThroughput: undefined,
    multiAz: false,
    publiclyAccessible: false,
    availabilityZone: `${region}a`,
    parameterGroup: defaultParameterGroupName(engine, version),
    optionGroup: defaultOptionGroupName(engine, version),
    autoMinorVersionUpgrade: true,
    performanceInsights: false,
    monitoringInterval: 0,
    monitoringRoleArn: undefined,
    promotionTier: undefined,
    ...commonDefaults(),
  };
}

export function defaultClusterSettings(engine: string, version: string): ClusterSettings {
  return {
    ...commonDefaults(),
    clusterParameterGroup: defaultParameterGroupName(engine, version),
    serverless: undefined,
    backtrackWindow: undefined,
  };
}

/** `base` with the settings the request sets. @throws AwsError for values RDS refuses */
export function instanceSettings(input: QueryInput, base: InstanceSettings): InstanceSettings {
  const storageType = input.string('StorageType') ?? base.storageType;
  // Provisioned IOPS and throughput belong to a storage type: a new type starts without them.
  const sameStorage = storageType === base.storageType;
  const settings: InstanceSettings = {
    ...pick(base, INSTANCE_SETTING_KEYS),
    ...common(input, base, 'instance'),
    instanceClass: input.string('DBInstanceClass') ?? base.instanceClass,
    allocatedStorage: input.integer('AllocatedStorage') ?? base.allocatedStorage,
    maxAllocatedStorage: input.integer('MaxAllocatedStorage') ?? base.maxAllocatedStorage,
    storageType,
    iops: input.integer('Iops') ?? (sameStorage ? base.iops : undefined),
    storageThroughput:
      input.integer('StorageThroughput') ?? (sameStorage ? base.storageThroughput : undefined),
    multiAz: input.boolean('MultiAZ') ?? base.multiAz,
    publiclyAccessible: input.boolean('PubliclyAccessible') ?? base.publiclyAccessible,
    availabilityZone: input.string('AvailabilityZone') ?? base.availabilityZone,
    parameterGroup: input.string('DBParameterGroupName')?.toLowerCase() ?? base.parameterGroup,
    optionGroup: input.string('OptionGroupName')?.toLowerCase() ?? base.optionGroup,
    autoMinorVersionUpgrade: input.boolean('AutoMinorVersionUpgrade') ?? base.autoMinorVersionUpgrade,
    performanceInsights: input.boolean('EnablePerformanceInsights') ?? base.performanceInsights,
    monitoringInterval: input.integer('MonitoringInterval') ?? base.monitoringInterval,
    monitoringRoleArn: input.string('MonitoringRoleArn') ?? base.monitoringRoleArn,
    promotionTier: input.integer('PromotionTier') ?? base.promotionTier,
  };
  if (!MONITORING_INTERVALS.includes(settings.monitoringInterval)) {
    throw rdsErrors.invalidValue(
      `Invalid value ${settings.monitoringInterval} for MonitoringInterval: use one of ${MONITORING_INTERVALS.join(', ')}`,
    );
  }
  if (settings.monitoringInterval > 0 && !settings.monitoringRoleArn) {
    throw rdsErrors.invalidCombination(
      'A MonitoringRoleARN value is required if you specify a MonitoringInterval value other than 0.',
    );
  }
  return settings;
}

/** `base` with the cluster settings the request sets. @throws AwsError for values RDS refuses */
export function clusterSettings(input: QueryInput, base: ClusterSettings): ClusterSettings {
  const scaling = input.structure('ServerlessV2ScalingConfiguration');
  const serverless = scaling
    ? {
        minCapacity: scaling.number('MinCapacity') ?? base.serverless?.minCapacity ?? 0.5,
        maxCapacity: scaling.number('MaxCapacity') ?? base.serverless?.maxCapacity ?? 1,
      }
    : base.serverless;
  // Capacity from 0 to 256 ACUs in steps of 0.5; the maximum at least 1.
  // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.requirements.html#aurora-serverless-v2.requirements.capacity-range
  if (
    serverless &&
    (serverless.minCapacity < 0 ||
      serverless.maxCapacity < 1 ||
      serverless.maxCapacity > 256 ||
      serverless.minCapacity > serverless.maxCapacity ||
      !Number.isInteger(serverless.minCapacity * 2) ||
      !Number.isInteger(serverless.maxCapacity * 2))
  ) {
    throw rdsErrors.invalidValue(
      `Invalid ServerlessV2ScalingConfiguration: MinCapacity ${serverless.minCapacity} and MaxCapacity ` +
        `${serverless.maxCapacity} must satisfy 0 <= MinCapacity <= MaxCapacity <= 256, MaxCapacity >= 1, in steps of 0.5`,
    );
  }
  return {
    ...pick(base, CLUSTER_SETTING_KEYS),
    ...common(input, base, 'cluster'),
    clusterParameterGroup:
      input.string('DBClusterParameterGroupName')?.toLowerCase() ?? base.clusterParameterGroup,
    serverless,
    backtrackWindow: input.integer('BacktrackWindow') ?? base.backtrackWindow,
  };
}

function common(input: QueryInput, base: CommonSettings, kind: 'instance' | 'cluster'): CommonSettings {
  const retention = input.integer('BackupRetentionPeriod') ?? base.backupRetentionPeriod;
  if (input.has('BackupRetentionPeriod')) checkRetention(retention, kind);
  const logs = input.structure('CloudwatchLogsExportConfiguration');
  const enabled = logs?.strings('EnableLogTypes') ?? [];
  const disabled = new Set(logs?.strings('DisableLogTypes') ?? []);
  const exports = input.strings('EnableCloudwatchLogsExports') ?? base.cloudwatchLogsExports;
  return {
    deletionProtection: input.boolean('DeletionProtection') ?? base.deletionProtection,
    copyTagsToSnapshot: input.boolean('CopyTagsToSnapshot') ?? base.copyTagsToSnapshot,
    backupRetentionPeriod: retention,
    iamAuthentication: input.boolean('EnableIAMDatabaseAuthentication') ?? base.iamAuthentication,
    cloudwatchLogsExports: [...new Set([...exports, ...enabled])].filter((type) => !disabled.has(type)),
    storageEncrypted: input.boolean('StorageEncrypted') ?? base.storageEncrypted,
    kmsKeyId: input.string('KmsKeyId') ?? base.kmsKeyId,
    subnetGroup: input.string('DBSubnetGroupName')?.toLowerCase() ?? base.subnetGroup,
    securityGroupIds: input.strings('VpcSecurityGroupIds') ?? base.securityGroupIds,
  };
}

/**
 * The request's `Tags`, checked as RDS checks them (keys, values, at most 50).
 * @throws AwsError InvalidParameterValue for a tag RDS refuses
 */
export function tagsOf(input: QueryInput, name = 'Tags'): RdsTag[] {
  const tags = (input.structures(name) ?? []).map((tag) => ({
    Key: tag.requiredString('Key'),
    Value: tag.string('Value') ?? '',
  }));
  checkTags(tags);
  checkTagCount([], tags);
  return tags;
}

/** `tags` with `added` put over them, key by key, in first-seen order. */
export function mergeTags(tags: readonly RdsTag[], added: readonly RdsTag[]): RdsTag[] {
  const merged = new Map(tags.map((tag) => [tag.Key, tag.Value]));
  for (const tag of added) merged.set(tag.Key, tag.Value);
  return [...merged].map(([Key, Value]) => ({ Key, Value }));
}

/**
 * What a point-in-time restore keeps of its source instance: class, storage, backup retention and encryption;
 * everything else (parameter, option and subnet groups, security groups, Multi-AZ, protection, logs, public
 * access, autoscaling, monitoring) is the request's or the default.
 */
// DBInstanceClass "Default: The same DB instance class as the original DB instance"; BackupRetentionPeriod
// "Default: Uses existing setting"; DBParameterGroupName: "If you do not specify a value ..., then the default
// DBParameterGroup for the specified DB engine is used"; VpcSecurityGroupIds "Default: The default EC2 VPC
// security group". https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceToPointInTime.html
export const KEPT_BY_RESTORE = [
  'instanceClass',
  'allocatedStorage',
  'storageType',
  'iops',
  'storageThroughput',
  'backupRetentionPeriod',
  'storageEncrypted',
  'kmsKeyId',
] as const satisfies readonly (keyof InstanceSettings)[];

/** A snapshot keeps its instance's class, storage and encryption for the instances restored from it. */
// Iops: "If this parameter isn't specified, the IOPS value is taken from the backup."
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceFromDBSnapshot.html
export const KEPT_BY_SNAPSHOT_RESTORE = KEPT_BY_RESTORE.filter((key) => key !== 'backupRetentionPeriod');

/**
 * What a read replica takes from its source: class, storage, minor version upgrades, the parameter group
 * (same Region) and option group, encryption.
 */
// DBInstanceClass and AutoMinorVersionUpgrade "Default: Inherits the value from the source DB instance";
// OptionGroupName "If not specified, RDS uses the option group associated with the source DB instance";
// DBParameterGroupName "RDS uses the DBParameterGroup of the source DB instance for a same Region read replica".
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html
export const KEPT_BY_REPLICA = [
  'instanceClass',
  'allocatedStorage',
  'storageType',
  'iops',
  'storageThroughput',
  'autoMinorVersionUpgrade',
  'parameterGroup',
  'optionGroup',
  'storageEncrypted',
  'kmsKeyId',
] as const satisfies readonly (keyof InstanceSettings)[];

/** `defaults` with the `kept` settings of `source`. */
export function keptSettings(
  defaults: InstanceSettings,
  source: Partial<InstanceSettings>,
  kept: readonly (keyof InstanceSettings)[],
): InstanceSettings {
  return { ...defaults, ...Object.fromEntries(kept.map((key) => [key, source[key]])) };
}
