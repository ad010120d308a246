import { ModifyDBClusterCommand, ModifyDBInstanceCommand, type RDSClient } from '@aws-sdk/client-rds';
import {
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  InvalidRequestException,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { findCluster, findInstance } from '../shared/aws/rds';
import {
  CURRENT_STAGE,
  clientRequestToken,
  describeSecret,
  ROTATION_FUNCTION_TAG,
  ROTATION_PENDING_STAGE,
  removeStage,
  stagesOf,
  versionWithStage,
} from '../shared/aws/secrets';
import { DbRefreshError, GuardError, TerminalStateError } from '../shared/errors';
import { logger } from '../shared/handler';
import { continuePoll, type PollState, startPoll } from '../shared/poll';
import { hasReachedStatus } from '../shared/rds-status';
import type { Plan } from '../shared/run/plan';

const DEFAULT_EXPECTED_SECONDS = 30;
const TIMEOUT_SECONDS = 1800;

/**
 * The ClientRequestToken of the run's rotation, which the rotation function uses as the new version's id.
 * (`dbrefresh-<runId>-rotation` would be 27 characters; Secrets Manager wants at least 32.)
 */
export function rotationToken(runId: string): string {
  return clientRequestToken(runId, 'secret-rotation');
}

/**
 * The secret to rotate: the RDS-managed secret of the target (the copy under the target's name after the
 * swap), or the secret dbrefresh wrote the generated password to.
 */
export async function secretToRotate(rds: RDSClient, plan: Plan): Promise<string> {
  if (!plan.adminPassword.managed) return plan.adminPassword.secretName;
  const { kind, id } = plan.target;
  const target = kind === 'instance' ? await findInstance(rds, id) : await findCluster(rds, id);
  if (!target) {
    throw new DbRefreshError(
      `The target ${kind} ${id} does not exist after the swap; its secret cannot be rotated`,
    );
  }
  const secretArn = target.MasterUserSecret?.SecretArn;
  if (!secretArn) {
    throw new DbRefreshError(
      `The target ${kind} ${id} has no RDS-managed secret although adminPassword.managed is set; ` +
        'check that the admin password step ran, or set adminPassword.rotate to false',
    );
  }
  return secretArn;
}

/**
 * Starts rotating the target's secret now, so that the password set by the refresh is replaced as
 * the secret's rotation would do. A re-run whose rotation already started is fine.
 * @throws GuardError when rotation is not configured on the secret
 */
export async function startRotation(
  rds: RDSClient,
  sm: SecretsManagerClient,
  plan: Plan,
  now: Date,
): Promise<PollState> {
  const secretId = await secretToRotate(rds, plan);
  const token = rotationToken(plan.runId);
  try {
    await sm.send(
      new RotateSecretCommand({ SecretId: secretId, RotateImmediately: true, ClientRequestToken: token }),
    );
    logger.info('Started rotating the secret', { secretId, versionId: token });
  } catch (error: unknown) {
    if (isNamed(error, 'AccessDeniedException')) throw deniedRotation(plan, secretId, error);
    if (!isInvalidRequest(error)) throw error;
    await explainRefusedRotation(sm, secretId, token, error);
  }
  return startPoll(now, {
    expectedSeconds: plan.expectedSeconds.rotateSecret ?? DEFAULT_EXPECTED_SECONDS,
    timeoutSeconds: TIMEOUT_SECONDS,
  });
}

/**
 * Done when no version is pending any more and the secret was rotated since the step started (or the run's
 * rotation version is current). A failing rotation function leaves AWSPENDING behind: the poll then reaches
 * its deadline.
 */
export async function checkRotation(
  rds: RDSClient,
  sm: SecretsManagerClient,
  plan: Plan,
  poll: PollState,
  now: Date,
): Promise<PollState> {
  const secretId = await secretToRotate(rds, plan);
  const secret = await describeSecret(sm, secretId);
  if (!secret)
    throw new DbRefreshError(
      `Secret ${secretId} does not exist any more; it was deleted during the rotation`,
    );
  if (secret.DeletedDate) throw new TerminalStateError(`Secret ${secretId}`, 'scheduled for deletion');
  const pending = versionWithStage(secret, ROTATION_PENDING_STAGE) !== undefined;
  const done =
    !pending &&
    (stagesOf(secret, rotationToken(plan.runId)).includes(CURRENT_STAGE) ||
      rotatedSince(secret, poll.startedAt));
  return continuePoll(poll, now, done, `Rotation of secret ${secretId} (see its rotation function's logs)`);
}

/** Secrets Manager refused the rotation: it is already under way (fine) or not configured (the user must act). */
async function explainRefusedRotation(
  sm: SecretsManagerClient,
  secretId: string,
  token: string,
  error: Error,
): Promise<void> {
  const secret = await describeSecret(sm, secretId);
  if (!secret) throw error;
  if (stagesOf(secret, token).length > 0 || versionWithStage(secret, ROTATION_PENDING_STAGE) !== undefined) {
    logger.info('The rotation of the secret has already started', { secretId, versionId: token });
    return;
  }
  if (!secret.RotationEnabled && !secret.RotationLambdaARN) {
    throw new GuardError(
      `Secret ${secretId} has no rotation configured, so it cannot be rotated after the refresh; ` +
        'configure rotation on the secret, or set adminPassword.rotate to false',
      { cause: error },
    );
  }
  throw error;
}

/** LastRotatedDate may come truncated to the second, so the start time is compared at that precision. */
function rotatedSince(
  secret: Pick<DescribeSecretCommandOutput, 'LastRotatedDate'>,
  startedAt: string,
): boolean {
  const started = Math.floor(Date.parse(startedAt) / 1000) * 1000;
  return secret.LastRotatedDate !== undefined && secret.LastRotatedDate.getTime() >= started;
}

/**
 * RotateSecret was denied: Secrets Manager invokes the rotation function with the caller's permissions, and
 * this step may invoke only functions tagged dbrefresh:rotation=true.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
 */
function deniedRotation(plan: Plan, secretId: string, error: Error): GuardError {
  const rotationFunction = plan.adminPassword.rotationFunctionArn ?? "the secret's rotation function";
  return new GuardError(
    `Secrets Manager refused to rotate secret ${secretId} with this step's permissions (${error.message}). ` +
      `RotateSecret needs lambda:InvokeFunction on ${rotationFunction}, which dbrefresh may invoke only when it is ` +
      `tagged ${ROTATION_FUNCTION_TAG.Key}=${ROTATION_FUNCTION_TAG.Value}: aws lambda tag-resource --resource <function ARN> ` +
      `--tags ${ROTATION_FUNCTION_TAG.Key}=${ROTATION_FUNCTION_TAG.Value}`,
    { cause: error },
  );
}

function isInvalidRequest(error: unknown): error is Error {
  return error instanceof InvalidRequestException || isNamed(error, 'InvalidRequestException');
}

function isNamed(error: unknown, name: string): error is Error {
  return error instanceof Error && error.name === name;
}

const UNDO_TIMEOUT_SECONDS = 1800;
const UNDO_EXPECTED_SECONDS = 30;

/**
 * After a failed rotation (the refresh itself is done): leaves the target a password that works and the secret
 * no half-done rotation, and never undoes the refresh.
 *
 * A version that carries AWSPENDING without AWSCURRENT is a rotation that did not finish; Secrets Manager
 * refuses every later RotateSecret while it is there, so a next run's rotation would fail too, and its rotation
 * function may already have given the database that version's password. So, when there is one: the target's
 * master password is set back to the one its secret's AWSCURRENT version holds (the run's, unless someone
 * changed it), then AWSPENDING is removed, which also stops a reattempt of that rotation (each step of AWS's
 * rotation functions first checks that its version is AWSPENDING). In that order a retried start repeats both.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CancelRotateSecret.html
 * RDS rotates and repairs its own managed secrets, and refuses MasterUserPassword for them: nothing to undo then.
 */
export async function startUndoRotation(
  rds: RDSClient,
  sm: SecretsManagerClient,
  plan: Plan,
  now: Date,
): Promise<PollState> {
  const poll = startPoll(now, {
    expectedSeconds: UNDO_EXPECTED_SECONDS,
    timeoutSeconds: UNDO_TIMEOUT_SECONDS,
  });
  if (plan.adminPassword.managed) {
    logger.info('RDS manages the secret and its rotation; nothing to undo', { target: plan.target.id });
    return { ...poll, waitSeconds: 1 };
  }
  const { secretName } = plan.adminPassword;
  const secret = await describeSecret(sm, secretName);
  const current = secret && versionWithStage(secret, CURRENT_STAGE);
  const halfDone = secret ? unfinishedRotations(secret) : [];
  if (!secret || current === undefined || halfDone.length === 0) {
    logger.info('No rotation was left half done; the target keeps the password of the current version', {
      secretName,
    });
    return { ...poll, waitSeconds: 1 };
  }
  await setMasterPassword(rds, plan, await passwordOf(sm, secretName, current));
  logger.info('Set the target password back to the current version of its secret', {
    target: plan.target.id,
    secretName,
    versionId: current,
  });
  for (const versionId of halfDone) await removeStage(sm, secretName, ROTATION_PENDING_STAGE, versionId);
  return poll;
}

/**
 * Done when the target is available with no master password left to apply.
 * @throws TerminalStateError when the target is stuck, PollTimeoutError past the deadline
 */
export async function checkUndoRotation(
  rds: RDSClient,
  plan: Plan,
  poll: PollState,
  now: Date,
): Promise<PollState> {
  const { kind, id } = plan.target;
  const target =
    kind === 'instance'
      ? await findInstance(rds, id).then(
          (instance) => instance && { ...instance, Status: instance.DBInstanceStatus },
        )
      : await findCluster(rds, id);
  if (!target) {
    throw new DbRefreshError(
      `The target ${kind} ${id} does not exist after the swap; its password cannot be checked`,
    );
  }
  const done =
    hasReachedStatus(`${kind} ${id}`, target.Status) && !target.PendingModifiedValues?.MasterUserPassword;
  return continuePoll(
    poll,
    now,
    done,
    `Setting the password of ${kind} ${id} back to its secret's current version`,
  );
}

/** The versions that carry AWSPENDING but not AWSCURRENT: rotations that did not finish. */
function unfinishedRotations(secret: Pick<DescribeSecretCommandOutput, 'VersionIdsToStages'>): string[] {
  return Object.entries(secret.VersionIdsToStages ?? {})
    .filter(([, stages]) => stages.includes(ROTATION_PENDING_STAGE) && !stages.includes(CURRENT_STAGE))
    .map(([versionId]) => versionId);
}

/** The `password` of one version of the secret; never quotes the version's text. */
async function passwordOf(sm: SecretsManagerClient, secretName: string, versionId: string): Promise<string> {
  const out = await sm.send(new GetSecretValueCommand({ SecretId: secretName, VersionId: versionId }));
  let password: unknown;
  try {
    password = (JSON.parse(out.SecretString ?? '') as { password?: unknown } | null)?.password;
  } catch (error: unknown) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  if (typeof password !== 'string') {
    throw new DbRefreshError(
      `Version ${versionId} of secret ${secretName} is not JSON with a string "password" field, so the target's ` +
        'password cannot be set back to it; set the master password by hand (ModifyDBInstance or ModifyDBCluster)',
    );
  }
  return password;
}

async function setMasterPassword(rds: RDSClient, plan: Plan, password: string): Promise<void> {
  const { kind, id } = plan.target;
  if (kind === 'instance') {
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: id,
        MasterUserPassword: password,
        ApplyImmediately: true,
      }),
    );
  } else {
    await rds.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: id,
        MasterUserPassword: password,
        ApplyImmediately: true,
      }),
    );
  }
}
