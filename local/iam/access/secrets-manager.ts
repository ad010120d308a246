import type { DescribeSecretResponse } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { AwsError, type LocalRequest } from '../../endpoint/service';
import type { AccessRequest, RequestContext } from '../access';
import { type KeyResolver, keyUseThroughService, type ResolvedKey, resolveKey } from './customer-keys';
import { type FunctionRegistry, invokeFunction } from './lambda';
import { definedKeys, jsonBody, jsonOperation, ownerIfOther, unknownOperation } from './requests';
import { type AccessSpec, describedAccesses } from './service-authorization';
import { requestTagKeys, resourceTagKeys, tagKeysKey } from './tags';

/**
 * What IAM authorizes for each action of the local Secrets Manager, as the Service Authorization Reference lists
 * it (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html): the
 * secret's ARN with its tags (`aws:ResourceTag/<key>`, `secretsmanager:ResourceTag/<key>`) and the request's
 * keys (`secretsmanager:SecretId`, `VersionStage`, ...). What Secrets Manager does with the caller's permissions
 * is authorized too: tags on create (secretsmanager:TagResource), the customer managed key that encrypts the
 * secret (kms:GenerateDataKey to write a value, kms:Decrypt to read one, through Secrets Manager), and the
 * rotation function a rotation invokes (lambda:InvokeFunction).
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
 */

/** What the mapper reads of the local secrets: a secret's description (throwing as DescribeSecret does). */
export interface SecretDescriptions {
  describeSecret(secretId: string | undefined): DescribeSecretResponse;
}

export interface SecretsManagerAccessOptions {
  /** Resolves the secrets' key ids and aliases (the local KMS). @default - key ARNs and ids stand for themselves */
  readonly keys?: KeyResolver;
  /** The local Lambda's functions, for the tags of rotation functions. @default - functions without tags */
  readonly functions?: FunctionRegistry;
}

const SECRET_ARN = /^arn:aws[\w-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;

const TagList = z.array(z.looseObject({ Key: z.string().optional(), Value: z.string().optional() }));
const SecretId = z.string();
const WithSecret = z.looseObject({ SecretId });

/** One operation: the body it reads, and the accesses of its request. */
interface Operation {
  accesses(call: SecretsCall, request: LocalRequest): AccessSpec[];
}

/** An operation whose body `schema` reads (refused as the service refuses it when it cannot). */
function op<S extends z.ZodType>(
  schema: S,
  accesses: (call: SecretsCall, body: z.output<S>) => AccessSpec[],
): Operation {
  return { accesses: (call, request) => accesses(call, jsonBody(request, call.operation, schema)) };
}

/**
 * The accesses of a Secrets Manager request.
 * @throws AwsError for an operation the local Secrets Manager does not have, a body it refuses, a SecretId that
 *   is another service's ARN, or a KMS key the local KMS does not have
 */
export async function secretsManagerAccessRequests(
  request: LocalRequest,
  secrets: SecretDescriptions,
  options: SecretsManagerAccessOptions = {},
): Promise<AccessRequest[]> {
  const name = jsonOperation(request, 'secretsmanager') ?? '';
  const operation = Object.hasOwn(SECRETS_MANAGER_OPERATIONS, name)
    ? SECRETS_MANAGER_OPERATIONS[name]
    : undefined;
  if (!operation) throw unknownOperation('secretsmanager', name);
  return describedAccesses(operation.accesses(new SecretsCall(name, request, secrets, options), request));
}

/** Every operation of the local Secrets Manager (local/endpoint/services/secrets-manager.ts), by name. */
export const SECRETS_MANAGER_OPERATIONS: Readonly<Record<string, Operation>> = {
  CreateSecret: op(
    z.looseObject({
      Name: z.string(),
      Description: z.string().optional(),
      KmsKeyId: z.string().optional(),
      Tags: TagList.optional(),
    }),
    (call, body) => call.create(body),
  ),
  DescribeSecret: op(WithSecret, (call, body) => [call.onSecret(body.SecretId)]),
  GetSecretValue: op(
    z.looseObject({ SecretId, VersionId: z.string().optional(), VersionStage: z.string().optional() }),
    (call, body) => [
      call.onSecret(
        body.SecretId,
        definedKeys({
          'secretsmanager:VersionId': body.VersionId,
          'secretsmanager:VersionStage': body.VersionStage,
        }),
      ),
      ...call.secretKeyUse(body.SecretId, ['kms:Decrypt']),
    ],
  ),
  PutSecretValue: op(WithSecret, (call, body) => [
    call.onSecret(body.SecretId),
    ...call.secretKeyUse(body.SecretId, ['kms:GenerateDataKey']),
  ]),
  UpdateSecret: op(
    z.looseObject({
      SecretId,
      KmsKeyId: z.string().optional(),
      SecretString: z.string().optional(),
      SecretBinary: z.string().optional(),
    }),
    (call, body) => call.update(body),
  ),
  UpdateSecretVersionStage: op(z.looseObject({ SecretId, VersionStage: z.string() }), (call, body) => [
    call.onSecret(body.SecretId, { 'secretsmanager:VersionStage': body.VersionStage }),
  ]),
  GetRandomPassword: op(z.looseObject({}), () => [
    { action: 'secretsmanager:GetRandomPassword', resource: '*' },
  ]),
  RotateSecret: op(
    z.looseObject({
      SecretId,
      RotationLambdaARN: z.string().optional(),
      RotateImmediately: z.boolean().optional(),
    }),
    (call, body) => call.rotate(body.SecretId, body.RotationLambdaARN, body.RotateImmediately),
  ),
  TagResource: op(z.looseObject({ SecretId, Tags: TagList }), (call, body) => [
    call.onSecret(body.SecretId, requestTagKeys(body.Tags)),
  ]),
  UntagResource: op(z.looseObject({ SecretId, TagKeys: z.array(z.string()) }), (call, body) => [
    call.onSecret(body.SecretId, tagKeysKey(body.TagKeys)),
  ]),
  ListSecrets: op(z.looseObject({}), () => [{ action: 'secretsmanager:ListSecrets', resource: '*' }]),
  DeleteSecret: op(
    z.looseObject({
      SecretId,
      RecoveryWindowInDays: z.number().optional(),
      ForceDeleteWithoutRecovery: z.boolean().optional(),
    }),
    (call, body) => [
      call.onSecret(
        body.SecretId,
        definedKeys({
          'secretsmanager:RecoveryWindowInDays': body.RecoveryWindowInDays,
          'secretsmanager:ForceDeleteWithoutRecovery': body.ForceDeleteWithoutRecovery,
        }),
      ),
    ],
  ),
  RestoreSecret: op(WithSecret, (call, body) => [call.onSecret(body.SecretId)]),
};

/** One request to Secrets Manager: its operation, and the secrets and keys it names as the local account has them. */
class SecretsCall {
  constructor(
    readonly operation: string,
    private readonly request: LocalRequest,
    private readonly secrets: SecretDescriptions,
    private readonly options: SecretsManagerAccessOptions,
  ) {}

  /**
   * `secretsmanager:<operation>` on the secret `secretId` names, with its keys and the request's `extra` keys.
   * A secret that does not exist is authorized on the ARN its name would have (Secrets Manager answers
   * ResourceNotFoundException only to a caller allowed to ask).
   */
  onSecret(secretId: string, extra: RequestContext = {}): AccessSpec {
    const secret = this.secret(secretId);
    const arn = secret?.ARN ?? this.arnOf(secretId);
    return {
      action: `secretsmanager:${this.operation}`,
      resource: arn,
      request: { 'secretsmanager:SecretId': arn, ...extra },
      context: {
        ...resourceTagKeys(secret?.Tags ?? [], ['secretsmanager:ResourceTag']),
        ...definedKeys({ 'secretsmanager:resource/AllowRotationLambdaArn': secret?.RotationLambdaARN }),
      },
      ...ownerIfOther(arn, this.request),
    };
  }

  /**
   * A new secret, on the ARN it will have: Secrets Manager adds a hyphen and six random characters to the name,
   * so a policy names it `secret:<name>-??????` (or wider). Its tags are authorized as secretsmanager:TagResource
   * too, and its customer managed key as kms:GenerateDataKey and kms:Decrypt through Secrets Manager.
   */
  create(body: { Name: string; Description?: string; KmsKeyId?: string; Tags?: z.output<typeof TagList> }) {
    const arn = `arn:aws:secretsmanager:${this.request.region}:${this.request.account}:secret:${body.Name}-??????`;
    const key = this.key(body.KmsKeyId, 'EncryptionFailure');
    const tags = body.Tags ?? [];
    const request: RequestContext = {
      ...requestTagKeys(tags),
      ...definedKeys({
        'secretsmanager:Name': body.Name,
        'secretsmanager:Description': body.Description,
        'secretsmanager:KmsKeyId': body.KmsKeyId,
        'secretsmanager:KmsKeyArn': key?.awsManaged === false ? key.arn : undefined,
      }),
    };
    return [
      { action: 'secretsmanager:CreateSecret', resource: arn, request },
      ...(tags.length > 0 ? [{ action: 'secretsmanager:TagResource', resource: arn, request }] : []),
      ...keyUseThroughService(key, ['kms:GenerateDataKey', 'kms:Decrypt'], 'secretsmanager', this.request),
    ];
  }

  /**
   * An update: on the secret; a new value is encrypted with the secret's key (the new one when the request
   * changes it); a new key must also be usable to decrypt, since Secrets Manager re-encrypts AWSCURRENT with it.
   * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecret.html (Required permissions)
   * https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
   */
  update(body: {
    SecretId: string;
    KmsKeyId?: string;
    SecretString?: string;
    SecretBinary?: string;
  }): AccessSpec[] {
    const writesValue = body.SecretString !== undefined || body.SecretBinary !== undefined;
    const newKey = this.key(body.KmsKeyId, 'EncryptionFailure');
    return [
      this.onSecret(body.SecretId, definedKeys({ 'secretsmanager:KmsKeyId': body.KmsKeyId })),
      ...(newKey
        ? keyUseThroughService(newKey, ['kms:GenerateDataKey', 'kms:Decrypt'], 'secretsmanager', this.request)
        : writesValue
          ? this.secretKeyUse(body.SecretId, ['kms:GenerateDataKey'])
          : []),
    ];
  }

  /** A rotation: on the secret, and lambda:InvokeFunction on the rotation function it names or has. */
  rotate(secretId: string, rotationLambdaArn?: string, rotateImmediately?: boolean): AccessSpec[] {
    const rotationFunction = rotationLambdaArn ?? this.secret(secretId)?.RotationLambdaARN;
    return [
      this.onSecret(
        secretId,
        definedKeys({
          'secretsmanager:RotationLambdaARN': rotationLambdaArn,
          'secretsmanager:RotateImmediately': rotateImmediately,
        }),
      ),
      ...(rotationFunction === undefined
        ? []
        : [invokeFunction(rotationFunction, undefined, this.request, this.options.functions)]),
    ];
  }

  /** `actions` through Secrets Manager on the customer managed key the secret is encrypted with, if any. */
  secretKeyUse(secretId: string, actions: readonly string[]): AccessSpec[] {
    const code = actions.includes('kms:Decrypt') ? 'DecryptionFailure' : 'EncryptionFailure';
    const key = this.key(this.secret(secretId)?.KmsKeyId, code);
    return keyUseThroughService(key, actions, 'secretsmanager', this.request);
  }

  /** The secret `secretId` names, or undefined when there is none. */
  private secret(secretId: string): DescribeSecretResponse | undefined {
    if (secretId.startsWith('arn:') && !SECRET_ARN.test(secretId)) {
      throw new AwsError('InvalidParameterException', `SecretId "${secretId}" is not a secret's ARN or name`);
    }
    try {
      return this.secrets.describeSecret(secretId);
    } catch (error: unknown) {
      if (error instanceof AwsError && error.code === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  private arnOf(secretId: string): string {
    if (secretId.startsWith('arn:')) return secretId;
    return `arn:aws:secretsmanager:${this.request.region}:${this.request.account}:secret:${secretId}`;
  }

  /**
   * The key a KmsKeyId names; none when it names none (aws/secretsmanager).
   * @throws AwsError `code` (EncryptionFailure, DecryptionFailure) for a key the local KMS does not have
   */
  private key(keyId: string | undefined, code: string): ResolvedKey | undefined {
    if (keyId === undefined || keyId === '') return undefined;
    const scope = { region: this.request.region, account: this.request.account };
    const key = resolveKey(keyId, scope, this.options.keys);
    if (!key) {
      throw new AwsError(
        code,
        `Secrets Manager can't use the KMS key ${keyId}: the local KMS has no such key or alias`,
      );
    }
    return key;
  }
}
