import {
  type MasterUserSecret,
  ModifyDBClusterCommand,
  type ModifyDBClusterCommandInput,
  ModifyDBInstanceCommand,
  type ModifyDBInstanceCommandInput,
  type RDSClient,
} from '@aws-sdk/client-rds';
import {
  CreateSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { findCluster, findInstance, RUN_TAG_KEY } from '../shared/aws/rds';
import {
  CURRENT_STAGE,
  describeSecret,
  RUN_PENDING_STAGE,
  runVersionId,
  type SecretDescription,
  stagesOf,
  versionWithStage,
} from '../shared/aws/secrets';
import { DbRefreshError, GuardError, TerminalStateError } from '../shared/errors';
import { logger } from '../shared/handler';
import { continuePoll, type PollState, startPoll } from '../shared/poll';
import { hasReachedStatus } from '../shared/rds-status';
import type { Plan } from '../shared/run/plan';
import { checkMasterPassword, randomPasswordRequest } from './password-rules';

const STEP = 'Set admin password';
const DEFAULT_EXPECTED_SECONDS = 60;
const TIMEOUT_SECONDS = 3600;
/** RDS shows this while it applies a new master password. */
const RESETTING_CREDENTIALS = 'resetting-master-credentials';

/** What the step reads from the temporary copy, whether it is an instance or a cluster. */
interface Copy {
  readonly id: string;
  readonly status: string;
  readonly masterUsername?: string;
  readonly address?: string;
  readonly port?: number;
  /** The database created with the copy (DBName, DatabaseName), if any. */
  readonly databaseName?: string;
  readonly masterUserSecret?: MasterUserSecret;
  /** RDS still has to apply a new master password. */
  readonly passwordPending: boolean;
}

/**
 * Gives the temporary copy its own admin password, so production's password never reaches it: either RDS
 * manages it (ManageMasterUserPassword) or dbrefresh generates one and stores it in a new version of the
 * target's secret (labelled DBREFRESH_PENDING), which the swap makes current. The password never leaves this function.
 */
export async function startAdminPassword(
  rds: RDSClient,
  sm: SecretsManagerClient,
  plan: Plan,
  now: Date,
): Promise<PollState> {
  const copy = await describeCopy(rds, plan);
  if (plan.adminPassword.managed) {
    await manageMasterPassword(rds, plan, copy);
  } else {
    await setGeneratedPassword(rds, sm, plan, copy);
  }
  return startPoll(now, {
    expectedSeconds: plan.expectedSeconds.adminPassword ?? DEFAULT_EXPECTED_SECONDS,
    timeoutSeconds: TIMEOUT_SECONDS,
  });
}

/**
 * Done when the copy is available again with the new password applied (and, when RDS manages it, its
 * secret active).
 * @throws TerminalStateError when the copy or its RDS-managed secret is stuck
 */
export async function checkAdminPassword(
  rds: RDSClient,
  plan: Plan,
  poll: PollState,
  now: Date,
): Promise<PollState> {
  const copy = await describeCopy(rds, plan);
  const available = hasReachedStatus(copy.id, copy.status);
  const done = plan.adminPassword.managed
    ? available && managedSecretActive(copy)
    : available && !copy.passwordPending;
  return continuePoll(poll, now, done, `${STEP} on ${plan.target.kind} ${copy.id}`);
}

async function manageMasterPassword(rds: RDSClient, plan: Plan, copy: Copy): Promise<void> {
  if (copy.masterUserSecret) {
    logger.info('RDS already manages the copy admin password', { copy: copy.id });
    return;
  }
  await modifyCopy(rds, plan, { ManageMasterUserPassword: true });
  logger.info('Asked RDS to manage the copy admin password', { copy: copy.id });
}

async function setGeneratedPassword(
  rds: RDSClient,
  sm: SecretsManagerClient,
  plan: Plan,
  copy: Copy,
): Promise<void> {
  const { secretName } = plan.adminPassword;
  const versionId = runVersionId(plan.runId);
  const secret = await describeSecret(sm, secretName);
  if (secret?.DeletedDate) {
    throw new GuardError(
      `Secret ${secretName} is scheduled for deletion (since ${secret.DeletedDate.toISOString()}); ` +
        'restore it (RestoreSecret) or choose another adminPassword.secretName, then start the refresh again',
    );
  }
  if (secret && stagesOf(secret, versionId).length > 0) {
    if (copy.passwordPending || copy.status === RESETTING_CREDENTIALS) {
      logger.info('The copy is already applying this run password', { copy: copy.id, secretName, versionId });
      return;
    }
    const password = await storedPassword(sm, secretName, versionId);
    logger.info('Reusing the password this run already stored', { secretName, versionId });
    await modifyCopy(rds, plan, { MasterUserPassword: password });
    return;
  }
  const kept = secret ? await currentKeys(sm, secretName, secret) : {};
  const password = await generatePassword(sm, plan.engineFamily);
  const value = { ...kept, ...secretValue(plan, copy, password, kept) };
  await storeNewPassword(sm, plan, secret !== undefined, JSON.stringify(value));
  await modifyCopy(rds, plan, { MasterUserPassword: password });
  logger.info('Set the new admin password on the copy', { copy: copy.id });
}

/**
 * Writes the run's version: DBREFRESH_PENDING in an existing secret (applications keep reading AWSCURRENT
 * until the swap; AWSPENDING is left to the secret's rotation), or the first version of a new secret, which is
 * AWSCURRENT because nothing reads it before the swap.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
 */
async function storeNewPassword(
  sm: SecretsManagerClient,
  plan: Plan,
  secretExists: boolean,
  secretString: string,
): Promise<void> {
  const { secretName } = plan.adminPassword;
  const versionId = runVersionId(plan.runId);
  if (secretExists) {
    await sm.send(
      new PutSecretValueCommand({
        SecretId: secretName,
        ClientRequestToken: versionId,
        SecretString: secretString,
        VersionStages: [RUN_PENDING_STAGE],
      }),
    );
    logger.info('Stored the new password in a new version of the secret', { secretName, versionId });
    return;
  }
  await sm.send(
    new CreateSecretCommand({
      Name: secretName,
      ClientRequestToken: versionId,
      SecretString: secretString,
      Description: `Admin credentials of the RDS ${plan.target.kind} ${plan.target.id}, set by dbrefresh`,
      Tags: [{ Key: RUN_TAG_KEY, Value: plan.runId }],
    }),
  );
  logger.info('Created the secret with the new password', { secretName, versionId });
}

/**
 * The keys dbrefresh writes, in the structure Secrets Manager's rotation functions for RDS and Aurora expect:
 * `engine` (the family name they check: mysql, mariadb, postgres, oracle, aurora-mysql, aurora-postgresql),
 * `host` (the endpoint under the target's name after the swap), `port`, `username`, `password`, and `dbname`
 * (the secret's own when it has one, else the copy's database; Oracle's functions require it). The identifier
 * key names the instance or cluster for the console and local mode.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_secret_json_structure.html
 * @throws DbRefreshError before anything is stored when the copy reports no endpoint, or an Oracle copy no database name
 */
function secretValue(
  plan: Plan,
  copy: Copy,
  password: string,
  kept: Readonly<Record<string, unknown>>,
): Record<string, string | number> {
  const { kind, id, temporaryId } = plan.target;
  if (!copy.masterUsername || !copy.address || copy.port === undefined) {
    throw new DbRefreshError(
      `The temporary copy ${temporaryId} reports no master user name, endpoint or port (status "${copy.status}"); ` +
        'the restore step should have waited until it was available. Start the refresh again',
    );
  }
  const dbname = typeof kept.dbname === 'string' && kept.dbname !== '' ? kept.dbname : copy.databaseName;
  if (dbname === undefined && plan.engineFamily === 'oracle') {
    throw new DbRefreshError(
      `The temporary copy ${temporaryId} reports no database name (DBName), which the Oracle rotation functions ` +
        `require in the secret as "dbname"; add "dbname" to secret ${plan.adminPassword.secretName}, then start the refresh again`,
    );
  }
  return {
    engine: plan.engineFamily,
    host: endpointAfterSwap(copy.address, temporaryId, id),
    port: copy.port,
    username: copy.masterUsername,
    password,
    ...(dbname !== undefined && { dbname }),
    [kind === 'instance' ? 'dbInstanceIdentifier' : 'dbClusterIdentifier']: id,
  };
}

/**
 * The keys the secret's current version holds, which the run's version keeps (`masterarn`, replicas' hosts,
 * whatever applications added): dbrefresh adds to a secret, it never rewrites it. None when the secret has no
 * current version yet.
 * @throws DbRefreshError naming the secret, never its text, when the current version is not a JSON object
 */
async function currentKeys(
  sm: SecretsManagerClient,
  secretName: string,
  secret: SecretDescription,
): Promise<Record<string, unknown>> {
  const current = versionWithStage(secret, CURRENT_STAGE);
  if (current === undefined) return {};
  const out = await sm.send(new GetSecretValueCommand({ SecretId: secretName, VersionId: current }));
  const value = jsonObject(out.SecretString);
  if (value === undefined) {
    throw new DbRefreshError(
      `The current version ${current} of secret ${secretName} is not a JSON object, so dbrefresh cannot add the ` +
        'admin login to what it holds without losing it. Store it as JSON (the RDS format: {"username": ..., "password": ...}) ' +
        'or set adminPassword.secretName to another secret, then start the refresh again',
    );
  }
  return value;
}

/**
 * The endpoint the copy will have under the target's name: RDS endpoints are
 * `<identifier>.<hash>.<region>.rds.amazonaws.com` and a rename changes only the identifier.
 */
export function endpointAfterSwap(address: string, temporaryId: string, targetId: string): string {
  const prefix = `${temporaryId}.`;
  return address.startsWith(prefix) ? `${targetId}.${address.slice(prefix.length)}` : address;
}

async function generatePassword(sm: SecretsManagerClient, family: Plan['engineFamily']): Promise<string> {
  const out = await sm.send(new GetRandomPasswordCommand(randomPasswordRequest(family)));
  if (!out.RandomPassword) throw new DbRefreshError('Secrets Manager GetRandomPassword returned no password');
  checkMasterPassword(family, out.RandomPassword);
  return out.RandomPassword;
}

async function storedPassword(
  sm: SecretsManagerClient,
  secretName: string,
  versionId: string,
): Promise<string> {
  const out = await sm.send(new GetSecretValueCommand({ SecretId: secretName, VersionId: versionId }));
  const password = passwordField(out.SecretString);
  if (password === undefined) {
    throw new DbRefreshError(
      `Version ${versionId} of secret ${secretName} is not JSON with a "password" string; it was changed after ` +
        'this run wrote it. Remove that version (or its labels) and start the refresh again',
    );
  }
  return password;
}

/** The `password` field of a secret string; never echoes the string (a parse error would quote it). */
function passwordField(secretString: string | undefined): string | undefined {
  const password = jsonObject(secretString)?.password;
  return typeof password === 'string' ? password : undefined;
}

/** A secret string parsed as a JSON object, or undefined; never echoes the string (a parse error would quote it). */
function jsonObject(secretString: string | undefined): Record<string, unknown> | undefined {
  if (secretString === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(secretString);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch (error: unknown) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

async function modifyCopy(
  rds: RDSClient,
  plan: Plan,
  change: Pick<
    ModifyDBInstanceCommandInput & ModifyDBClusterCommandInput,
    'MasterUserPassword' | 'ManageMasterUserPassword'
  >,
): Promise<void> {
  const id = plan.target.temporaryId;
  if (plan.target.kind === 'instance') {
    await rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, ApplyImmediately: true, ...change }),
    );
  } else {
    await rds.send(
      new ModifyDBClusterCommand({ DBClusterIdentifier: id, ApplyImmediately: true, ...change }),
    );
  }
}

async function describeCopy(rds: RDSClient, plan: Plan): Promise<Copy> {
  const { kind, temporaryId } = plan.target;
  if (kind === 'instance') {
    const instance = await findInstance(rds, temporaryId);
    if (!instance) throw missingCopy(plan);
    return {
      id: temporaryId,
      status: instance.DBInstanceStatus ?? 'unknown',
      masterUsername: instance.MasterUsername,
      address: instance.Endpoint?.Address,
      port: instance.Endpoint?.Port,
      databaseName: instance.DBName,
      masterUserSecret: instance.MasterUserSecret,
      passwordPending: Boolean(instance.PendingModifiedValues?.MasterUserPassword),
    };
  }
  const cluster = await findCluster(rds, temporaryId);
  if (!cluster) throw missingCopy(plan);
  return {
    id: temporaryId,
    status: cluster.Status ?? 'unknown',
    masterUsername: cluster.MasterUsername,
    address: cluster.Endpoint,
    port: cluster.Port,
    databaseName: cluster.DatabaseName,
    masterUserSecret: cluster.MasterUserSecret,
    passwordPending: Boolean(cluster.PendingModifiedValues?.MasterUserPassword),
  };
}

function managedSecretActive(copy: Copy): boolean {
  const status = copy.masterUserSecret?.SecretStatus;
  if (status === 'impaired') throw new TerminalStateError(`The RDS-managed secret of ${copy.id}`, status);
  return status === 'active';
}

function missingCopy(plan: Plan): DbRefreshError {
  return new DbRefreshError(
    `The temporary copy ${plan.target.temporaryId} (${plan.target.kind}) does not exist; the restore step creates it ` +
      'before the admin password is set. Check whether it was deleted, then start the refresh again',
  );
}
