import { rdsErrors } from '../errors';

/** Automated backups: how long they are kept, and when they can't be turned off. */

/**
 * DB instances keep automated backups 0 (off) to 35 days; Aurora clusters 1 to 35 (always on).
 * @throws AwsError InvalidParameterValue with the range
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html (BackupRetentionPeriod)
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html (BackupRetentionPeriod)
export function checkRetention(days: number, kind: 'instance' | 'cluster'): void {
  const min = kind === 'cluster' ? 1 : 0;
  if (days < min || days > 35) {
    throw rdsErrors.invalidValue(`Invalid backup retention period ${days}: use ${min} to 35 days`);
  }
}

/**
 * A source of read replicas keeps its automated backups.
 * @throws AwsError InvalidParameterCombination naming the replicas
 */
// BackupRetentionPeriod: "Can't be set to 0 if the DB instance is a source to read replicas."
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html
export function checkRetentionWithReplicas(
  days: number,
  identifier: string,
  replicas: readonly string[],
): void {
  if (days === 0 && replicas.length > 0) {
    throw rdsErrors.invalidCombination(
      `Automated backups can't be turned off for ${identifier}: it is the source of read replicas ${replicas.join(', ')}. ` +
        'Delete or promote them first.',
    );
  }
}
