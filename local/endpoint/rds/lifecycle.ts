import { localEngineFor } from '../../engines/binaries';
import type { NewServer } from '../../engines/engine-manager';
import { ServerNotFoundError } from '../../engines/errors';
import { type QueryInput, type XmlStructure, type XmlValue, xmlList } from '../query-protocol';
import type { AwsError } from '../service';
import { ignore, type RdsAccount } from './account';
import type { RdsContext } from './context';
import { checkMasterUsername, createManagedSecret, deleteManagedSecret } from './credentials';
import { applyNowOrDefer } from './deferred-changes';
import { rdsErrors } from './errors';
import { type ArnScope, newResourceId, resourceIdentifier, serverIdOf } from './identifiers';
import { isFailed, renderCluster, renderInstance, restorableWindow } from './render';
import { type DeletionSituation, type FinalSnapshotRequest, finalSnapshotIdentifier } from './rules/deletion';
import { checkMasterPassword } from './rules/passwords';
import { tagsOf } from './settings';
import type { ClusterRecord, InstanceRecord, RdsTag, ServerRecord } from './state';
import type { TransitionStart } from './status-clock';

/**
 * The steps DB instance and DB cluster actions share: finding the resource a request names, answering with
 * it, and the lifecycle RDS gives both (a new engine server, a restore time, renames and password changes,
 * stop and start, deletion after a final snapshot). instance-actions.ts and cluster-actions.ts keep what
 * differs.
 */

export type Resource = InstanceRecord | ClusterRecord;

/** What the shared steps need to know of instances or of clusters. */
export interface ResourceType<R extends Resource> {
  readonly kind: 'instance' | 'cluster';
  /** The response element, as the API names the resource in its actions (CreateDBInstance, ...). */
  readonly element: 'DBInstance' | 'DBCluster';
  readonly arnType: 'db' | 'cluster';
  /** How RDS's messages name one: "Instance db-1 is not in available state." */
  readonly noun: string;
  /** How the Delete action's messages name one: "Cluster cl-1 is already being deleted." */
  readonly deletionNoun: string;
  /** "Cannot delete protected DB Instance, ..." */
  readonly protectedNoun: string;
  stateError(message: string): AwsError;
  existsError(identifier: string): AwsError;
  find(account: RdsAccount, identifier: string): R | undefined;
  require(account: RdsAccount, identifier: string): R;
  /** The account's list, read on every call: a deletion replaces it. */
  records(account: RdsAccount): R[];
  render(account: RdsAccount, record: R, scope: ArnScope): Promise<XmlStructure>;
}

export const INSTANCES: ResourceType<InstanceRecord> = {
  kind: 'instance',
  element: 'DBInstance',
  arnType: 'db',
  noun: 'Instance',
  deletionNoun: 'Instance',
  protectedNoun: 'DB Instance',
  stateError: rdsErrors.instanceState,
  existsError: rdsErrors.instanceExists,
  find: (account, identifier) => account.instance(identifier),
  require: (account, identifier) => account.requireInstance(identifier),
  records: (account) => account.state.instances,
  render: renderInstance,
};

export const CLUSTERS: ResourceType<ClusterRecord> = {
  kind: 'cluster',
  element: 'DBCluster',
  arnType: 'cluster',
  noun: 'DB cluster',
  deletionNoun: 'Cluster',
  protectedNoun: 'Cluster',
  stateError: rdsErrors.clusterState,
  existsError: rdsErrors.clusterExists,
  find: (account, identifier) => account.cluster(identifier),
  require: (account, identifier) => account.requireCluster(identifier),
  records: (account) => account.state.clusters,
  render: renderCluster,
};

/** `DBInstanceIdentifier` or `DBClusterIdentifier`. */
function identifierParameter(type: ResourceType<Resource>): string {
  return `${type.element}Identifier`;
}

/** The resource the request names by `parameter` (by default DBInstanceIdentifier or DBClusterIdentifier). */
export function requireResource<R extends Resource>(
  context: RdsContext,
  type: ResourceType<R>,
  input: QueryInput,
  parameter = identifierParameter(type),
): R {
  return type.require(
    context.account,
    resourceIdentifier(parameter, input.requiredString(parameter), type.arnType),
  );
}

/** A new resource's identifier, checked to be free. @throws AwsError DBInstanceAlreadyExists, ... */
export function newIdentifier(
  context: RdsContext,
  type: ResourceType<Resource>,
  input: QueryInput,
  parameter = identifierParameter(type),
): string {
  const identifier = resourceIdentifier(parameter, input.requiredString(parameter), type.arnType);
  claimIdentifier(context, type, identifier);
  return identifier;
}

/**
 * Checks (again, after the awaits since the first check) that no other request took the identifier.
 * @throws AwsError DBInstanceAlreadyExists, DBClusterAlreadyExistsFault
 */
export function claimIdentifier(context: RdsContext, type: ResourceType<Resource>, identifier: string): void {
  if (type.find(context.account, identifier)) throw type.existsError(identifier);
}

/** Saves the account and answers with the resource as it is now (`<DBInstance>` or `<DBCluster>`). */
export async function respond<R extends Resource>(
  context: RdsContext,
  type: ResourceType<R>,
  record: R,
): Promise<XmlValue> {
  await context.account.save();
  return { [type.element]: await type.render(context.account, record, context.scope) };
}

/** One `Filters` name of a Describe action: whether `record` matches one of `values`. */
export type Filter<R> = (record: R, values: readonly string[], account: RdsAccount) => boolean;

/** Whether one of `values` (identifiers or ARNs of `arnType`) names `record`. */
export function isNamedIn(record: Resource, values: readonly string[], arnType: 'db' | 'cluster'): boolean {
  return values.some((value) => resourceIdentifier('Filters', value, arnType) === record.identifier);
}

/**
 * DescribeDBInstances and DescribeDBClusters: the resource the request names (or all), narrowed by its
 * `Filters`: `filters` and `engine`, the names local mode knows, in the order its message lists them.
 */
export async function describeResources<R extends Resource>(
  context: RdsContext,
  type: ResourceType<R>,
  input: QueryInput,
  filters: Readonly<Record<string, Filter<R>>>,
): Promise<XmlValue> {
  const { account, scope } = context;
  const parameter = identifierParameter(type);
  const reference = input.string(parameter);
  let records = reference
    ? [type.require(account, resourceIdentifier(parameter, reference, type.arnType))]
    : type.records(account);
  const known: Readonly<Record<string, Filter<R>>> = {
    ...filters,
    engine: (record, values) => values.includes(record.engine),
  };
  for (const filter of input.structures('Filters') ?? []) {
    const name = filter.requiredString('Name');
    const values = filter.strings('Values') ?? [];
    records = records.filter((record) => matchesFilter(known, name, values, record, account));
  }
  return {
    [`${type.element}s`]: xmlList(
      type.element,
      await Promise.all(records.map((record) => type.render(account, record, scope))),
    ),
  };
}

function matchesFilter<R>(
  filters: Readonly<Record<string, Filter<R>>>,
  name: string,
  values: readonly string[],
  record: R,
  account: RdsAccount,
): boolean {
  const matches = Object.hasOwn(filters, name) ? filters[name] : undefined;
  if (!matches) {
    throw rdsErrors.invalidValue(
      `Unrecognized filter name: ${name}. Local mode filters by ${Object.keys(filters).join(', ')}`,
    );
  }
  return matches(record, values, account);
}

/**
 * Refuses a request that gives both, or neither, of two parameters that exclude each other.
 * @throws AwsError InvalidParameterCombination with RDS's message for the case
 */
export function checkExactlyOne(
  first: boolean,
  second: boolean,
  messages: { readonly both: string; readonly neither: string },
): void {
  if (first === second) throw rdsErrors.invalidCombination(first ? messages.both : messages.neither);
}

/** A new server's master user and database, as the request or the source of a restore names them. */
export interface MasterUser {
  readonly masterUsername: string;
  readonly databaseName?: string;
}

const DATABASE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/**
 * The master user, database (`databaseParameter`) and password of a new instance or cluster; no password
 * when RDS is to manage it (ManageMasterUserPassword).
 * @throws AwsError for names and passwords RDS refuses, and unless exactly one of the two password parameters
 */
export function requestedMasterUser(
  input: QueryInput,
  databaseParameter: 'DBName' | 'DatabaseName',
  engine: string,
): MasterUser & { readonly password?: string } {
  const masterUsername = input.requiredString('MasterUsername');
  checkMasterUsername(masterUsername);
  const databaseName = input.string(databaseParameter);
  if (databaseName !== undefined && !DATABASE_NAME.test(databaseName)) {
    throw rdsErrors.invalidValue(
      `The parameter ${databaseParameter} is not a valid database name: "${databaseName}". Use 1 to 64 letters, digits and underscores, starting with a letter.`,
    );
  }
  const manage = input.boolean('ManageMasterUserPassword') ?? false;
  const password = input.string('MasterUserPassword');
  checkExactlyOne(manage, password !== undefined, {
    both: 'MasterUserPassword cannot be specified when ManageMasterUserPassword is true.',
    neither: 'The parameter MasterUserPassword must be provided and must not be blank.',
  });
  if (password !== undefined) checkMasterPassword(engine, password);
  return { masterUsername, databaseName, password };
}

/** What a new instance or cluster is made of. */
export interface NewResource<S> {
  readonly engine: string;
  readonly engineVersion: string;
  readonly settings: S;
  readonly tags: RdsTag[];
}

/** The record of a new instance or cluster: `creating`, with a new resource id, without a server. */
export function newRecord<S extends object>(
  context: RdsContext,
  type: ResourceType<Resource>,
  identifier: string,
  from: NewResource<S>,
) {
  return {
    ...from.settings,
    identifier,
    resourceId: newResourceId(type.arnType),
    engine: from.engine,
    engineVersion: from.engineVersion,
    createdAt: context.account.now().toISOString(),
    status: 'creating',
    tags: from.tags,
    pending: {},
  };
}

/** A new record with its own engine server (not built yet), on a port no other resource of the account has. */
export async function newRecordWithServer<S extends object>(
  context: RdsContext,
  type: ResourceType<Resource>,
  identifier: string,
  from: NewResource<S>,
  user: MasterUser,
) {
  const record = newRecord(context, type, identifier, from);
  const server: ServerRecord = {
    serverId: serverIdOf(record.resourceId),
    port: await context.account.allocatePort(),
    serverReady: false,
    masterUsername: user.masterUsername,
    databaseName: user.databaseName,
  };
  return { ...record, server };
}

/** A new resource of `source`'s engine, with `settings` and the request's tags. */
export function newResource<S>(
  source: { readonly engine: string; readonly engineVersion: string },
  settings: S,
  input: QueryInput,
): NewResource<S> {
  return { engine: source.engine, engineVersion: source.engineVersion, settings, tags: tagsOf(input) };
}

/** Engine work that builds `server` (`build` gets its id and port); the server is ready once it is done. */
export function buildServer(
  server: ServerRecord,
  build: (target: NewServer) => Promise<unknown>,
): () => Promise<void> {
  return async () => {
    await build({ id: server.serverId, port: server.port });
    server.serverReady = true;
  };
}

/** Adds a new instance or cluster to the account, showing the statuses of `start` while `work` runs. */
export async function addResource<R extends Resource>(
  context: RdsContext,
  type: ResourceType<R>,
  record: R,
  start: Omit<TransitionStart, 'hasWork'>,
  work?: () => Promise<void>,
): Promise<XmlValue> {
  claimIdentifier(context, type, record.identifier);
  type.records(context.account).push(record);
  context.account.begin(type.kind, record, start, work);
  return respond(context, type, record);
}

/**
 * Adds a new instance or cluster whose engine server is created empty, for the master user with its
 * password, or with a new RDS-managed password when it has none.
 */
export async function addWithNewServer<R extends Resource>(
  context: RdsContext,
  type: ResourceType<R>,
  record: R & { readonly server: ServerRecord },
  password: string | undefined,
): Promise<XmlValue> {
  const { account, scope } = context;
  const { server } = record;
  const adminPassword =
    password ?? (await createManagedSecret(account, record, type.kind, server.masterUsername, scope));
  return addResource(
    context,
    type,
    record,
    { action: `Create${type.element}`, phases: ['creating', 'backing-up'], outcome: 'available' },
    buildServer(server, (target) =>
      account.engines.createServer({
        ...target,
        engine: localEngineFor(record.engine),
        adminUser: server.masterUsername,
        adminPassword,
        databaseName: server.databaseName,
      }),
    ),
  );
}

/** "Instance db-1 is not in available state." */
export function notAvailable(type: ResourceType<Resource>, record: Resource): AwsError {
  return type.stateError(`${type.noun} ${record.identifier} is not in available state.`);
}

/** Refuses a change the resource's status does not allow: only an available (or a stopped) one can take it. */
export function checkStatus(
  account: RdsAccount,
  type: ResourceType<Resource>,
  record: Resource,
  wanted: 'available' | 'stopped',
): void {
  if (account.statusOf(record) === wanted) return;
  throw wanted === 'available'
    ? notAvailable(type, record)
    : type.stateError(`${type.noun} ${record.identifier} is not stopped, cannot be started.`);
}

/**
 * The server and status of a restore's source, checked to have data to restore.
 * @throws AwsError InvalidDBInstanceState, InvalidDBClusterStateFault
 */
export function restoreSourceServer(
  account: RdsAccount,
  type: ResourceType<Resource>,
  source: Resource,
): { server: ServerRecord; status: string } {
  const { server } = source;
  const status = account.statusOf(source);
  if (!server?.serverReady || isFailed(status) || ['creating', 'deleting'].includes(status)) {
    throw notAvailable(type, source);
  }
  return { server, status };
}

/**
 * The time to restore `source` to: `requested`, or its latest restorable time.
 * @throws AwsError InvalidParameterValue for a time outside its restorable window
 */
export async function restoreTime(
  account: RdsAccount,
  type: ResourceType<Resource>,
  source: Resource,
  status: string,
  requested: Date | undefined,
): Promise<Date> {
  const window = await restorableWindow(account, source, status);
  if (!window) throw type.stateError(`${type.noun} ${source.identifier} has no restorable window yet.`);
  const time = requested ?? window.latest;
  // RestoreTime "Must be before the latest restorable time for the DB instance" (and after the earliest).
  // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceToPointInTime.html
  if (time < window.earliest || time > window.latest) {
    throw rdsErrors.invalidValue(
      `Restore time ${time.toISOString()} is outside the restorable window of ${source.identifier}: ` +
        `${window.earliest.toISOString()} to ${window.latest.toISOString()}.`,
    );
  }
  return time;
}

/** What ModifyDBInstance and ModifyDBCluster do differently. */
export interface ModifyRules<R extends Resource, S> {
  /** Refusals of the type's own, once the request's name and password parameters are read. */
  readonly refuse?: (record: R, password: string | undefined, manage: boolean | undefined) => void;
  /** The record's settings with the request's changes. */
  readonly settings: (record: R) => S;
  /** Whether the settings change is one RDS applies by `modifying` the resource. */
  readonly modifying?: (settings: S, record: R) => boolean;
  /** The message when a change that needs an available resource finds it otherwise. */
  readonly notAvailableMessage?: string;
  /** The settings RDS applies in the maintenance window unless ApplyImmediately (see deferred-changes.ts). */
  readonly deferrable?: readonly string[];
}

/**
 * Renames (`renaming`), master password changes (`resetting-master-credentials`, the engine's password
 * really changes), RDS-managed passwords, and settings (`modifying` where `rules` say so; the others change
 * at once). Everything applies immediately: there is no maintenance window.
 */
export async function modifyResource<R extends Resource, S extends object>(
  context: RdsContext,
  type: ResourceType<R>,
  input: QueryInput,
  rules: ModifyRules<R, S>,
): Promise<XmlValue> {
  const { account, scope } = context;
  const parameter = identifierParameter(type);
  const record = requireResource(context, type, input, parameter);
  if (Object.keys(input.values).every((name) => name === parameter || name === 'ApplyImmediately')) {
    throw rdsErrors.invalidCombination('No modifications were requested');
  }
  const newReference = input.string(`New${parameter}`);
  const requestedName = newReference && resourceIdentifier(`New${parameter}`, newReference, type.arnType);
  if (
    requestedName !== undefined &&
    requestedName !== record.identifier &&
    type.find(account, requestedName)
  ) {
    throw type.existsError(requestedName);
  }
  const password = input.string('MasterUserPassword');
  const manage = input.boolean('ManageMasterUserPassword');
  rules.refuse?.(record, password, manage);
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
  if (password !== undefined) checkMasterPassword(record.engine, password);
  const now = applyNowOrDefer(
    input,
    record,
    rules.settings(record),
    requestedName !== record.identifier ? requestedName : undefined,
    record.pending,
    rules.deferrable ?? [],
  );
  const { settings } = now;
  const newIdentifier = now.rename;
  const rename = newIdentifier !== undefined && newIdentifier !== record.identifier;
  const credentials = password !== undefined || (manage === true && !record.masterUserSecret);
  const modifying = rules.modifying?.(settings, record) ?? false;
  const status = account.statusOf(record);
  if ((rename || credentials || modifying || now.deferred) && status !== 'available') {
    throw rules.notAvailableMessage === undefined
      ? notAvailable(type, record)
      : type.stateError(rules.notAvailableMessage);
  }
  if (status === 'deleting') {
    throw type.stateError(`${type.noun} ${record.identifier} is already being deleted.`);
  }
  if (rename && type.find(account, newIdentifier)) throw type.existsError(newIdentifier);

  record.pending = { ...record.pending, ...now.pending };
  const { server } = record;
  const newPassword =
    manage === true && !record.masterUserSecret
      ? await createManagedSecret(account, record, type.kind, server?.masterUsername ?? '', scope)
      : password;
  if (manage === false && password !== undefined) {
    await deleteManagedSecret(account, record);
    record.masterUserSecret = undefined;
  }
  if (rename) claimIdentifier(context, type, newIdentifier);
  Object.assign(record, settings);
  if (rename) record.identifier = newIdentifier;
  if (rename || credentials || modifying) {
    if (credentials) record.pending.masterUserPassword = true;
    const phase = rename ? 'renaming' : credentials ? 'resetting-master-credentials' : 'modifying';
    account.begin(
      type.kind,
      record,
      { action: `Modify${type.element}`, phases: [phase], outcome: 'available' },
      newPassword !== undefined && server
        ? () => account.engines.setAdminPassword(server.serverId, newPassword)
        : undefined,
    );
  }
  return respond(context, type, record);
}

/** A deletion's final snapshot: the copy to wait for before the server goes. */
export type FinalCopy = () => Promise<void>;

/**
 * Deletes an instance or cluster (`deleting`, then gone) with its server and RDS-managed secret. Refused
 * while it is being deleted, busy with engine work, or protected; `prepare` makes the type's own checks and
 * starts the final snapshot, if any.
 */
export async function deleteResource<R extends Resource>(
  context: RdsContext,
  type: ResourceType<R>,
  input: QueryInput,
  prepare: (record: R) => FinalCopy | undefined,
): Promise<XmlValue> {
  const { account } = context;
  const record = requireResource(context, type, input);
  const status = account.statusOf(record);
  if (status === 'deleting') {
    throw type.stateError(`${type.deletionNoun} ${record.identifier} is already being deleted.`);
  }
  if (record.transition?.work === 'running') {
    throw type.stateError(
      `${type.deletionNoun} ${record.identifier} is currently ${status}; it can be deleted once that operation completes.`,
    );
  }
  // DeletionProtection: "The database can't be deleted when deletion protection is enabled."
  // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html
  if (record.deletionProtection) {
    throw rdsErrors.invalidCombination(
      `Cannot delete protected ${type.protectedNoun}, please disable deletion protection and try again.`,
    );
  }
  const finalCopy = prepare(record);
  const serverId = record.server?.serverId;
  account.begin(
    type.kind,
    record,
    { action: `Delete${type.element}`, phases: ['deleting'], outcome: 'deleted' },
    async () => {
      await finalCopy?.();
      if (serverId !== undefined) await account.engines.remove(serverId).catch(ignore(ServerNotFoundError));
      await deleteManagedSecret(account, record);
    },
  );
  return respond(context, type, record);
}

export type { FinalSnapshotRequest } from './rules/deletion';

export function finalSnapshotRequest(input: QueryInput): FinalSnapshotRequest {
  return {
    skip: input.boolean('SkipFinalSnapshot') ?? false,
    reference: input.string('FinalDBSnapshotIdentifier'),
  };
}

/**
 * Starts the final snapshot a deletion asks for (`start` takes its identifier) and returns its copy.
 * @throws AwsError for a combination of SkipFinalSnapshot and FinalDBSnapshotIdentifier RDS refuses
 */
export function startFinalSnapshot(
  request: FinalSnapshotRequest,
  situation: DeletionSituation,
  start: (identifier: string) => { copied: FinalCopy },
): FinalCopy | undefined {
  const identifier = finalSnapshotIdentifier(request, situation);
  return identifier === undefined ? undefined : start(identifier).copied;
}

const SERVER_SWITCHES = {
  stop: { verb: 'Stop', phase: 'stopping', outcome: 'stopped' },
  start: { verb: 'Start', phase: 'starting', outcome: 'available' },
} as const;

/** Stops (`stopping`, then `stopped`) or starts (`starting`, then `available`) the resource's server. */
export async function switchServer<R extends Resource>(
  context: RdsContext,
  type: ResourceType<R>,
  record: R,
  serverId: string,
  to: 'stop' | 'start',
): Promise<XmlValue> {
  const { account } = context;
  const { verb, phase, outcome } = SERVER_SWITCHES[to];
  account.begin(
    type.kind,
    record,
    { action: `${verb}${type.element}`, phases: [phase], outcome },
    async () => {
      await account.engines[to](serverId);
    },
  );
  return respond(context, type, record);
}
