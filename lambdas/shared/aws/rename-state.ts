import type { RDSClient } from '@aws-sdk/client-rds';
import type { Rename } from '../run/plan';
import { createdByRun, findResource, type RdsResource } from './rds';

/** Where a rename of the swap stands, judged from what exists under each name. */
export type RenameState =
  | { readonly stage: 'pending'; readonly from: RdsResource }
  | { readonly stage: 'applied'; readonly to: RdsResource }
  | { readonly stage: 'absent' }
  | { readonly stage: 'conflict'; readonly from: RdsResource; readonly to: RdsResource };

/**
 * Reads where `rename` stands. It counts as applied only when the resource now under `to` is this run's:
 * a retired name contains the run id, and the copy carries the run tag. So a name that merely exists
 * (the old target, before its own rename) is never mistaken for a finished rename.
 */
export async function renameState(rds: RDSClient, rename: Rename, runId: string): Promise<RenameState> {
  const [from, to] = await Promise.all([
    findResource(rds, rename.kind, rename.from),
    findResource(rds, rename.kind, rename.to),
  ]);
  const toIsOurs = to !== undefined && (rename.to.endsWith(`-${runId}`) || createdByRun(to.tags, runId));
  if (to && toIsOurs && !from) return { stage: 'applied', to };
  if (from && to) return { stage: 'conflict', from, to };
  if (from) return { stage: 'pending', from };
  return { stage: 'absent' };
}
