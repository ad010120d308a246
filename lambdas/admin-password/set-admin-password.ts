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
import { describeSecret, RUN_PENDING_STAGE, runVersionId, stagesOf } from '../shared/aws/secrets';
import { DbRefreshError, GuardError, TerminalStateError } from '../shared/errors';
import { logger } from '../shared/handler';
import { continuePoll, type PollState, startPoll } from '../shared/poll';
import { hasReachedStatus } from '../shared/rds-status';
import type { Plan } from '../shared/run/plan';

const STEP = 'Set admin password';
const DEFAULT_EXPECTED_SECONDS = 60;
const TIMEOUT_SECONDS = 3600;
const PASSWORD_LENGTH = 32;
/** RDS refuses `/`, `@`, `"` and spaces in master passwords; `'` and `\` break quoting in scripts and URLs. */
const EXCLUDED_CHARACTERS = '/@"\' \\';
/** RDS shows this while it applies a new master password. */
const RESETTING_CREDENTIALS = 'resetting-master-credentials';

/** What the step reads from the temporary copy, whether it is an instance or a cluster. */
interface Copy {
  readonly id: string;
  readonly status: string;
  readonly masterUsername?: string;
  readonly address?: string;
  readonly port?: number;
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
  const password = await generatePassword(sm);
  await storeNewPassword(sm, plan, secret !== undefined, JSON.stringify(secretValue(plan, copy, password)));
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

/** The secret's value in the format of the RDS rotation functions, pointing at the target's name after the swap. */
function secretValue(plan: Plan, copy: Copy, password: string): Record<string, string | number> {
  const { kind, id, temporaryId } = plan.target;
  if (!copy.masterUsername || !copy.address || copy.port === undefined) {
    throw new DbRefreshError(
      `The temporary copy ${temporaryId} reports no master user name, endpoint or port (status "${copy.status}"); ` +
        'the restore step should have waited until it was available. Start the refresh again',
    );
  }
  return {
    engine: plan.engine,
    host: endpointAfterSwap(copy.address, temporaryId, id),
    port: copy.port,
    username: copy.masterUsername,
    password,
    [kind === 'instance' ? 'dbInstanceIdentifier' : 'dbClusterIdentifier']: id,
  };
}

/**
 * The endpoint the copy will have under the target's name: RDS endpoints are
 * `<identifier>.<hash>.<region>.rds.amazonaws.com` and a rename changes only the identifier.
 */
export function endpointAfterSwap(address: string, temporaryId: string, targetId: string): string {
  const prefix = `${temporaryId}.`;
  return address.startsWith(prefix) ? `${targetId}.${address.slice(prefix.length)}` : address;
}

async function generatePassword(sm: SecretsManagerClient): Promise<string> {
  const out = await sm.send(
    new GetRandomPasswordCommand({
      PasswordLength: PASSWORD_LENGTH,
      ExcludeCharacters: EXCLUDED_CHARACTERS,
      ExcludePunctuation: false,
      RequireEachIncludedType: true,
    }),
  );
  if (!out.RandomPassword) throw new DbRefreshError('Secrets Manager GetRandomPassword returned no password');
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
  if (secretString === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(secretString);
    if (value === null || typeof value !== 'object' || !('password' in value)) return undefined;
    return typeof value.password === 'string' ? value.password : undefined;
  } catch {
    return undefined;
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
