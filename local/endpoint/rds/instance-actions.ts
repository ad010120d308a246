import { localEngineFor } from '../../engines/binaries';
import { ServerNotFoundError } from '../../engines/errors';
import { type QueryInput, type XmlValue, xmlList } from '../query-protocol';
import { ignore } from './account';
import type { RdsContext } from './context';
import { checkMasterUsername, createManagedSecret, deleteManagedSecret } from './credentials';
import { rdsErrors } from './errors';
import { newResourceId, resourceIdentifier, serverIdOf, snapshotIdentifier } from './identifiers';
import { isFailed, renderInstance, restorableWindow } from './render';
import {
  AURORA_ENGINES,
  checkMasterPassword,
  defaultInstanceSettings,
  engineAndVersion,
  type InstanceSettings,
  instanceSettings,
  tagsOf,
} from './settings';
import { startInstanceSnapshot } from './snapshot-actions';
import type { InstanceRecord } from './state';

/**
 * DB instance actions. A standalone instance (or read replica) is its own engine server; an Aurora member is
 * bookkeeping on its cluster's server. Engine work runs in the background while the instance shows
 * RDS's statuses (see status-clock.ts).
 */

const DATABASE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** Settings changes RDS applies by `modifying` the instance; any others apply at once. */
const MODIFYING_SETTINGS: readonly (keyof InstanceSettings)[] = [
  'instanceClass',
  'allocatedStorage',
  'storageType',
  'iops',
  'storageThroughput',
  'multiAz',
  'parameterGroup',
  'optionGroup',
  'performanceInsights',
  'monitoringInterval',
  'monitoringRoleArn',
  'iamAuthentication',
  'cloudwatchLogsExports',
  'publiclyAccessible',
  'securityGroupIds',
  'subnetGroup',
];
/** Parameters that change nothing themselves. */
const NOT_MODIFICATIONS = new Set(['DBInstanceIdentifier', 'ApplyImmediately']);
const RESTORE_STATUSES = ['creating', 'backing-up'];

export async function describeDBInstances(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account, scope } = context;
  const reference = input.string('DBInstanceIdentifier');
  let instances = reference
    ? [account.requireInstance(resourceIdentifier('DBInstanceIdentifier', reference, 'db'))]
    : account.state.instances;
  for (const filter of input.structures('Filters') ?? []) {
    const name = filter.requiredString('Name');
    const values = filter.strings('Values') ?? [];
    instances = instances.filter((instance) => matchesFilter(context, instance, name, values));
  }
  return {
    DBInstances: xmlList(
      'DBInstance',
      await Promise.all(instances.map((instance) => renderInstance(account, instance, scope))),
    ),
  };
}

function matchesFilter(
  context: RdsContext,
  instance: InstanceRecord,
  name: string,
  values: string[],
): boolean {
  switch (name) {
    case 'db-instance-id':
      return values.some((value) => resourceIdentifier('Filters', value, 'db') === instance.identifier);
    case 'db-cluster-id': {
      const cluster = context.account.clusterByResourceId(instance.clusterResourceId);
      return (
        cluster !== undefined &&
        values.some((v) => resourceIdentifier('Filters', v, 'cluster') === cluster.identifier)
      );
    }
    case 'dbi-resource-id':
      return values.includes(instance.resourceId);
    case 'engine':
      return values.includes(instance.engine);
    default:
      throw rdsErrors.invalidValue(
        `Unrecognized filter name: ${name}. Local mode filters by db-instance-id, db-cluster-id, dbi-resource-id, engine`,
      );
  }
}

/** A standalone instance (a new engine server), or an instance in an Aurora cluster (DBClusterIdentifier). */
export async function createDBInstance(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account, scope } = context;
  const identifier = newInstanceIdentifier(context, input, 'DBInstanceIdentifier');
  if (input.has('DBClusterIdentifier')) return createClusterMember(context, input, identifier);
  const { engine, version } = engineAndVersion(input.requiredString('Engine'), input.string('EngineVersion'));
  if (AURORA_ENGINES.has(engine)) {
    throw rdsErrors.invalidCombination(
      `An ${engine} DB instance belongs to a DB cluster: create the cluster (CreateDBCluster), then the instance with DBClusterIdentifier`,
    );
  }
  const username = input.requiredString('MasterUsername');
  checkMasterUsername(username);
  const databaseName = input.string('DBName');
  if (databaseName !== undefined && !DATABASE_NAME.test(databaseName)) {
    throw rdsErrors.invalidValue(
      `The parameter DBName is not a valid database name: "${databaseName}". Use 1 to 64 letters, digits and underscores, starting with a letter.`,
    );
  }
  const manage = input.boolean('ManageMasterUserPassword') ?? false;
  const givenPassword = input.string('MasterUserPassword');
  if (manage === (givenPassword !== undefined)) {
    throw rdsErrors.invalidCombination(
      manage
        ? 'MasterUserPassword cannot be specified when ManageMasterUserPassword is true.'
        : 'The parameter MasterUserPassword must be provided and must not be blank.',
    );
  }
  if (givenPassword !== undefined) checkMasterPassword(givenPassword);
  input.requiredString('DBInstanceClass');
  const settings = instanceSettings(input, defaultInstanceSettings(engine, version, scope.region));
  const port = await account.allocatePort();
  const record = newInstance(context, identifier, { engine, version, settings, tags: tagsOf(input) });
  record.server = {
    serverId: serverIdOf(record.resourceId),
    port,
    serverReady: false,
    masterUsername: username,
    databaseName,
  };
  const password = givenPassword ?? (await createManagedSecret(account, record, 'instance', username, scope));
  claimIdentifier(context, identifier);
  account.state.instances.push(record);
  const server = record.server;
  account.begin(
    'instance',
    record,
    { action: 'CreateDBInstance', phases: RESTORE_STATUSES, outcome: 'available' },
    async () => {
      await account.engines.createServer({
        id: server.serverId,
        port,
        engine: localEngineFor(engine),
        adminUser: username,
        adminPassword: password,
        databaseName,
      });
      server.serverReady = true;
    },
  );
  await account.save();
  return { DBInstance: await renderInstance(account, record, scope) };
}

/** An Aurora instance: no engine work, it serves its cluster's server; the first one is the writer. */
async function createClusterMember(
  context: RdsContext,
  input: QueryInput,
  identifier: string,
): Promise<XmlValue> {
  const { account, scope } = context;
  const cluster = account.requireCluster(
    resourceIdentifier('DBClusterIdentifier', input.requiredString('DBClusterIdentifier'), 'cluster'),
  );
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
  if (
    ![
      'creating',
      'backing-up',
      'available',
      'modifying',
      'renaming',
      'resetting-master-credentials',
    ].includes(clusterStatus)
  ) {
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
  const record = newInstance(context, identifier, {
    engine: cluster.engine,
    version: cluster.engineVersion,
    settings: { ...settings, promotionTier: settings.promotionTier ?? 1 },
    tags: tagsOf(input),
  });
  record.clusterResourceId = cluster.resourceId;
  record.isClusterWriter = account
    .members(cluster)
    .every((member) => account.statusOf(member) === 'deleting');
  claimIdentifier(context, identifier);
  account.state.instances.push(record);
  account.begin('instance', record, {
    action: 'CreateDBInstance',
    phases: ['creating'],
    outcome: 'available',
  });
  await account.save();
  return { DBInstance: await renderInstance(account, record, scope) };
}

/** A new server holding the source's data as of RestoreTime (or its latest restorable time). */
export async function restoreDBInstanceToPointInTime(
  context: RdsContext,
  input: QueryInput,
): Promise<XmlValue> {
  const { account, scope } = context;
  const source = restoreSource(context, input);
  const identifier = newInstanceIdentifier(context, input, 'TargetDBInstanceIdentifier');
  const sourceServer = source.server;
  const sourceStatus = account.statusOf(source);
  if (
    !sourceServer?.serverReady ||
    isFailed(sourceStatus) ||
    ['creating', 'deleting'].includes(sourceStatus)
  ) {
    throw rdsErrors.instanceState(`Instance ${source.identifier} is not in available state.`);
  }
  if (source.backupRetentionPeriod === 0) throw rdsErrors.restoreNotEnabled(source.identifier);
  const useLatest = input.boolean('UseLatestRestorableTime') ?? false;
  const restoreTime = input.date('RestoreTime');
  if (useLatest === (restoreTime !== undefined)) {
    throw rdsErrors.invalidCombination(
      useLatest
        ? 'Cannot specify both RestoreTime and UseLatestRestorableTime.'
        : 'Specify either RestoreTime or UseLatestRestorableTime.',
    );
  }
  const window = await restorableWindow(account, source, sourceStatus);
  if (!window) throw rdsErrors.instanceState(`Instance ${source.identifier} has no restorable window yet.`);
  const time = restoreTime ?? window.latest;
  checkInWindow(time, window, source.identifier);
  const settings = instanceSettings(input, restoredSettings(source));
  const port = await account.allocatePort();
  const record = newInstance(context, identifier, {
    engine: source.engine,
    version: source.engineVersion,
    settings,
    tags: tagsOf(input),
  });
  const server = {
    serverId: serverIdOf(record.resourceId),
    port,
    serverReady: false,
    masterUsername: sourceServer.masterUsername,
    databaseName: sourceServer.databaseName,
  };
  record.server = server;
  claimIdentifier(context, identifier);
  account.state.instances.push(record);
  account.begin(
    'instance',
    record,
    {
      action: 'RestoreDBInstanceToPointInTime',
      phases: RESTORE_STATUSES,
      outcome: 'available',
      failedStatus: 'incompatible-restore',
    },
    async () => {
      await account.engines.restoreToTime(sourceServer.serverId, time, { id: server.serverId, port });
      server.serverReady = true;
    },
  );
  await account.save();
  return { DBInstance: await renderInstance(account, record, scope) };
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

function checkInWindow(time: Date, window: { earliest: Date; latest: Date }, sourceId: string): void {
  if (time < window.earliest || time > window.latest) {
    throw rdsErrors.invalidValue(
      `Restore time ${time.toISOString()} is outside the restorable window of ${sourceId}: ` +
        `${window.earliest.toISOString()} to ${window.latest.toISOString()}.`,
    );
  }
}

/** What a restore takes over from its source unless the request says otherwise; never its protection. */
function restoredSettings(source: InstanceSettings): InstanceSettings {
  return { ...source, deletionProtection: false, promotionTier: undefined };
}

/** A new server from a manual snapshot; it keeps the snapshot's master user and password. */
export async function restoreDBInstanceFromDBSnapshot(
  context: RdsContext,
  input: QueryInput,
): Promise<XmlValue> {
  const { account, scope } = context;
  const snapshot = account.requireSnapshot(
    snapshotIdentifier('DBSnapshotIdentifier', input.requiredString('DBSnapshotIdentifier'), 'snapshot'),
  );
  const identifier = newInstanceIdentifier(context, input, 'DBInstanceIdentifier');
  if (account.statusOf(snapshot) !== 'available') {
    throw rdsErrors.snapshotState(`Snapshot ${snapshot.identifier} is not in available state.`);
  }
  const base: InstanceSettings = {
    ...defaultInstanceSettings(snapshot.engine, snapshot.engineVersion, scope.region),
    instanceClass: snapshot.instanceClass,
    allocatedStorage: snapshot.allocatedStorage,
    storageEncrypted: snapshot.storageEncrypted,
    kmsKeyId: snapshot.kmsKeyId,
  };
  const settings = instanceSettings(input, base);
  const port = await account.allocatePort();
  const record = newInstance(context, identifier, {
    engine: snapshot.engine,
    version: snapshot.engineVersion,
    settings,
    tags: tagsOf(input),
  });
  const server = {
    serverId: serverIdOf(record.resourceId),
    port,
    serverReady: false,
    masterUsername: snapshot.masterUsername,
    databaseName: snapshot.databaseName,
  };
  record.server = server;
  claimIdentifier(context, identifier);
  account.state.instances.push(record);
  account.begin(
    'instance',
    record,
    {
      action: 'RestoreDBInstanceFromDBSnapshot',
      phases: RESTORE_STATUSES,
      outcome: 'available',
      failedStatus: 'incompatible-restore',
    },
    async () => {
      await account.engines.restoreSnapshot(snapshot.engineSnapshot, { id: server.serverId, port });
      server.serverReady = true;
    },
  );
  await account.save();
  return { DBInstance: await renderInstance(account, record, scope) };
}

/**
 * A read replica: a new server cloned from the source when it is created. Local mode does not stream
 * changes to it afterwards; it holds the source's data as of its creation.
 */
export async function createDBInstanceReadReplica(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account, scope } = context;
  const source = account.requireInstance(
    resourceIdentifier(
      'SourceDBInstanceIdentifier',
      input.requiredString('SourceDBInstanceIdentifier'),
      'db',
    ),
  );
  const identifier = newInstanceIdentifier(context, input, 'DBInstanceIdentifier');
  const sourceServer = source.server;
  if (source.clusterResourceId !== undefined || !sourceServer) {
    throw rdsErrors.invalidCombination(
      `Instance ${source.identifier} is a member of a DB cluster; add a reader to the cluster with CreateDBInstance instead.`,
    );
  }
  if (account.statusOf(source) !== 'available') {
    throw rdsErrors.instanceState(`Instance ${source.identifier} is not in available state.`);
  }
  if (source.backupRetentionPeriod === 0) {
    throw rdsErrors.instanceState(
      'Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.',
    );
  }
  const settings = instanceSettings(input, { ...restoredSettings(source), backupRetentionPeriod: 0 });
  const port = await account.allocatePort();
  const record = newInstance(context, identifier, {
    engine: source.engine,
    version: source.engineVersion,
    settings,
    tags: tagsOf(input),
  });
  const server = {
    serverId: serverIdOf(record.resourceId),
    port,
    serverReady: false,
    masterUsername: sourceServer.masterUsername,
    databaseName: sourceServer.databaseName,
  };
  record.server = server;
  record.replicaSourceResourceId = source.resourceId;
  claimIdentifier(context, identifier);
  account.state.instances.push(record);
  account.begin(
    'instance',
    record,
    { action: 'CreateDBInstanceReadReplica', phases: ['creating'], outcome: 'available' },
    async () => {
      await account.engines.clone(sourceServer.serverId, { id: server.serverId, port });
      server.serverReady = true;
    },
  );
  await account.save();
  return { DBInstance: await renderInstance(account, record, scope) };
}

/**
 * Renames (`renaming`), master password changes (`resetting-master-credentials`, the engine's password
 * really changes), RDS-managed passwords, and settings (`modifying`). Deletion protection, tag copying
 * and backup retention change at once. Everything applies immediately: there is no maintenance window.
 */
export async function modifyDBInstance(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account, scope } = context;
  const record = account.requireInstance(
    resourceIdentifier('DBInstanceIdentifier', input.requiredString('DBInstanceIdentifier'), 'db'),
  );
  if (Object.keys(input.values).every((name) => NOT_MODIFICATIONS.has(name))) {
    throw rdsErrors.invalidCombination('No modifications were requested');
  }
  const newReference = input.string('NewDBInstanceIdentifier');
  const newIdentifier = newReference && resourceIdentifier('NewDBInstanceIdentifier', newReference, 'db');
  const rename = newIdentifier !== undefined && newIdentifier !== record.identifier;
  const password = input.string('MasterUserPassword');
  const manage = input.boolean('ManageMasterUserPassword');
  const isMember = record.clusterResourceId !== undefined;
  if (isMember && (password !== undefined || manage !== undefined)) {
    throw rdsErrors.invalidCombination(
      'The requested DB Instance will be a member of a DB Cluster. Set master user password for the DB Cluster.',
    );
  }
  if (isMember && input.has('BackupRetentionPeriod')) {
    throw rdsErrors.invalidCombination(
      'The specified DB Instance is a member of a cluster and its backup retention should not be modified directly. Instead, modify the backup retention of the cluster using the ModifyDbCluster API',
    );
  }
  if (password !== undefined && manage === true) {
    throw rdsErrors.invalidCombination(
      'MasterUserPassword cannot be specified when ManageMasterUserPassword is true.',
    );
  }
  if (manage === false && record.masterUserSecret && password === undefined) {
    throw rdsErrors.invalidCombination(
      'To stop RDS from managing the master user password, also specify a new MasterUserPassword.',
    );
  }
  if (password !== undefined) checkMasterPassword(password);
  const settings = instanceSettings(input, record);
  const credentials = password !== undefined || (manage === true && !record.masterUserSecret);
  const modifying = MODIFYING_SETTINGS.some(
    (key) => JSON.stringify(settings[key]) !== JSON.stringify(record[key]),
  );
  const status = account.statusOf(record);
  if ((rename || credentials || modifying) && status !== 'available') {
    throw rdsErrors.instanceState('Database instance is not in available state.');
  }
  if (status === 'deleting')
    throw rdsErrors.instanceState(`Instance ${record.identifier} is already being deleted.`);
  if (rename && account.instance(newIdentifier)) throw rdsErrors.instanceExists(newIdentifier);

  const server = record.server;
  const newPassword =
    manage === true && !record.masterUserSecret
      ? await createManagedSecret(account, record, 'instance', server?.masterUsername ?? '', scope)
      : password;
  if (manage === false && password !== undefined) {
    await deleteManagedSecret(account, record);
    record.masterUserSecret = undefined;
  }
  if (rename) claimIdentifier(context, newIdentifier);
  Object.assign(record, settings);
  if (rename) record.identifier = newIdentifier;
  if (rename || credentials || modifying) {
    if (credentials) record.pending.masterUserPassword = true;
    const phase = rename ? 'renaming' : credentials ? 'resetting-master-credentials' : 'modifying';
    const work =
      newPassword !== undefined && server
        ? () => account.engines.setAdminPassword(server.serverId, newPassword)
        : undefined;
    account.begin(
      'instance',
      record,
      { action: 'ModifyDBInstance', phases: [phase], outcome: 'available' },
      work,
    );
  }
  await account.save();
  return { DBInstance: await renderInstance(account, record, scope) };
}

/**
 * Deletes an instance (`deleting`, then gone), after a final snapshot unless SkipFinalSnapshot. Refused
 * while it has deletion protection, while engine work on it runs, and for an Aurora cluster's last instance
 * while the cluster is protected. Its read replicas become standalone instances.
 */
export async function deleteDBInstance(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account, scope } = context;
  const record = account.requireInstance(
    resourceIdentifier('DBInstanceIdentifier', input.requiredString('DBInstanceIdentifier'), 'db'),
  );
  const status = account.statusOf(record);
  if (status === 'deleting')
    throw rdsErrors.instanceState(`Instance ${record.identifier} is already being deleted.`);
  if (record.transition?.work === 'running') {
    throw rdsErrors.instanceState(
      `Instance ${record.identifier} is currently ${status}; it can be deleted once that operation completes.`,
    );
  }
  if (record.deletionProtection) {
    throw rdsErrors.invalidCombination(
      'Cannot delete protected DB Instance, please disable deletion protection and try again.',
    );
  }
  const skip = input.boolean('SkipFinalSnapshot') ?? false;
  const finalReference = input.string('FinalDBSnapshotIdentifier');
  const cluster = account.clusterByResourceId(record.clusterResourceId);
  let finalCopy: (() => Promise<void>) | undefined;
  if (cluster) {
    if (finalReference !== undefined) {
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
  } else if (finalReference !== undefined) {
    if (skip) {
      throw rdsErrors.invalidCombination(
        'FinalDBSnapshotIdentifier cannot be specified when SkipFinalSnapshot is true.',
      );
    }
    const snapshotId = snapshotIdentifier('FinalDBSnapshotIdentifier', finalReference, 'snapshot');
    finalCopy = startInstanceSnapshot(context, record, snapshotId, []).copied;
  } else if (!skip) {
    throw rdsErrors.invalidCombination(
      'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.',
    );
  }
  const serverId = record.server?.serverId;
  account.begin(
    'instance',
    record,
    { action: 'DeleteDBInstance', phases: ['deleting'], outcome: 'deleted' },
    async () => {
      await finalCopy?.();
      if (serverId !== undefined) await account.engines.remove(serverId).catch(ignore(ServerNotFoundError));
      await deleteManagedSecret(account, record);
    },
  );
  await account.save();
  return { DBInstance: await renderInstance(account, record, scope) };
}

export async function stopDBInstance(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account, scope } = context;
  const record = standaloneInstance(context, input, 'stopped');
  if (account.statusOf(record) !== 'available') {
    throw rdsErrors.instanceState(`Instance ${record.identifier} is not in available state.`);
  }
  if (record.replicaSourceResourceId !== undefined || account.replicasOf(record).length > 0) {
    throw rdsErrors.instanceState(
      `Instance ${record.identifier} cannot be stopped: it is a read replica or has read replicas.`,
    );
  }
  const serverId = standaloneServer(record);
  account.begin(
    'instance',
    record,
    { action: 'StopDBInstance', phases: ['stopping'], outcome: 'stopped' },
    async () => {
      await account.engines.stop(serverId);
    },
  );
  await account.save();
  return { DBInstance: await renderInstance(account, record, scope) };
}

export async function startDBInstance(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account, scope } = context;
  const record = standaloneInstance(context, input, 'started');
  if (account.statusOf(record) !== 'stopped') {
    throw rdsErrors.instanceState(`Instance ${record.identifier} is not stopped, cannot be started.`);
  }
  const serverId = standaloneServer(record);
  account.begin(
    'instance',
    record,
    { action: 'StartDBInstance', phases: ['starting'], outcome: 'available' },
    async () => {
      await account.engines.start(serverId);
    },
  );
  await account.save();
  return { DBInstance: await renderInstance(account, record, scope) };
}

function standaloneInstance(context: RdsContext, input: QueryInput, verb: string): InstanceRecord {
  const record = context.account.requireInstance(
    resourceIdentifier('DBInstanceIdentifier', input.requiredString('DBInstanceIdentifier'), 'db'),
  );
  if (record.clusterResourceId !== undefined) {
    throw rdsErrors.invalidCombination(
      `Instance ${record.identifier} is in a DB cluster and cannot be ${verb} on its own; stop or start the cluster.`,
    );
  }
  return record;
}

function standaloneServer(record: InstanceRecord): string {
  if (!record.server)
    throw rdsErrors.instanceState(`Instance ${record.identifier} has no server of its own.`);
  return record.server.serverId;
}

/** The new instance's identifier, checked to be free. @throws AwsError DBInstanceAlreadyExists */
function newInstanceIdentifier(context: RdsContext, input: QueryInput, parameter: string): string {
  const identifier = resourceIdentifier(parameter, input.requiredString(parameter), 'db');
  if (context.account.instance(identifier)) throw rdsErrors.instanceExists(identifier);
  return identifier;
}

/**
 * Checks again, after the awaits between the first check and the new record, that no concurrent request
 * took the identifier meanwhile.
 */
function claimIdentifier(context: RdsContext, identifier: string): void {
  if (context.account.instance(identifier)) throw rdsErrors.instanceExists(identifier);
}

interface NewInstance {
  readonly engine: string;
  readonly version: string;
  readonly settings: InstanceSettings;
  readonly tags: InstanceRecord['tags'];
}

function newInstance(context: RdsContext, identifier: string, from: NewInstance): InstanceRecord {
  return {
    ...from.settings,
    identifier,
    resourceId: newResourceId('db'),
    engine: from.engine,
    engineVersion: from.version,
    createdAt: context.account.now().toISOString(),
    status: 'creating',
    deletionProtection: from.settings.deletionProtection,
    tags: from.tags,
    pending: {},
  };
}
