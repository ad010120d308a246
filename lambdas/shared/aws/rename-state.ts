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
 * A retired resource's old name may already serve this run's resource again (the copy under the target's
 * name, after a later rename): that rename was applied too, not a conflict.
 */
export async function renameState(rds: RDSClient, rename: Rename, runId: string): Promise<RenameState> {
  const [from, to] = await Promise.all([
    findResource(rds, rename.kind, rename.from),
    findResource(rds, rename.kind, rename.to),
  ]);
  const retires = rename.to.endsWith(`-${runId}`);
  const toIsOurs = to !== undefined && (retires || createdByRun(to.tags, runId));
  const leftFrom = !from || (retires && createdByRun(from.tags, runId));
  if (to && toIsOurs && leftFrom) return { stage: 'applied', to };
  if (from && to) return { stage: 'conflict', from, to };
  if (from) return { stage: 'pending', from };
  return { stage: 'absent' };
}
