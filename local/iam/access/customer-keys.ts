import type { LocalRequest } from '../../endpoint/service';
import type { PolicyDocument } from '../access';
import { callerAccount, ownerIfOther } from './requests';
import type { AccessSpec } from './service-authorization';

/**
 * KMS keys that a service uses with the caller's permissions. When a service encrypts or decrypts with a
 * customer managed key on a caller's behalf (RDS creating an encrypted copy, Secrets Manager reading a secret),
 * KMS authorizes the caller, with `kms:ViaService` naming the service and `kms:CallerAccount` the caller's
 * account. An AWS managed key (`aws/rds`, `aws/secretsmanager`, ...) needs no permission of the caller: its key
 * policy lets every principal of the account use it through its service.
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
 * https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key
 */

/** Where a key reference is read: a bare key id or alias name means a key of this region and account. */
export interface KeyScope {
  readonly region: string;
  readonly account: string;
}

/** The key a reference (key id, key ARN, alias name, alias ARN) names. */
export interface ResolvedKey {
  /** `arn:aws:kms:<region>:<account>:key/<key id>` (an AWS managed key not made yet: its alias ARN). */
  readonly arn: string;
  /** An AWS managed key (`alias/aws/<service>`): usable through its service by every principal of the account. */
  readonly awsManaged: boolean;
  readonly aliases?: readonly string[];
  /** The key policy, when known: another account's key is usable only when its policy allows it. */
  readonly policy?: PolicyDocument;
}

/** Finds keys by reference (the local KMS). */
export interface KeyResolver {
  /** The key `keyId` names, or undefined when there is none. */
  resolveKey(keyId: string, scope: KeyScope): ResolvedKey | undefined;
}

const KEY_ARN = /^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/;
const KEY_ID = /^(mrk-)?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$|^mrk-[0-9a-f]{32}$/;
const AWS_MANAGED_ALIAS = /(^|:)alias\/aws\//;

/**
 * The key a reference names: through `resolver` when it knows it; otherwise a key ARN or key id stands for
 * itself (another account's key is not in the local KMS), and an AWS managed alias for the AWS managed key.
 * Undefined for an alias no one can resolve.
 */
export function resolveKey(keyId: string, scope: KeyScope, resolver?: KeyResolver): ResolvedKey | undefined {
  const resolved = resolver?.resolveKey(keyId, scope);
  if (resolved) return resolved;
  if (AWS_MANAGED_ALIAS.test(keyId)) {
    return {
      arn: `arn:aws:kms:${scope.region}:${scope.account}:${keyId.replace(/^.*:/, '')}`,
      awsManaged: true,
    };
  }
  if (KEY_ARN.test(keyId)) return { arn: keyId, awsManaged: false };
  if (KEY_ID.test(keyId)) {
    return { arn: `arn:aws:kms:${scope.region}:${scope.account}:key/${keyId}`, awsManaged: false };
  }
  return undefined;
}

/**
 * The KMS accesses of a service using `key` on the caller's behalf: `actions` on the key, through `service`
 * (`rds`, `secretsmanager`, `s3`, `sns`) in the request's region. None for an AWS managed key. A grant that a
 * service creates is for an AWS resource (`kms:GrantIsForAWSResource`).
 * https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html
 */
export function keyUseThroughService(
  key: ResolvedKey | undefined,
  actions: readonly string[],
  service: string,
  request: LocalRequest,
): AccessSpec[] {
  if (!key || key.awsManaged) return [];
  return actions.map((action) => ({
    action,
    resource: key.arn,
    context: {
      'kms:ViaService': `${service}.${request.region}.amazonaws.com`,
      'kms:CallerAccount': callerAccount(request),
      ...(action === 'kms:CreateGrant' ? { 'kms:GrantIsForAWSResource': true } : {}),
    },
    ...ownerIfOther(key.arn, request),
    ...(key.policy ? { resourcePolicy: key.policy } : {}),
  }));
}
