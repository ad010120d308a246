import {
  type DBCluster,
  type DBInstance,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  type DeleteDBInstanceCommandInput,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  type RDSClient,
  StartDBClusterCommand,
  StartDBInstanceCommand,
  StopDBClusterCommand,
  StopDBInstanceCommand,
  type Tag,
} from '@aws-sdk/client-rds';
import { findCluster, findInstance, isRefreshable, REFRESHABLE_TAG } from '../shared/aws/rds';
import { GuardError } from '../shared/errors';
import { logger } from '../shared/handler';
import { continuePoll, type PollState, type PollTiming, startPoll } from '../shared/poll';
import { hasReachedStatus } from '../shared/rds-status';
import type { Plan } from '../shared/run/plan';
import { finalSnapshotName, finalSnapshotsKept, keepFinalSnapshots } from './final-snapshots';

/** Where the state machine keeps the retire step's poll state: `$.polls.retire`. */
export const RETIRE_POLL_KEY = 'retire';
/** Where it keeps the poll state of the deletion of an old target kept stopped: `$.polls.deleteOldTarget`. */
export const DELETE_POLL_KEY = 'deleteOldTarget';

const DEFAULT_EXPECTED_SECONDS = 300;
const TIMEOUT_SECONDS = 3 * 3600;

/** Statuses RDS must leave before it accepts a start, a stop or a modification. */
const IN_TRANSITION: ReadonlySet<string> = new Set(['starting', 'stopping']);

/** Errors RDS returns while a resource is busy (modifying, starting, already deleting); the next check tries again. */
const BUSY_ERRORS: ReadonlySet<string> = new Set([
  'InvalidDBInstanceStateFault',
  'InvalidDBClusterStateFault',
]);

/**
 * Retires the old target after a successful swap: deletes it, or keeps it stopped as a way back.
 *
 * Every start and check moves the old target one step further from what it is now (so a re-run
 * picks up where the last one stopped) and touches only the resources the plan names as retired,
 * and only when they carry the refreshable tag.
 * @throws GuardError when a retired resource is not marked refreshable
 */
export async function startRetire(rds: RDSClient, plan: Plan, now: Date): Promise<PollState> {
  await advanceRetire(rds, plan);
  return startPoll(now, retireTiming(plan));
}

/**
 * Checks the retirement and moves it on; done once the old target is gone (or stopped, without its replicas).
 * @throws TerminalStateError when an old target kept stopped is stuck in a terminal status
 * @throws PollTimeoutError past the deadline
 */
export async function checkRetire(
  rds: RDSClient,
  plan: Plan,
  poll: PollState,
  now: Date,
): Promise<PollState> {
  const done = await advanceRetire(rds, plan);
  const what = plan.steps.keepOldTarget ? 'Stopping' : 'Deleting';
  return continuePoll(poll, now, done, `${what} the old target ${describeRetired(plan)}`);
}

/** Deletes the old target, with a final snapshot when the refresh file asks for one. */
export async function startDeletion(rds: RDSClient, plan: Plan, now: Date): Promise<PollState> {
  await advanceDeletion(rds, plan);
  return startPoll(now, retireTiming(plan));
}

/**
 * Checks the deletion and moves it on; done once every retired resource is gone.
 * @throws PollTimeoutError past the deadline
 */
export async function checkDeletion(
  rds: RDSClient,
  plan: Plan,
  poll: PollState,
  now: Date,
): Promise<PollState> {
  const done = await advanceDeletion(rds, plan);
  return continuePoll(poll, now, done, `Deleting the old target ${describeRetired(plan)}`);
}

function advanceRetire(rds: RDSClient, plan: Plan): Promise<boolean> {
  return plan.steps.keepOldTarget ? advanceStop(rds, plan) : advanceDeletion(rds, plan);
}

/** What is left of the old target: the retired resources that still exist. */
interface OldTarget {
  readonly instances: readonly DBInstance[];
  readonly mainInstance?: DBInstance;
  readonly cluster?: DBCluster;
}

/**
 * Takes the next deletion step; true once every retired resource is gone and the final snapshots the
 * refresh file keeps are sorted out (see final-snapshots.ts).
 */
async function advanceDeletion(rds: RDSClient, plan: Plan): Promise<boolean> {
  const old = await lookUp(rds, plan, plan.retired.instances);
  const gone =
    plan.target.kind === 'cluster'
      ? await deleteClusterStep(rds, plan, old)
      : await deleteInstancesStep(rds, plan, old);
  const keep = finalSnapshotsKept(plan);
  return gone && keep !== undefined ? keepFinalSnapshots(rds, plan, keep) : gone;
}

/** RDS: the old read replicas first (so none is promoted when its source goes), then the old target. */
async function deleteInstancesStep(rds: RDSClient, plan: Plan, old: OldTarget): Promise<boolean> {
  for (const replica of old.instances) await deleteInstance(rds, replica, { SkipFinalSnapshot: true });
  if (old.instances.length > 0) return false;
  if (!old.mainInstance) return true;
  await deleteInstance(rds, old.mainInstance, { ...finalSnapshot(plan), ...automatedBackups(plan) });
  return false;
}

/** Aurora: the cluster's members first (a cluster with instances cannot be deleted), then the cluster. */
async function deleteClusterStep(rds: RDSClient, plan: Plan, old: OldTarget): Promise<boolean> {
  const { cluster } = old;
  if (cluster && !(await clusterReadyForDeletion(rds, cluster))) return false;
  for (const member of old.instances) await deleteMember(rds, member);
  if (old.instances.length > 0) return false;
  if (!cluster) return true;
  if (cluster.Status === 'deleting' || !(await onlyRetiredMembersLeft(rds, plan, cluster))) return false;
  const id = cluster.DBClusterIdentifier ?? '';
  await request(id, 'Deleting old cluster', () =>
    rds.send(
      new DeleteDBClusterCommand({
        DBClusterIdentifier: id,
        ...finalSnapshot(plan),
        ...automatedBackups(plan),
      }),
    ),
  );
  return false;
}

/**
 * Gets the old cluster to a state in which its members can be deleted: a stopped cluster is started
 * (its instances cannot be deleted while it is stopped), and deletion protection is turned off (it
 * also keeps a cluster's last instance); each is waited for by the next check.
 */
async function clusterReadyForDeletion(rds: RDSClient, cluster: DBCluster): Promise<boolean> {
  const id = cluster.DBClusterIdentifier ?? '';
  const status = cluster.Status ?? 'unknown';
  if (status === 'deleting') return true;
  if (status === 'stopped') {
    await request(id, 'Starting stopped old cluster to delete it', () =>
      rds.send(new StartDBClusterCommand({ DBClusterIdentifier: id })),
    );
    return false;
  }
  if (IN_TRANSITION.has(status)) return false;
  if (cluster.DeletionProtection) {
    await request(id, 'Turning off deletion protection', () =>
      rds.send(
        new ModifyDBClusterCommand({
          DBClusterIdentifier: id,
          DeletionProtection: false,
          ApplyImmediately: true,
        }),
      ),
    );
    return false;
  }
  return true;
}

/**
 * Whether the old cluster has no members left but the retired ones (gone by now).
 * @throws GuardError when it has an instance the plan does not retire, which dbrefresh must not delete
 */
async function onlyRetiredMembersLeft(rds: RDSClient, plan: Plan, cluster: DBCluster): Promise<boolean> {
  const id = cluster.DBClusterIdentifier ?? '';
  let clear = true;
  for (const member of cluster.DBClusterMembers ?? []) {
    const memberId = member.DBInstanceIdentifier;
    if (memberId === undefined || plan.retired.instances.includes(memberId)) continue;
    const instance = await findInstance(rds, memberId);
    if (!instance) continue;
    if (instance.DBInstanceStatus !== 'deleting') {
      throw new GuardError(
        `Cannot delete the old cluster ${id}: it has the instance ${memberId}, which was added after the refresh planned its retirement. Delete ${memberId} and then the cluster ${id} yourself if they are no longer needed.`,
      );
    }
    clear = false;
  }
  return clear;
}

/** Deletes an Aurora cluster member; Aurora keeps snapshots and deletion protection at the cluster. */
async function deleteMember(rds: RDSClient, member: DBInstance): Promise<void> {
  const id = member.DBInstanceIdentifier ?? '';
  if (member.DBInstanceStatus === 'deleting') return;
  await request(id, 'Deleting old cluster member', () =>
    rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id })),
  );
}

type SnapshotChoice = Pick<
  DeleteDBInstanceCommandInput,
  'SkipFinalSnapshot' | 'FinalDBSnapshotIdentifier' | 'DeleteAutomatedBackups'
>;

/**
 * Deletes an RDS instance, one step per check. A stopped instance is started first when its deletion needs
 * it running: RDS turns deletion protection off only on a running instance ("You can't modify a stopped DB
 * instance", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StopInstance.html) and refuses to
 * delete a protected one, and it takes a final snapshot only of an available one ("You can't create a final
 * DB snapshot of your DB instance if it isn't in the Available state",
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html). Each change is waited
 * for by the next check.
 */
async function deleteInstance(rds: RDSClient, instance: DBInstance, snapshot: SnapshotChoice): Promise<void> {
  const id = instance.DBInstanceIdentifier ?? '';
  const status = instance.DBInstanceStatus ?? 'unknown';
  if (status === 'deleting') return;
  const protection = instance.DeletionProtection === true;
  if (protection || snapshot.FinalDBSnapshotIdentifier !== undefined) {
    if (status === 'stopped') {
      const why = protection ? 'turn off its deletion protection' : 'take its final snapshot';
      await request(id, `Starting stopped instance to ${why}`, () =>
        rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: id })),
      );
      return;
    }
    if (IN_TRANSITION.has(status)) return;
  }
  if (protection) {
    await request(id, 'Turning off deletion protection', () =>
      rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: id,
          DeletionProtection: false,
          ApplyImmediately: true,
        }),
      ),
    );
    return;
  }
  const action = snapshot.FinalDBSnapshotIdentifier
    ? `Deleting old instance after a final snapshot ${snapshot.FinalDBSnapshotIdentifier}`
    : 'Deleting old instance';
  await request(id, action, () =>
    rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, ...snapshot })),
  );
}

/** The final snapshot of the old target, taken only when the refresh file asks for one. */
function finalSnapshot(plan: Plan): { SkipFinalSnapshot: boolean; FinalDBSnapshotIdentifier?: string } {
  if (finalSnapshotsKept(plan) === undefined || plan.retired.main === null)
    return { SkipFinalSnapshot: true };
  return { SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: finalSnapshotName(plan.retired.main) };
}

/**
 * The old target's automated backups go with it unless the refresh file keeps them: an old copy of
 * non-production data has no use once the refresh succeeded. RDS keeps retained backups "for the retention
 * period that is in effect for the DB instance at the time when you delete it"
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html); DeleteDBInstance and
 * DeleteDBCluster both take DeleteAutomatedBackups
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBCluster.html).
 */
function automatedBackups(plan: Plan): { DeleteAutomatedBackups: boolean } {
  return { DeleteAutomatedBackups: plan.file.oldTarget?.keepAutomatedBackups !== true };
}

/**
 * Takes the next step towards an old target kept stopped; true once it is stopped.
 * RDS cannot stop an instance that has read replicas, so they are deleted first; an Aurora
 * cluster's instances stop with it.
 */
async function advanceStop(rds: RDSClient, plan: Plan): Promise<boolean> {
  if (plan.target.kind === 'cluster') {
    const { cluster } = await lookUp(rds, plan, []);
    if (!cluster) return true;
    const id = cluster.DBClusterIdentifier ?? '';
    return stopWhenAvailable(id, cluster.Status, () =>
      rds.send(new StopDBClusterCommand({ DBClusterIdentifier: id })),
    );
  }
  const old = await lookUp(rds, plan, plan.retired.instances);
  for (const replica of old.instances) await deleteInstance(rds, replica, { SkipFinalSnapshot: true });
  if (old.instances.length > 0) return false;
  if (!old.mainInstance) return true;
  const id = old.mainInstance.DBInstanceIdentifier ?? '';
  return stopWhenAvailable(id, old.mainInstance.DBInstanceStatus, () =>
    rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: id })),
  );
}

async function stopWhenAvailable(
  id: string,
  status: string | undefined,
  stop: () => Promise<unknown>,
): Promise<boolean> {
  if (hasReachedStatus(id, status, 'stopped')) return true;
  if (status === 'available') {
    await request(id, 'Stopping old target', stop);
  }
  return false;
}

/**
 * The retired resources that still exist, each checked against the guards.
 * @throws GuardError when one of them is not marked refreshable, or the plan names a refreshed resource as retired
 */
async function lookUp(rds: RDSClient, plan: Plan, instanceIds: readonly string[]): Promise<OldTarget> {
  assertRetiresOnlyOldResources(plan);
  const instances: DBInstance[] = [];
  for (const id of instanceIds) {
    const instance = await findInstance(rds, id);
    if (!instance) continue;
    assertRefreshable('DB instance', id, instance.TagList);
    instances.push(instance);
  }
  const main = plan.retired.main;
  if (main === null) return { instances };
  if (plan.target.kind === 'cluster') {
    const cluster = await findCluster(rds, main);
    if (cluster) assertRefreshable('DB cluster', main, cluster.TagList);
    return { instances, cluster };
  }
  const mainInstance = await findInstance(rds, main);
  if (mainInstance) assertRefreshable('DB instance', main, mainInstance.TagList);
  return { instances, mainInstance };
}

function assertRefreshable(what: string, id: string, tags: readonly Tag[] | undefined): void {
  if (isRefreshable(tags ?? [])) return;
  throw new GuardError(
    `Refusing to delete or stop the old target's ${what} ${id}: it does not carry the tag ${REFRESHABLE_TAG.Key}=${REFRESHABLE_TAG.Value} that marks databases dbrefresh may replace. Check that ${id} is the old target, then retire it yourself or add the tag and re-run.`,
  );
}

/** A last check against a faulty plan: the refreshed target and its new instances are never retired. */
function assertRetiresOnlyOldResources(plan: Plan): void {
  const refreshed = new Set([plan.target.id, plan.target.temporaryId]);
  for (const member of [plan.writer, ...plan.replicas]) {
    if (member) refreshed.add(member.id).add(member.finalId);
  }
  const clash = [...plan.retired.instances, plan.retired.main].find((id) => id !== null && refreshed.has(id));
  if (clash) {
    throw new GuardError(
      `Refusing to retire ${clash}: the plan names it both as part of the refreshed target and as retired. This is a bug in the plan; nothing was deleted.`,
    );
  }
}

/** Sends an RDS request that the resource may not accept yet (busy, already deleting); the next check tries again. */
async function request(id: string, action: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
    logger.info(action, { resource: id });
  } catch (error: unknown) {
    if (!(error instanceof Error && BUSY_ERRORS.has(error.name))) throw error;
    logger.info(`${action}: not accepted yet, trying again at the next check`, {
      resource: id,
      reason: error.message,
    });
  }
}

function retireTiming(plan: Plan): PollTiming {
  return {
    expectedSeconds: plan.expectedSeconds.retire ?? DEFAULT_EXPECTED_SECONDS,
    timeoutSeconds: TIMEOUT_SECONDS,
  };
}

function describeRetired(plan: Plan): string {
  return [plan.retired.main, ...plan.retired.instances].filter((id) => id !== null).join(', ') || '(none)';
}
