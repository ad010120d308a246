import type { QueryInput } from '../../query-protocol';
import { rdsErrors } from '../errors';
import { parseRdsArn } from '../identifiers';
import type { InstanceRecord } from '../state';

/** What CreateDBInstanceReadReplica refuses, besides what every new instance must satisfy. */

/**
 * Checks a read replica request against its source.
 * @throws AwsError InvalidDBInstanceState or InvalidParameterCombination naming the fix
 */
export function checkReadReplica(
  source: InstanceRecord,
  replicaCount: number,
  input: QueryInput,
  region: string,
): void {
  // "Each DB instance can have up to 15 read replicas" (Db2 three, Oracle and SQL Server five).
  // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html
  const limit = source.engine.startsWith('db2') ? 3 : /^(oracle|sqlserver)/.test(source.engine) ? 5 : 15;
  if (replicaCount >= limit) {
    throw rdsErrors.invalidCombination(
      `${source.identifier} already has ${replicaCount} read replicas, the most a ${source.engine} DB instance can have. Delete one first.`,
    );
  }
  // "The specified DB instance must have automatic backups enabled, that is, its backup retention period must
  // be greater than 0." https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html
  if (source.backupRetentionPeriod === 0) {
    throw rdsErrors.instanceState(
      'Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.',
    );
  }
  // Secrets Manager integration limitations: "Creating a read replica when the source DB or DB cluster manages
  // credentials with Secrets Manager. This applies to all DB engines except RDS for SQL Server."
  // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations
  if (source.masterUserSecret && !source.engine.startsWith('sqlserver')) {
    throw rdsErrors.invalidCombination(
      `Cannot create a read replica of ${source.identifier}: RDS manages its master user password in Secrets ` +
        'Manager, and read replicas are not supported for such a source. Set a MasterUserPassword on the source ' +
        '(ModifyDBInstance with ManageMasterUserPassword false) first.',
    );
  }
  if (input.has('DBParameterGroupName') && !mayNameParameterGroup(source, input, region)) {
    throw rdsErrors.invalidCombination(
      `A parameter group can't be specified during Read Replica creation for the following DB engine: ${source.engine}` +
        ` (same-Region replica of ${source.identifier}). Leave DBParameterGroupName out (the replica takes its ` +
        "source's group) and apply the group with ModifyDBInstance once the replica is available.",
    );
  }
}

/**
 * "Specifying a parameter group for this operation is only supported for MySQL DB instances for cross-Region
 * read replicas, for Multi-AZ DB cluster read replica instances, for Db2 DB instances, and for Oracle DB
 * instances. It isn't supported for MySQL DB instances for same Region read replicas or for RDS Custom."
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html
function mayNameParameterGroup(source: InstanceRecord, input: QueryInput, region: string): boolean {
  if (source.engine.startsWith('oracle') || source.engine.startsWith('db2')) return true;
  if (source.engine !== 'mysql') return false;
  const reference = input.string('SourceDBInstanceIdentifier') ?? '';
  const sourceRegion = /^arn:aws[\w-]*:rds:([^:]*):/.exec(reference)?.[1];
  return parseRdsArn(reference) !== undefined && sourceRegion !== undefined && sourceRegion !== region;
}
