import type { QueryInput, XmlValue } from '../query-protocol';
import type { RdsContext } from './context';
import { DEFERRED_INSTANCE_SETTINGS } from './deferred-changes';
import { rdsErrors } from './errors';
import { resourceIdentifier, snapshotIdentifier } from './identifiers';
import { checkInstanceChanges, checkNewInstance } from './instance-checks';
import {
  addResource,
  addWithNewServer,
  buildServer,
  CLUSTERS,
  checkExactlyOne,
  checkStatus,
  deleteResource,
  describeResources,
  type Filter,
  type FinalSnapshotRequest,
  finalSnapshotRequest,
  INSTANCES,
  isNamedIn,
  type MasterUser,
  modifyResource,
  type NewResource,
  newIdentifier,
  newRecord,
  newRecordWithServer,
  newResource,
  requestedMasterUser,
  requireResource,
  restoreSourceServer,
  restoreTime,
  startFinalSnapshot,
  switchServer,
} from './lifecycle';
import { isFailed } from './render';
import { checkEngineVersion, checkRestoreEngine } from './rules/engines';
import { checkParameterGroup } from './rules/groups';
import { checkInstanceClass, checkModifiable, checkServerlessMember } from './rules/instances';
import { checkReadReplica } from './rules/replicas';
import {
  AURORA_ENGINES,
  defaultInstanceSettings,
  engineAndVersion,
  INSTANCE_SETTING_KEYS,
  type InstanceSettings,
  instanceSettings,
  KEPT_BY_REPLICA,
  KEPT_BY_RESTORE,
  KEPT_BY_SNAPSHOT_RESTORE,
  keptSettings,
  tagsOf,
} from './settings';
import { startInstanceSnapshot } from './snapshot-actions';
import type { ClusterRecord, InstanceRecord, ServerRecord } from './state';

/**
 * DB instance actions. A standalone instance (or read replica) is its own engine server; an Aurora member is
 * bookkeeping on its cluster's server. Engine work runs in the background while the instance shows
 * RDS's statuses (see status-clock.ts).
 */

/** Settings that change at once; changes to any other setting RDS applies by `modifying` the instance. */
const IMMEDIATE_SETTINGS: ReadonlySet<keyof InstanceSettings> = new Set([
  'availabilityZone',
  'autoMinorVersionUpgrade',
  'promotionTier',
  'deletionProtection',
  'copyTagsToSnapshot',
  'backupRetentionPeriod',
  'storageEncrypted',
  'kmsKeyId',
]);
const MODIFYING_SETTINGS = INSTANCE_SETTING_KEYS.filter((key) => !IMMEDIATE_SETTINGS.has(key));
/** How restores go; a failed one shows `incompatible-restore`. */
const RESTORE = {
  phases: ['creating', 'backing-up'],
  outcome: 'available',
  failedStatus: 'incompatible-restore',
};

const FILTERS: Readonly<Record<string, Filter<InstanceRecord>>> = {
  'db-instance-id': (instance, values) => isNamedIn(instance, values, 'db'),
  'db-cluster-id': (instance, values, account) => {
    const cluster = account.clusterByResourceId(instance.clusterResourceId);
    return cluster !== undefined && isNamedIn(cluster, values, 'cluster');
  },
  'dbi-resource-id': (instance, values) => values.includes(instance.resourceId),
};

export async function describeDBInstances(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  return describeResources(context, INSTANCES, input, FILTERS);
}

/** A standalone instance (a new engine server), or an instance in an Aurora cluster (DBClusterIdentifier). */
export async function createDBInstance(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const identifier = newIdentifier(context, INSTANCES, input);
  if (input.has('DBClusterIdentifier')) return createClusterMember(context, input, identifier);
  const { engine, version } = engineAndVersion(input.requiredString('Engine'), input.string('EngineVersion'));
  if (AURORA_ENGINES.has(engine)) {
    throw rdsErrors.invalidCombination(
      `An ${engine} DB instance belongs to a DB cluster: create the cluster (CreateDBCluster), then the instance with DBClusterIdentifier`,
    );
  }
  checkEngineVersion(engine, version);
  const { password, ...user } = requestedMasterUser(input, 'DBName', engine);
  input.requiredString('DBInstanceClass');
  const defaults = defaultInstanceSettings(engine, version, context.scope.region);
  // StorageType "Default: io1, if the Iops parameter is specified. Otherwise, gp3."
  // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html
  const base = { ...defaults, storageType: input.has('Iops') ? 'io1' : defaults.storageType };
  const target = { engine, engineVersion: version };
  const settings = checkNewInstance(context, target, instanceSettings(input, base), input);
  const record = await newStandaloneInstance(
    context,
    identifier,
    newResource({ engine, engineVersion: version }, settings, input),
    user,
  );
  return addWithNewServer(context, INSTANCES, record, password);
}

/** Statuses in which a cluster takes a new instance. */
const MEMBER_CREATION_STATUSES = [
  'creating',
  'backing-up',
  'available',
  'modifying',
  'renaming',
  'resetting-master-credentials',
];

/** An Aurora instance: no engine work, it serves its cluster's server; the first one is the writer. */
async function createClusterMember(
  context: RdsContext,
  input: QueryInput,
  identifier: string,
): Promise<XmlValue> {
  const { account, scope } = context;
  const cluster = requireResource(context, CLUSTERS, input);
  const engine = input.requiredString('Engine');
  if (engine !== cluster.engine) {
    throw rdsErrors.invalidCombination(
      `The engine ${engine} does not match the engine ${cluster.engine} of DB cluster ${cluster.identifier}.`,
    );
  }
  if (
    input.has('MasterUsername') ||
    input.has('MasterUserPassword') ||
    input.has('ManageMasterUserPassword')
  ) {
    throw rdsErrors.invalidCombination(
      'The requested DB Instance will be a member of a DB Cluster. Set the master user name and password for the DB Cluster.',
    );
  }
  const clusterStatus = account.statusOf(cluster);
  if (!MEMBER_CREATION_STATUSES.includes(clusterStatus)) {
    throw rdsErrors.clusterState(
      `DB cluster ${cluster.identifier} is ${clusterStatus}; it cannot take a new instance now.`,
    );
  }
  const base: InstanceSettings = {
    ...defaultInstanceSettings(cluster.engine, cluster.engineVersion, scope.region),
    backupRetentionPeriod: cluster.backupRetentionPeriod,
    storageEncrypted: cluster.storageEncrypted,
    kmsKeyId: cluster.kmsKeyId,
    subnetGroup: cluster.subnetGroup,
    securityGroupIds: cluster.securityGroupIds,
  };
  input.requiredString('DBInstanceClass');
  const settings = instanceSettings(input, base);
  checkInstanceClass(engine, settings.instanceClass, true);
  checkServerlessMember(settings.instanceClass, cluster.identifier, cluster.serverless !== undefined);
  checkParameterGroup(account.state, settings.parameterGroup, cluster);
  const record: InstanceRecord = newRecord(context, INSTANCES, identifier, {
    engine: cluster.engine,
    engineVersion: cluster.engineVersion,
    settings: { ...settings, promotionTier: settings.promotionTier ?? 1 },
    tags: tagsOf(input),
  });
  record.clusterResourceId = cluster.resourceId;
  record.isClusterWriter = account
    .members(cluster)
    .every((member) => account.statusOf(member) === 'deleting');
  return addResource(context, INSTANCES, record, {
    action: 'CreateDBInstance',
    phases: ['creating'],
    outcome: 'available',
  });
}

/** A new server holding the source's data as of RestoreTime (or its latest restorable time). */
export async function restoreDBInstanceToPointInTime(
  context: RdsContext,
  input: QueryInput,
): Promise<XmlValue> {
  const { account } = context;
  const source = restoreSource(context, input);
  const identifier = newIdentifier(context, INSTANCES, input, 'TargetDBInstanceIdentifier');
  const { server: sourceServer, status } = restoreSourceServer(account, INSTANCES, source);
  if (source.backupRetentionPeriod === 0) throw rdsErrors.restoreNotEnabled(source.identifier);
  const useLatest = input.boolean('UseLatestRestorableTime') ?? false;
  const requested = input.date('RestoreTime');
  checkExactlyOne(useLatest, requested !== undefined, {
    both: 'Cannot specify both RestoreTime and UseLatestRestorableTime.',
    neither: 'Specify either RestoreTime or UseLatestRestorableTime.',
  });
  checkRestoreEngine(input.string('Engine'), source.engine);
  const time = await restoreTime(account, INSTANCES, source, status, requested);
  const base = keptSettings(defaultsLike(context, source), source, KEPT_BY_RESTORE);
  const settings = checkNewInstance(context, source, instanceSettings(input, base), input);
  const record = await newStandaloneInstance(
    context,
    identifier,
    newResource(source, settings, input),
    sourceServer,
  );
  return addResource(
    context,
    INSTANCES,
    record,
    { action: 'RestoreDBInstanceToPointInTime', ...RESTORE },
    buildServer(record.server, (target) =>
      account.engines.restoreToTime(sourceServer.serverId, time, target),
    ),
  );
}

function restoreSource(context: RdsContext, input: QueryInput): InstanceRecord {
  const reference = input.string('SourceDBInstanceIdentifier');
  const resourceId = input.string('SourceDbiResourceId');
  if (reference === undefined && resourceId === undefined) {
    throw rdsErrors.invalidCombination('Specify SourceDBInstanceIdentifier or SourceDbiResourceId.');
  }
  const source =
    reference !== undefined
      ? context.account.requireInstance(resourceIdentifier('SourceDBInstanceIdentifier', reference, 'db'))
      : context.account.instanceByResourceId(resourceId);
  if (!source) throw rdsErrors.instanceNotFound(resourceId ?? '');
  if (source.clusterResourceId !== undefined) {
    throw rdsErrors.invalidCombination(
      `Instance ${source.identifier} is a member of a DB cluster; restore the cluster (RestoreDBClusterToPointInTime) instead.`,
    );
  }
  return source;
}

/** The settings a new instance of `source`'s engine and version has by default. */
function defaultsLike(
  context: RdsContext,
  source: { readonly engine: string; readonly engineVersion: string },
): InstanceSettings {
  return defaultInstanceSettings(source.engine, source.engineVersion, context.scope.region);
}

/** A new server from a manual snapshot; it keeps the snapshot's master user and password. */
export async function restoreDBInstanceFromDBSnapshot(
  context: RdsContext,
  input: QueryInput,
): Promise<XmlValue> {
  const { account } = context;
  const snapshot = account.requireSnapshot(
    snapshotIdentifier('DBSnapshotIdentifier', input.requiredString('DBSnapshotIdentifier'), 'snapshot'),
  );
  const identifier = newIdentifier(context, INSTANCES, input);
  // Errors: InvalidDBSnapshotState for a snapshot that is not available.
  // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceFromDBSnapshot.html
  if (account.statusOf(snapshot) !== 'available') {
    throw rdsErrors.snapshotState(`Snapshot ${snapshot.identifier} is not in available state.`);
  }
  checkRestoreEngine(input.string('Engine'), snapshot.engine);
  const base = keptSettings(defaultsLike(context, snapshot), snapshot, KEPT_BY_SNAPSHOT_RESTORE);
  const settings = checkNewInstance(context, snapshot, instanceSettings(input, base), input);
  const resource = newResource(snapshot, settings, input);
  // "If there are no new tags, RDS looks for the tags from the source DB instance for the DB snapshot, and
  // then adds those tags to the restored DB instance."
  // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Tagging.html#USER_Tagging.CopyTags
  const sourceInstance = account.instanceByResourceId(snapshot.dbiResourceId);
  if (!input.has('Tags') && sourceInstance) resource.tags.push(...sourceInstance.tags);
  const record = await newStandaloneInstance(context, identifier, resource, snapshot);
  return addResource(
    context,
    INSTANCES,
    record,
    { action: 'RestoreDBInstanceFromDBSnapshot', ...RESTORE },
    buildServer(record.server, (target) => account.engines.restoreSnapshot(snapshot.engineSnapshot, target)),
  );
}

/**
 * A read replica: a new server cloned from the source when it is created. Local mode does not stream
 * changes to it afterwards; it holds the source's data as of its creation.
 */
export async function createDBInstanceReadReplica(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account } = context;
  const source = requireResource(context, INSTANCES, input, 'SourceDBInstanceIdentifier');
  const identifier = newIdentifier(context, INSTANCES, input);
  const sourceServer = source.server;
  if (source.clusterResourceId !== undefined || !sourceServer) {
    throw rdsErrors.invalidCombination(
      `Instance ${source.identifier} is a member of a DB cluster; add a reader to the cluster with CreateDBInstance instead.`,
    );
  }
  checkStatus(account, INSTANCES, source, 'available');
  checkReadReplica(source, account.replicasOf(source).length, input, context.scope.region);
  const base = keptSettings(defaultsLike(context, source), source, KEPT_BY_REPLICA);
  const settings = checkNewInstance(
    context,
    source,
    instanceSettings(input, { ...base, backupRetentionPeriod: 0 }),
    input,
  );
  const record = await newStandaloneInstance(
    context,
    identifier,
    newResource(source, settings, input),
    sourceServer,
  );
  record.replicaSourceResourceId = source.resourceId;
  return addResource(
    context,
    INSTANCES,
    record,
    { action: 'CreateDBInstanceReadReplica', phases: ['creating'], outcome: 'available' },
    buildServer(record.server, (target) => account.engines.clone(sourceServer.serverId, target)),
  );
}

/**
 * Renames, master password changes, RDS-managed passwords and settings (see modifyResource). An Aurora
 * member's password and backup retention are its cluster's.
 */
export async function modifyDBInstance(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  return modifyResource(context, INSTANCES, input, {
    refuse: (record, password, manage) => {
      checkModifiable(record.identifier, context.account.statusOf(record), input);
      if (record.clusterResourceId === undefined) return;
      if (password !== undefined || manage !== undefined) {
        throw rdsErrors.invalidCombination(
          'The requested DB Instance will be a member of a DB Cluster. Set master user password for the DB Cluster.',
        );
      }
      if (input.has('BackupRetentionPeriod')) {
        throw rdsErrors.invalidCombination(
          'The specified DB Instance is a member of a cluster and its backup retention should not be modified directly. Instead, modify the backup retention of the cluster using the ModifyDbCluster API',
        );
      }
    },
    settings: (record) => checkInstanceChanges(context, record, instanceSettings(input, record), input),
    deferrable: DEFERRED_INSTANCE_SETTINGS,
    modifying: (settings, record) =>
      MODIFYING_SETTINGS.some((key) => JSON.stringify(settings[key]) !== JSON.stringify(record[key])),
    notAvailableMessage: 'Database instance is not in available state.',
  });
}

/**
 * Deletes an instance, after a final snapshot unless SkipFinalSnapshot (see deleteResource); for an Aurora
 * cluster's last instance, refused while the cluster is protected. Its read replicas become standalone
 * instances.
 */
export async function deleteDBInstance(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  return deleteResource(context, INSTANCES, input, (record) => {
    const request = finalSnapshotRequest(input);
    const cluster = context.account.clusterByResourceId(record.clusterResourceId);
    if (!cluster) {
      const status = context.account.statusOf(record);
      const situation = {
        arnType: 'snapshot' as const,
        readReplica: record.replicaSourceResourceId !== undefined,
        failedStatus: isFailed(status) ? status : undefined,
        stateError: rdsErrors.instanceState,
      };
      return startFinalSnapshot(request, situation, (snapshotId) =>
        startInstanceSnapshot(context, record, snapshotId, []),
      );
    }
    checkMemberDeletion(context, record, cluster, request);
    return undefined;
  });
}

function checkMemberDeletion(
  context: RdsContext,
  record: InstanceRecord,
  cluster: ClusterRecord,
  request: FinalSnapshotRequest,
): void {
  const { account } = context;
  if (request.reference !== undefined) {
    throw rdsErrors.invalidCombination(
      'FinalDBSnapshotIdentifier can not be specified when deleting a cluster instance',
    );
  }
  const clusterStatus = account.statusOf(cluster);
  if (['stopped', 'stopping', 'starting'].includes(clusterStatus)) {
    throw rdsErrors.instanceState(
      `Instance ${record.identifier} cannot be deleted while its DB cluster ${cluster.identifier} is ${clusterStatus}; start the cluster first.`,
    );
  }
  const others = account
    .members(cluster)
    .filter((member) => member !== record && account.statusOf(member) !== 'deleting');
  if (cluster.deletionProtection && others.length === 0) {
    throw rdsErrors.clusterState(
      `Cannot delete the last instance of DB cluster ${cluster.identifier}: the cluster has deletion protection. Turn it off first.`,
    );
  }
}

export async function stopDBInstance(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account } = context;
  const record = standaloneInstance(context, input, 'stopped');
  checkStatus(account, INSTANCES, record, 'available');
  // "You can't stop a DB instance that has a read replica, or that is a read replica."
  // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StopInstance.html#USER_StopInstance.Limitations
  if (record.replicaSourceResourceId !== undefined || account.replicasOf(record).length > 0) {
    throw rdsErrors.instanceState(
      `Instance ${record.identifier} cannot be stopped: it is a read replica or has read replicas.`,
    );
  }
  return switchServer(context, INSTANCES, record, standaloneServer(record), 'stop');
}

export async function startDBInstance(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const record = standaloneInstance(context, input, 'started');
  checkStatus(context.account, INSTANCES, record, 'stopped');
  return switchServer(context, INSTANCES, record, standaloneServer(record), 'start');
}

function standaloneInstance(context: RdsContext, input: QueryInput, verb: string): InstanceRecord {
  const record = requireResource(context, INSTANCES, input);
  if (record.clusterResourceId !== undefined) {
    throw rdsErrors.invalidCombination(
      `Instance ${record.identifier} is in a DB cluster and cannot be ${verb} on its own; stop or start the cluster.`,
    );
  }
  return record;
}

function standaloneServer(record: InstanceRecord): string {
  if (!record.server) {
    throw rdsErrors.instanceState(`Instance ${record.identifier} has no server of its own.`);
  }
  return record.server.serverId;
}

/** A new standalone instance with its own (not yet built) server. */
async function newStandaloneInstance(
  context: RdsContext,
  identifier: string,
  from: NewResource<InstanceSettings>,
  user: MasterUser,
): Promise<InstanceRecord & { server: ServerRecord }> {
  return newRecordWithServer(context, INSTANCES, identifier, from, user);
}
