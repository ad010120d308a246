import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type {
  CreateSecretRequest,
  CreateSecretResponse,
  DeleteSecretRequest,
  DeleteSecretResponse,
  DescribeSecretResponse,
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
  UpdateSecretRequest,
  UpdateSecretResponse,
  UpdateSecretVersionStageRequest,
} from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { AwsError } from '../service';
import { lengthViolation, throwIfViolated } from './constraints';
import type { LocalKms } from './kms';
import {
  attachStage,
  CURRENT,
  checkStagingLabelQuota,
  findVersion,
  isPendingOnly,
  makeRoomForVersion,
  mergeTags,
  PENDING,
  SECRET_QUOTAS,
  type SecretRecord,
  SecretRecordSchema,
  type SecretValue,
  sameValue,
  type VersionRecord,
  versionsToStages,
  without,
} from './secret-versions';

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

/** The KMS keys secrets are encrypted with: the local KMS, or a stand-in that answers DescribeKey. */
export type SecretKeys = Pick<LocalKms, 'describeKey'>;

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
   * RotationRules) or is managed by its owning service, and that has no rotator of its own (see `setRotator`).
   * @default - such secrets cannot be rotated locally: RotateSecret fails with InvalidRequestException
   */
  readonly rotate?: Rotator;
  /**
   * The KMS keys a KmsKeyId names: a secret encrypted with a key that is missing, disabled or pending deletion
   * cannot be written or read, as in Secrets Manager.
   * @default - KmsKeyId is kept and shown, but its key is not checked
   */
  readonly kms?: SecretKeys;
  /** @default - the system clock */
  readonly now?: () => Date;
}

const StateFileSchema = z.object({ secrets: z.array(SecretRecordSchema) });

const NOT_FOUND = "Secrets Manager can't find the specified secret.";
const MARKED_FOR_DELETION =
  "You can't perform this operation on the secret because it was marked for deletion.";
const ROTATION_IN_PROGRESS = "A previous rotation isn't complete. That rotation will be reattempted.";
const DAY_MS = 86_400_000;
/** The key Secrets Manager uses when a secret names none; every principal of the account may use it. */
const DEFAULT_KEY_ALIAS = 'alias/aws/secretsmanager';
/**
 * RDS manages the rotation of the secrets it creates and rotates them every seven days by default.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html
 */
const MANAGED_ROTATION_DAYS = 7;

/**
 * The secrets of the local account, with versions and staging labels as Secrets Manager keeps them.
 * Methods take and return the SDK's own request and response shapes and throw AwsError as the service would,
 * so the RDS emulator can create RDS-managed secrets here exactly as a client would. Rules that bind only
 * clients (a managed secret is changed through its owning service) are the service's (secrets-manager.ts).
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

  /**
   * Creates a secret; its only version, when a value is given, is AWSCURRENT (CreateSecret takes no staging
   * labels). Repeating the request with the same ClientRequestToken and value returns the secret again.
   * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
   */
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
    if (input.KmsKeyId !== undefined) this.checkKeyExists(input.KmsKeyId, scope);
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
      versions: [],
    };
    if (value) {
      this.checkKeyUsable(secret, 'encrypt');
      secret.versions.push({ versionId: token, ...value, stages: [CURRENT], createdAt: now });
    }
    this.secrets.set(secret.arn, secret);
    this.save();
    return { ARN: secret.arn, Name: secret.name, VersionId: value ? token : undefined };
  }

  /**
   * Creates a secret another service manages (RDS: `rds!db-<uuid>` holding `{"username","password"}`) and
   * returns its ARN. Such names are reserved: clients cannot create them through CreateSecret. The owning
   * service rotates it (managed rotation, every seven days for RDS).
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
    secret.rotationConfigured = true;
    secret.rotationRules = { AutomaticallyAfterDays: MANAGED_ROTATION_DAYS };
    this.save();
    return secret.arn;
  }

  /**
   * Adds a version. Without VersionStages it becomes AWSCURRENT; the first version of a secret is always
   * AWSCURRENT; every label given moves to it from the version that had it. The same ClientRequestToken with the
   * same value changes nothing; with another value it is refused.
   * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
   */
  putSecretValue(input: PutSecretValueRequest): PutSecretValueResponse {
    const secret = this.active(input.SecretId);
    const value = secretValueOf(input);
    if (!value) {
      throw new AwsError(
        'InvalidParameterException',
        'You must provide either SecretString or SecretBinary.',
      );
    }
    checkVersionStages(input.VersionStages);
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
    const requested = input.VersionStages ?? [CURRENT];
    const first = !secret.versions.some((v) => v.stages.includes(CURRENT));
    const stages = first && !requested.includes(CURRENT) ? [...requested, CURRENT] : requested;
    const version = this.addVersion(secret, token, value, stages);
    return { ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: [...version.stages] };
  }

  /**
   * Changes a secret's description or KMS key, and with a value adds a version that becomes AWSCURRENT. Unlike
   * PutSecretValue, a ClientRequestToken that names an existing version is an error whatever the value.
   * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecret.html
   */
  updateSecret(input: UpdateSecretRequest): UpdateSecretResponse {
    const secret = this.active(input.SecretId);
    const value = secretValueOf(input);
    const token = value ? checkToken(input.ClientRequestToken) : undefined;
    if (token !== undefined && secret.versions.some((v) => v.versionId === token)) {
      throw new AwsError(
        'ResourceExistsException',
        `A version with the ClientRequestToken ${token} already exists; UpdateSecret always creates a new version.`,
      );
    }
    if (input.KmsKeyId !== undefined) {
      this.checkKeyExists(input.KmsKeyId, scopeOf(secret.arn));
      secret.kmsKeyId = input.KmsKeyId;
    }
    if (input.Description !== undefined) secret.description = input.Description;
    if (value && token !== undefined) this.addVersion(secret, token, value, [CURRENT]);
    secret.lastChangedAt = this.now().getTime();
    this.save();
    return { ARN: secret.arn, Name: secret.name, VersionId: token };
  }

  getSecretValue(input: GetSecretValueRequest): GetSecretValueResponse {
    const secret = this.active(input.SecretId);
    const version = findVersion(
      secret,
      input.VersionId,
      input.VersionStage ?? (input.VersionId ? undefined : CURRENT),
    );
    this.checkKeyUsable(secret, 'decrypt');
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
   * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html
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
      checkStagingLabelQuota(secret, [stage]);
      attachStage(secret, stage, target);
    } else if (source) {
      if (stage === CURRENT) {
        throw new AwsError(
          'InvalidParameterException',
          `You can only move staging label ${CURRENT} to a different secret version. It can't be completely removed.`,
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
   * Refused while a rotation is in progress (an AWSPENDING version that is not AWSCURRENT). Repeating a
   * finished rotation's ClientRequestToken changes nothing.
   * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
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
    this.checkKeyUsable(secret, 'decrypt');
    this.checkKeyUsable(secret, 'encrypt');
    makeRoomForVersion(secret, this.now().getTime());
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

  /**
   * Schedules the deletion after a recovery window of 7 to 30 days (30 by default), or deletes at once with
   * ForceDeleteWithoutRecovery, which succeeds even for a secret that does not exist.
   * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html
   */
  deleteSecret(input: DeleteSecretRequest): DeleteSecretResponse {
    if (input.ForceDeleteWithoutRecovery && input.RecoveryWindowInDays !== undefined) {
      throw new AwsError(
        'InvalidParameterException',
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    }
    const now = this.now().getTime();
    if (input.ForceDeleteWithoutRecovery) {
      const secret = this.lookup(input.SecretId);
      if (!secret) {
        const id = requireString(input.SecretId, 'SecretId');
        return { ...(id.startsWith('arn:') ? { ARN: id } : { Name: id }), DeletionDate: new Date(now) };
      }
      this.secrets.delete(secret.arn);
      this.rotators.delete(secret.arn);
      this.save();
      return { ARN: secret.arn, Name: secret.name, DeletionDate: new Date(now) };
    }
    const secret = this.find(input.SecretId);
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

  /** The ARN of the secret named by name, full ARN or partial ARN; undefined when there is none. */
  arnOf(secretId: string): string | undefined {
    return this.lookup(secretId)?.arn;
  }

  /**
   * The ARN of the customer managed KMS key the secret's values are encrypted with (resolved from the key id,
   * alias or ARN the secret was given, when the local KMS knows it), or undefined when the secret uses the AWS
   * managed key aws/secretsmanager or does not exist. Reading such a secret needs kms:Decrypt on that key, and
   * writing it kms:GenerateDataKey, through Secrets Manager.
   * https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
   */
  kmsKeyIdOf(secretId: string): string | undefined {
    const secret = this.lookup(secretId);
    const keyId = secret?.kmsKeyId;
    if (!secret || keyId === undefined || keyId === '' || isDefaultKey(keyId)) return undefined;
    try {
      return this.options.kms?.describeKey(keyId, scopeOf(secret.arn)).Arn ?? keyId;
    } catch (error: unknown) {
      if (error instanceof AwsError) return keyId;
      throw error;
    }
  }

  /** The ARN of the Lambda function that rotates the secret, or undefined (none configured, or no such secret). */
  rotationLambdaArnOf(secretId: string): string | undefined {
    return this.lookup(secretId)?.rotationLambdaArn;
  }

  /** The secret's tags, or undefined when there is no such secret. */
  tagsOf(secretId: string): readonly Tag[] | undefined {
    return this.lookup(secretId)?.tags.map((tag) => ({ ...tag }));
  }

  /** The service that manages the secret (`rds.amazonaws.com` for RDS-managed secrets), or undefined. */
  owningServiceOf(secretId: string): string | undefined {
    return this.lookup(secretId)?.owningService;
  }

  private addVersion(
    secret: SecretRecord,
    token: string,
    value: SecretValue,
    stages: readonly string[],
  ): VersionRecord {
    checkStagingLabelQuota(secret, stages);
    this.checkKeyUsable(secret, 'encrypt');
    const now = this.now().getTime();
    makeRoomForVersion(secret, now);
    const version: VersionRecord = { versionId: token, ...value, stages: [], createdAt: now };
    secret.versions.push(version);
    for (const stage of stages) attachStage(secret, stage, version);
    secret.lastChangedAt = now;
    this.save();
    return version;
  }

  /**
   * A KmsKeyId must name a key Secrets Manager can find; the AWS managed key is made on first use.
   * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html (KmsKeyId)
   */
  private checkKeyExists(keyId: string, scope: SecretScope): void {
    if (!this.options.kms || keyId === '' || isDefaultKey(keyId)) return;
    try {
      this.options.kms.describeKey(keyId, scope);
    } catch (error: unknown) {
      if (!(error instanceof AwsError)) throw error;
      throw new AwsError(
        'InvalidParameterException',
        `The operation failed because of an invalid KMS key: ${error.message}. Give the key id, key ARN, alias name ` +
          'or alias ARN of an existing KMS key.',
      );
    }
  }

  /**
   * Secrets Manager encrypts every new version with the secret's key and decrypts it to read it: a key that is
   * gone, disabled or pending deletion fails the write with EncryptionFailure and the read with DecryptionFailure.
   * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html (Errors)
   * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html (Errors)
   */
  private checkKeyUsable(secret: SecretRecord, use: 'encrypt' | 'decrypt'): void {
    const problem = this.keyProblem(secret);
    if (problem) {
      throw new AwsError(
        use === 'encrypt' ? 'EncryptionFailure' : 'DecryptionFailure',
        `Secrets Manager can't ${use} the protected secret text using the provided KMS key: ${problem}`,
      );
    }
  }

  /** Why the secret's customer managed key cannot be used now, or undefined when it can (or is not checked). */
  private keyProblem(secret: SecretRecord): string | undefined {
    const keyId = secret.kmsKeyId;
    if (!this.options.kms || keyId === undefined || keyId === '' || isDefaultKey(keyId)) return undefined;
    try {
      const key = this.options.kms.describeKey(keyId, scopeOf(secret.arn));
      return key.KeyState === 'Enabled' ? undefined : `Key '${key.Arn}' is ${key.KeyState}.`;
    } catch (error: unknown) {
      if (error instanceof AwsError) return error.message;
      throw error;
    }
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
    const secret = this.lookup(requireString(secretId, 'SecretId'));
    if (!secret) throw new AwsError('ResourceNotFoundException', NOT_FOUND);
    return secret;
  }

  private lookup(secretId: string | undefined): SecretRecord | undefined {
    if (!secretId) return undefined;
    return (
      this.secrets.get(secretId) ??
      (secretId.startsWith('arn:')
        ? this.all().find((s) => s.arn.slice(0, -7) === secretId)
        : this.findByName(secretId))
    );
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

/**
 * The value of a request: SecretString or SecretBinary, not both, each at most 65,536 bytes.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html (secret value size)
 */
function secretValueOf(input: { SecretString?: string; SecretBinary?: Uint8Array }): SecretValue | undefined {
  if (input.SecretString !== undefined && input.SecretBinary !== undefined) {
    throw new AwsError(
      'InvalidParameterException',
      'You can provide SecretString or SecretBinary, but not both, in the same request.',
    );
  }
  const size = { min: 1, max: SECRET_QUOTAS.valueBytes, unit: 'utf8-bytes', sensitive: true } as const;
  throwIfViolated([
    lengthViolation('secretString', input.SecretString, size),
    lengthViolation('secretBinary', input.SecretBinary, size),
  ]);
  if (input.SecretString !== undefined) return { secretString: input.SecretString };
  if (input.SecretBinary !== undefined)
    return { secretBinary: Buffer.from(input.SecretBinary).toString('base64') };
  return undefined;
}

/**
 * Idempotency tokens (which become version ids) are 32 to 64 characters; the SDK fills in a UUID when the
 * caller gives none. https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
 */
function checkToken(token: string | undefined): string {
  if (token === undefined) return randomUUID();
  throwIfViolated([lengthViolation('clientRequestToken', token, { min: 32, max: 64 })]);
  return token;
}

/**
 * VersionStages: 1 to 20 labels of 1 to 256 characters.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
 */
function checkVersionStages(stages: readonly string[] | undefined): void {
  if (stages === undefined) return;
  throwIfViolated([
    stages.length < 1 || stages.length > SECRET_QUOTAS.stagingLabels
      ? {
          member: 'versionStages',
          constraint:
            stages.length < 1
              ? 'Member must have length greater than or equal to 1'
              : `Member must have length less than or equal to ${SECRET_QUOTAS.stagingLabels}`,
        }
      : undefined,
    ...stages.map((stage) => lengthViolation('versionStages.member', stage, { min: 1, max: 256 })),
  ]);
}

function requireString(value: string | undefined, name: string): string {
  if (!value) throw new AwsError('InvalidParameterException', `You must provide ${name}.`);
  return value;
}

function isDefaultKey(keyId: string): boolean {
  return keyId === DEFAULT_KEY_ALIAS || keyId.endsWith(`:${DEFAULT_KEY_ALIAS}`);
}

function scopeOf(secretArn: string): SecretScope {
  const [, , , region = '', account = ''] = secretArn.split(':');
  return { region, account };
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
