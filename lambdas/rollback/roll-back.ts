import type { RDSClient } from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createdByRun, findResource, type RdsResource } from '../shared/aws/rds';
import { deleteRunResource, renameResource, setDeletionProtection } from '../shared/aws/rds-modify';
import { renameState } from '../shared/aws/rename-state';
import { restoreVersionAtStart } from '../shared/aws/secrets';
import { logger } from '../shared/handler';
import { continuePoll, type PollState, startPoll } from '../shared/poll';
import { hasReachedStatus, TERMINAL_STATUSES } from '../shared/rds-status';
import type { Plan, ResourceKind } from '../shared/run/plan';

const STEP = 'Roll back';
const TIMEOUT_SECONDS = 3 * 3600;

export interface RollbackClients {
  readonly rds: RDSClient;
  readonly secrets: SecretsManagerClient;
}

export function startRollback(clients: RollbackClients, plan: Plan, now: Date): Promise<PollState> {
  const poll = startPoll(now, { expectedSeconds: 1, timeoutSeconds: TIMEOUT_SECONDS });
  return advanceRollback(clients, plan, poll, now, false);
}

export function checkRollback(
  clients: RollbackClients,
  plan: Plan,
  poll: PollState,
  now: Date,
): Promise<PollState> {
  return advanceRollback(clients, plan, poll, now, true);
}

/**
 * Puts everything back as it was before the run, judging only from what exists now, so it is safe
 * at any point of the refresh and on re-runs:
 * 1. read replicas this run created from the new target are deleted (they hold the final names);
 * 2. the swap is undone, last rename first, so the target's name serves the old data again;
 * 3. the secret's current version goes back to the one the old target uses;
 * 4. the copy and its instances are deleted, and the rollback waits until they are gone.
 * It deletes only resources that carry this run's tag, never the target.
 */
async function advanceRollback(
  clients: RollbackClients,
  plan: Plan,
  poll: PollState,
  now: Date,
  isCheck: boolean,
): Promise<PollState> {
  const pending = () => (isCheck ? continuePoll(poll, now, false, STEP, { intervalSeconds: 15 }) : poll);
  const rdsReplicas = plan.file.service === 'rds' ? plan.replicas.map((replica) => replica.finalId) : [];
  if (!(await removeRunInstances(clients.rds, plan, 'instance', rdsReplicas))) return pending();
  if (!(await undoLastRename(clients.rds, plan))) return pending();
  // Once the old target has its name back, its password must be the secret's current one again.
  // A problem with the secret fails the rollback only after the databases are back in place.
  if (!plan.adminPassword.managed) {
    await restoreVersionAtStart(
      clients.secrets,
      plan.adminPassword.secretName,
      plan.adminPassword.versionAtStart,
      plan.runId,
    );
  }
  const members = plan.file.service === 'aurora' ? [plan.writer?.id, ...plan.replicas.map((r) => r.id)] : [];
  if (!(await removeRunInstances(clients.rds, plan, 'instance', members.filter(isString)))) return pending();
  if (!(await removeRunInstances(clients.rds, plan, plan.target.kind, [plan.target.temporaryId])))
    return pending();
  return continuePoll(poll, now, true, STEP);
}

/**
 * Undoes the last applied rename of the swap; true when none is left to undo. Like the swap, it waits for
 * each rename to finish before sending the next: a name is only free for reuse once RDS is done with it.
 */
async function undoLastRename(rds: RDSClient, plan: Plan): Promise<boolean> {
  for (const rename of [...plan.renames].reverse()) {
    const state = await renameState(rds, rename, plan.runId);
    if (state.stage === 'pending' && state.from.status === 'renaming') return false;
    if (state.stage !== 'applied') continue;
    if (!hasReachedStatus(rename.to, state.to.status)) return false;
    logger.info('Renaming back', { kind: rename.kind, from: rename.to, to: rename.from });
    await renameResource(rds, rename.kind, rename.to, rename.from);
    return false;
  }
  return true;
}

/**
 * Deletes the named resources that this run created and reports whether all of them are gone.
 * A resource under one of these names that the run did not create is left alone.
 */
async function removeRunInstances(
  rds: RDSClient,
  plan: Plan,
  kind: ResourceKind,
  ids: readonly string[],
): Promise<boolean> {
  let allGone = true;
  for (const id of ids) {
    const resource = await findResource(rds, kind, id);
    if (!resource || !createdByRun(resource.tags, plan.runId)) continue;
    allGone = false;
    await deleteWhenPossible(rds, resource);
  }
  return allGone;
}

/** Statuses in which RDS accepts a delete; while creating, renaming or modifying it refuses, so wait. */
const DELETABLE_STATUSES: ReadonlySet<string> = new Set(['available', 'stopped', ...TERMINAL_STATUSES]);

async function deleteWhenPossible(rds: RDSClient, resource: RdsResource): Promise<void> {
  if (!DELETABLE_STATUSES.has(resource.status)) return;
  logger.info('Deleting', { kind: resource.kind, id: resource.id, status: resource.status });
  if (resource.deletionProtection) await setDeletionProtection(rds, resource.kind, resource.id, false);
  await deleteRunResource(rds, resource.kind, resource.id);
}

function isString(value: string | undefined): value is string {
  return value !== undefined;
}
