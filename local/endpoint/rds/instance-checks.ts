import type { QueryInput } from '../query-protocol';
import type { RdsContext } from './context';
import { checkRetentionWithReplicas } from './rules/backups';
import { checkOptionGroup, checkParameterGroup, checkSubnetGroup, type EngineVersion } from './rules/groups';
import { checkInstanceClass, checkPlacement } from './rules/instances';
import { checkInstanceStorage, modifiedAllocatedStorage } from './rules/storage';
import type { InstanceSettings } from './settings';
import type { InstanceRecord } from './state';

/**
 * The rules (see rules/) a standalone DB instance's settings must satisfy, applied to a new instance (created,
 * restored or a read replica) and to the changes of ModifyDBInstance.
 */

/**
 * Checks the settings of a new standalone instance that will run `target` (for a restore: the version the
 * restore will have) and returns them as RDS keeps them.
 * @throws AwsError for any setting RDS refuses
 */
export function checkNewInstance(
  context: RdsContext,
  target: EngineVersion,
  settings: InstanceSettings,
  input: QueryInput,
): InstanceSettings {
  const { state } = context.account;
  checkPlacement(input);
  checkInstanceClass(target.engine, settings.instanceClass, false);
  checkInstanceStorage(target.engine, settings);
  checkParameterGroup(state, settings.parameterGroup, target);
  checkOptionGroup(state, settings.optionGroup, target);
  if (settings.subnetGroup !== undefined) checkSubnetGroup(state, settings.subnetGroup);
  return withAutoscaling(settings);
}

/**
 * Checks what a ModifyDBInstance changes of a standalone instance or an Aurora member (whose storage is its
 * cluster's) and returns the settings as RDS keeps them (allocated storage rounded up as RDS rounds it).
 * @throws AwsError for any change RDS refuses
 */
export function checkInstanceChanges(
  context: RdsContext,
  record: InstanceRecord,
  requested: InstanceSettings,
  input: QueryInput,
): InstanceSettings {
  const { account } = context;
  const aurora = record.clusterResourceId !== undefined;
  const settings = { ...requested };
  if (input.has('DBInstanceClass')) checkInstanceClass(record.engine, settings.instanceClass, aurora);
  if (input.has('DBParameterGroupName')) checkParameterGroup(account.state, settings.parameterGroup, record);
  if (!aurora && input.has('OptionGroupName')) checkOptionGroup(account.state, settings.optionGroup, record);
  if (input.has('DBSubnetGroupName') && settings.subnetGroup !== undefined) {
    checkSubnetGroup(account.state, settings.subnetGroup);
  }
  if (input.has('BackupRetentionPeriod')) {
    const replicas = account.replicasOf(record).map((replica) => replica.identifier);
    checkRetentionWithReplicas(settings.backupRetentionPeriod, record.identifier, replicas);
  }
  if (aurora) return settings;
  checkPlacement(input);
  if (input.has('AllocatedStorage')) {
    settings.allocatedStorage = modifiedAllocatedStorage(record.allocatedStorage, settings.allocatedStorage);
  }
  const storageParameters = [
    'AllocatedStorage',
    'StorageType',
    'Iops',
    'StorageThroughput',
    'MaxAllocatedStorage',
  ];
  if (storageParameters.some((name) => input.has(name))) checkInstanceStorage(record.engine, settings);
  return withAutoscaling(settings);
}

/** Storage autoscaling up to the allocated storage is no autoscaling: RDS turns it off. */
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.Autoscaling.html
function withAutoscaling(settings: InstanceSettings): InstanceSettings {
  return settings.maxAllocatedStorage === settings.allocatedStorage
    ? { ...settings, maxAllocatedStorage: undefined }
    : settings;
}
