import type { AwsError } from '../../service';
import { rdsErrors } from '../errors';
import { checkIdentifier, snapshotIdentifier } from '../identifiers';

/** DeleteDBInstance and DeleteDBCluster: the final snapshot a deletion asks for, or its absence. */

/** SkipFinalSnapshot and FinalDBSnapshotIdentifier of a deletion. */
export interface FinalSnapshotRequest {
  readonly skip: boolean;
  readonly reference?: string;
}

/** What about the resource decides whether it may have a final snapshot. */
export interface DeletionSituation {
  readonly arnType: 'snapshot' | 'cluster-snapshot';
  /** Set for a read replica: it is deleted without a final snapshot. */
  readonly readReplica?: boolean;
  /** The failed status the resource shows, if any: it is deleted without a final snapshot. */
  readonly failedStatus?: string;
  readonly stateError: (message: string) => AwsError;
}

/**
 * The identifier of the final snapshot a deletion takes, or undefined when it skips it.
 * @throws AwsError InvalidParameterCombination, InvalidParameterValue or the state error, naming the fix
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBCluster.html
export function finalSnapshotIdentifier(
  request: FinalSnapshotRequest,
  situation: DeletionSituation,
): string | undefined {
  const { skip, reference } = request;
  // "If you enable this parameter and also enable SkipFinalShapshot, the command results in an error."
  if (skip && reference !== undefined) {
    throw rdsErrors.invalidCombination(
      'FinalDBSnapshotIdentifier cannot be specified when SkipFinalSnapshot is true.',
    );
  }
  // FinalDBSnapshotIdentifier "Can't be specified when deleting a read replica"; SkipFinalSnapshot: "If you
  // delete a read replica ..., you must enable this setting."
  if (situation.readReplica && !skip) {
    throw rdsErrors.invalidCombination(
      'A read replica is deleted without a final snapshot: set SkipFinalSnapshot and leave FinalDBSnapshotIdentifier out.',
    );
  }
  // "When a DB instance is in a failure state and has a status of failed, incompatible-restore, or
  // incompatible-network, RDS can delete the instance only if you enable this parameter."
  if (situation.failedStatus !== undefined && !skip) {
    throw situation.stateError(
      `The resource is ${situation.failedStatus}: it can be deleted only with SkipFinalSnapshot, without a final snapshot.`,
    );
  }
  if (skip) return undefined;
  // "If you don't enable this parameter, you must specify the FinalDBSnapshotIdentifier parameter."
  if (reference === undefined) {
    throw rdsErrors.invalidCombination(
      'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.',
    );
  }
  // "Must be 1 to 255 letters, numbers, or hyphens. First character must be a letter. Can't end with a hyphen
  // or contain two consecutive hyphens."
  const identifier = snapshotIdentifier('FinalDBSnapshotIdentifier', reference, situation.arnType);
  checkIdentifier('FinalDBSnapshotIdentifier', identifier, 255);
  return identifier;
}
