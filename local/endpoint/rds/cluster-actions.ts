import { localEngineFor } from '../../engines/binaries';
import { ServerNotFoundError } from '../../engines/errors';
import { type QueryInput, type XmlValue, xmlList } from '../query-protocol';
import { ignore } from './account';
import type { RdsContext } from './context';
import { checkMasterUsername, createManagedSecret, deleteManagedSecret } from './credentials';
import { rdsErrors } from './errors';
import { newResourceId, resourceIdentifier, serverIdOf, snapshotIdentifier } from './identifiers';
import { isFailed, renderCluster, restorableWindow } from './render';
import {
  AURORA_ENGINES,
  type ClusterSettings,
  checkMasterPassword,
  clusterSettings,
  defaultClusterSettings,
  engineAndVersion,
  tagsOf,
} from './settings';
import { startClusterSnapshot } from './snapshot-actions';
import type { ClusterRecord } from './state';

/**
 * Aurora DB cluster actions. A cluster owns one engine server (its shared storage); its instances are
 * bookkeeping that point at it, so the cluster's Endpoint and every member's Endpoint are that server.
 * A copy-on-write clone is a copy of the server as it is now (EngineManager.clone); a full-copy restore
 * replays the change log to the requested time (restoreToTime); a cluster snapshot restore copies it back.
 */

const DATABASE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const CREATING = ['creating', 'backing-up'];

export async function describeDBClusters(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account, scope } = context;
  const reference = input.string('DBClusterIdentifier');
  let clusters = reference
    ? [account.requireCluster(resourceIdentifier('DBClusterIdentifier', reference, 'cluster'))]
    : account.state.clusters;
  for (const filter of input.structures('Filters') ?? []) {
    const name = filter.requiredString('Name');
    const values = filter.strings('Values') ?? [];
    clusters = clusters.filter((cluster) => {
      if (name === 'db-cluster-id') {
        return values.some((value) => resourceIdentifier('Filters', value, 'cluster') === cluster.identifier);
      }
      if (name === 'engine') return values.includes(cluster.engine);
      if (name === 'db-cluster-resource-id') return values.includes(cluster.resourceId);
      throw rdsErrors.invalidValue(
        `Unrecognized filter name: ${name}. Local mode filters by db-cluster-id, db-cluster-resource-id, engine`,
      );
    });
  }
  return {
    DBClusters: xmlList(
      'DBCluster',
      await Promise.all(clusters.map((cluster) => renderCluster(account, cluster, scope))),
    ),
  };
}

/** A new Aurora cluster (no instances yet: add them with CreateDBInstance) on a new engine server. */
export async function createDBCluster(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account, scope } = context;
  const identifier = newClusterIdentifier(context, input.requiredString('DBClusterIdentifier'));
  const { engine, version } = engineAndVersion(input.requiredString('Engine'), input.string('EngineVersion'));
  if (!AURORA_ENGINES.has(engine)) {
    throw rdsErrors.invalidValue(
      `Local mode creates Aurora DB clusters only (aurora-mysql, aurora-postgresql), not ${engine} clusters.`,
    );
  }
  const username = input.requiredString('MasterUsername');
  checkMasterUsername(username);
  const databaseName = input.string('DatabaseName');
  if (databaseName !== undefined && !DATABASE_NAME.test(databaseName)) {
    throw rdsErrors.invalidValue(
      `The parameter DatabaseName is not a valid database name: "${databaseName}". Use 1 to 64 letters, digits and underscores, starting with a letter.`,
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
  const settings = clusterSettings(input, defaultClusterSettings(engine, version));
  const port = await account.allocatePort();
  const record = newCluster(context, identifier, {
    engine,
    version,
    settings,
    tags: tagsOf(input),
    server: { port, masterUsername: username, databaseName },
  });
  const password = givenPassword ?? (await createManagedSecret(account, record, 'cluster', username, scope));
  claimIdentifier(context, identifier);
  account.state.clusters.push(record);
  const server = record.server;
  account.begin(
    'cluster',
    record,
    { action: 'CreateDBCluster', phases: CREATING, outcome: 'available' },
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
  return { DBCluster: await renderCluster(account, record, scope) };
}

/**
 * A new cluster with the source's data: `copy-on-write` with UseLatestRestorableTime clones the source's
 * server as it is now; otherwise the source's change log is replayed to RestoreToTime (or its latest time).
 */
export async function restoreDBClusterToPointInTime(
  context: RdsContext,
  input: QueryInput,
): Promise<XmlValue> {
  const { account, scope } = context;
  const source = account.requireCluster(
    resourceIdentifier(
      'SourceDBClusterIdentifier',
      input.requiredString('SourceDBClusterIdentifier'),
      'cluster',
    ),
  );
  const identifier = newClusterIdentifier(context, input.requiredString('DBClusterIdentifier'));
  const restoreType = input.string('RestoreType') ?? 'full-copy';
  if (restoreType !== 'full-copy' && restoreType !== 'copy-on-write') {
    throw rdsErrors.invalidValue(`Invalid RestoreType ${restoreType}: use full-copy or copy-on-write.`);
  }
  const sourceStatus = account.statusOf(source);
  if (
    !source.server.serverReady ||
    isFailed(sourceStatus) ||
    ['creating', 'deleting'].includes(sourceStatus)
  ) {
    throw rdsErrors.clusterState(`DB cluster ${source.identifier} is not in available state.`);
  }
  const useLatest = input.boolean('UseLatestRestorableTime') ?? false;
  const restoreTime = input.date('RestoreToTime');
  if (useLatest && restoreTime !== undefined) {
    throw rdsErrors.invalidCombination('Cannot specify both RestoreToTime and UseLatestRestorableTime.');
  }
  const clone = restoreType === 'copy-on-write' && restoreTime === undefined;
  let time: Date | undefined;
  if (!clone) {
    const window = await restorableWindow(account, source, sourceStatus);
    if (!window)
      throw rdsErrors.clusterState(`DB cluster ${source.identifier} has no restorable window yet.`);
    time = restoreTime ?? window.latest;
    if (time < window.earliest || time > window.latest) {
      throw rdsErrors.invalidValue(
        `Restore time ${time.toISOString()} is outside the restorable window of ${source.identifier}: ` +
          `${window.earliest.toISOString()} to ${window.latest.toISOString()}.`,
      );
    }
  }
  const settings = clusterSettings(input, { ...source, deletionProtection: false });
  const port = await account.allocatePort();
  const record = newCluster(context, identifier, {
    engine: source.engine,
    version: source.engineVersion,
    settings,
    tags: tagsOf(input),
    server: { port, masterUsername: source.server.masterUsername, databaseName: source.server.databaseName },
  });
  claimIdentifier(context, identifier);
  account.state.clusters.push(record);
  const server = record.server;
  const sourceServerId = source.server.serverId;
  account.begin(
    'cluster',
    record,
    {
      action: 'RestoreDBClusterToPointInTime',
      phases: CREATING,
      outcome: 'available',
      failedStatus: clone ? 'cloning-failed' : 'failed',
    },
    async () => {
      const target = { id: server.serverId, port };
      if (time === undefined) await account.engines.clone(sourceServerId, target);
      else await account.engines.restoreToTime(sourceServerId, time, target);
      server.serverReady = true;
    },
  );
  await account.save();
  return { DBCluster: await renderCluster(account, record, scope) };
}

/** A new cluster from a cluster snapshot; it keeps the snapshot's master user and password. */
export async function restoreDBClusterFromSnapshot(
  context: RdsContext,
  input: QueryInput,
): Promise<XmlValue> {
  const { account, scope } = context;
  const snapshot = account.requireClusterSnapshot(
    snapshotIdentifier('SnapshotIdentifier', input.requiredString('SnapshotIdentifier'), 'cluster-snapshot'),
  );
  const identifier = newClusterIdentifier(context, input.requiredString('DBClusterIdentifier'));
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
  const base: ClusterSettings = {
    ...defaultClusterSettings(snapshot.engine, snapshot.engineVersion),
    storageEncrypted: snapshot.storageEncrypted,
    kmsKeyId: snapshot.kmsKeyId,
  };
  const settings = clusterSettings(input, base);
  const port = await account.allocatePort();
  const record = newCluster(context, identifier, {
    engine: snapshot.engine,
    version: input.string('EngineVersion') ?? snapshot.engineVersion,
    settings,
    tags: tagsOf(input),
    server: { port, masterUsername: snapshot.masterUsername, databaseName: snapshot.databaseName },
  });
  claimIdentifier(context, identifier);
  account.state.clusters.push(record);
  const server = record.server;
  account.begin(
    'cluster',
    record,
    { action: 'RestoreDBClusterFromSnapshot', phases: CREATING, outcome: 'available' },
    async () => {
      await account.engines.restoreSnapshot(snapshot.engineSnapshot, { id: server.serverId, port });
      server.serverReady = true;
    },
  );
  await account.save();
  return { DBCluster: await renderCluster(account, record, scope) };
}

/**
 * Renames (`renaming`), master password changes (`resetting-master-credentials`, applied to the engine),
 * RDS-managed passwords; other settings (deletion protection, Serverless v2 capacity, retention, ...)
 * change at once.
 */
export async function modifyDBCluster(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account, scope } = context;
  const record = account.requireCluster(
    resourceIdentifier('DBClusterIdentifier', input.requiredString('DBClusterIdentifier'), 'cluster'),
  );
  if (
    Object.keys(input.values).every((name) => name === 'DBClusterIdentifier' || name === 'ApplyImmediately')
  ) {
    throw rdsErrors.invalidCombination('No modifications were requested');
  }
  const newReference = input.string('NewDBClusterIdentifier');
  const newIdentifier = newReference && resourceIdentifier('NewDBClusterIdentifier', newReference, 'cluster');
  const rename = newIdentifier !== undefined && newIdentifier !== record.identifier;
  const password = input.string('MasterUserPassword');
  const manage = input.boolean('ManageMasterUserPassword');
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
  const settings = clusterSettings(input, record);
  const credentials = password !== undefined || (manage === true && !record.masterUserSecret);
  const status = account.statusOf(record);
  if ((rename || credentials) && status !== 'available') {
    throw rdsErrors.clusterState(`DB cluster ${record.identifier} is not in available state.`);
  }
  if (status === 'deleting')
    throw rdsErrors.clusterState(`DB cluster ${record.identifier} is already being deleted.`);
  if (rename && account.cluster(newIdentifier)) throw rdsErrors.clusterExists(newIdentifier);

  const newPassword =
    manage === true && !record.masterUserSecret
      ? await createManagedSecret(account, record, 'cluster', record.server.masterUsername, scope)
      : password;
  if (manage === false && password !== undefined) {
    await deleteManagedSecret(account, record);
    record.masterUserSecret = undefined;
  }
  if (rename) claimIdentifier(context, newIdentifier);
  Object.assign(record, settings);
  if (rename) record.identifier = newIdentifier;
  if (rename || credentials) {
    if (credentials) record.pending.masterUserPassword = true;
    const serverId = record.server.serverId;
    account.begin(
      'cluster',
      record,
      {
        action: 'ModifyDBCluster',
        phases: [rename ? 'renaming' : 'resetting-master-credentials'],
        outcome: 'available',
      },
      newPassword === undefined ? undefined : () => account.engines.setAdminPassword(serverId, newPassword),
    );
  }
  await account.save();
  return { DBCluster: await renderCluster(account, record, scope) };
}

/**
 * Deletes a cluster and its engine server, after a final cluster snapshot unless SkipFinalSnapshot.
 * Refused while it is protected or still has instances that are not being deleted.
 */
export async function deleteDBCluster(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account, scope } = context;
  const record = account.requireCluster(
    resourceIdentifier('DBClusterIdentifier', input.requiredString('DBClusterIdentifier'), 'cluster'),
  );
  const status = account.statusOf(record);
  if (status === 'deleting')
    throw rdsErrors.clusterState(`Cluster ${record.identifier} is already being deleted.`);
  if (record.transition?.work === 'running') {
    throw rdsErrors.clusterState(
      `Cluster ${record.identifier} is currently ${status}; it can be deleted once that operation completes.`,
    );
  }
  if (record.deletionProtection) {
    throw rdsErrors.invalidCombination(
      'Cannot delete protected Cluster, please disable deletion protection and try again.',
    );
  }
  if (account.members(record).some((member) => account.statusOf(member) !== 'deleting')) {
    throw rdsErrors.clusterState(
      'Cluster cannot be deleted, it still contains DB instances in non-deleting state.',
    );
  }
  const skip = input.boolean('SkipFinalSnapshot') ?? false;
  const finalReference = input.string('FinalDBSnapshotIdentifier');
  let finalCopy: (() => Promise<void>) | undefined;
  if (finalReference !== undefined) {
    if (skip) {
      throw rdsErrors.invalidCombination(
        'FinalDBSnapshotIdentifier cannot be specified when SkipFinalSnapshot is true.',
      );
    }
    const snapshotId = snapshotIdentifier('FinalDBSnapshotIdentifier', finalReference, 'cluster-snapshot');
    finalCopy = startClusterSnapshot(context, record, snapshotId, []).copied;
  } else if (!skip) {
    throw rdsErrors.invalidCombination(
      'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.',
    );
  }
  const serverId = record.server.serverId;
  account.begin(
    'cluster',
    record,
    { action: 'DeleteDBCluster', phases: ['deleting'], outcome: 'deleted' },
    async () => {
      await finalCopy?.();
      await account.engines.remove(serverId).catch(ignore(ServerNotFoundError));
      await deleteManagedSecret(account, record);
    },
  );
  await account.save();
  return { DBCluster: await renderCluster(account, record, scope) };
}

/** Stops the cluster's server; its instances show `stopping`, then `stopped`, with it. */
export async function stopDBCluster(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account, scope } = context;
  const record = account.requireCluster(
    resourceIdentifier('DBClusterIdentifier', input.requiredString('DBClusterIdentifier'), 'cluster'),
  );
  if (account.statusOf(record) !== 'available') {
    throw rdsErrors.clusterState(`DB cluster ${record.identifier} is not in available state.`);
  }
  const busy = account.members(record).find((member) => account.statusOf(member) !== 'available');
  if (busy) {
    throw rdsErrors.clusterState(
      `DB cluster ${record.identifier} cannot be stopped while its instance ${busy.identifier} is ${account.statusOf(busy)}.`,
    );
  }
  const serverId = record.server.serverId;
  account.begin(
    'cluster',
    record,
    { action: 'StopDBCluster', phases: ['stopping'], outcome: 'stopped' },
    async () => {
      await account.engines.stop(serverId);
    },
  );
  await account.save();
  return { DBCluster: await renderCluster(account, record, scope) };
}

export async function startDBCluster(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { account, scope } = context;
  const record = account.requireCluster(
    resourceIdentifier('DBClusterIdentifier', input.requiredString('DBClusterIdentifier'), 'cluster'),
  );
  if (account.statusOf(record) !== 'stopped') {
    throw rdsErrors.clusterState(`DB cluster ${record.identifier} is not stopped, cannot be started.`);
  }
  const serverId = record.server.serverId;
  account.begin(
    'cluster',
    record,
    { action: 'StartDBCluster', phases: ['starting'], outcome: 'available' },
    async () => {
      await account.engines.start(serverId);
    },
  );
  await account.save();
  return { DBCluster: await renderCluster(account, record, scope) };
}

function newClusterIdentifier(context: RdsContext, reference: string): string {
  const identifier = resourceIdentifier('DBClusterIdentifier', reference, 'cluster');
  if (context.account.cluster(identifier)) throw rdsErrors.clusterExists(identifier);
  return identifier;
}

/** Checks again, after the awaits since the first check, that no concurrent request took the identifier. */
function claimIdentifier(context: RdsContext, identifier: string): void {
  if (context.account.cluster(identifier)) throw rdsErrors.clusterExists(identifier);
}

interface NewCluster {
  readonly engine: string;
  readonly version: string;
  readonly settings: ClusterSettings;
  readonly tags: ClusterRecord['tags'];
  readonly server: { readonly port: number; readonly masterUsername: string; readonly databaseName?: string };
}

function newCluster(context: RdsContext, identifier: string, from: NewCluster): ClusterRecord {
  const resourceId = newResourceId('cluster');
  return {
    ...from.settings,
    identifier,
    resourceId,
    engine: from.engine,
    engineVersion: from.version,
    createdAt: context.account.now().toISOString(),
    status: 'creating',
    tags: from.tags,
    pending: {},
    server: { ...from.server, serverId: serverIdOf(resourceId), serverReady: false },
  };
}
