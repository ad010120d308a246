import type { Tag } from '@aws-sdk/client-rds';
import type { AuroraRefreshFile, RdsRefreshFile, RestoreType } from '../shared/refresh-model';
import type { Plan } from '../shared/run/plan';

type InstanceTarget = RdsRefreshFile['target'];
type ClusterTarget = AuroraRefreshFile['target'];

/**
 * The copy's settings as RDS restore parameters, from the plan's resolved target settings (the live
 * target's, overridden by the file). The copy stays private until it is masked and swapped (the swap
 * then applies the target's PubliclyAccessible), and deletion protection stays off until the swap, so
 * a rollback can always remove the copy.
 *
 * Both instance restores take the CA certificate and the backup window; of the two, only
 * RestoreDBInstanceToPointInTime takes MaxAllocatedStorage
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceToPointInTime.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceFromDBSnapshot.html);
 * what a restore does not take is applied by instanceSettingsAfterRestore.
 */
export function instanceRestoreSettings(target: InstanceTarget, tags: Tag[], restoreType: RestoreType) {
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
    MaxAllocatedStorage: restoreType === 'fromsnapshot' ? undefined : target.maxAllocatedStorageGiB,
    EnableIAMDatabaseAuthentication: target.iamAuthentication,
    EnableCloudwatchLogsExports: target.cloudwatchLogsExports,
    CopyTagsToSnapshot: target.copyTagsToSnapshot,
    AutoMinorVersionUpgrade: target.autoMinorVersionUpgrade,
    BackupRetentionPeriod: target.backupRetentionDays,
    PreferredBackupWindow: backupWindow(target),
    CACertificateIdentifier: target.caCertificate,
    PubliclyAccessible: false,
    DeletionProtection: false,
    Tags: tags,
  };
}

/**
 * Instance settings RDS accepts only after the restore, applied by one ModifyDBInstance: Enhanced
 * Monitoring, Performance Insights with its key and retention, the maintenance window, and for a snapshot
 * restore the storage autoscaling limit. None of the restores takes them
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html takes them all).
 */
export function instanceSettingsAfterRestore(target: InstanceTarget, restoreType: RestoreType) {
  const settings = {
    MonitoringInterval: target.monitoringIntervalSeconds,
    MonitoringRoleArn: target.monitoringRoleArn,
    ...performanceInsights(target),
    PreferredMaintenanceWindow: target.maintenanceWindow,
    MaxAllocatedStorage: restoreType === 'fromsnapshot' ? target.maxAllocatedStorageGiB : undefined,
  };
  return Object.values(settings).some((value) => value !== undefined) ? settings : undefined;
}

/**
 * Both cluster restores take the storage type (without it the copy gets Standard, "aurora", whatever the
 * source has) and the backup window
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterToPointInTime.html).
 */
export function clusterRestoreSettings(target: ClusterTarget, tags: Tag[]) {
  return {
    DBSubnetGroupName: target.subnetGroup,
    VpcSecurityGroupIds: target.securityGroupIds,
    DBClusterParameterGroupName: target.clusterParameterGroup,
    Port: target.port,
    KmsKeyId: target.kmsKeyId,
    StorageType: target.storageType,
    EnableIAMDatabaseAuthentication: target.iamAuthentication,
    EnableCloudwatchLogsExports: target.cloudwatchLogsExports,
    BacktrackWindow: target.backtrackWindowSeconds,
    CopyTagsToSnapshot: target.copyTagsToSnapshot,
    BackupRetentionPeriod: target.backupRetentionDays,
    PreferredBackupWindow: backupWindow(target),
    DeletionProtection: false,
    Tags: tags,
  };
}

/**
 * Cluster settings RDS accepts only after the restore, applied by one ModifyDBCluster: the Serverless v2
 * capacity and the maintenance window, which neither cluster restore takes
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html).
 */
export function clusterSettingsAfterRestore(target: ClusterTarget) {
  const serverless = target.serverless;
  const settings = {
    ServerlessV2ScalingConfiguration: serverless && {
      MinCapacity: serverless.minCapacity,
      MaxCapacity: serverless.maxCapacity,
    },
    PreferredMaintenanceWindow: target.maintenanceWindow,
  };
  return Object.values(settings).some((value) => value !== undefined) ? settings : undefined;
}

/**
 * Settings of an instance created in the copied cluster, its writer or a reader: CreateDBInstance takes
 * them all (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html). It stays
 * private until the swap, like the copy of an RDS instance.
 */
export function clusterMemberSettings(plan: Plan, target: ClusterTarget, tags: Tag[]) {
  return {
    DBClusterIdentifier: plan.target.temporaryId,
    Engine: plan.engine,
    DBParameterGroupName: target.parameterGroup,
    AutoMinorVersionUpgrade: target.autoMinorVersionUpgrade,
    MonitoringInterval: target.monitoringIntervalSeconds,
    MonitoringRoleArn: target.monitoringRoleArn,
    ...performanceInsights(target),
    CACertificateIdentifier: target.caCertificate,
    PubliclyAccessible: false,
    Tags: tags,
  };
}

/** Performance Insights, and its key and retention only with it on (they describe its data). */
function performanceInsights(target: InstanceTarget | ClusterTarget) {
  const on = target.performanceInsights === true;
  return {
    EnablePerformanceInsights: target.performanceInsights,
    PerformanceInsightsKMSKeyId: on ? target.performanceInsightsKmsKeyId : undefined,
    PerformanceInsightsRetentionPeriod: on ? target.performanceInsightsRetentionDays : undefined,
  };
}

/** The backup window, only with backups on: it is when they run. */
function backupWindow(target: InstanceTarget | ClusterTarget): string | undefined {
  return target.backupRetentionDays === 0 ? undefined : target.backupWindow;
}
