import { randomUUID } from 'node:crypto';
import { SnapshotNotFoundError } from '../../engines/errors';
import { type QueryInput, type XmlValue, xmlList } from '../query-protocol';
import { ignore } from './account';
import type { RdsContext } from './context';
import { rdsErrors } from './errors';
import { checkIdentifier, resourceIdentifier, snapshotIdentifier } from './identifiers';
import { isFailed, renderAutomatedBackup, renderClusterSnapshot, renderSnapshot } from './render';
import { mergeTags, tagsOf } from './settings';
import type { ClusterRecord, ClusterSnapshotRecord, InstanceRecord, RdsTag, SnapshotRecord } from './state';

/**
 * Manual DB snapshots and DB cluster snapshots: physical copies by the engines (EngineManager.snapshot),
 * `creating` until the copy is done. Automated backups are the engines' own base backups and change logs,
 * described through DescribeDBInstanceAutomatedBackups and restorable with the point-in-time restores.
 */

/** Engine snapshot names are unique and never reused, whatever the RDS identifier. */
function engineSnapshotName(): string {
  return `snapshot-${randomUUID()}`;
}

/**
 * Starts a manual snapshot of a standalone instance (also the final snapshot of a deletion); returns the
 * snapshot's record and its copy (call it to wait for the copy).
 */
export function startInstanceSnapshot(
  context: RdsContext,
  instance: InstanceRecord,
  identifier: string,
  tags: readonly RdsTag[],
): { snapshot: SnapshotRecord; copied: () => Promise<void> } {
  const { account } = context;
  const server = instance.server;
  if (instance.clusterResourceId !== undefined || !server) {
    throw rdsErrors.invalidValue(
      'The specified instance is a member of a cluster and a snapshot cannot be created directly. Please use the CreateDBClusterSnapshot API instead.',
    );
  }
  const status = account.statusOf(instance);
  if (!server.serverReady || !['available', 'stopped', 'deleting'].includes(status)) {
    throw rdsErrors.instanceState(`Instance ${instance.identifier} is not in available state.`);
  }
  if (account.snapshot(identifier)) throw rdsErrors.snapshotExists(identifier);
  const now = account.now().toISOString();
  const snapshot: SnapshotRecord = {
    identifier,
    engineSnapshot: engineSnapshotName(),
    engine: instance.engine,
    engineVersion: instance.engineVersion,
    masterUsername: server.masterUsername,
    databaseName: server.databaseName,
    port: server.port,
    snapshotType: 'manual',
    status: 'creating',
    startedAt: now,
    tags: instance.copyTagsToSnapshot ? mergeTags(instance.tags, tags) : [...tags],
    storageEncrypted: instance.storageEncrypted,
    kmsKeyId: instance.kmsKeyId,
    instanceIdentifier: instance.identifier,
    dbiResourceId: instance.resourceId,
    instanceCreatedAt: instance.createdAt,
    allocatedStorage: instance.allocatedStorage,
    instanceClass: instance.instanceClass,
  };
  account.state.snapshots.push(snapshot);
  const copied = once(async () => {
    const info = await account.engines.snapshot(server.serverId, snapshot.engineSnapshot);
    snapshot.createdAt = info.createdAt.toISOString();
  });
  account.begin(
    'snapshot',
    snapshot,
    { action: 'CreateDBSnapshot', phases: ['creating'], outcome: 'available' },
    copied,
  );
  return { snapshot, copied };
}

/** Starts a manual snapshot of a cluster's storage (also the final snapshot of a deletion). */
export function startClusterSnapshot(
  context: RdsContext,
  cluster: ClusterRecord,
  identifier: string,
  tags: readonly RdsTag[],
): { snapshot: ClusterSnapshotRecord; copied: () => Promise<void> } {
  const { account } = context;
  const status = account.statusOf(cluster);
  if (!cluster.server.serverReady || !['available', 'stopped', 'deleting'].includes(status)) {
    throw rdsErrors.clusterState(`DB cluster ${cluster.identifier} is not in available state.`);
  }
  if (account.clusterSnapshot(identifier)) throw rdsErrors.clusterSnapshotExists(identifier);
  const snapshot: ClusterSnapshotRecord = {
    identifier,
    engineSnapshot: engineSnapshotName(),
    engine: cluster.engine,
    engineVersion: cluster.engineVersion,
    masterUsername: cluster.server.masterUsername,
    databaseName: cluster.server.databaseName,
    port: cluster.server.port,
    snapshotType: 'manual',
    status: 'creating',
    startedAt: account.now().toISOString(),
    tags: cluster.copyTagsToSnapshot ? mergeTags(cluster.tags, tags) : [...tags],
    storageEncrypted: cluster.storageEncrypted,
    kmsKeyId: cluster.kmsKeyId,
    clusterIdentifier: cluster.identifier,
    clusterResourceId: cluster.resourceId,
    clusterCreatedAt: cluster.createdAt,
  };
  account.state.clusterSnapshots.push(snapshot);
  const copied = once(async () => {
    const info = await account.engines.snapshot(cluster.server.serverId, snapshot.engineSnapshot);
    snapshot.createdAt = info.createdAt.toISOString();
  });
  account.begin(
    'cluster-snapshot',
    snapshot,
    { action: 'CreateDBClusterSnapshot', phases: ['creating'], outcome: 'available' },
    copied,
  );
  return { snapshot, copied };
}

/** Work that runs once however many wait for it (a final snapshot: its own transition and the deletion). */
function once(work: () => Promise<void>): () => Promise<void> {
  let started: Promise<void> | undefined;
  return () => {
    started ??= work();
    return started;
  };
}

export async function createDBSnapshot(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const identifier = snapshotIdentifier(
    'DBSnapshotIdentifier',
    input.requiredString('DBSnapshotIdentifier'),
    'snapshot',
  );
  checkIdentifier('DBSnapshotIdentifier', identifier);
  const instance = context.account.requireInstance(
    resourceIdentifier('DBInstanceIdentifier', input.requiredString('DBInstanceIdentifier'), 'db'),
  );
  const { snapshot } = startInstanceSnapshot(context, instance, identifier, tagsOf(input));
  await context.account.save();
  return { DBSnapshot: renderSnapshot(context.account, snapshot, context.scope) };
}

export async function createDBClusterSnapshot(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const identifier = snapshotIdentifier(
    'DBClusterSnapshotIdentifier',
    input.requiredString('DBClusterSnapshotIdentifier'),
    'cluster-snapshot',
  );
  checkIdentifier('DBClusterSnapshotIdentifier', identifier);
  const cluster = context.account.requireCluster(
    resourceIdentifier('DBClusterIdentifier', input.requiredString('DBClusterIdentifier'), 'cluster'),
  );
  const { snapshot } = startClusterSnapshot(context, cluster, identifier, tagsOf(input));
  await context.account.save();
  return { DBClusterSnapshot: renderClusterSnapshot(context.account, snapshot, context.scope) };
}

/** Manual snapshots by identifier (or ARN), by instance, or all; there are no automated or shared ones. */
export async function describeDBSnapshots(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account, scope } = context;
  const reference = input.string('DBSnapshotIdentifier');
  const instance = input.string('DBInstanceIdentifier');
  const resourceId = input.string('DbiResourceId');
  const type = input.string('SnapshotType');
  let snapshots: SnapshotRecord[];
  if (reference !== undefined) {
    snapshots = [account.requireSnapshot(snapshotIdentifier('DBSnapshotIdentifier', reference, 'snapshot'))];
  } else {
    const instanceId = instance && resourceIdentifier('DBInstanceIdentifier', instance, 'db');
    snapshots = account.state.snapshots.filter(
      (snapshot) =>
        (instanceId === undefined || snapshot.instanceIdentifier === instanceId) &&
        (resourceId === undefined || snapshot.dbiResourceId === resourceId),
    );
  }
  snapshots = snapshots.filter((snapshot) => type === undefined || snapshot.snapshotType === type);
  return {
    DBSnapshots: xmlList(
      'DBSnapshot',
      snapshots.map((snapshot) => renderSnapshot(account, snapshot, scope)),
    ),
  };
}

export async function describeDBClusterSnapshots(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account, scope } = context;
  const reference = input.string('DBClusterSnapshotIdentifier');
  const cluster = input.string('DBClusterIdentifier');
  const type = input.string('SnapshotType');
  let snapshots: ClusterSnapshotRecord[];
  if (reference !== undefined) {
    snapshots = [
      account.requireClusterSnapshot(
        snapshotIdentifier('DBClusterSnapshotIdentifier', reference, 'cluster-snapshot'),
      ),
    ];
  } else {
    const clusterId = cluster && resourceIdentifier('DBClusterIdentifier', cluster, 'cluster');
    snapshots = account.state.clusterSnapshots.filter(
      (snapshot) => clusterId === undefined || snapshot.clusterIdentifier === clusterId,
    );
  }
  snapshots = snapshots.filter((snapshot) => type === undefined || snapshot.snapshotType === type);
  return {
    DBClusterSnapshots: xmlList(
      'DBClusterSnapshot',
      snapshots.map((snapshot) => renderClusterSnapshot(account, snapshot, scope)),
    ),
  };
}

export async function deleteDBSnapshot(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account } = context;
  const snapshot = account.requireSnapshot(
    snapshotIdentifier('DBSnapshotIdentifier', input.requiredString('DBSnapshotIdentifier'), 'snapshot'),
  );
  const status = account.statusOf(snapshot);
  if (status !== 'available' && !isFailed(status)) {
    throw rdsErrors.snapshotState(`Cannot delete the snapshot ${snapshot.identifier}: it is ${status}.`);
  }
  account.begin(
    'snapshot',
    snapshot,
    { action: 'DeleteDBSnapshot', phases: ['deleting'], outcome: 'deleted' },
    () => account.engines.removeSnapshot(snapshot.engineSnapshot).catch(ignore(SnapshotNotFoundError)),
  );
  await account.save();
  return { DBSnapshot: renderSnapshot(account, snapshot, context.scope) };
}

export async function deleteDBClusterSnapshot(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account } = context;
  const snapshot = account.requireClusterSnapshot(
    snapshotIdentifier(
      'DBClusterSnapshotIdentifier',
      input.requiredString('DBClusterSnapshotIdentifier'),
      'cluster-snapshot',
    ),
  );
  const status = account.statusOf(snapshot);
  if (status !== 'available' && !isFailed(status)) {
    throw rdsErrors.clusterSnapshotState(
      `Cannot delete the cluster snapshot ${snapshot.identifier}: it is ${status}.`,
    );
  }
  account.begin(
    'cluster-snapshot',
    snapshot,
    { action: 'DeleteDBClusterSnapshot', phases: ['deleting'], outcome: 'deleted' },
    () => account.engines.removeSnapshot(snapshot.engineSnapshot).catch(ignore(SnapshotNotFoundError)),
  );
  await account.save();
  return { DBClusterSnapshot: renderClusterSnapshot(account, snapshot, context.scope) };
}

/**
 * The automated backups of standalone instances (by DbiResourceId, by identifier, or all), each with its
 * RestoreWindow: the engine's oldest base backup to now (or to the stop, for a stopped instance).
 */
export async function describeDBInstanceAutomatedBackups(
  context: RdsContext,
  input: QueryInput,
): Promise<XmlValue> {
  const { account, scope } = context;
  const resourceId = input.string('DbiResourceId');
  const identifier = input.string('DBInstanceIdentifier');
  const instanceId = identifier && resourceIdentifier('DBInstanceIdentifier', identifier, 'db');
  const instances = account.state.instances.filter(
    (instance) =>
      instance.server !== undefined &&
      instance.backupRetentionPeriod > 0 &&
      (resourceId === undefined || instance.resourceId === resourceId) &&
      (instanceId === undefined || instance.identifier === instanceId),
  );
  if (instances.length === 0 && (resourceId !== undefined || instanceId !== undefined)) {
    throw rdsErrors.automatedBackupNotFound(resourceId ?? instanceId ?? '');
  }
  return {
    DBInstanceAutomatedBackups: xmlList(
      'DBInstanceAutomatedBackup',
      await Promise.all(instances.map((instance) => renderAutomatedBackup(account, instance, scope))),
    ),
  };
}
