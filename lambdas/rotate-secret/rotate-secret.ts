import type { RDSClient } from '@aws-sdk/client-rds';
import {
  type DescribeSecretCommandOutput,
  InvalidRequestException,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { findCluster, findInstance } from '../shared/aws/rds';
import {
  CURRENT_STAGE,
  clientRequestToken,
  describeSecret,
  ROTATION_PENDING_STAGE,
  stagesOf,
  versionWithStage,
} from '../shared/aws/secrets';
import { DbRefreshError, GuardError, TerminalStateError } from '../shared/errors';
import { logger } from '../shared/handler';
import { continuePoll, type PollState, startPoll } from '../shared/poll';
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

function isInvalidRequest(error: unknown): error is Error {
  return (
    error instanceof InvalidRequestException ||
    (error instanceof Error && error.name === 'InvalidRequestException')
  );
}
