import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type {
  CreateSecretRequest,
  CreateSecretResponse,
  DeleteSecretRequest,
  DeleteSecretResponse,
  DescribeSecretResponse,
  GetRandomPasswordRequest,
  GetSecretValueRequest,
  GetSecretValueResponse,
  ListSecretsRequest,
  ListSecretsResponse,
  PutSecretValueRequest,
  PutSecretValueResponse,
  RotateSecretRequest,
  RotateSecretResponse,
  SecretListEntry,
  Tag,
  UpdateSecretVersionStageRequest,
} from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import {
  type SecretsManagerAccessOptions,
  secretsManagerAccessRequests,
} from '../../iam/access/secrets-manager';
import { jsonService, operation } from '../json-protocol';
import { AwsError, type LocalService } from '../service';

export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';
export const PREVIOUS = 'AWSPREVIOUS';

/**
 * Changes the credentials a secret holds and returns the secret's new value; runs for RotateSecret in place
 * of a rotation Lambda function (the RDS emulator changes the database password here). Must not put the
 * value in an error message.
 */
export type Rotator = (secretValue: string, secret: { arn: string; name: string }) => Promise<string>;

/** Where a secret is created: ARNs name the region and account. */
export interface SecretScope {
  region: string;
  account: string;
}

export interface SecretStoreOptions {
  /**
   * Directory the secrets are kept in (`secrets.json`), so they persist between processes.
   * @default - in memory only
   */
  readonly stateDir?: string;
  /**
   * Region and account of secrets created through this API rather than through a request.
   * @default - us-east-1, account 000000000000
   */
  readonly scope?: SecretScope;
  /**
   * Runs the rotation of a secret whose rotation was configured with RotateSecret (RotationLambdaARN or
   * RotationRules) and that has no rotator of its own (see `setRotator`).
   * @default - such secrets cannot be rotated locally: RotateSecret fails with InvalidRequestException
   */
  readonly rotate?: Rotator;
  /** @default - the system clock */
  readonly now?: () => Date;
}

const VersionRecordSchema = z.object({
  versionId: z.string(),
  secretString: z.string().optional(),
  /** Base64. */
  secretBinary: z.string().optional(),
  stages: z.array(z.string()),
  createdAt: z.number(),
});
type VersionRecord = z.output<typeof VersionRecordSchema>;

const TagSchema = z.object({ Key: z.string().optional(), Value: z.string().optional() });
const RotationRulesSchema = z.object({
  AutomaticallyAfterDays: z.number().int().min(1).max(1000).optional(),
  Duration: z.string().optional(),
  ScheduleExpression: z.string().optional(),
});

const SecretRecordSchema = z.object({
  arn: z.string(),
  name: z.string(),
  description: z.string().optional(),
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
  /** Rotation configured through RotateSecret (a registered rotator also makes a secret rotatable). */
  rotationConfigured: z.boolean(),
  versions: z.array(VersionRecordSchema),
});
type SecretRecord = z.output<typeof SecretRecordSchema>;

const StateFileSchema = z.object({ secrets: z.array(SecretRecordSchema) });

const NOT_FOUND = "Secrets Manager can't find the specified secret.";
const MARKED_FOR_DELETION =
  "You can't perform this operation on the secret because it was marked for deletion.";
const ROTATION_IN_PROGRESS = "A previous rotation isn't complete. That rotation will be reattempted.";
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const DAY_MS = 86_400_000;

/**
 * The secrets of the local account, with versions and staging labels as Secrets Manager keeps them.
 * Methods take and return the SDK's own request and response shapes and throw AwsError as the service would,
 * so the RDS emulator can create RDS-managed secrets here exactly as a client would.
 */
export class SecretStore {
  private readonly secrets = new Map<string, SecretRecord>();
  private readonly rotators = new Map<string, Rotator>();
  private readonly rotating = new Set<string>();
  private readonly file: string | undefined;
  private readonly scope: SecretScope;
  private readonly now: () => Date;

  constructor(private readonly options: SecretStoreOptions = {}) {
    this.scope = options.scope ?? { region: 'us-east-1', account: '000000000000' };
    this.now = options.now ?? (() => new Date());
    this.file = options.stateDir ? path.join(options.stateDir, 'secrets.json') : undefined;
    if (this.file && existsSync(this.file)) {
      const parsed = StateFileSchema.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
      if (!parsed.success) {
        throw new Error(
          `The local secrets file ${this.file} is damaged (${z.prettifyError(parsed.error)}); delete it to start with no secrets`,
        );
      }
      for (const secret of parsed.data.secrets) this.secrets.set(secret.arn, secret);
    }
  }

  /**
   * Makes `secretId` rotatable locally: RotateSecret runs `rotator` to get the new value.
   * Rotators live in memory; the composer registers them again in every process.
   */
  setRotator(secretId: string, rotator: Rotator): void {
    this.rotators.set(this.find(secretId).arn, rotator);
  }

  createSecret(input: CreateSecretRequest, scope: SecretScope = this.scope): CreateSecretResponse {
    const name = requireString(input.Name, 'Name');
    const value = secretValueOf(input);
    const token = checkToken(input.ClientRequestToken);
    const existing = this.findByName(name);
    if (existing) {
      const same = existing.versions.find((v) => v.versionId === token);
      if (same && value && sameValue(same, value)) {
        return { ARN: existing.arn, Name: existing.name, VersionId: same.versionId };
      }
      if (existing.deletedAt !== undefined) {
        throw new AwsError(
          'InvalidRequestException',
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
      }
      throw new AwsError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    const now = this.now().getTime();
    const secret: SecretRecord = {
      arn: `arn:aws:secretsmanager:${scope.region}:${scope.account}:secret:${name}-${randomSuffix()}`,
      name,
      description: input.Description,
      kmsKeyId: input.KmsKeyId,
      tags: mergeTags([], input.Tags ?? []),
      createdAt: now,
      lastChangedAt: now,
      rotationConfigured: false,
      versions: value ? [{ versionId: token, ...value, stages: [CURRENT], createdAt: now }] : [],
    };
    this.secrets.set(secret.arn, secret);
    this.save();
    return { ARN: secret.arn, Name: secret.name, VersionId: value ? token : undefined };
  }

  /**
   * Creates a secret another service manages (RDS: `rds!db-<uuid>` holding `{"username","password"}`) and
   * returns its ARN. Such names are reserved: clients cannot create them through CreateSecret.
   */
  createManagedSecret(
    owningService: string,
    name: string,
    secretString: string,
    tags: readonly Tag[] = [],
    scope: SecretScope = this.scope,
  ): string {
    const { ARN } = this.createSecret({ Name: name, SecretString: secretString, Tags: [...tags] }, scope);
    const secret = this.find(ARN);
    secret.owningService = owningService;
    this.save();
    return secret.arn;
  }

  putSecretValue(input: PutSecretValueRequest): PutSecretValueResponse {
    const secret = this.active(input.SecretId);
    const value = secretValueOf(input);
    if (!value) {
      throw new AwsError(
        'InvalidParameterException',
        'You must provide either SecretString or SecretBinary.',
      );
    }
    const token = checkToken(input.ClientRequestToken);
    const existing = secret.versions.find((v) => v.versionId === token);
    if (existing) {
      if (!sameValue(existing, value)) {
        throw new AwsError(
          'ResourceExistsException',
          "You can't modify an existing version, you can only create a new version.",
        );
      }
      return { ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: [...existing.stages] };
    }
    const now = this.now().getTime();
    const version: VersionRecord = { versionId: token, ...value, stages: [], createdAt: now };
    secret.versions.push(version);
    const stages = input.VersionStages ?? [CURRENT];
    // The first version of a secret is always current.
    const first = !secret.versions.some((v) => v.stages.includes(CURRENT));
    for (const stage of first && !stages.includes(CURRENT) ? [...stages, CURRENT] : stages) {
      attachStage(secret, stage, version);
    }
    secret.lastChangedAt = now;
    this.save();
    return { ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: [...version.stages] };
  }

  getSecretValue(input: GetSecretValueRequest): GetSecretValueResponse {
    const secret = this.active(input.SecretId);
    const version = findVersion(
      secret,
      input.VersionId,
      input.VersionStage ?? (input.VersionId ? undefined : CURRENT),
    );
    // Secrets Manager keeps only the day of the last access, so a read writes the file once a day at most.
    const today = Math.floor(this.now().getTime() / DAY_MS) * DAY_MS;
    if (secret.lastAccessedAt !== today) {
      secret.lastAccessedAt = today;
      this.save();
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      SecretString: version.secretString,
      SecretBinary:
        version.secretBinary === undefined ? undefined : Buffer.from(version.secretBinary, 'base64'),
      VersionStages: [...version.stages],
      CreatedDate: new Date(version.createdAt),
    };
  }

  describeSecret(secretId: string | undefined): DescribeSecretResponse {
    const secret = this.find(secretId);
    return {
      ARN: secret.arn,
      Name: secret.name,
      Description: secret.description,
      KmsKeyId: secret.kmsKeyId,
      RotationEnabled: this.rotationEnabled(secret),
      RotationLambdaARN: secret.rotationLambdaArn,
      RotationRules: secret.rotationRules,
      LastRotatedDate: optionalDate(secret.lastRotatedAt),
      LastChangedDate: new Date(secret.lastChangedAt),
      LastAccessedDate: optionalDate(secret.lastAccessedAt),
      DeletedDate: optionalDate(secret.deletedAt),
      Tags: secret.tags.length > 0 ? secret.tags : undefined,
      VersionIdsToStages: versionsToStages(secret),
      OwningService: secret.owningService,
      CreatedDate: new Date(secret.createdAt),
    };
  }

  /**
   * Moves or removes a staging label with the checks Secrets Manager makes: a label attached elsewhere moves
   * only when RemoveFromVersionId names its version, and AWSCURRENT can be moved but not removed.
   * Moving AWSCURRENT leaves AWSPREVIOUS on the version that had it.
   */
  updateSecretVersionStage(input: UpdateSecretVersionStageRequest): { ARN: string; Name: string } {
    const secret = this.active(input.SecretId);
    const stage = requireString(input.VersionStage, 'VersionStage');
    const { MoveToVersionId: moveTo, RemoveFromVersionId: removeFrom } = input;
    if (!moveTo && !removeFrom) {
      throw new AwsError(
        'InvalidParameterException',
        'You must specify MoveToVersionId, RemoveFromVersionId or both to change a staging label.',
      );
    }
    const target = moveTo ? findVersion(secret, moveTo, undefined) : undefined;
    const source = removeFrom ? findVersion(secret, removeFrom, undefined) : undefined;
    const holder = secret.versions.find((v) => v.stages.includes(stage));
    if (source && !source.stages.includes(stage)) {
      throw new AwsError(
        'InvalidParameterException',
        `The staging label ${stage} is not attached to version ${removeFrom}, so it cannot be removed from it.`,
      );
    }
    if (target && holder && holder !== target && holder !== source) {
      throw new AwsError(
        'InvalidParameterException',
        `The staging label ${stage} is currently attached to version ${holder.versionId}; ` +
          'set RemoveFromVersionId to that version to move the label.',
      );
    }
    if (target) {
      attachStage(secret, stage, target);
    } else if (source) {
      if (stage === CURRENT) {
        throw new AwsError(
          'InvalidParameterException',
          `You can't remove the staging label ${CURRENT} from a version; move it to another version with MoveToVersionId.`,
        );
      }
      source.stages = without(source.stages, stage);
    }
    secret.lastChangedAt = this.now().getTime();
    this.save();
    return { ARN: secret.arn, Name: secret.name };
  }

  /**
   * Rotates the secret now, in place of its rotation function: the rotator returns the new value, which
   * becomes an AWSPENDING version and then AWSCURRENT (the old one AWSPREVIOUS); sets LastRotatedDate.
   * Repeating a finished rotation's ClientRequestToken changes nothing.
   */
  async rotateSecret(input: RotateSecretRequest): Promise<RotateSecretResponse> {
    const secret = this.active(input.SecretId);
    if (input.RotationLambdaARN || input.RotationRules) {
      if (input.RotationLambdaARN) secret.rotationLambdaArn = input.RotationLambdaARN;
      if (input.RotationRules) secret.rotationRules = { ...input.RotationRules };
      secret.rotationConfigured = true;
      this.save();
    }
    if (!this.rotationEnabled(secret)) {
      throw new AwsError(
        'InvalidRequestException',
        'No Lambda rotation function ARN is associated with this secret.',
      );
    }
    if (input.RotateImmediately === false) return { ARN: secret.arn, Name: secret.name };
    const rotator =
      this.rotators.get(secret.arn) ?? (secret.rotationConfigured ? this.options.rotate : undefined);
    if (!rotator) {
      throw new AwsError(
        'InvalidRequestException',
        `Secret ${secret.name} has rotation configured, but the local endpoint has no rotator that can rotate it; ` +
          'register one with SecretStore.setRotator or the store option `rotate`.',
      );
    }
    const token = checkToken(input.ClientRequestToken);
    const done = secret.versions.find((v) => v.versionId === token);
    if (done?.stages.includes(CURRENT)) return { ARN: secret.arn, Name: secret.name, VersionId: token };
    if (done || this.rotating.has(secret.arn) || secret.versions.some(isPendingOnly)) {
      throw new AwsError('InvalidRequestException', ROTATION_IN_PROGRESS);
    }
    const current = secret.versions.find((v) => v.stages.includes(CURRENT));
    if (current?.secretString === undefined) {
      throw new AwsError(
        'InvalidRequestException',
        `Secret ${secret.name} has no AWSCURRENT string value to rotate; put one with PutSecretValue first.`,
      );
    }
    this.rotating.add(secret.arn);
    let newValue: string;
    try {
      newValue = await rotator(current.secretString, { arn: secret.arn, name: secret.name });
    } catch (error: unknown) {
      throw new AwsError(
        'InvalidRequestException',
        `The local rotation of secret ${secret.name} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      this.rotating.delete(secret.arn);
    }
    const now = this.now().getTime();
    const version: VersionRecord = {
      versionId: token,
      secretString: newValue,
      stages: [PENDING],
      createdAt: now,
    };
    secret.versions.push(version);
    attachStage(secret, CURRENT, version);
    version.stages = without(version.stages, PENDING);
    secret.lastRotatedAt = now;
    secret.lastChangedAt = now;
    this.save();
    return { ARN: secret.arn, Name: secret.name, VersionId: token };
  }

  tagResource(secretId: string | undefined, tags: readonly Tag[]): void {
    const secret = this.active(secretId);
    secret.tags = mergeTags(secret.tags, tags);
    this.save();
  }

  untagResource(secretId: string | undefined, tagKeys: readonly string[]): void {
    const secret = this.active(secretId);
    secret.tags = secret.tags.filter((tag) => !tagKeys.includes(tag.Key ?? ''));
    this.save();
  }

  listSecrets(input: ListSecretsRequest = {}): ListSecretsResponse {
    const matching = this.all()
      .filter((secret) => input.IncludePlannedDeletion || secret.deletedAt === undefined)
      .filter((secret) => (input.Filters ?? []).every((filter) => matchesFilter(secret, filter)))
      .sort((a, b) => (input.SortOrder === 'asc' ? a.createdAt - b.createdAt : b.createdAt - a.createdAt));
    const start = input.NextToken ? Number.parseInt(input.NextToken, 10) : 0;
    if (!Number.isInteger(start) || start < 0) {
      throw new AwsError('InvalidNextTokenException', `NextToken "${input.NextToken}" is not valid.`);
    }
    const pageSize = input.MaxResults ?? 100;
    const page = matching.slice(start, start + pageSize);
    return {
      SecretList: page.map((secret) => this.listEntry(secret)),
      NextToken: start + pageSize < matching.length ? String(start + pageSize) : undefined,
    };
  }

  deleteSecret(input: DeleteSecretRequest): DeleteSecretResponse {
    const secret = this.find(input.SecretId);
    if (input.ForceDeleteWithoutRecovery && input.RecoveryWindowInDays !== undefined) {
      throw new AwsError(
        'InvalidParameterException',
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    }
    const now = this.now().getTime();
    if (input.ForceDeleteWithoutRecovery) {
      this.secrets.delete(secret.arn);
      this.rotators.delete(secret.arn);
      this.save();
      return { ARN: secret.arn, Name: secret.name, DeletionDate: new Date(now) };
    }
    if (secret.deletedAt !== undefined) throw new AwsError('InvalidRequestException', MARKED_FOR_DELETION);
    const days = input.RecoveryWindowInDays ?? 30;
    if (days < 7 || days > 30) {
      throw new AwsError(
        'InvalidParameterException',
        `RecoveryWindowInDays must be 7 to 30 days, not ${days}.`,
      );
    }
    secret.deletedAt = now;
    secret.purgeAt = now + days * DAY_MS;
    this.save();
    return { ARN: secret.arn, Name: secret.name, DeletionDate: new Date(secret.purgeAt) };
  }

  restoreSecret(secretId: string | undefined): { ARN: string; Name: string } {
    const secret = this.find(secretId);
    secret.deletedAt = undefined;
    secret.purgeAt = undefined;
    this.save();
    return { ARN: secret.arn, Name: secret.name };
  }

  private listEntry(secret: SecretRecord): SecretListEntry {
    const { VersionIdsToStages, ...description } = this.describeSecret(secret.arn);
    return { ...description, SecretVersionsToStages: VersionIdsToStages };
  }

  private rotationEnabled(secret: SecretRecord): boolean {
    return secret.rotationConfigured || this.rotators.has(secret.arn);
  }

  /** The secret named by name, full ARN or ARN without its random suffix. */
  private find(secretId: string | undefined): SecretRecord {
    const id = requireString(secretId, 'SecretId');
    const secret =
      this.secrets.get(id) ??
      (id.startsWith('arn:') ? this.all().find((s) => s.arn.slice(0, -7) === id) : this.findByName(id));
    if (!secret) throw new AwsError('ResourceNotFoundException', NOT_FOUND);
    return secret;
  }

  private findByName(name: string): SecretRecord | undefined {
    return this.all().find((secret) => secret.name === name);
  }

  /** The secret, which must not be marked for deletion. */
  private active(secretId: string | undefined): SecretRecord {
    const secret = this.find(secretId);
    if (secret.deletedAt !== undefined) throw new AwsError('InvalidRequestException', MARKED_FOR_DELETION);
    return secret;
  }

  /** Every secret, after purging those whose recovery window has passed. */
  private all(): SecretRecord[] {
    const now = this.now().getTime();
    for (const secret of this.secrets.values()) {
      if (secret.purgeAt !== undefined && secret.purgeAt <= now) this.secrets.delete(secret.arn);
    }
    return [...this.secrets.values()];
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${randomUUID()}.tmp`;
    writeFileSync(temporary, JSON.stringify({ secrets: [...this.secrets.values()] }, null, 2), {
      mode: 0o600,
    });
    renameSync(temporary, this.file);
  }
}

interface SecretValue {
  secretString?: string;
  secretBinary?: string;
}

function secretValueOf(input: { SecretString?: string; SecretBinary?: Uint8Array }): SecretValue | undefined {
  if (input.SecretString !== undefined && input.SecretBinary !== undefined) {
    throw new AwsError(
      'InvalidParameterException',
      'You can provide SecretString or SecretBinary, but not both, in the same request.',
    );
  }
  if (input.SecretString !== undefined) return { secretString: input.SecretString };
  if (input.SecretBinary !== undefined)
    return { secretBinary: Buffer.from(input.SecretBinary).toString('base64') };
  return undefined;
}

function sameValue(version: VersionRecord, value: SecretValue): boolean {
  return version.secretString === value.secretString && version.secretBinary === value.secretBinary;
}

/** Idempotency tokens are 32 to 64 characters; the SDK fills in a UUID when the caller gives none. */
function checkToken(token: string | undefined): string {
  if (token === undefined) return randomUUID();
  if (token.length < 32 || token.length > 64) {
    throw new AwsError(
      'InvalidParameterException',
      `ClientRequestToken "${token}" is ${token.length} characters long; it must be 32 to 64.`,
    );
  }
  return token;
}

function requireString(value: string | undefined, name: string): string {
  if (!value) throw new AwsError('InvalidParameterException', `You must provide ${name}.`);
  return value;
}

/** The version with `versionId` and/or `stage`; both given, the version must carry the stage. */
function findVersion(
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

/** Puts `stage` on `version` alone; moving AWSCURRENT leaves AWSPREVIOUS on the version that had it. */
function attachStage(secret: SecretRecord, stage: string, version: VersionRecord): void {
  const holder = secret.versions.find((v) => v.stages.includes(stage));
  if (holder === version) return;
  if (holder) holder.stages = without(holder.stages, stage);
  if (stage === CURRENT && holder) {
    for (const v of secret.versions) v.stages = without(v.stages, PREVIOUS);
    holder.stages.push(PREVIOUS);
  }
  version.stages = [...without(version.stages, stage === CURRENT ? PREVIOUS : stage), stage];
}

function without(stages: readonly string[], stage: string): string[] {
  return stages.filter((s) => s !== stage);
}

function isPendingOnly(version: VersionRecord): boolean {
  return version.stages.includes(PENDING) && !version.stages.includes(CURRENT);
}

function versionsToStages(secret: SecretRecord): Record<string, string[]> {
  return Object.fromEntries(
    secret.versions.filter((v) => v.stages.length > 0).map((v) => [v.versionId, [...v.stages]]),
  );
}

function mergeTags(tags: readonly Tag[], added: readonly Tag[]): Tag[] {
  const merged = new Map(tags.map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  for (const tag of added) merged.set(tag.Key ?? '', tag.Value ?? '');
  return [...merged].map(([Key, Value]) => ({ Key, Value }));
}

/** ListSecrets filters: each value matches as a prefix; a leading `!` negates it. */
function matchesFilter(secret: SecretRecord, filter: { Key?: string; Values?: string[] }): boolean {
  const fields: Record<string, readonly (string | undefined)[]> = {
    name: [secret.name],
    description: [secret.description],
    'tag-key': secret.tags.map((t) => t.Key),
    'tag-value': secret.tags.map((t) => t.Value),
    'owning-service': [secret.owningService],
  };
  const candidates = filter.Key === 'all' ? Object.values(fields).flat() : (fields[filter.Key ?? ''] ?? []);
  return (filter.Values ?? []).some((value) => {
    const negated = value.startsWith('!');
    const prefix = negated ? value.slice(1) : value;
    const found = candidates.some((candidate) => candidate?.startsWith(prefix));
    return negated ? !found : found;
  });
}

function optionalDate(time: number | undefined): Date | undefined {
  return time === undefined ? undefined : new Date(time);
}

const SUFFIX_CHARACTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomSuffix(): string {
  return Array.from({ length: 6 }, () => SUFFIX_CHARACTERS[randomInt(SUFFIX_CHARACTERS.length)]).join('');
}

const CHARACTER_TYPES = {
  lowercase: 'abcdefghijklmnopqrstuvwxyz',
  uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  numbers: '0123456789',
  punctuation: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
} as const;

/**
 * A random password as GetRandomPassword makes it: by default 32 characters of letters, digits and
 * punctuation with at least one of each included type (RequireEachIncludedType), none of ExcludeCharacters.
 */
export function randomPassword(input: GetRandomPasswordRequest = {}): string {
  const length = input.PasswordLength ?? 32;
  if (!Number.isInteger(length) || length < 1 || length > 4096) {
    throw new AwsError('InvalidParameterException', `PasswordLength must be 1 to 4096, not ${length}.`);
  }
  const excluded = new Set(input.ExcludeCharacters ?? '');
  const allowed = (characters: string): string => [...characters].filter((c) => !excluded.has(c)).join('');
  const groups = [
    input.ExcludeLowercase ? '' : allowed(CHARACTER_TYPES.lowercase),
    input.ExcludeUppercase ? '' : allowed(CHARACTER_TYPES.uppercase),
    input.ExcludeNumbers ? '' : allowed(CHARACTER_TYPES.numbers),
    input.ExcludePunctuation ? '' : allowed(CHARACTER_TYPES.punctuation),
  ].filter((group) => group.length > 0);
  const pool = groups.join('') + (input.IncludeSpace && !excluded.has(' ') ? ' ' : '');
  if (pool.length === 0) {
    throw new AwsError('InvalidParameterException', 'The password parameters exclude every character.');
  }
  const required = (input.RequireEachIncludedType ?? true) ? groups : [];
  if (required.length > length) {
    throw new AwsError(
      'InvalidParameterException',
      `PasswordLength ${length} is too short to include one character of each of the ${required.length} included types.`,
    );
  }
  const pick = (characters: string): string => characters[randomInt(characters.length)] ?? '';
  const characters = [
    ...required.map(pick),
    ...Array.from({ length: length - required.length }, () => pick(pool)),
  ];
  for (let i = characters.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [characters[i], characters[j]] = [characters[j] ?? '', characters[i] ?? ''];
  }
  return characters.join('');
}

const SecretId = z.string().min(1);
const SecretName = z
  .string()
  .regex(SECRET_NAME, 'a secret name has 1 to 512 ASCII letters, digits and the characters /_+=.@-');
const Token = z.string().optional();
const Blob = z
  .string()
  .transform((base64) => new Uint8Array(Buffer.from(base64, 'base64')))
  .optional();

/** The Secrets Manager service (AWS JSON 1.1, `X-Amz-Target: secretsmanager.<Operation>`) over a SecretStore. */
export function secretsManagerService(
  store: SecretStore,
  access: SecretsManagerAccessOptions = {},
): LocalService {
  const service = jsonService('secretsmanager', 'secretsmanager', {
    CreateSecret: operation(
      z.looseObject({
        Name: SecretName,
        ClientRequestToken: Token,
        Description: z.string().optional(),
        KmsKeyId: z.string().optional(),
        SecretString: z.string().optional(),
        SecretBinary: Blob,
        Tags: z.array(TagSchema).optional(),
      }),
      (input, request) => store.createSecret(input, request),
    ),
    DescribeSecret: operation(z.looseObject({ SecretId }), (input) => store.describeSecret(input.SecretId)),
    GetSecretValue: operation(
      z.looseObject({ SecretId, VersionId: z.string().optional(), VersionStage: z.string().optional() }),
      (input) => store.getSecretValue(input),
    ),
    PutSecretValue: operation(
      z.looseObject({
        SecretId,
        ClientRequestToken: Token,
        SecretString: z.string().optional(),
        SecretBinary: Blob,
        VersionStages: z.array(z.string()).min(1).optional(),
      }),
      (input) => store.putSecretValue(input),
    ),
    UpdateSecretVersionStage: operation(
      z.looseObject({
        SecretId,
        VersionStage: z.string(),
        MoveToVersionId: z.string().optional(),
        RemoveFromVersionId: z.string().optional(),
      }),
      (input) => store.updateSecretVersionStage(input),
    ),
    GetRandomPassword: operation(
      z.looseObject({
        PasswordLength: z.number().optional(),
        ExcludeCharacters: z.string().optional(),
        ExcludeNumbers: z.boolean().optional(),
        ExcludePunctuation: z.boolean().optional(),
        ExcludeUppercase: z.boolean().optional(),
        ExcludeLowercase: z.boolean().optional(),
        IncludeSpace: z.boolean().optional(),
        RequireEachIncludedType: z.boolean().optional(),
      }),
      (input) => ({ RandomPassword: randomPassword(input) }),
    ),
    RotateSecret: operation(
      z.looseObject({
        SecretId,
        ClientRequestToken: Token,
        RotationLambdaARN: z.string().optional(),
        RotationRules: RotationRulesSchema.optional(),
        RotateImmediately: z.boolean().optional(),
      }),
      (input) => store.rotateSecret(input),
    ),
    TagResource: operation(z.looseObject({ SecretId, Tags: z.array(TagSchema) }), (input) => {
      store.tagResource(input.SecretId, input.Tags);
      return {};
    }),
    UntagResource: operation(z.looseObject({ SecretId, TagKeys: z.array(z.string()) }), (input) => {
      store.untagResource(input.SecretId, input.TagKeys);
      return {};
    }),
    ListSecrets: operation(
      z.looseObject({
        IncludePlannedDeletion: z.boolean().optional(),
        MaxResults: z.number().int().min(1).max(100).optional(),
        NextToken: z.string().optional(),
        Filters: z
          .array(
            z.object({
              Key: z
                .enum([
                  'all',
                  'description',
                  'name',
                  'owning-service',
                  'primary-region',
                  'tag-key',
                  'tag-value',
                ])
                .optional(),
              Values: z.array(z.string()).optional(),
            }),
          )
          .optional(),
        SortOrder: z.enum(['asc', 'desc']).optional(),
      }),
      (input) => store.listSecrets(input),
    ),
    DeleteSecret: operation(
      z.looseObject({
        SecretId,
        RecoveryWindowInDays: z.number().int().optional(),
        ForceDeleteWithoutRecovery: z.boolean().optional(),
      }),
      (input) => store.deleteSecret(input),
    ),
    RestoreSecret: operation(z.looseObject({ SecretId }), (input) => store.restoreSecret(input.SecretId)),
  });
  // What IAM authorizes for each request: local/iam/access/secrets-manager.ts.
  return { ...service, accessRequests: (request) => secretsManagerAccessRequests(request, store, access) };
}
