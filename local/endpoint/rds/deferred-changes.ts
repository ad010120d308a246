import type { QueryInput } from '../query-protocol';
import type { InstanceRecord } from './state';

/**
 * Changes that ModifyDBInstance and ModifyDBCluster apply only in the next maintenance window unless the
 * request sets ApplyImmediately. Local mode has no maintenance window: such a change waits in
 * PendingModifiedValues until a later request with ApplyImmediately applies it with its own changes, as RDS
 * does ("the modifications in this request and any pending modifications are asynchronously applied as soon
 * as possible").
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html (ApplyImmediately,
// NewDBInstanceIdentifier, DBInstanceClass, AllocatedStorage, StorageType, Iops, StorageThroughput, MultiAZ)
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html (ApplyImmediately)

/** The instance settings RDS defers; a cluster defers only its rename. */
export const DEFERRED_INSTANCE_SETTINGS = [
  'instanceClass',
  'allocatedStorage',
  'storageType',
  'iops',
  'storageThroughput',
  'multiAz',
] as const satisfies readonly (keyof InstanceRecord)[];

/** What a resource has waiting: see `PendingSchema` in state.ts. */
interface Pending {
  identifier?: string;
  settings?: Record<string, unknown>;
}

/**
 * The settings and rename a modification applies now, and what waits afterwards: with ApplyImmediately, the
 * requested ones over the pending ones (nothing waits any more); without, the requested ones minus the
 * deferred changes, which join what waits.
 */
export function applyNowOrDefer<S extends object>(
  input: QueryInput,
  current: object,
  requested: S,
  rename: string | undefined,
  pending: Pending,
  deferrable: readonly string[],
): { settings: S; rename: string | undefined; pending: Pending; deferred: boolean } {
  const settings = { ...requested } as Record<string, unknown>;
  const now = { ...current } as Record<string, unknown>;
  const changed = (key: string) => JSON.stringify(settings[key]) !== JSON.stringify(now[key]);
  if (input.boolean('ApplyImmediately') === true) {
    for (const [key, value] of Object.entries(pending.settings ?? {})) {
      if (!changed(key)) settings[key] = value;
    }
    return {
      settings: settings as S,
      rename: rename ?? pending.identifier,
      pending: { settings: undefined, identifier: undefined },
      deferred: false,
    };
  }
  const deferred = { ...pending.settings };
  const deferrableChanges = deferrable.filter(changed);
  for (const key of deferrableChanges) {
    deferred[key] = settings[key];
    settings[key] = now[key];
  }
  return {
    settings: settings as S,
    rename: undefined,
    pending: {
      settings: Object.keys(deferred).length > 0 ? deferred : undefined,
      identifier: rename ?? pending.identifier,
    },
    deferred: deferrableChanges.length > 0 || rename !== undefined,
  };
}
