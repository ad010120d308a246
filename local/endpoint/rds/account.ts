import { ServerNotFoundError, SnapshotNotFoundError } from '../../engines/errors';
import type { EngineBackend, ManagedSecretStore, TerminalStatusHook } from './dependencies';
import { rdsErrors } from './errors';
import type {
  ClusterRecord,
  ClusterSnapshotRecord,
  InstanceRecord,
  RdsState,
  RdsStateFile,
  SnapshotRecord,
} from './state';
import { startTransition, type TransitionStart, transitionStatus } from './status-clock';

/** Anything with a status that changes over time: instances, clusters, snapshots. */
export type Tracked = InstanceRecord | ClusterRecord | SnapshotRecord | ClusterSnapshotRecord;

export type Kind = 'instance' | 'cluster' | 'snapshot' | 'cluster-snapshot';

export interface RdsAccountOptions {
  readonly engines: EngineBackend;
  readonly stateFile: RdsStateFile;
  readonly phaseMilliseconds: number;
  readonly now: () => Date;
  /** Read when needed: the local Secrets Manager may be wired in after the RDS service is made. */
  readonly secrets: () => ManagedSecretStore | undefined;
  readonly terminalStatus?: TerminalStatusHook;
  /** Told when background engine work fails (the resource shows its failed status). */
  readonly onWorkFailed: (what: string, error: unknown) => void;
}

/** Actions whose engine work a later process can simply run again when it finds it unfinished. */
const RESUMABLE_ACTIONS: ReadonlySet<string> = new Set([
  'DeleteDBInstance',
  'DeleteDBCluster',
  'DeleteDBSnapshot',
  'DeleteDBClusterSnapshot',
  'StopDBInstance',
  'StartDBInstance',
  'StopDBCluster',
  'StartDBCluster',
]);

/**
 * The local RDS account: the state, the engines behind it, the status clock and the background work.
 *
 * Requests change the state and start engine work in the background; the work's end is recorded in the
 * resource's transition, and each request first "settles" the transitions that are over. Every change is
 * saved to the state file.
 */
export class RdsAccount {
  readonly engines: EngineBackend;
  private readonly running = new Set<Promise<void>>();
  private readonly promisedPorts = new Set<number>();

  private constructor(
    readonly state: RdsState,
    private readonly options: RdsAccountOptions,
  ) {
    this.engines = options.engines;
  }

  /** Where RDS-managed master passwords go, if the local endpoint has a Secrets Manager. */
  secrets(): ManagedSecretStore | undefined {
    return this.options.secrets();
  }

  /**
   * Loads the account. Work a previous process left unfinished is resumed when it can simply run again
   * (deleting, stopping, starting); anything else (a restore, a password change, a snapshot) is marked
   * failed, because its inputs (a password) were never saved or its half-made copy cannot be trusted.
   * A deletion whose final snapshot was cut short fails too, rather than delete without its snapshot.
   */
  static async open(options: RdsAccountOptions): Promise<RdsAccount> {
    const account = new RdsAccount(await options.stateFile.read(), options);
    const interrupted = [...account.tracked()].filter(([, record]) => record.transition?.work === 'running');
    const lostSnapshotsOf = new Set<string>();
    for (const [, record] of interrupted) {
      if ('engineSnapshot' in record && record.transition?.action.startsWith('Create')) {
        lostSnapshotsOf.add('dbiResourceId' in record ? record.dbiResourceId : record.clusterResourceId);
      }
    }
    for (const [kind, record] of interrupted) {
      const action = record.transition?.action ?? '';
      const lostSnapshot = 'resourceId' in record && lostSnapshotsOf.has(record.resourceId);
      if (RESUMABLE_ACTIONS.has(action) && !lostSnapshot) {
        account.runWork(kind, record, () => account.resumeWork(record, action));
      } else if (record.transition) {
        record.transition.work = 'failed';
        record.failure =
          `The local RDS endpoint stopped while ${action} ran; its engine work did not finish. ` +
          'Delete this resource and try again';
      }
    }
    await account.save();
    return account;
  }

  now(): Date {
    return this.options.now();
  }

  save(): Promise<void> {
    return this.options.stateFile.write(this.state);
  }

  /** Resolves when no engine work runs (and its results are saved). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  instance(identifier: string): InstanceRecord | undefined {
    return this.state.instances.find((record) => record.identifier === identifier);
  }

  requireInstance(identifier: string): InstanceRecord {
    const record = this.instance(identifier);
    if (!record) throw rdsErrors.instanceNotFound(identifier);
    return record;
  }

  cluster(identifier: string): ClusterRecord | undefined {
    return this.state.clusters.find((record) => record.identifier === identifier);
  }

  requireCluster(identifier: string): ClusterRecord {
    const record = this.cluster(identifier);
    if (!record) throw rdsErrors.clusterNotFound(identifier);
    return record;
  }

  instanceByResourceId(resourceId: string | undefined): InstanceRecord | undefined {
    return this.state.instances.find((record) => record.resourceId === resourceId);
  }

  clusterByResourceId(resourceId: string | undefined): ClusterRecord | undefined {
    return this.state.clusters.find((record) => record.resourceId === resourceId);
  }

  snapshot(identifier: string): SnapshotRecord | undefined {
    return this.state.snapshots.find((record) => record.identifier === identifier);
  }

  requireSnapshot(identifier: string): SnapshotRecord {
    const record = this.snapshot(identifier);
    if (!record) throw rdsErrors.snapshotNotFound(identifier);
    return record;
  }

  clusterSnapshot(identifier: string): ClusterSnapshotRecord | undefined {
    return this.state.clusterSnapshots.find((record) => record.identifier === identifier);
  }

  requireClusterSnapshot(identifier: string): ClusterSnapshotRecord {
    const record = this.clusterSnapshot(identifier);
    if (!record) throw rdsErrors.clusterSnapshotNotFound(identifier);
    return record;
  }

  /** The cluster's instances, the writer first. */
  members(cluster: ClusterRecord): InstanceRecord[] {
    return this.state.instances
      .filter((record) => record.clusterResourceId === cluster.resourceId)
      .sort((a, b) => Number(b.isClusterWriter ?? false) - Number(a.isClusterWriter ?? false));
  }

  replicasOf(instance: InstanceRecord): InstanceRecord[] {
    return this.state.instances.filter((record) => record.replicaSourceResourceId === instance.resourceId);
  }

  /** The status to show now. An Aurora member shows its cluster's stop and start. */
  statusOf(record: Tracked): string {
    const status = record.transition ? transitionStatus(record.transition, this.now()).status : record.status;
    const cluster =
      'clusterResourceId' in record ? this.clusterByResourceId(record.clusterResourceId) : undefined;
    if (cluster && status === 'available') {
      const clusterStatus = this.statusOf(cluster);
      if (['stopping', 'stopped', 'starting'].includes(clusterStatus)) return clusterStatus;
    }
    if (record.transition && status === record.transition.outcome && !this.mayFinish(record)) {
      return record.transition.phases.at(-1) as string;
    }
    return status;
  }

  /**
   * Starts a change: the resource shows the transition's statuses, and `work` (the engine part) runs in
   * the background. The terminal-status hook may send the change to a terminal status instead, skipping
   * the work.
   */
  begin(
    kind: Kind,
    record: Tracked,
    start: Omit<TransitionStart, 'hasWork'>,
    work?: () => Promise<void>,
  ): void {
    const terminal =
      start.outcome === 'deleted'
        ? undefined
        : this.options.terminalStatus?.(start.action, record.identifier);
    const hasWork = work !== undefined && terminal === undefined;
    record.transition = startTransition(
      { ...start, outcome: terminal ?? start.outcome, hasWork },
      this.now(),
      this.options.phaseMilliseconds,
    );
    record.failure = undefined;
    if (hasWork) this.runWork(kind, record, work);
  }

  /**
   * Applies the transitions that are over: a resource reaches its outcome (or leaves the account, for
   * `deleted`). Returns whether anything changed.
   */
  settle(): boolean {
    let changed = false;
    for (const [kind, record] of this.tracked()) {
      const transition = record.transition;
      if (!transition) continue;
      const { status, over } = transitionStatus(transition, this.now());
      if (!over || !this.mayFinish(record)) continue;
      changed = true;
      record.transition = undefined;
      if (status === 'deleted' && transition.work !== 'failed') {
        this.forget(kind, record);
        continue;
      }
      record.status = status;
      // The password is set; changes waiting for the maintenance window still wait.
      if ('pending' in record) record.pending = { ...record.pending, masterUserPassword: undefined };
      if ('masterUserSecret' in record && record.masterUserSecret?.status === 'creating') {
        record.masterUserSecret.status = transition.work === 'failed' ? 'impaired' : 'active';
      }
    }
    return changed;
  }

  /** A loopback port for a new engine server, promised to no other resource of this account. */
  async allocatePort(): Promise<number> {
    const taken = new Set([
      ...this.promisedPorts,
      ...this.state.instances.flatMap((record) => (record.server ? [record.server.port] : [])),
      ...this.state.clusters.map((record) => record.server.port),
    ]);
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = await this.engines.unusedPort();
      if (!taken.has(port)) {
        this.promisedPorts.add(port);
        return port;
      }
    }
    throw new Error('The local engines found no free port for a new server');
  }

  /** An Aurora member finishes being created only once its cluster is available. */
  private mayFinish(record: Tracked): boolean {
    if (!('clusterResourceId' in record) || record.transition?.action !== 'CreateDBInstance') return true;
    const cluster = this.clusterByResourceId(record.clusterResourceId);
    return cluster !== undefined && this.statusOf(cluster) === 'available';
  }

  private runWork(kind: Kind, record: Tracked, work: () => Promise<void>): void {
    const transition = record.transition;
    const done = (async () => {
      try {
        await work();
        if (transition) transition.work = 'done';
      } catch (error: unknown) {
        if (transition) transition.work = 'failed';
        record.failure = error instanceof Error ? error.message : String(error);
        this.options.onWorkFailed(`${transition?.action ?? 'work'} of ${kind} ${record.identifier}`, error);
      }
      if (transition) transition.workFinishedAt = this.now().toISOString();
      await this.save();
    })();
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
  }

  private async resumeWork(record: Tracked, action: string): Promise<void> {
    if ('engineSnapshot' in record) {
      await this.engines.removeSnapshot(record.engineSnapshot).catch(ignore(SnapshotNotFoundError));
      return;
    }
    const serverId = record.server?.serverId;
    if (serverId === undefined) return;
    if (action.startsWith('Delete')) await this.engines.remove(serverId).catch(ignore(ServerNotFoundError));
    else if (action.startsWith('Stop')) await this.engines.stop(serverId);
    else if (action.startsWith('Start')) await this.engines.start(serverId);
  }

  private *tracked(): Generator<[Kind, Tracked]> {
    for (const record of this.state.instances) yield ['instance', record];
    for (const record of this.state.clusters) yield ['cluster', record];
    for (const record of this.state.snapshots) yield ['snapshot', record];
    for (const record of this.state.clusterSnapshots) yield ['cluster-snapshot', record];
  }

  /** Removes a deleted resource; its read replicas become standalone (RDS promotes them). */
  private forget(kind: Kind, record: Tracked): void {
    const state = this.state;
    if (kind === 'instance') {
      const instance = record as InstanceRecord;
      state.instances = state.instances.filter((other) => other !== instance);
      for (const replica of this.replicasOf(instance)) replica.replicaSourceResourceId = undefined;
      if (instance.isClusterWriter) {
        const cluster = this.clusterByResourceId(instance.clusterResourceId);
        const next = cluster ? this.members(cluster).sort(byPromotionTier)[0] : undefined;
        if (next) next.isClusterWriter = true;
      }
    } else if (kind === 'cluster') {
      state.clusters = state.clusters.filter((other) => other !== record);
    } else if (kind === 'snapshot') {
      state.snapshots = state.snapshots.filter((other) => other !== record);
    } else {
      state.clusterSnapshots = state.clusterSnapshots.filter((other) => other !== record);
    }
  }
}

function byPromotionTier(a: InstanceRecord, b: InstanceRecord): number {
  return (a.promotionTier ?? 1) - (b.promotionTier ?? 1);
}

/** A catch handler that swallows one error class (an already-removed server, say) and rethrows the rest. */
export function ignore(errorClass: new (...args: never[]) => Error): (error: unknown) => void {
  return (error: unknown) => {
    if (!(error instanceof errorClass)) throw error;
  };
}
