import type { Tag } from '@aws-sdk/client-rds';
import type { AuroraRefreshFile, RdsRefreshFile } from '../shared/refresh-model';
import type { Plan } from '../shared/run/plan';

/**
 * The copy's settings as RDS restore parameters, from the plan's resolved target settings (the live
 * target's, overridden by the file). Deletion protection stays off until the swap, so a rollback can
 * always remove the copy; the swap applies the target's own value.
 */
export function instanceRestoreSettings(target: RdsRefreshFile['target'], tags: Tag[]) {
  return {
    DBInstanceClass: target.instanceClass,
    DBSubnetGroupName: target.subnetGroup,
    VpcSecurityGroupIds: target.securityGroupIds,
    DBParameterGroupName: target.parameterGroup,
    OptionGroupName: target.optionGroup,
    Port: target.port,
    MultiAZ: target.multiAz,
    StorageType: target.storageType,
    Iops: target.iops,
    StorageThroughput: target.storageThroughput,
    EnableIAMDatabaseAuthentication: target.iamAuthentication,
    EnableCloudwatchLogsExports: target.cloudwatchLogsExports,
    CopyTagsToSnapshot: target.copyTagsToSnapshot,
    AutoMinorVersionUpgrade: target.autoMinorVersionUpgrade,
    BackupRetentionPeriod: target.backupRetentionDays,
    PubliclyAccessible: false,
    DeletionProtection: false,
    Tags: tags,
  };
}

/** Instance settings RDS accepts only after the restore, applied by one ModifyDBInstance. */
export function instanceSettingsAfterRestore(target: RdsRefreshFile['target']) {
  const settings = {
    MonitoringInterval: target.monitoringIntervalSeconds,
    MonitoringRoleArn: target.monitoringRoleArn,
    EnablePerformanceInsights: target.performanceInsights,
  };
  return Object.values(settings).some((value) => value !== undefined) ? settings : undefined;
}

export function clusterRestoreSettings(target: AuroraRefreshFile['target'], tags: Tag[]) {
  return {
    DBSubnetGroupName: target.subnetGroup,
    VpcSecurityGroupIds: target.securityGroupIds,
    DBClusterParameterGroupName: target.clusterParameterGroup,
    Port: target.port,
    KmsKeyId: target.kmsKeyId,
    EnableIAMDatabaseAuthentication: target.iamAuthentication,
    EnableCloudwatchLogsExports: target.cloudwatchLogsExports,
    BacktrackWindow: target.backtrackWindowSeconds,
    CopyTagsToSnapshot: target.copyTagsToSnapshot,
    BackupRetentionPeriod: target.backupRetentionDays,
    DeletionProtection: false,
    Tags: tags,
  };
}

/** Settings of an instance created in the copied cluster: its writer or a reader. */
export function clusterMemberSettings(plan: Plan, target: AuroraRefreshFile['target'], tags: Tag[]) {
  return {
    DBClusterIdentifier: plan.target.temporaryId,
    Engine: plan.engine,
    DBParameterGroupName: target.parameterGroup,
    AutoMinorVersionUpgrade: target.autoMinorVersionUpgrade,
    MonitoringInterval: target.monitoringIntervalSeconds,
    MonitoringRoleArn: target.monitoringRoleArn,
    EnablePerformanceInsights: target.performanceInsights,
    PubliclyAccessible: false,
    Tags: tags,
  };
}
