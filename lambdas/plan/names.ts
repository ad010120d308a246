import { retiredName, temporaryName } from '../shared/naming';
import type { NewInstance, Rename } from '../shared/run/plan';

interface MemberNames {
  readonly runId: string;
  readonly targetId: string;
  readonly targetExists: boolean;
}

export interface SwapNames {
  readonly writer: NewInstance | null;
  readonly replicas: NewInstance[];
  readonly renames: Rename[];
  readonly retired: { instances: string[]; main: string | null };
}

/**
 * RDS: the old read replicas and the old target move to retired names, then the copy takes the
 * target's name; new read replicas are created from it after the swap, under their final names.
 */
export function instanceSwapNames(
  names: MemberNames,
  liveReplicas: readonly string[],
  newReplicas: readonly { instance: string; instanceClass: string; port?: number }[],
): SwapNames {
  const { runId, targetId } = names;
  const retiredReplicas = liveReplicas.map((id) => ({
    kind: 'instance' as const,
    from: id,
    to: retiredName(id, runId),
  }));
  const oldTarget = names.targetExists
    ? [{ kind: 'instance' as const, from: targetId, to: retiredName(targetId, runId) }]
    : [];
  return {
    writer: null,
    replicas: newReplicas.map((replica) => ({
      id: replica.instance,
      finalId: replica.instance,
      instanceClass: replica.instanceClass,
      ...(replica.port !== undefined && { port: replica.port }),
    })),
    renames: [
      ...retiredReplicas,
      ...oldTarget,
      { kind: 'instance', from: temporaryName(targetId, runId), to: targetId },
    ],
    retired: {
      instances: retiredReplicas.map((rename) => rename.to),
      main: names.targetExists ? retiredName(targetId, runId) : null,
    },
  };
}

/**
 * Aurora: the copy is a whole cluster with its writer and readers under temporary names. The old
 * cluster's instances and the cluster move to retired names, then the copy's cluster and instances
 * take the final names.
 */
export function clusterSwapNames(
  names: MemberNames,
  liveMembers: { writer?: string; readers: readonly string[] },
  writer: { instance: string; instanceClass: string },
  readers: readonly { instance: string; instanceClass: string }[],
): SwapNames {
  const { runId, targetId } = names;
  const liveInstances = [...liveMembers.readers, ...(liveMembers.writer ? [liveMembers.writer] : [])];
  const retiredInstances = liveInstances.map((id) => ({
    kind: 'instance' as const,
    from: id,
    to: retiredName(id, runId),
  }));
  const newWriter = {
    id: temporaryName(writer.instance, runId),
    finalId: writer.instance,
    instanceClass: writer.instanceClass,
  };
  const newReaders = readers.map((reader) => ({
    id: temporaryName(reader.instance, runId),
    finalId: reader.instance,
    instanceClass: reader.instanceClass,
  }));
  const oldCluster = names.targetExists
    ? [{ kind: 'cluster' as const, from: targetId, to: retiredName(targetId, runId) }]
    : [];
  return {
    writer: newWriter,
    replicas: newReaders,
    renames: [
      ...retiredInstances,
      ...oldCluster,
      { kind: 'cluster', from: temporaryName(targetId, runId), to: targetId },
      ...[newWriter, ...newReaders].map((member) => ({
        kind: 'instance' as const,
        from: member.id,
        to: member.finalId,
      })),
    ],
    retired: {
      instances: retiredInstances.map((rename) => rename.to),
      main: names.targetExists ? retiredName(targetId, runId) : null,
    },
  };
}

/** Names the plan would use twice (two members shortened to the same temporary name, say). */
export function duplicateNames(swap: SwapNames): string[] {
  const seen = new Map<string, number>();
  for (const rename of swap.renames) {
    const key = `${rename.kind}:${rename.to}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, count]) => count > 1).map(([key]) => key);
}
