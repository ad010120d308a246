import type { QueryInput } from '../../query-protocol';
import { rdsErrors } from '../errors';

/** DB instance classes, placement, and when an instance takes a modification. */

const INSTANCE_CLASS = /^db\.[a-z0-9-]+\.[a-z0-9]+$/;
/** Aurora runs on memory-optimized classes, burstable ones from medium, and Serverless v2 (db.serverless). */
// https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.DBInstanceClass.html
const AURORA_CLASS = /^db\.(serverless|(r|x)\d[a-z0-9-]*\.[a-z0-9]+|t[34]g?\.(medium|large))$/;

/**
 * @throws AwsError InvalidParameterCombination for a class the engine does not run on
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.html
export function checkInstanceClass(engine: string, instanceClass: string, aurora: boolean): void {
  const valid = aurora ? AURORA_CLASS.test(instanceClass) : INSTANCE_CLASS.test(instanceClass);
  if (!valid) {
    throw rdsErrors.invalidCombination(
      `RDS does not support creating a DB instance with the following combination: DBInstanceClass=${instanceClass}, ` +
        `Engine=${engine}. ${aurora ? 'Aurora runs on db.serverless, db.r*, db.x* and db.t3/db.t4g medium or large classes.' : 'Use a class like db.t4g.medium.'}`,
    );
  }
}

/**
 * A db.serverless instance joins only a cluster with a Serverless v2 capacity range.
 * @throws AwsError InvalidParameterCombination naming the fix
 */
// "Clusters that use Aurora Serverless v2 must have a capacity range specified"
// https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.requirements.html#aurora-serverless-v2.requirements.capacity-range
export function checkServerlessMember(
  instanceClass: string,
  clusterId: string,
  hasCapacityRange: boolean,
): void {
  if (instanceClass === 'db.serverless' && !hasCapacityRange) {
    throw rdsErrors.invalidCombination(
      `DB cluster ${clusterId} has no ServerlessV2ScalingConfiguration: set its capacity range (ModifyDBCluster) ` +
        'before adding a db.serverless instance.',
    );
  }
}

/**
 * A Multi-AZ instance is placed by RDS: the request can't name its Availability Zone.
 * @throws AwsError InvalidParameterCombination
 */
// MultiAZ: "You can't set the AvailabilityZone parameter if the DB instance is a Multi-AZ deployment."
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html
export function checkPlacement(input: QueryInput): void {
  if (input.boolean('MultiAZ') === true && input.has('AvailabilityZone')) {
    throw rdsErrors.invalidCombination(
      'Requesting a specific availability zone is not valid for Multi-AZ instances. Leave AvailabilityZone out.',
    );
  }
}

/** What a stopped instance still takes: a new parameter or option group, applied when it starts. */
const STOPPED_CHANGES = new Set([
  'DBInstanceIdentifier',
  'ApplyImmediately',
  'DBParameterGroupName',
  'OptionGroupName',
]);

/**
 * "You can't modify a stopped DB instance", except its parameter and option groups.
 * @throws AwsError InvalidDBInstanceState naming the fix
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StopInstance.html#USER_StopInstance.Limitations
export function checkModifiable(identifier: string, status: string, input: QueryInput): void {
  if (!['stopped', 'stopping', 'starting'].includes(status)) return;
  const changes = Object.keys(input.values).filter((name) => !STOPPED_CHANGES.has(name));
  if (changes.length > 0) {
    throw rdsErrors.instanceState(
      `Instance ${identifier} is ${status} and can't be modified (${changes.join(', ')}); start it first (StartDBInstance).`,
    );
  }
}
