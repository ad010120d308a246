import type { Tag } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import {
  type SecretsManagerAccessOptions,
  secretsManagerAccessRequests,
} from '../../iam/access/secrets-manager';
import { jsonService, operation } from '../json-protocol';
import { AwsError, type LocalService } from '../service';
import { lengthViolation, throwIfViolated } from './constraints';
import { randomPassword } from './random-password';
import type { SecretStore } from './secret-store';
import { RotationRulesSchema, TagSchema } from './secret-versions';

export { randomPassword } from './random-password';
export { type Rotator, type SecretScope, SecretStore, type SecretStoreOptions } from './secret-store';
export { CURRENT, PENDING, PREVIOUS } from './secret-versions';

/**
 * Secret names: 1 to 512 ASCII letters, digits and `/_+=.@-`.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html (Name)
 */
const SECRET_NAME_CHARACTERS = /^[A-Za-z0-9/_+=.@-]*$/;
/** Tags per secret, not counting those AWS reserves (`aws:`). https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_TagResource.html */
const MAX_TAGS = 50;

const SecretId = z.string().min(1);
const Token = z.string().optional();
const Blob = z
  .string()
  .transform((base64) => new Uint8Array(Buffer.from(base64, 'base64')))
  .optional();
const Tags = z.array(TagSchema);

/**
 * The Secrets Manager service (AWS JSON 1.1, `X-Amz-Target: secretsmanager.<Operation>`) over a SecretStore,
 * with the rules that bind clients on top of the store's: the API model's constraints, the ClientRequestToken a
 * raw request must carry, tag restrictions, and secrets managed by another service changed only through it.
 */
export function secretsManagerService(
  store: SecretStore,
  access: SecretsManagerAccessOptions = {},
): LocalService {
  /**
   * A secret another service manages (RDS `rds!db-…`) is changed through that service, not Secrets Manager.
   * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html (InvalidRequestException:
   * "The secret is managed by another service, and you must use that service to update it.")
   */
  const requireUnmanaged = (secretId: string, action: string): void => {
    const owner = store.owningServiceOf(secretId);
    if (owner !== undefined) {
      throw new AwsError(
        'InvalidRequestException',
        `You can't ${action} secret ${secretId} because it is managed by ${owner}; use that service to change it.`,
      );
    }
  };

  const service = jsonService('secretsmanager', 'secretsmanager', {
    CreateSecret: operation(
      z.looseObject({
        Name: z.string(),
        ClientRequestToken: Token,
        Description: z.string().optional(),
        KmsKeyId: z.string().optional(),
        SecretString: z.string().optional(),
        SecretBinary: Blob,
        Tags: Tags.optional(),
      }),
      (input, request) => {
        checkName(input.Name);
        throwIfViolated([
          lengthViolation('description', input.Description, { max: 2048 }),
          lengthViolation('kmsKeyId', input.KmsKeyId, { max: 2048 }),
        ]);
        requireToken(input.ClientRequestToken, input.SecretString ?? input.SecretBinary);
        checkTags([], input.Tags ?? []);
        return store.createSecret(input, request);
      },
    ),
    UpdateSecret: operation(
      z.looseObject({
        SecretId,
        ClientRequestToken: Token,
        Description: z.string().optional(),
        KmsKeyId: z.string().optional(),
        SecretString: z.string().optional(),
        SecretBinary: Blob,
      }),
      (input) => {
        throwIfViolated([
          lengthViolation('description', input.Description, { max: 2048 }),
          lengthViolation('kmsKeyId', input.KmsKeyId, { max: 2048 }),
        ]);
        requireToken(input.ClientRequestToken, input.SecretString ?? input.SecretBinary);
        requireUnmanaged(input.SecretId, 'update');
        return store.updateSecret(input);
      },
    ),
    DescribeSecret: operation(z.looseObject({ SecretId }), (input) => store.describeSecret(input.SecretId)),
    GetSecretValue: operation(
      z.looseObject({ SecretId, VersionId: z.string().optional(), VersionStage: z.string().optional() }),
      (input) => {
        throwIfViolated([
          lengthViolation('versionId', input.VersionId, { min: 32, max: 64 }),
          lengthViolation('versionStage', input.VersionStage, { min: 1, max: 256 }),
        ]);
        return store.getSecretValue(input);
      },
    ),
    PutSecretValue: operation(
      z.looseObject({
        SecretId,
        ClientRequestToken: Token,
        SecretString: z.string().optional(),
        SecretBinary: Blob,
        VersionStages: z.array(z.string()).optional(),
      }),
      (input) => {
        requireToken(input.ClientRequestToken, input.SecretString ?? input.SecretBinary);
        requireUnmanaged(input.SecretId, 'put a value in');
        return store.putSecretValue(input);
      },
    ),
    UpdateSecretVersionStage: operation(
      z.looseObject({
        SecretId,
        VersionStage: z.string(),
        MoveToVersionId: z.string().optional(),
        RemoveFromVersionId: z.string().optional(),
      }),
      (input) => {
        throwIfViolated([
          lengthViolation('versionStage', input.VersionStage, { min: 1, max: 256 }),
          lengthViolation('moveToVersionId', input.MoveToVersionId, { min: 32, max: 64 }),
          lengthViolation('removeFromVersionId', input.RemoveFromVersionId, { min: 32, max: 64 }),
        ]);
        requireUnmanaged(input.SecretId, 'change the staging labels of');
        return store.updateSecretVersionStage(input);
      },
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
      (input) => {
        throwIfViolated([lengthViolation('rotationLambdaARN', input.RotationLambdaARN, { max: 2048 })]);
        requireToken(input.ClientRequestToken, input.RotateImmediately === false ? undefined : 'rotation');
        return store.rotateSecret(input);
      },
    ),
    TagResource: operation(z.looseObject({ SecretId, Tags }), (input) => {
      checkTags(store.tagsOf(input.SecretId) ?? [], input.Tags);
      store.tagResource(input.SecretId, input.Tags);
      return {};
    }),
    UntagResource: operation(z.looseObject({ SecretId, TagKeys: z.array(z.string()) }), (input) => {
      for (const key of input.TagKeys) checkNotReserved(key);
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
      (input) => {
        requireUnmanaged(input.SecretId, 'delete');
        return store.deleteSecret(input);
      },
    ),
    RestoreSecret: operation(z.looseObject({ SecretId }), (input) => store.restoreSecret(input.SecretId)),
  });
  // What IAM authorizes for each request: local/iam/access/secrets-manager.ts.
  return { ...service, accessRequests: (request) => secretsManagerAccessRequests(request, store, access) };
}

/**
 * A secret name has 1 to 512 characters (the model's constraint, a ValidationException), all ASCII letters,
 * digits or `/_+=.@-` (the service's rule, an InvalidParameterException).
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html (Name)
 */
function checkName(name: string): void {
  throwIfViolated([lengthViolation('name', name, { min: 1, max: 512 })]);
  if (!SECRET_NAME_CHARACTERS.test(name)) {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid name "${name}". Must be a valid name containing ASCII letters, digits, or any of the following: /_+=.@-`,
    );
  }
}

/**
 * A request that writes a version must carry its ClientRequestToken: the SDKs fill one in, a raw request must.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html (ClientRequestToken)
 */
function requireToken(token: string | undefined, writes: unknown): void {
  if (token === undefined && writes !== undefined) {
    throw new AwsError(
      'InvalidRequestException',
      'You must provide a ClientRequestToken value. We recommend a UUID-type value.',
    );
  }
}

/**
 * Tag restrictions: keys of 1 to 128 and values of up to 256 characters, at most 50 tags per secret (those
 * starting with `aws:` excepted), and the `aws:` prefix reserved to AWS.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_TagResource.html
 */
function checkTags(existing: readonly Tag[], added: readonly Tag[]): void {
  throwIfViolated(
    added.flatMap((tag, index) => [
      lengthViolation(`tags.${index + 1}.member.key`, tag.Key ?? '', { min: 1, max: 128 }),
      lengthViolation(`tags.${index + 1}.member.value`, tag.Value, { max: 256 }),
    ]),
  );
  for (const tag of added) checkNotReserved(tag.Key ?? '');
  const keys = new Set([...existing, ...added].map((tag) => tag.Key ?? ''));
  const counted = [...keys].filter((key) => !isReserved(key));
  if (counted.length > MAX_TAGS) {
    throw new AwsError(
      'LimitExceededException',
      `A secret can have at most ${MAX_TAGS} tags; this request would give it ${counted.length}.`,
    );
  }
}

function checkNotReserved(key: string): void {
  if (isReserved(key)) {
    throw new AwsError(
      'InvalidParameterException',
      `The tag key "${key}" starts with "aws:", which AWS reserves for its own use; choose another key.`,
    );
  }
}

function isReserved(key: string): boolean {
  return key.toLowerCase().startsWith('aws:');
}
