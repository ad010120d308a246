import type { QueryInput, XmlValue } from '../query-protocol';
import type { RdsContext } from './context';
import { rdsErrors } from './errors';
import { snapshotIdentifier } from './identifiers';
import {
  addResource,
  addWithNewServer,
  buildServer,
  CLUSTERS,
  checkStatus,
  deleteResource,
  describeResources,
  type Filter,
  finalSnapshotRequest,
  isNamedIn,
  type MasterUser,
  modifyResource,
  type NewResource,
  newIdentifier,
  newRecordWithServer,
  newResource,
  requestedMasterUser,
  requireResource,
  restoreSourceServer,
  restoreTime,
  startFinalSnapshot,
  switchServer,
} from './lifecycle';
import { finalSnapshotIdentifier } from './rules/deletion';
import { checkEngineVersion, checkRestoreVersion } from './rules/engines';
import { checkClusterParameterGroup, checkSubnetGroup, type EngineVersion } from './rules/groups';
import {
  AURORA_ENGINES,
  type ClusterSettings,
  clusterSettings,
  defaultClusterSettings,
  engineAndVersion,
} from './settings';
import { startClusterSnapshot } from './snapshot-actions';
import type { ClusterRecord } from './state';

/**
 * Aurora DB cluster actions. A cluster owns one engine server (its shared storage); its instances are
 * bookkeeping that point at it, so the cluster's Endpoint and every member's Endpoint are that server.
 * A copy-on-write clone is a copy of the server as it is now (EngineManager.clone); a full-copy restore
 * replays the change log to the requested time (restoreToTime); a cluster snapshot restore copies it back.
 */

const CREATING = ['creating', 'backing-up'];

const FILTERS: Readonly<Record<string, Filter<ClusterRecord>>> = {
  'db-cluster-id': (cluster, values) => isNamedIn(cluster, values, 'cluster'),
  'db-cluster-resource-id': (cluster, values) => values.includes(cluster.resourceId),
};

export async function describeDBClusters(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  return describeResources(context, CLUSTERS, input, FILTERS);
}

/** A new Aurora cluster (no instances yet: add them with CreateDBInstance) on a new engine server. */
export async function createDBCluster(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const identifier = newIdentifier(context, CLUSTERS, input);
  const { engine, version } = engineAndVersion(input.requiredString('Engine'), input.string('EngineVersion'));
  if (!AURORA_ENGINES.has(engine)) {
    throw rdsErrors.invalidValue(
      `Local mode creates Aurora DB clusters only (aurora-mysql, aurora-postgresql), not ${engine} clusters.`,
    );
  }
  checkEngineVersion(engine, version);
  const { password, ...user } = requestedMasterUser(input, 'DatabaseName', engine);
  const settings = clusterSettings(input, defaultClusterSettings(engine, version));
  checkClusterGroups(context, { engine, engineVersion: version }, settings);
  const record = await newCluster(
    context,
    identifier,
    newResource({ engine, engineVersion: version }, settings, input),
    user,
  );
  return addWithNewServer(context, CLUSTERS, record, password);
}

/**
 * A new cluster with the source's data: `copy-on-write` with UseLatestRestorableTime clones the source's
 * server as it is now; otherwise the source's change log is replayed to RestoreToTime (or its latest time).
 */
export async function restoreDBClusterToPointInTime(
  context: RdsContext,
  input: QueryInput,
): Promise<XmlValue> {
  const { account } = context;
  const source = requireResource(context, CLUSTERS, input, 'SourceDBClusterIdentifier');
  const identifier = newIdentifier(context, CLUSTERS, input);
  const restoreType = input.string('RestoreType') ?? 'full-copy';
  if (restoreType !== 'full-copy' && restoreType !== 'copy-on-write') {
    throw rdsErrors.invalidValue(`Invalid RestoreType ${restoreType}: use full-copy or copy-on-write.`);
  }
  const { server: sourceServer, status } = restoreSourceServer(account, CLUSTERS, source);
  const useLatest = input.boolean('UseLatestRestorableTime') ?? false;
  const requested = input.date('RestoreToTime');
  if (useLatest && requested !== undefined) {
    throw rdsErrors.invalidCombination('Cannot specify both RestoreToTime and UseLatestRestorableTime.');
  }
  const clone = restoreType === 'copy-on-write' && requested === undefined;
  const time = clone ? undefined : await restoreTime(account, CLUSTERS, source, status, requested);
  const settings = clusterSettings(input, { ...source, deletionProtection: false });
  checkClusterGroups(context, source, settings);
  const record = await newCluster(context, identifier, newResource(source, settings, input), sourceServer);
  return addResource(
    context,
    CLUSTERS,
    record,
    {
      action: 'RestoreDBClusterToPointInTime',
      phases: CREATING,
      outcome: 'available',
      failedStatus: clone ? 'cloning-failed' : 'failed',
    },
    buildServer(record.server, (target) =>
      time === undefined
        ? account.engines.clone(sourceServer.serverId, target)
        : account.engines.restoreToTime(sourceServer.serverId, time, target),
    ),
  );
}

/** A new cluster from a cluster snapshot; it keeps the snapshot's master user and password. */
export async function restoreDBClusterFromSnapshot(
  context: RdsContext,
  input: QueryInput,
): Promise<XmlValue> {
  const { account } = context;
  const snapshot = account.requireClusterSnapshot(
    snapshotIdentifier('SnapshotIdentifier', input.requiredString('SnapshotIdentifier'), 'cluster-snapshot'),
  );
  const identifier = newIdentifier(context, CLUSTERS, input);
  const engine = input.requiredString('Engine');
  if (engine !== snapshot.engine) {
    throw rdsErrors.invalidCombination(
      `The engine ${engine} does not match the engine ${snapshot.engine} of DB cluster snapshot ${snapshot.identifier}.`,
    );
  }
  if (account.statusOf(snapshot) !== 'available') {
    throw rdsErrors.clusterSnapshotState(
      `DB cluster snapshot ${snapshot.identifier} is not in available state.`,
    );
  }
  const requestedVersion = input.string('EngineVersion');
  if (requestedVersion !== undefined) checkRestoreVersion(engine, requestedVersion, snapshot.engineVersion);
  const engineVersion = requestedVersion ?? snapshot.engineVersion;
  const base: ClusterSettings = {
    ...defaultClusterSettings(snapshot.engine, engineVersion),
    storageEncrypted: snapshot.storageEncrypted,
    kmsKeyId: snapshot.kmsKeyId,
  };
  const settings = clusterSettings(input, base);
  // The groups must fit the version the restore will have, not the snapshot's.
  checkClusterGroups(context, { engine, engineVersion }, settings);
  const record = await newCluster(
    context,
    identifier,
    newResource({ engine: snapshot.engine, engineVersion }, settings, input),
    snapshot,
  );
  return addResource(
    context,
    CLUSTERS,
    record,
    { action: 'RestoreDBClusterFromSnapshot', phases: CREATING, outcome: 'available' },
    buildServer(record.server, (target) => account.engines.restoreSnapshot(snapshot.engineSnapshot, target)),
  );
}

/**
 * Renames, master password changes and RDS-managed passwords (see modifyResource); other settings
 * (deletion protection, Serverless v2 capacity, retention, ...) change at once.
 */
export async function modifyDBCluster(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  return modifyResource(context, CLUSTERS, input, {
    settings: (record) => {
      const settings = clusterSettings(input, record);
      if (input.has('DBClusterParameterGroupName')) {
        checkClusterParameterGroup(context.account.state, settings.clusterParameterGroup, record);
      }
      if (input.has('DBSubnetGroupName') && settings.subnetGroup !== undefined) {
        checkSubnetGroup(context.account.state, settings.subnetGroup);
      }
      return settings;
    },
  });
}

/** A new cluster's cluster parameter group must fit `target`, and its subnet group exist. */
function checkClusterGroups(context: RdsContext, target: EngineVersion, settings: ClusterSettings): void {
  checkClusterParameterGroup(context.account.state, settings.clusterParameterGroup, target);
  if (settings.subnetGroup !== undefined) checkSubnetGroup(context.account.state, settings.subnetGroup);
}

/**
 * Deletes a cluster and its engine server, after a final cluster snapshot unless SkipFinalSnapshot (see
 * deleteResource). Refused while it still has instances that are not being deleted.
 */
export async function deleteDBCluster(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account } = context;
  return deleteResource(context, CLUSTERS, input, (record) => {
    const request = finalSnapshotRequest(input);
    const situation = { arnType: 'cluster-snapshot' as const, stateError: rdsErrors.clusterState };
    // The parameters are checked before the cluster's state.
    finalSnapshotIdentifier(request, situation);
    // "remove all the DB instances from a cluster and then delete the cluster itself"
    // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_DeleteCluster.html
    if (account.members(record).some((member) => account.statusOf(member) !== 'deleting')) {
      throw rdsErrors.clusterState(
        'Cluster cannot be deleted, it still contains DB instances in non-deleting state.',
      );
    }
    return startFinalSnapshot(request, situation, (snapshotId) =>
      startClusterSnapshot(context, record, snapshotId, []),
    );
  });
}

/** Stops the cluster's server; its instances show `stopping`, then `stopped`, with it. */
export async function stopDBCluster(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account } = context;
  const record = requireResource(context, CLUSTERS, input);
  checkStatus(account, CLUSTERS, record, 'available');
  const busy = account.members(record).find((member) => account.statusOf(member) !== 'available');
  if (busy) {
    throw rdsErrors.clusterState(
      `DB cluster ${record.identifier} cannot be stopped while its instance ${busy.identifier} is ${account.statusOf(busy)}.`,
    );
  }
  return switchServer(context, CLUSTERS, record, record.server.serverId, 'stop');
}

export async function startDBCluster(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const record = requireResource(context, CLUSTERS, input);
  checkStatus(context.account, CLUSTERS, record, 'stopped');
  return switchServer(context, CLUSTERS, record, record.server.serverId, 'start');
}

async function newCluster(
  context: RdsContext,
  identifier: string,
  from: NewResource<ClusterSettings>,
  user: MasterUser,
): Promise<ClusterRecord> {
  return newRecordWithServer(context, CLUSTERS, identifier, from, user);
}
