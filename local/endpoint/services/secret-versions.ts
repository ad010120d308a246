import type { Tag } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { AwsError } from '../service';

export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';
export const PREVIOUS = 'AWSPREVIOUS';

/**
 * Secrets Manager's quotas on versions and labels.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html
 */
export const SECRET_QUOTAS = {
  /** Staging labels attached across all versions of a secret. */
  stagingLabels: 20,
  /** Versions a secret keeps; unlabelled versions beyond it are removed once they are 24 hours old. */
  versions: 100,
  /** Unlabelled versions younger than this are kept even beyond `versions`. */
  versionRetentionMilliseconds: 24 * 3600 * 1000,
  /** Secret value size (SecretString as UTF-8, or SecretBinary). */
  valueBytes: 65_536,
} as const;

const VersionRecordSchema = z.object({
  versionId: z.string(),
  secretString: z.string().optional(),
  /** Base64. */
  secretBinary: z.string().optional(),
  stages: z.array(z.string()),
  createdAt: z.number(),
});
export type VersionRecord = z.output<typeof VersionRecordSchema>;

export const TagSchema = z.object({ Key: z.string().optional(), Value: z.string().optional() });

export const RotationRulesSchema = z.object({
  AutomaticallyAfterDays: z.number().int().min(1).max(1000).optional(),
  Duration: z.string().optional(),
  ScheduleExpression: z.string().optional(),
});

export const SecretRecordSchema = z.object({
  arn: z.string(),
  name: z.string(),
  description: z.string().optional(),
  /** The KmsKeyId as the caller gave it (key id, key ARN, alias name or alias ARN); absent: aws/secretsmanager. */
  kmsKeyId: z.string().optional(),
  owningService: z.string().optional(),
  tags: z.array(TagSchema),
  createdAt: z.number(),
  lastChangedAt: z.number(),
  lastAccessedAt: z.number().optional(),
  lastRotatedAt: z.number().optional(),
  /** When DeleteSecret marked it; it is purged at `purgeAt`. */
  deletedAt: z.number().optional(),
  purgeAt: z.number().optional(),
  rotationLambdaArn: z.string().optional(),
  rotationRules: RotationRulesSchema.optional(),
  /** Rotation configured through RotateSecret, or managed by the owning service (a registered rotator also makes a secret rotatable). */
  rotationConfigured: z.boolean(),
  versions: z.array(VersionRecordSchema),
});
export type SecretRecord = z.output<typeof SecretRecordSchema>;

/** A secret value as the store keeps it. */
export interface SecretValue {
  secretString?: string;
  secretBinary?: string;
}

export function sameValue(version: VersionRecord, value: SecretValue): boolean {
  return version.secretString === value.secretString && version.secretBinary === value.secretBinary;
}

/**
 * The version with `versionId` and/or `stage`; both given, the version must carry the stage.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html (VersionStage: "If you
 * include both this parameter and VersionId, the two parameters must refer to the same secret version")
 */
export function findVersion(
  secret: SecretRecord,
  versionId: string | undefined,
  stage: string | undefined,
): VersionRecord {
  const version = secret.versions.find(
    (v) =>
      (versionId === undefined || v.versionId === versionId) &&
      (stage === undefined || v.stages.includes(stage)),
  );
  if (!version) {
    const wanted = [versionId && `VersionId: ${versionId}`, stage && `staging label: ${stage}`].filter(
      Boolean,
    );
    throw new AwsError(
      'ResourceNotFoundException',
      `Secrets Manager can't find the specified secret value for ${wanted.join(' and ')}`,
    );
  }
  return version;
}

/**
 * Puts `stage` on `version` alone: a staging label is attached to one version at a time, so it leaves the
 * version that had it; moving AWSCURRENT leaves AWSPREVIOUS on that version.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html
 */
export function attachStage(secret: SecretRecord, stage: string, version: VersionRecord): void {
  const holder = secret.versions.find((v) => v.stages.includes(stage));
  if (holder === version) return;
  if (holder) holder.stages = without(holder.stages, stage);
  if (stage === CURRENT && holder) {
    for (const v of secret.versions) v.stages = without(v.stages, PREVIOUS);
    holder.stages.push(PREVIOUS);
  }
  version.stages = [...without(version.stages, stage === CURRENT ? PREVIOUS : stage), stage];
}

export function without(stages: readonly string[], stage: string): string[] {
  return stages.filter((s) => s !== stage);
}

/**
 * An AWSPENDING version that is not AWSCURRENT: a rotation is in progress, and RotateSecret refuses to start
 * another. https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html ("If the
 * AWSPENDING staging label is present but not attached to the same version as AWSCURRENT, then any later
 * invocation of RotateSecret assumes that a previous rotation request is still in progress and returns an error")
 */
export function isPendingOnly(version: VersionRecord): boolean {
  return version.stages.includes(PENDING) && !version.stages.includes(CURRENT);
}

export function versionsToStages(secret: SecretRecord): Record<string, string[]> {
  return Object.fromEntries(
    secret.versions.filter((v) => v.stages.length > 0).map((v) => [v.versionId, [...v.stages]]),
  );
}

/**
 * Refuses a change that would leave the secret with more staging labels than the quota allows: `added` are the
 * labels the change attaches (moving a label that exists does not add one).
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html
 */
export function checkStagingLabelQuota(secret: SecretRecord, added: readonly string[]): void {
  const labels = new Set(secret.versions.flatMap((v) => v.stages));
  for (const label of added) labels.add(label);
  if (labels.size > SECRET_QUOTAS.stagingLabels) {
    throw new AwsError(
      'LimitExceededException',
      `Secret ${secret.name} would have ${labels.size} staging labels; a secret can have at most ` +
        `${SECRET_QUOTAS.stagingLabels} across all its versions. Remove labels you no longer use with UpdateSecretVersionStage.`,
    );
  }
}

/**
 * Makes room for one more version as Secrets Manager does: unlabelled versions beyond the newest 100 are removed
 * once they are 24 hours old; when the secret still has 100 versions the new one is refused (the quota for
 * secret versions, reached by writing more often than Secrets Manager removes).
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
 */
export function makeRoomForVersion(secret: SecretRecord, now: number): void {
  const removable = secret.versions
    .filter((v) => v.stages.length === 0 && now - v.createdAt >= SECRET_QUOTAS.versionRetentionMilliseconds)
    .sort((a, b) => a.createdAt - b.createdAt);
  while (secret.versions.length >= SECRET_QUOTAS.versions && removable.length > 0) {
    const oldest = removable.shift();
    secret.versions = secret.versions.filter((v) => v !== oldest);
  }
  if (secret.versions.length >= SECRET_QUOTAS.versions) {
    throw new AwsError(
      'LimitExceededException',
      `Secret ${secret.name} already has ${secret.versions.length} versions, the most Secrets Manager keeps; ` +
        'it removes unlabelled versions only once they are 24 hours old. Write the secret less often.',
    );
  }
}

export function mergeTags(tags: readonly Tag[], added: readonly Tag[]): Tag[] {
  const merged = new Map(tags.map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  for (const tag of added) merged.set(tag.Key ?? '', tag.Value ?? '');
  return [...merged].map(([Key, Value]) => ({ Key, Value }));
}
