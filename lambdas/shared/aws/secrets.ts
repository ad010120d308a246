import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  ResourceNotFoundException,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { DbRefreshError } from '../errors';
import { logger } from '../handler';

/** The staging label of the version applications read. */
export const CURRENT_STAGE = 'AWSCURRENT';
/** The staging label Secrets Manager moves AWSCURRENT's previous holder to. */
export const PREVIOUS_STAGE = 'AWSPREVIOUS';
/**
 * The staging label of a rotation in flight: its new version until the rotation makes it current. Secrets
 * Manager refuses RotateSecret while a version other than the current one carries it.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
 */
export const ROTATION_PENDING_STAGE = 'AWSPENDING';
/**
 * The staging label of a run's admin password between the password step and the swap. It is dbrefresh's own
 * so that a rotation configured on the secret neither moves it nor is refused because of it (AWSPENDING is
 * the rotation's), and a labelled version is never deprecated and deleted. Labels are 1 to 256 characters
 * and a version takes at most 20 (PutSecretValue VersionStages); each label sits on one version at a time.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
 */
export const RUN_PENDING_STAGE = 'DBREFRESH_PENDING';

/**
 * The tag a secret's rotation function must carry before the rotate step may start its rotation: RotateSecret
 * needs lambda:InvokeFunction on the rotation function, and the step's role allows it only on functions so
 * tagged (see lib/constructs/refresh-permissions.ts).
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
 */
export const ROTATION_FUNCTION_TAG = { Key: 'dbrefresh:rotation', Value: 'true' } as const;

/** What DescribeSecret says about a secret; the helpers below only read its versions. */
export type SecretDescription = Pick<DescribeSecretCommandOutput, 'VersionIdsToStages'>;

const TOKEN_MIN_LENGTH = 32;
const TOKEN_MAX_LENGTH = 64;

/**
 * A deterministic ClientRequestToken `dbrefresh-<runId>-<purpose>`, so that a re-run repeats the same
 * request instead of writing a second version.
 * @throws Error when the token is not 32 to 64 characters long, which Secrets Manager rejects
 */
export function clientRequestToken(runId: string, purpose: string): string {
  const token = `dbrefresh-${runId}-${purpose}`;
  if (token.length < TOKEN_MIN_LENGTH || token.length > TOKEN_MAX_LENGTH) {
    throw new DbRefreshError(
      `Client request token "${token}" is ${token.length} characters long; Secrets Manager requires ` +
        `${TOKEN_MIN_LENGTH} to ${TOKEN_MAX_LENGTH}. Run ids are 8 characters; check how the plan step derives them`,
    );
  }
  return token;
}

/**
 * The version id of the admin password a run writes (also its ClientRequestToken). Whatever reads the run's
 * password reads this version by its id: a label can move (or never be there: CreateSecret's only version is
 * AWSCURRENT, https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html).
 */
export function runVersionId(runId: string): string {
  return clientRequestToken(runId, 'admin-password');
}

/** The staging labels of `versionId`; empty when the secret has no such labelled version. */
export function stagesOf(secret: SecretDescription, versionId: string): readonly string[] {
  return secret.VersionIdsToStages?.[versionId] ?? [];
}

/** The version that carries `stage`, or undefined when none does. */
export function versionWithStage(secret: SecretDescription, stage: string): string | undefined {
  const versions = Object.entries(secret.VersionIdsToStages ?? {});
  return versions.find(([, stages]) => stages.includes(stage))?.[0];
}

/** DescribeSecret, or undefined when the secret does not exist. */
export async function describeSecret(
  sm: SecretsManagerClient,
  secretId: string,
): Promise<DescribeSecretCommandOutput | undefined> {
  try {
    return await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  } catch (error: unknown) {
    if (isResourceNotFound(error)) return undefined;
    throw error;
  }
}

/** The AWSCURRENT version id of the secret, or null when the secret does not exist. */
export async function currentVersionId(sm: SecretsManagerClient, secretName: string): Promise<string | null> {
  const secret = await describeSecret(sm, secretName);
  if (!secret) return null;
  return versionWithStage(secret, CURRENT_STAGE) ?? null;
}

/**
 * Makes the run's admin password the secret's AWSCURRENT version and drops its DBREFRESH_PENDING label (the
 * swap: from now on the target's name points at the copy, whose password that is). Doing it again changes
 * nothing. Moving AWSCURRENT puts AWSPREVIOUS on the version it leaves, which the rollback goes back to.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html
 * @throws DbRefreshError when the secret or the run's version does not exist
 */
export async function promotePendingVersion(
  sm: SecretsManagerClient,
  secretName: string,
  runId: string,
): Promise<void> {
  const versionId = runVersionId(runId);
  const secret = await describeSecret(sm, secretName);
  const stages = secret ? stagesOf(secret, versionId) : [];
  if (!secret || stages.length === 0) {
    throw new DbRefreshError(
      `Secret ${secretName} has no version ${versionId}: the admin password step of run ${runId} did not store ` +
        'its password there, so the swap cannot make it current. Check that the secret was not changed or deleted during the run',
    );
  }
  if (!stages.includes(CURRENT_STAGE)) {
    const current = versionWithStage(secret, CURRENT_STAGE);
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretName,
        VersionStage: CURRENT_STAGE,
        MoveToVersionId: versionId,
        RemoveFromVersionId: current,
      }),
    );
    logger.info('Made the run password current', { secretName, versionId, previousVersionId: current });
  }
  // Moving AWSCURRENT adds a label; the version keeps DBREFRESH_PENDING until it is removed.
  if (stages.includes(RUN_PENDING_STAGE)) await removeRunLabel(sm, secretName, versionId);
}

/**
 * Undoes the run's changes to the secret (the rollback): AWSCURRENT goes back to the version the swap took it
 * from and the run's version loses DBREFRESH_PENDING. That version carries AWSPREVIOUS since the swap; it is
 * `versionAtStart` unless the secret changed during the run (a rotation configured on it rotated the old
 * target's password), and then it is the one whose password the old target has. Nothing to undo when the
 * secret or the run's version is absent; a secret this run created (`versionAtStart` null) is left as it is.
 */
export async function restoreVersionAtStart(
  sm: SecretsManagerClient,
  secretName: string,
  versionAtStart: string | null,
  runId: string,
): Promise<void> {
  const versionId = runVersionId(runId);
  const secret = await describeSecret(sm, secretName);
  const stages = secret ? stagesOf(secret, versionId) : [];
  if (!secret || stages.length === 0) {
    logger.info('The secret has no version of this run; nothing to undo', { secretName, versionId });
    return;
  }
  if (stages.includes(CURRENT_STAGE)) {
    if (versionAtStart === null) {
      logger.info('This run created the secret; leaving its only version current', { secretName, versionId });
    } else {
      const previous = versionWithStage(secret, PREVIOUS_STAGE);
      const restored = previous !== undefined && previous !== versionId ? previous : versionAtStart;
      if (stagesOf(secret, restored).length === 0) {
        throw new DbRefreshError(
          `Secret ${secretName} no longer has version ${restored}, which was current before the swap of run ${runId}; ` +
            `AWSCURRENT stays on ${versionId}. Put the old password back by hand (PutSecretValue) and make it current`,
        );
      }
      await sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretName,
          VersionStage: CURRENT_STAGE,
          MoveToVersionId: restored,
          RemoveFromVersionId: versionId,
        }),
      );
      logger.info('Made the version current before the swap current again', {
        secretName,
        versionId: restored,
        versionAtStart,
      });
    }
  }
  if (stages.includes(RUN_PENDING_STAGE)) await removeRunLabel(sm, secretName, versionId);
}

/** Removes `stage` from `versionId`; the version keeps its other labels (AWSCURRENT cannot be removed, only moved). */
export async function removeStage(
  sm: SecretsManagerClient,
  secretName: string,
  stage: string,
  versionId: string,
): Promise<void> {
  await sm.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretName,
      VersionStage: stage,
      RemoveFromVersionId: versionId,
    }),
  );
  logger.info('Removed a staging label', { secretName, stage, versionId });
}

function removeRunLabel(sm: SecretsManagerClient, secretName: string, versionId: string): Promise<void> {
  return removeStage(sm, secretName, RUN_PENDING_STAGE, versionId);
}

export function isResourceNotFound(error: unknown): boolean {
  return (
    error instanceof ResourceNotFoundException ||
    (error instanceof Error && error.name === 'ResourceNotFoundException')
  );
}
