import {
  type DBCluster,
  type DBClusterSnapshot,
  type DBInstance,
  type DBSnapshot,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBSnapshotsCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { findCluster, findInstance } from '../shared/aws/rds';
import { GuardError } from '../shared/errors';
import type { Engine, RefreshFile } from '../shared/refresh-model';
import { isArn } from '../shared/refresh-model/fields';

/** What the plan learns from the source: its engine, its ARN, and the exact point the copy will hold. */
export interface SourceFacts {
  readonly id: string;
  readonly arn: string;
  readonly engine: string;
  readonly engineVersion: string;
  readonly restorePoint: string;
  readonly snapshot: string | null;
  /** The KMS key of an encrypted snapshot or source, checked for usability by the plan. */
  readonly kmsKeyId?: string;
  /** The source's instance class (Aurora: its writer's), the default for a target created by its first refresh. */
  readonly instanceClass?: string;
  /**
   * RDS: the allocated storage of the source or its snapshot in GiB, which the copy gets (the restore sets
   * none), and which decides the IOPS and throughput RDS accepts for it.
   */
  readonly allocatedStorageGiB?: number;
}

/**
 * Reads the source and resolves the restore point: `latestpoint` becomes the source's latest
 * restorable time at plan time (the restore then uses that exact time, so the recorded alignment is
 * true), `restorepoint` is checked against the restorable window, `fromsnapshot` resolves "latest".
 */
export async function inspectSource(rds: RDSClient, file: RefreshFile, now: Date): Promise<SourceFacts> {
  return file.service === 'rds'
    ? inspectInstanceSource(rds, file, now)
    : inspectClusterSource(rds, file, now);
}

async function inspectInstanceSource(
  rds: RDSClient,
  file: Extract<RefreshFile, { service: 'rds' }>,
  _now: Date,
): Promise<SourceFacts> {
  const reference = file.source.instance;
  const restore = file.restore;
  if (restore.type === 'fromsnapshot' && isArn(restore.snapshot)) {
    const snapshot = await describeSnapshot(rds, restore.snapshot, true);
    return snapshotFacts(reference, snapshot);
  }
  const instance = await findInstance(rds, reference);
  if (!instance) throw sourceNotFound('instance', reference);
  const base = {
    id: instance.DBInstanceIdentifier ?? reference,
    arn: instance.DBInstanceArn ?? reference,
    engine: instance.Engine ?? 'unknown',
    engineVersion: instance.EngineVersion ?? 'unknown',
    kmsKeyId: instance.KmsKeyId,
    instanceClass: instance.DBInstanceClass,
    allocatedStorageGiB: instance.AllocatedStorage,
  };
  if (restore.type === 'fromsnapshot') {
    const snapshot =
      restore.snapshot === 'latest'
        ? await newestInstanceSnapshot(rds, base.id)
        : await describeSnapshot(rds, restore.snapshot, false);
    return { ...snapshotFacts(base.id, snapshot), instanceClass: base.instanceClass };
  }
  if (restore.type === 'fastcloning') {
    throw new GuardError(
      'restore.type "fastcloning" is for Aurora clusters only; use latestpoint for an RDS instance',
    );
  }
  const latest = requireLatestRestorableTime(instance, base.id);
  if (restore.type === 'latestpoint') return { ...base, restorePoint: latest.toISOString(), snapshot: null };
  const earliest = await earliestInstanceRestorableTime(rds, instance);
  return { ...base, restorePoint: checkInWindow(restore.time, earliest, latest, base.id), snapshot: null };
}

async function inspectClusterSource(
  rds: RDSClient,
  file: Extract<RefreshFile, { service: 'aurora' }>,
  now: Date,
): Promise<SourceFacts> {
  const reference = file.source.cluster;
  const restore = file.restore;
  if (restore.type === 'fromsnapshot' && isArn(restore.snapshot)) {
    return clusterSnapshotFacts(reference, await describeClusterSnapshot(rds, restore.snapshot, true));
  }
  const cluster = isArn(reference)
    ? await describeSharedCluster(rds, reference)
    : await findCluster(rds, reference);
  if (!cluster) throw sourceNotFound('cluster', reference);
  const writerId = cluster.DBClusterMembers?.find((member) => member.IsClusterWriter)?.DBInstanceIdentifier;
  const writer = writerId && !isArn(reference) ? await findInstance(rds, writerId) : undefined;
  const base = {
    id: cluster.DBClusterIdentifier ?? reference,
    arn: cluster.DBClusterArn ?? reference,
    engine: cluster.Engine ?? 'unknown',
    engineVersion: cluster.EngineVersion ?? 'unknown',
    kmsKeyId: cluster.KmsKeyId,
    instanceClass: writer?.DBInstanceClass,
  };
  if (restore.type === 'fromsnapshot') {
    const snapshot =
      restore.snapshot === 'latest'
        ? await newestClusterSnapshot(rds, base.id)
        : await describeClusterSnapshot(rds, restore.snapshot, false);
    return { ...clusterSnapshotFacts(base.id, snapshot), instanceClass: base.instanceClass };
  }
  if (restore.type === 'fastcloning') return { ...base, restorePoint: now.toISOString(), snapshot: null };
  const latest = requireLatestRestorableTime(cluster, base.id);
  if (restore.type === 'latestpoint') return { ...base, restorePoint: latest.toISOString(), snapshot: null };
  return {
    ...base,
    restorePoint: checkInWindow(restore.time, cluster.EarliestRestorableTime, latest, base.id),
    snapshot: null,
  };
}

/** The family dbrefresh works with, from the engine name RDS reports ("oracle-ee" → "oracle"). */
export function engineFamily(engine: string): Engine {
  if (engine === 'aurora-mysql' || engine === 'aurora') return 'aurora-mysql';
  if (engine === 'aurora-postgresql') return 'aurora-postgresql';
  if (engine === 'mysql' || engine === 'mariadb' || engine === 'postgres') return engine;
  if (engine.startsWith('oracle')) return 'oracle';
  throw new GuardError(
    `The source's engine "${engine}" is not one dbrefresh refreshes (MySQL, MariaDB, PostgreSQL, Oracle, Aurora)`,
  );
}

function sourceNotFound(kind: 'instance' | 'cluster', reference: string): GuardError {
  return new GuardError(
    `Source DB ${kind} "${reference}" was not found in this account and region; check source.${kind} (an ARN is allowed only for a resource shared from another account)`,
  );
}

function requireLatestRestorableTime(resource: DBInstance | DBCluster, id: string): Date {
  if (!resource.LatestRestorableTime) {
    throw new GuardError(
      `Source ${id} has no restorable time: automated backups are off. Turn on backups (retention ≥ 1 day) or use restore type "fromsnapshot"`,
    );
  }
  return resource.LatestRestorableTime;
}

async function earliestInstanceRestorableTime(
  rds: RDSClient,
  instance: DBInstance,
): Promise<Date | undefined> {
  const out = await rds.send(
    new DescribeDBInstanceAutomatedBackupsCommand({ DbiResourceId: instance.DbiResourceId }),
  );
  return out.DBInstanceAutomatedBackups?.[0]?.RestoreWindow?.EarliestTime;
}

function checkInWindow(time: string, earliest: Date | undefined, latest: Date, id: string): string {
  const wanted = new Date(time);
  const window = `${earliest?.toISOString() ?? 'its earliest backup'} to ${latest.toISOString()}`;
  if (wanted.getTime() > latest.getTime() || (earliest && wanted.getTime() < earliest.getTime())) {
    throw new GuardError(
      `restore.time ${wanted.toISOString()} is outside the restorable window of ${id} (${window}); pick a time inside it`,
    );
  }
  return wanted.toISOString();
}

async function describeSnapshot(rds: RDSClient, reference: string, shared: boolean): Promise<DBSnapshot> {
  try {
    const out = await rds.send(
      new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: reference, IncludeShared: shared }),
    );
    const snapshot = out.DBSnapshots?.[0];
    if (snapshot) return requireAvailable(snapshot, reference, snapshot.Status);
  } catch (error: unknown) {
    if (!(error instanceof Error && error.name === 'DBSnapshotNotFoundFault')) throw error;
  }
  throw snapshotNotFound(reference, shared);
}

async function describeClusterSnapshot(
  rds: RDSClient,
  reference: string,
  shared: boolean,
): Promise<DBClusterSnapshot> {
  try {
    const out = await rds.send(
      new DescribeDBClusterSnapshotsCommand({
        DBClusterSnapshotIdentifier: reference,
        IncludeShared: shared,
      }),
    );
    const snapshot = out.DBClusterSnapshots?.[0];
    if (snapshot) return requireAvailable(snapshot, reference, snapshot.Status);
  } catch (error: unknown) {
    if (!(error instanceof Error && error.name === 'DBClusterSnapshotNotFoundFault')) throw error;
  }
  throw snapshotNotFound(reference, shared);
}

async function describeSharedCluster(rds: RDSClient, arn: string): Promise<DBCluster | undefined> {
  try {
    const out = await rds.send(
      new DescribeDBClustersCommand({ DBClusterIdentifier: arn, IncludeShared: true }),
    );
    return out.DBClusters?.[0];
  } catch (error: unknown) {
    if (error instanceof Error && error.name === 'DBClusterNotFoundFault') return undefined;
    throw error;
  }
}

async function newestInstanceSnapshot(rds: RDSClient, sourceId: string): Promise<DBSnapshot> {
  const snapshots: DBSnapshot[] = [];
  let marker: string | undefined;
  // One page holds at most 100 snapshots, in no promised order: the newest may be on any page.
  do {
    const out = await rds.send(
      new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: sourceId, Marker: marker }),
    );
    snapshots.push(...(out.DBSnapshots ?? []));
    marker = out.Marker;
  } while (marker);
  return newestAvailable(snapshots, sourceId);
}

async function newestClusterSnapshot(rds: RDSClient, sourceId: string): Promise<DBClusterSnapshot> {
  const snapshots: DBClusterSnapshot[] = [];
  let marker: string | undefined;
  do {
    const out = await rds.send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: sourceId, Marker: marker }),
    );
    snapshots.push(...(out.DBClusterSnapshots ?? []));
    marker = out.Marker;
  } while (marker);
  return newestAvailable(snapshots, sourceId);
}

/** The newest data, not the newest copy: a copied snapshot keeps its original creation time. */
function newestAvailable<
  S extends { Status?: string; SnapshotCreateTime?: Date; OriginalSnapshotCreateTime?: Date },
>(snapshots: readonly S[], sourceId: string): S {
  const dataTime = (snapshot: S) =>
    (snapshot.OriginalSnapshotCreateTime ?? snapshot.SnapshotCreateTime)?.getTime() ?? 0;
  const newest = snapshots
    .filter((snapshot) => snapshot.Status === 'available' && snapshot.SnapshotCreateTime)
    .sort((a, b) => dataTime(b) - dataTime(a))[0];
  if (!newest) {
    throw new GuardError(
      `Source ${sourceId} has no available snapshot for restore.snapshot "latest"; take a snapshot or use another restore type`,
    );
  }
  return newest;
}

function requireAvailable<S>(snapshot: S, reference: string, status: string | undefined): S {
  if (status !== 'available') {
    throw new GuardError(
      `Snapshot ${reference} is "${status}", not available; wait for it or pick another snapshot`,
    );
  }
  return snapshot;
}

function snapshotNotFound(reference: string, shared: boolean): GuardError {
  return new GuardError(
    shared
      ? `Snapshot ${reference} is not visible to this account; share it with this account (ModifyDBSnapshotAttribute restore) and check restore.snapshot`
      : `Snapshot ${reference} was not found in this account and region; check restore.snapshot`,
  );
}

function snapshotFacts(sourceId: string, snapshot: DBSnapshot): SourceFacts {
  return {
    id: snapshot.DBInstanceIdentifier ?? sourceId,
    arn: snapshot.DBSnapshotArn ?? sourceId,
    engine: snapshot.Engine ?? 'unknown',
    engineVersion: snapshot.EngineVersion ?? 'unknown',
    restorePoint: (
      snapshot.OriginalSnapshotCreateTime ??
      snapshot.SnapshotCreateTime ??
      new Date(0)
    ).toISOString(),
    snapshot: snapshot.DBSnapshotArn ?? snapshot.DBSnapshotIdentifier ?? null,
    kmsKeyId: snapshot.KmsKeyId,
    allocatedStorageGiB: snapshot.AllocatedStorage,
  };
}

function clusterSnapshotFacts(sourceId: string, snapshot: DBClusterSnapshot): SourceFacts {
  return {
    id: snapshot.DBClusterIdentifier ?? sourceId,
    arn: snapshot.DBClusterSnapshotArn ?? sourceId,
    engine: snapshot.Engine ?? 'unknown',
    engineVersion: snapshot.EngineVersion ?? 'unknown',
    restorePoint: (snapshot.SnapshotCreateTime ?? new Date(0)).toISOString(),
    snapshot: snapshot.DBClusterSnapshotArn ?? snapshot.DBClusterSnapshotIdentifier ?? null,
    kmsKeyId: snapshot.KmsKeyId,
  };
}
