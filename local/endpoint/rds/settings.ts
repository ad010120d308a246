import type { QueryInput } from '../query-protocol';
import { rdsErrors } from './errors';
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

const ENGINE_VERSIONS: Readonly<Record<string, string>> = {
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

/** `8.0` for MySQL-family versions, `15` for PostgreSQL-family ones: what parameter group families use. */
function majorVersion(engine: string, version: string): string {
  const parts = version.split('.');
  return engine.includes('postgres') ? (parts[0] ?? version) : parts.slice(0, 2).join('.');
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
    subnetGroup: 'default',
    securityGroupIds: [],
  };
}

export function defaultInstanceSettings(engine: string, version: string, region: string): InstanceSettings {
  const major = majorVersion(engine, version);
  return {
    instanceClass: 'db.t3.micro',
    allocatedStorage: AURORA_ENGINES.has(engine) ? 1 : 20,
    storageType: AURORA_ENGINES.has(engine) ? 'aurora' : 'gp2',
    iops: undefined,
    storageThroughput: undefined,
    multiAz: false,
    publiclyAccessible: false,
    availabilityZone: `${region}a`,
    parameterGroup: `default.${engine}${major}`,
    optionGroup: `default:${engine}-${major.replaceAll('.', '-')}`,
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
    clusterParameterGroup: `default.${engine}${majorVersion(engine, version)}`,
    serverless: undefined,
    backtrackWindow: undefined,
  };
}

/** `base` with the settings the request sets. @throws AwsError for values RDS refuses */
export function instanceSettings(input: QueryInput, base: InstanceSettings): InstanceSettings {
  const settings: InstanceSettings = {
    ...pick(base, INSTANCE_SETTING_KEYS),
    ...common(input, base),
    instanceClass: input.string('DBInstanceClass') ?? base.instanceClass,
    allocatedStorage: input.integer('AllocatedStorage') ?? base.allocatedStorage,
    storageType: input.string('StorageType') ?? base.storageType,
    iops: input.integer('Iops') ?? base.iops,
    storageThroughput: input.integer('StorageThroughput') ?? base.storageThroughput,
    multiAz: input.boolean('MultiAZ') ?? base.multiAz,
    publiclyAccessible: input.boolean('PubliclyAccessible') ?? base.publiclyAccessible,
    availabilityZone: input.string('AvailabilityZone') ?? base.availabilityZone,
    parameterGroup: input.string('DBParameterGroupName') ?? base.parameterGroup,
    optionGroup: input.string('OptionGroupName') ?? base.optionGroup,
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
  if (settings.allocatedStorage < 1) {
    throw rdsErrors.invalidValue(`Invalid storage size ${settings.allocatedStorage} for AllocatedStorage`);
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
  if (
    serverless &&
    (serverless.minCapacity < 0 ||
      serverless.maxCapacity < 1 ||
      serverless.maxCapacity > 256 ||
      serverless.minCapacity > serverless.maxCapacity)
  ) {
    throw rdsErrors.invalidValue(
      `Invalid ServerlessV2ScalingConfiguration: MinCapacity ${serverless.minCapacity} and MaxCapacity ` +
        `${serverless.maxCapacity} must satisfy 0 <= MinCapacity <= MaxCapacity <= 256, MaxCapacity >= 1`,
    );
  }
  return {
    ...pick(base, CLUSTER_SETTING_KEYS),
    ...common(input, base),
    clusterParameterGroup: input.string('DBClusterParameterGroupName') ?? base.clusterParameterGroup,
    serverless,
    backtrackWindow: input.integer('BacktrackWindow') ?? base.backtrackWindow,
  };
}

function common(input: QueryInput, base: CommonSettings): CommonSettings {
  const retention = input.integer('BackupRetentionPeriod') ?? base.backupRetentionPeriod;
  if (retention < 0 || retention > 35) {
    throw rdsErrors.invalidValue(`Invalid backup retention period ${retention}: use 0 to 35 days`);
  }
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
    subnetGroup: input.string('DBSubnetGroupName') ?? base.subnetGroup,
    securityGroupIds: input.strings('VpcSecurityGroupIds') ?? base.securityGroupIds,
  };
}

/**
 * The request's `Tags`, checked as RDS checks them.
 * @throws AwsError InvalidParameterValue for a tag without a key
 */
export function tagsOf(input: QueryInput, name = 'Tags'): RdsTag[] {
  return (input.structures(name) ?? []).map((tag) => ({
    Key: tag.requiredString('Key'),
    Value: tag.string('Value') ?? '',
  }));
}

/** `tags` with `added` put over them, key by key, in first-seen order. */
export function mergeTags(tags: readonly RdsTag[], added: readonly RdsTag[]): RdsTag[] {
  const merged = new Map(tags.map((tag) => [tag.Key, tag.Value]));
  for (const tag of added) merged.set(tag.Key, tag.Value);
  return [...merged].map(([Key, Value]) => ({ Key, Value }));
}

/**
 * Checks a master password as RDS does: 8 to 128 printable ASCII characters besides '/', '@', '"' and ' '.
 * The message never repeats the password.
 */
export function checkMasterPassword(password: string): void {
  if (password.length < 8 || password.length > 128) {
    throw rdsErrors.invalidValue(
      'The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters or longer than 128.',
    );
  }
  if (!/^[\x21-\x7e]+$/.test(password) || /[/@"]/.test(password)) {
    throw rdsErrors.invalidValue(
      "The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '\"', ' ' may be used.",
    );
  }
}
