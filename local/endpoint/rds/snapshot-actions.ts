import { randomUUID } from 'node:crypto';
import { SnapshotNotFoundError } from '../../engines/errors';
import { type QueryInput, type XmlStructure, type XmlValue, xmlList } from '../query-protocol';
import type { AwsError } from '../service';
import { ignore, type RdsAccount } from './account';
import type { RdsContext } from './context';
import { rdsErrors } from './errors';
import { type ArnScope, checkIdentifier, resourceIdentifier, snapshotIdentifier } from './identifiers';
import {
  CLUSTERS,
  INSTANCES,
  notAvailable,
  type Resource,
  type ResourceType,
  requireResource,
} from './lifecycle';
import { isFailed, renderAutomatedBackup, renderClusterSnapshot, renderSnapshot } from './render';
import { mergeTags, tagsOf } from './settings';
import type {
  ClusterRecord,
  ClusterSnapshotRecord,
  InstanceRecord,
  RdsTag,
  ServerRecord,
  SnapshotRecord,
} from './state';

/**
 * Manual DB snapshots and DB cluster snapshots: physical copies by the engines (EngineManager.snapshot),
 * `creating` until the copy is done. Automated backups are the engines' own base backups and change logs,
 * described through DescribeDBInstanceAutomatedBackups and restorable with the point-in-time restores.
 */

type Snapshot = SnapshotRecord | ClusterSnapshotRecord;

/** What the shared steps need to know of DB snapshots or of DB cluster snapshots. */
interface SnapshotType<S extends Snapshot> {
  readonly kind: 'snapshot' | 'cluster-snapshot';
  /** The response element, as the API names the snapshot in its actions (CreateDBSnapshot, ...). */
  readonly element: 'DBSnapshot' | 'DBClusterSnapshot';
  /** How messages name one: "Cannot delete the cluster snapshot ...". */
  readonly noun: string;
  stateError(message: string): AwsError;
  require(account: RdsAccount, identifier: string): S;
  /** The account's list, read on every call: a deletion replaces it. */
  records(account: RdsAccount): S[];
  render(account: RdsAccount, record: S, scope: ArnScope): XmlStructure;
}

const SNAPSHOTS: SnapshotType<SnapshotRecord> = {
  kind: 'snapshot',
  element: 'DBSnapshot',
  noun: 'snapshot',
  stateError: rdsErrors.snapshotState,
  require: (account, identifier) => account.requireSnapshot(identifier),
  records: (account) => account.state.snapshots,
  render: renderSnapshot,
};

const CLUSTER_SNAPSHOTS: SnapshotType<ClusterSnapshotRecord> = {
  kind: 'cluster-snapshot',
  element: 'DBClusterSnapshot',
  noun: 'cluster snapshot',
  stateError: rdsErrors.clusterSnapshotState,
  require: (account, identifier) => account.requireClusterSnapshot(identifier),
  records: (account) => account.state.clusterSnapshots,
  render: renderClusterSnapshot,
};

/** Saves the account and answers with the snapshot as it is now (`<DBSnapshot>` or `<DBClusterSnapshot>`). */
async function respondWithSnapshot<S extends Snapshot>(
  context: RdsContext,
  type: SnapshotType<S>,
  snapshot: S,
): Promise<XmlValue> {
  await context.account.save();
  return { [type.element]: type.render(context.account, snapshot, context.scope) };
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
  checkSnapshotSource(account, INSTANCES, instance, server);
  if (account.snapshot(identifier)) throw rdsErrors.snapshotExists(identifier);
  const snapshot: SnapshotRecord = {
    ...newSnapshot(account, instance, server, identifier, tags),
    instanceIdentifier: instance.identifier,
    dbiResourceId: instance.resourceId,
    instanceCreatedAt: instance.createdAt,
    allocatedStorage: instance.allocatedStorage,
    instanceClass: instance.instanceClass,
    storageType: instance.storageType,
    iops: instance.iops,
    storageThroughput: instance.storageThroughput,
  };
  return { snapshot, copied: beginCopy(context, SNAPSHOTS, snapshot, server) };
}

/** Starts a manual snapshot of a cluster's storage (also the final snapshot of a deletion). */
export function startClusterSnapshot(
  context: RdsContext,
  cluster: ClusterRecord,
  identifier: string,
  tags: readonly RdsTag[],
): { snapshot: ClusterSnapshotRecord; copied: () => Promise<void> } {
  const { account } = context;
  checkSnapshotSource(account, CLUSTERS, cluster, cluster.server);
  if (account.clusterSnapshot(identifier)) throw rdsErrors.clusterSnapshotExists(identifier);
  const snapshot: ClusterSnapshotRecord = {
    ...newSnapshot(account, cluster, cluster.server, identifier, tags),
    clusterIdentifier: cluster.identifier,
    clusterResourceId: cluster.resourceId,
    clusterCreatedAt: cluster.createdAt,
  };
  return { snapshot, copied: beginCopy(context, CLUSTER_SNAPSHOTS, snapshot, cluster.server) };
}

/** Refuses a snapshot of a resource whose server has no data yet, or that is busy with another change. */
function checkSnapshotSource(
  account: RdsAccount,
  type: ResourceType<Resource>,
  source: Resource,
  server: ServerRecord,
): void {
  const status = account.statusOf(source);
  if (!server.serverReady || !['available', 'stopped', 'deleting'].includes(status)) {
    throw notAvailable(type, source);
  }
}

/** What every new manual snapshot of `source` starts as: `creating`, tagged as `source` says. */
function newSnapshot(
  account: RdsAccount,
  source: Resource,
  server: ServerRecord,
  identifier: string,
  tags: readonly RdsTag[],
) {
  return {
    identifier,
    engineSnapshot: engineSnapshotName(),
    engine: source.engine,
    engineVersion: source.engineVersion,
    masterUsername: server.masterUsername,
    databaseName: server.databaseName,
    port: server.port,
    snapshotType: 'manual',
    status: 'creating',
    startedAt: account.now().toISOString(),
    tags: source.copyTagsToSnapshot ? mergeTags(source.tags, tags) : [...tags],
    storageEncrypted: source.storageEncrypted,
    kmsKeyId: source.kmsKeyId,
  };
}

/** Engine snapshot names are unique and never reused, whatever the RDS identifier. */
function engineSnapshotName(): string {
  return `snapshot-${randomUUID()}`;
}

/** Adds the snapshot to the account and starts its copy; returns the copy (call it to wait for it). */
function beginCopy<S extends Snapshot>(
  context: RdsContext,
  type: SnapshotType<S>,
  snapshot: S,
  server: ServerRecord,
): () => Promise<void> {
  const { account } = context;
  type.records(account).push(snapshot);
  const copied = once(async () => {
    const info = await account.engines.snapshot(server.serverId, snapshot.engineSnapshot);
    snapshot.createdAt = info.createdAt.toISOString();
  });
  account.begin(
    type.kind,
    snapshot,
    { action: `Create${type.element}`, phases: ['creating'], outcome: 'available' },
    copied,
  );
  return copied;
}

/** Work that runs once however many wait for it (a final snapshot: its own transition and the deletion). */
function once(work: () => Promise<void>): () => Promise<void> {
  let started: Promise<void> | undefined;
  return () => {
    started ??= work();
    return started;
  };
}

/**
 * A new snapshot's identifier: like an instance's, of 1 to 255 characters for a DB snapshot, 1 to 63 for a
 * DB cluster snapshot.
 * @throws AwsError InvalidParameterValue
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSnapshot.html
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBClusterSnapshot.html
function newSnapshotIdentifier(type: SnapshotType<Snapshot>, input: QueryInput): string {
  const parameter = `${type.element}Identifier`;
  const identifier = snapshotIdentifier(parameter, input.requiredString(parameter), type.kind);
  checkIdentifier(parameter, identifier, type.kind === 'snapshot' ? 255 : 63);
  return identifier;
}

export async function createDBSnapshot(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const identifier = newSnapshotIdentifier(SNAPSHOTS, input);
  const instance = requireResource(context, INSTANCES, input);
  const { snapshot } = startInstanceSnapshot(context, instance, identifier, tagsOf(input));
  return respondWithSnapshot(context, SNAPSHOTS, snapshot);
}

export async function createDBClusterSnapshot(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const identifier = newSnapshotIdentifier(CLUSTER_SNAPSHOTS, input);
  const cluster = requireResource(context, CLUSTERS, input);
  const { snapshot } = startClusterSnapshot(context, cluster, identifier, tagsOf(input));
  return respondWithSnapshot(context, CLUSTER_SNAPSHOTS, snapshot);
}

/**
 * The snapshot the request names, or those `select` picks; of the request's SnapshotType only. There are
 * no automated or shared ones.
 */
function describeSnapshots<S extends Snapshot>(
  context: RdsContext,
  type: SnapshotType<S>,
  input: QueryInput,
  select: (snapshots: S[]) => S[],
): XmlValue {
  const parameter = `${type.element}Identifier`;
  const reference = input.string(parameter);
  const snapshotType = input.string('SnapshotType');
  const snapshots =
    reference !== undefined
      ? [type.require(context.account, snapshotIdentifier(parameter, reference, type.kind))]
      : select(type.records(context.account));
  return {
    [`${type.element}s`]: xmlList(
      type.element,
      snapshots
        .filter((snapshot) => snapshotType === undefined || snapshot.snapshotType === snapshotType)
        .map((snapshot) => type.render(context.account, snapshot, context.scope)),
    ),
  };
}

/** Manual snapshots by identifier (or ARN), by instance, or all. */
export async function describeDBSnapshots(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const instance = input.string('DBInstanceIdentifier');
  const resourceId = input.string('DbiResourceId');
  return describeSnapshots(context, SNAPSHOTS, input, (snapshots) => {
    const instanceId = instance && resourceIdentifier('DBInstanceIdentifier', instance, 'db');
    return snapshots.filter(
      (snapshot) =>
        (instanceId === undefined || snapshot.instanceIdentifier === instanceId) &&
        (resourceId === undefined || snapshot.dbiResourceId === resourceId),
    );
  });
}

export async function describeDBClusterSnapshots(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const cluster = input.string('DBClusterIdentifier');
  return describeSnapshots(context, CLUSTER_SNAPSHOTS, input, (snapshots) => {
    const clusterId = cluster && resourceIdentifier('DBClusterIdentifier', cluster, 'cluster');
    return snapshots.filter(
      (snapshot) => clusterId === undefined || snapshot.clusterIdentifier === clusterId,
    );
  });
}

/** Deletes an available (or failed) snapshot and its engine copy. */
async function deleteSnapshot<S extends Snapshot>(
  context: RdsContext,
  type: SnapshotType<S>,
  input: QueryInput,
): Promise<XmlValue> {
  const { account } = context;
  const parameter = `${type.element}Identifier`;
  const snapshot = type.require(
    account,
    snapshotIdentifier(parameter, input.requiredString(parameter), type.kind),
  );
  const status = account.statusOf(snapshot);
  if (status !== 'available' && !isFailed(status)) {
    throw type.stateError(`Cannot delete the ${type.noun} ${snapshot.identifier}: it is ${status}.`);
  }
  account.begin(
    type.kind,
    snapshot,
    { action: `Delete${type.element}`, phases: ['deleting'], outcome: 'deleted' },
    () => account.engines.removeSnapshot(snapshot.engineSnapshot).catch(ignore(SnapshotNotFoundError)),
  );
  return respondWithSnapshot(context, type, snapshot);
}

export async function deleteDBSnapshot(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  return deleteSnapshot(context, SNAPSHOTS, input);
}

export async function deleteDBClusterSnapshot(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  return deleteSnapshot(context, CLUSTER_SNAPSHOTS, input);
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
