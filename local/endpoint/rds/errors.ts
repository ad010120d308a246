import {
  InvalidEngineInputError,
  InvalidServerStateError,
  RestoreWindowError,
  ServerExistsError,
  ServerNotFoundError,
  SnapshotExistsError,
  SnapshotNotFoundError,
} from '../../engines/errors';
import { AwsError } from '../service';

/**
 * The RDS errors the emulator answers, with the codes, HTTP statuses and (where known) the messages of RDS.
 * The SDK turns each code into its exception class: DBInstanceNotFound → DBInstanceNotFoundFault, ...
 */
export const rdsErrors = {
  instanceNotFound: (id: string) => new AwsError('DBInstanceNotFound', `DBInstance ${id} not found.`, 404),
  clusterNotFound: (id: string) => new AwsError('DBClusterNotFoundFault', `DBCluster ${id} not found.`, 404),
  snapshotNotFound: (id: string) => new AwsError('DBSnapshotNotFound', `DBSnapshot not found: ${id}`, 404),
  clusterSnapshotNotFound: (id: string) =>
    new AwsError('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot not found: ${id}`, 404),
  automatedBackupNotFound: (id: string) =>
    new AwsError('DBInstanceAutomatedBackupNotFound', `Automated backups not found for ${id}`, 404),
  instanceExists: (id: string) =>
    new AwsError('DBInstanceAlreadyExists', `DB instance already exists: ${id}`),
  clusterExists: (id: string) =>
    new AwsError('DBClusterAlreadyExistsFault', `DB Cluster already exists: ${id}`),
  snapshotExists: (id: string) =>
    new AwsError(
      'DBSnapshotAlreadyExists',
      `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`,
    ),
  clusterSnapshotExists: (id: string) =>
    new AwsError(
      'DBClusterSnapshotAlreadyExistsFault',
      `Cannot create the cluster snapshot because one with the identifier ${id} already exists.`,
    ),
  instanceState: (message: string) => new AwsError('InvalidDBInstanceState', message),
  clusterState: (message: string) => new AwsError('InvalidDBClusterStateFault', message),
  snapshotState: (message: string) => new AwsError('InvalidDBSnapshotState', message),
  clusterSnapshotState: (message: string) => new AwsError('InvalidDBClusterSnapshotStateFault', message),
  invalidValue: (message: string) => new AwsError('InvalidParameterValue', message),
  invalidCombination: (message: string) => new AwsError('InvalidParameterCombination', message),
  storageTypeNotSupported: (message: string) => new AwsError('StorageTypeNotSupported', message),
  parameterGroupNotFound: (name: string) =>
    new AwsError('DBParameterGroupNotFound', `DBParameterGroup not found: ${name}`, 404),
  clusterParameterGroupNotFound: (name: string) =>
    new AwsError('DBClusterParameterGroupNotFound', `DBClusterParameterGroup not found: ${name}`, 404),
  optionGroupNotFound: (name: string) =>
    new AwsError('OptionGroupNotFoundFault', `Specified OptionGroupName: ${name} not found.`, 404),
  subnetGroupNotFound: (name: string) =>
    new AwsError('DBSubnetGroupNotFoundFault', `DBSubnetGroup '${name}' not found.`, 404),
  parameterGroupExists: (name: string) =>
    new AwsError('DBParameterGroupAlreadyExists', `Parameter group ${name} already exists`),
  optionGroupExists: (name: string) =>
    new AwsError('OptionGroupAlreadyExistsFault', `Option group ${name} already exists.`),
  subnetGroupExists: (name: string) =>
    new AwsError('DBSubnetGroupAlreadyExists', `DB subnet group ${name} already exists.`),
  subnetGroupTooSmall: (message: string) => new AwsError('DBSubnetGroupDoesNotCoverEnoughAZs', message),
  restoreNotEnabled: (id: string) =>
    new AwsError(
      'PointInTimeRestoreNotEnabled',
      `Point-in-time restore is not enabled for ${id}: its backup retention period is 0`,
    ),
};

/**
 * An error of the local engines, thrown while answering a request, as the RDS error a caller can act on.
 * Anything else is left alone (the endpoint answers 500 InternalFailure with its message).
 */
export function fromEngineError(error: unknown): unknown {
  if (error instanceof RestoreWindowError || error instanceof InvalidEngineInputError) {
    return rdsErrors.invalidValue(error.message);
  }
  if (error instanceof InvalidServerStateError) return rdsErrors.instanceState(error.message);
  if (error instanceof ServerNotFoundError || error instanceof SnapshotNotFoundError) {
    return new AwsError(
      'InternalFailure',
      `The local engine lost a server or snapshot: ${error.message}`,
      500,
      false,
    );
  }
  if (error instanceof ServerExistsError || error instanceof SnapshotExistsError) {
    return new AwsError('InternalFailure', `The local engine already has: ${error.message}`, 500, false);
  }
  return error;
}
