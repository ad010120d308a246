import {
  CreateDBInstanceReadReplicaCommand,
  type CreateDBInstanceReadReplicaCommandInput,
  type DBInstance,
  ModifyDBInstanceCommand,
  type RDSClient,
  RebootDBInstanceCommand,
  type Tag,
} from '@aws-sdk/client-rds';
import { createdByRun, findInstance } from '../shared/aws/rds';
import { DbRefreshError, GuardError } from '../shared/errors';
import { logger } from '../shared/handler';
import { continuePoll, type PollState, startPoll } from '../shared/poll';
import { hasReachedStatus } from '../shared/rds-status';
import type { NewInstance, Plan } from '../shared/run/plan';

/** Where the state machine keeps this step's poll state: `$.polls.replicas`. */
export const REPLICAS_POLL_KEY = 'replicas';

const DEFAULT_EXPECTED_SECONDS = 600;
const TIMEOUT_SECONDS = 4 * 3600;

/**
 * Creates the RDS read replicas of the refreshed target, under their final names.
 *
 * The swap renamed the old replicas away, so each name should be free; a replica that already exists
 * and carries this run's tag was created by an earlier attempt of this step and is left alone.
 * @throws GuardError when a replica's name is taken by an instance this run did not create
 */
export async function startReplicas(rds: RDSClient, plan: Plan, now: Date): Promise<PollState> {
  const template = replicaTemplate(plan);
  for (const replica of plan.replicas) {
    const existing = await findInstance(rds, replica.finalId);
    if (existing) {
      assertCreatedByRun(replica.finalId, existing.TagList ?? [], plan.runId);
      logger.info('Read replica already created by this run', { replica: replica.finalId });
      continue;
    }
    await createReplica(rds, plan, replica, template);
  }
  return startPoll(now, {
    expectedSeconds: plan.expectedSeconds.replicas ?? DEFAULT_EXPECTED_SECONDS,
    timeoutSeconds: TIMEOUT_SECONDS,
  });
}

/**
 * Checks whether every read replica is available with the target's parameter group in effect, and moves
 * each one on: a replica created without the group (see replicaTemplate) gets it by ModifyDBInstance, then
 * a reboot when RDS reports it pending one.
 * @throws TerminalStateError when a replica is stuck in a terminal status
 * @throws DbRefreshError when RDS failed to apply the parameter group to a replica
 * @throws PollTimeoutError past the deadline
 */
export async function checkReplicas(
  rds: RDSClient,
  plan: Plan,
  poll: PollState,
  now: Date,
): Promise<PollState> {
  let done = true;
  for (const replica of plan.replicas) {
    const instance = await findInstance(rds, replica.finalId);
    if (!instance) {
      throw new DbRefreshError(
        `Read replica ${replica.finalId} of ${plan.target.id} is gone although this step created it: something deleted it while it was being created. Re-run the refresh.`,
      );
    }
    if (!hasReachedStatus(replica.finalId, instance.DBInstanceStatus)) done = false;
    else if (!(await parameterGroupInEffect(rds, instance, targetParameterGroup(plan)))) done = false;
  }
  const names = plan.replicas.map((replica) => replica.finalId).join(', ');
  return continuePoll(poll, now, done, `Creating read replicas ${names} of ${plan.target.id}`);
}

/**
 * Whether an available replica runs with `wanted`; if not, takes the next step towards it. "When you
 * associate a new DB parameter group with a DB instance, RDS applies the modified static and dynamic
 * parameters only after the DB instance is rebooted"
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_RebootInstance.html), and RDS reports that
 * as the group's ParameterApplyStatus "pending-reboot"
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBParameterGroupStatus.html).
 */
async function parameterGroupInEffect(
  rds: RDSClient,
  instance: DBInstance,
  wanted: string | undefined,
): Promise<boolean> {
  const id = instance.DBInstanceIdentifier ?? '';
  const group = instance.DBParameterGroups?.[0];
  if (wanted === undefined || group === undefined) return true;
  if (group.DBParameterGroupName !== wanted) {
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: id,
        DBParameterGroupName: wanted,
        ApplyImmediately: true,
      }),
    );
    logger.info('Applying the target parameter group to read replica', {
      replica: id,
      parameterGroup: wanted,
    });
    return false;
  }
  switch (group.ParameterApplyStatus) {
    case 'pending-reboot':
      await rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: id }));
      logger.info('Rebooting read replica so its parameter group takes effect', { replica: id });
      return false;
    case 'failed-to-apply':
      throw new DbRefreshError(
        `RDS could not apply the parameter group ${wanted} to read replica ${id} (failed-to-apply); check the group's parameters against the replica's class and engine, then re-run the refresh.`,
      );
    case 'applying':
      return false;
    default:
      return true;
  }
}

/** The DB parameter group the replicas get: the target's, which the refresh file or the live target names. */
function targetParameterGroup(plan: Plan): string | undefined {
  return plan.file.service === 'rds' ? plan.file.target.parameterGroup : undefined;
}

type ReplicaSettings = Omit<
  CreateDBInstanceReadReplicaCommandInput,
  'DBInstanceIdentifier' | 'DBInstanceClass' | 'Port'
>;

/**
 * The settings every replica shares: the target as source, the run's tags, the target's network, public
 * accessibility and CA certificate. The
 * target's parameter group is named only where RDS accepts it on CreateDBInstanceReadReplica: "Specifying a
 * parameter group for this operation is only supported for MySQL DB instances for cross-Region read
 * replicas, for Multi-AZ DB cluster read replica instances, for Db2 DB instances, and for Oracle DB
 * instances" (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html).
 * dbrefresh's replicas are same-Region instance replicas, so only Oracle's name it; the others take their
 * source's group ("Amazon RDS uses the DBParameterGroup of the source DB instance for a same Region read
 * replica"), and checkReplicas applies the target's group if that differs.
 */
function replicaTemplate(plan: Plan): ReplicaSettings {
  if (plan.file.service !== 'rds' || plan.target.kind !== 'instance') {
    throw new DbRefreshError(
      `Read replicas are created after the swap for RDS instances only, but the target ${plan.target.id} is an Aurora ${plan.target.kind}, whose readers are created before the swap; the state machine must skip this step (plan.steps.replicas is ${plan.steps.replicas}).`,
    );
  }
  const target = plan.file.target;
  return {
    SourceDBInstanceIdentifier: plan.target.id,
    Tags: plan.tags,
    DBSubnetGroupName: target.subnetGroup,
    VpcSecurityGroupIds: target.securityGroupIds,
    DBParameterGroupName: plan.engineFamily === 'oracle' ? target.parameterGroup : undefined,
    CopyTagsToSnapshot: target.copyTagsToSnapshot,
    // Created after the swap from the masked target, so as reachable as the target is.
    PubliclyAccessible: target.publiclyAccessible ?? false,
    CACertificateIdentifier: target.caCertificate,
  };
}

async function createReplica(
  rds: RDSClient,
  plan: Plan,
  replica: NewInstance,
  template: ReplicaSettings,
): Promise<void> {
  try {
    await rds.send(
      new CreateDBInstanceReadReplicaCommand({
        ...template,
        DBInstanceIdentifier: replica.finalId,
        DBInstanceClass: replica.instanceClass,
        Port: replica.port,
      }),
    );
    logger.info('Creating read replica', { replica: replica.finalId, source: plan.target.id });
  } catch (error: unknown) {
    if (!(error instanceof Error && error.name === 'DBInstanceAlreadyExistsFault')) throw error;
    // A concurrent attempt of this step created it between our describe and create.
    const existing = await findInstance(rds, replica.finalId);
    assertCreatedByRun(replica.finalId, existing?.TagList ?? [], plan.runId);
  }
}

function assertCreatedByRun(id: string, tags: readonly Tag[], runId: string): void {
  if (createdByRun(tags, runId)) return;
  throw new GuardError(
    `Cannot create read replica ${id}: a DB instance with that name already exists and was not created by run ${runId}. Rename or delete that instance, or remove the replica from the refresh file, then re-run.`,
  );
}
