import { rdsErrors } from '../errors';
import {
  findOptionGroup,
  findParameterGroup,
  findSubnetGroup,
  majorVersion,
  parameterGroupFamily,
} from '../groups';
import type { RdsState } from '../state';

/**
 * The groups a DB instance or cluster names must exist, and its parameter and option groups must be for the
 * engine and major version it runs (for a restore: the version the restore will have).
 */

/** What the rules compare a group with: the engine and the version the resource will run. */
export interface EngineVersion {
  readonly engine: string;
  readonly engineVersion: string;
}

/**
 * A DB parameter group must exist and be of the family of the instance's engine version.
 * @throws AwsError DBParameterGroupNotFound, or InvalidParameterCombination naming the family to use
 */
// "If supplied, must match the name of an existing DB parameter group"; "can be applied only to a DB instance
// running a database engine and engine version compatible with that DB parameter group family".
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html
export function checkParameterGroup(state: RdsState, name: string, target: EngineVersion): void {
  const group = findParameterGroup(state, 'instance', name);
  if (!group) throw rdsErrors.parameterGroupNotFound(name);
  checkFamily('parameter group', group, target);
}

/**
 * A DB cluster parameter group must exist and be of the family of the cluster's engine version.
 * @throws AwsError DBClusterParameterGroupNotFound, or InvalidParameterCombination naming the family to use
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBClusterParameterGroup.html
export function checkClusterParameterGroup(state: RdsState, name: string, target: EngineVersion): void {
  const group = findParameterGroup(state, 'cluster', name);
  if (!group) throw rdsErrors.clusterParameterGroupNotFound(name);
  checkFamily('cluster parameter group', group, target);
}

function checkFamily(noun: string, group: { name: string; family: string }, target: EngineVersion): void {
  const family = parameterGroupFamily(target.engine, target.engineVersion);
  if (group.family !== family) {
    throw rdsErrors.invalidCombination(
      `The ${noun} ${group.name} with DBParameterGroupFamily ${group.family} can't be used for ${target.engine} ` +
        `${target.engineVersion}. Use a ${noun} with DBParameterGroupFamily ${family}.`,
    );
  }
}

/**
 * An option group must exist and be for the instance's engine and major version.
 * @throws AwsError OptionGroupNotFoundFault, or InvalidParameterCombination naming the engine version it is for
 */
// EngineName and MajorEngineVersion: "the engine ... and the major version ... this option group should be
// associated with". https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateOptionGroup.html
export function checkOptionGroup(state: RdsState, name: string, target: EngineVersion): void {
  const group = findOptionGroup(state, name);
  if (!group) throw rdsErrors.optionGroupNotFound(name);
  const major = majorVersion(target.engine, target.engineVersion);
  if (group.engine !== target.engine || group.majorVersion !== major) {
    throw rdsErrors.invalidCombination(
      `The option group ${group.name} is for ${group.engine} ${group.majorVersion}; it can't be used for ` +
        `${target.engine} ${target.engineVersion}. Use an option group for ${target.engine} ${major}.`,
    );
  }
}

/**
 * A DB subnet group must exist.
 * @throws AwsError DBSubnetGroupNotFoundFault
 */
// DBSubnetGroupName: "Must match the name of an existing DB subnet group."
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html
export function checkSubnetGroup(state: RdsState, name: string): void {
  if (!findSubnetGroup(state, name)) throw rdsErrors.subnetGroupNotFound(name);
}
