import type { RDSClient } from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { renameResource, setDeletionProtection } from '../shared/aws/rds-modify';
import { renameState } from '../shared/aws/rename-state';
import { promotePendingVersion } from '../shared/aws/secrets';
import { GuardError } from '../shared/errors';
import { logger } from '../shared/handler';
import { continuePoll, type PollState, startPoll } from '../shared/poll';
import { hasReachedStatus } from '../shared/rds-status';
import type { Plan } from '../shared/run/plan';
import { applyPublicAccess } from './public-access';

const STEP = 'Swap names';
const TIMEOUT_SECONDS = 2 * 3600;

export interface SwapClients {
  readonly rds: RDSClient;
  readonly secrets: SecretsManagerClient;
}

/**
 * Starts the swap. The renames themselves are issued by the checks, one at a time, each once the
 * previous one has finished: RDS refuses to rename a resource that is not available.
 */
export async function startSwap(clients: SwapClients, plan: Plan, now: Date): Promise<PollState> {
  const poll = startPoll(now, { expectedSeconds: 1, timeoutSeconds: TIMEOUT_SECONDS });
  return advanceSwap(clients, plan, { ...poll, position: 0 }, now, false);
}

export function checkSwap(clients: SwapClients, plan: Plan, poll: PollState, now: Date): Promise<PollState> {
  return advanceSwap(clients, plan, poll, now, true);
}

/**
 * Moves the swap forward as far as it can without waiting: renames already applied are skipped (so a
 * re-run is harmless), the next one is issued when its resource is available. After the last rename the
 * target gets its public accessibility back (waited for), then its own deletion protection, and the new
 * admin password becomes the secret's current one.
 */
async function advanceSwap(
  clients: SwapClients,
  plan: Plan,
  poll: PollState,
  now: Date,
  isCheck: boolean,
): Promise<PollState> {
  let position = poll.position ?? 0;
  const pending = (waitSeconds: number) => {
    const next = isCheck ? continuePoll(poll, now, false, STEP, { intervalSeconds: 10 }) : poll;
    return { ...next, waitSeconds: Math.min(next.waitSeconds, waitSeconds), position };
  };
  while (position < plan.renames.length) {
    const rename = plan.renames[position];
    if (!rename) break;
    const state = await renameState(clients.rds, rename, plan.runId);
    if (state.stage === 'applied') {
      if (!hasReachedStatus(rename.to, state.to.status)) return pending(10);
      position += 1;
      continue;
    }
    if (state.stage === 'conflict') {
      throw new GuardError(
        `Cannot rename ${rename.kind} ${rename.from} to ${rename.to}: another ${rename.kind} named ${rename.to} ` +
          'already exists. Rename or delete it, then start the refresh again',
      );
    }
    if (state.stage === 'absent') {
      // RDS shows a resource under its new name as soon as a rename is accepted; nothing under
      // either name means it is still being created or renamed. The deadline bounds the wait.
      return pending(10);
    }
    if (!hasReachedStatus(rename.from, state.from.status)) return pending(15);
    logger.info('Renaming', { kind: rename.kind, from: rename.from, to: rename.to });
    await renameResource(clients.rds, rename.kind, rename.from, rename.to);
    return pending(30);
  }
  if (!(await applyPublicAccess(clients.rds, plan))) return pending(10);
  await finishSwap(clients, plan);
  return { ...continuePoll(poll, now, true, STEP), position };
}

async function finishSwap(clients: SwapClients, plan: Plan): Promise<void> {
  if (plan.file.target.deletionProtection) {
    await setDeletionProtection(clients.rds, plan.target.kind, plan.target.id, true);
  }
  if (!plan.adminPassword.managed) {
    await promotePendingVersion(clients.secrets, plan.adminPassword.secretName, plan.runId);
  }
}
