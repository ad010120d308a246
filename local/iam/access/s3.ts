import { AwsError, type LocalRequest } from '../../endpoint/service';
import { s3Address } from '../../endpoint/services/s3-names';
import type { AccessRequest, RequestContext } from '../access';
import { type KeyResolver, keyUseThroughService, type ResolvedKey, resolveKey } from './customer-keys';
import { definedKeys } from './requests';
import { type AccessSpec, describedAccesses } from './service-authorization';

/**
 * What IAM authorizes for each request of the local S3, as the Service Authorization Reference lists it
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html): object operations on
 * `arn:aws:s3:::<bucket>/<key>`, bucket operations on `arn:aws:s3:::<bucket>`, with the owner's account as
 * `s3:ResourceAccount`. HeadObject needs s3:GetObject and HeadBucket s3:ListBucket. An object encrypted with a
 * customer managed key needs kms:Decrypt through S3 to be read, and kms:GenerateDataKey to be written.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
 */

/** What the mapper reads of the local S3's objects. */
export interface S3Objects {
  /** The KMS key an object is encrypted with (SSE-KMS); undefined for SSE-S3 or no such object. */
  objectKmsKeyId(bucket: string, key: string): Promise<string | undefined> | string | undefined;
}

export interface S3AccessOptions {
  /** Resolves key ids and aliases (the local KMS). @default - key ARNs and ids stand for themselves */
  readonly keys?: KeyResolver;
  /** Which objects are encrypted with which key. @default - no object is encrypted with a KMS key */
  readonly objects?: S3Objects;
}

/**
 * The accesses of an S3 request.
 * @throws AwsError NotImplemented for a request the local S3 does not implement, KMS.NotFoundException for a key
 *   the local KMS does not have
 */
export async function s3AccessRequests(
  request: LocalRequest,
  options: S3AccessOptions = {},
): Promise<AccessRequest[]> {
  return describedAccesses(await s3Accesses(request, options));
}

async function s3Accesses(request: LocalRequest, options: S3AccessOptions): Promise<AccessSpec[]> {
  const { bucket, key } = s3Address(request.headers, request.path);
  const { method, query } = request;
  const owner = { 's3:ResourceAccount': request.account };
  const on = (action: string, resource: string, request: RequestContext = {}): AccessSpec => ({
    action: `s3:${action}`,
    resource,
    request: { ...owner, ...request },
  });
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const objectArn = `${bucketArn}/${key}`;
  if (bucket === '' && method === 'GET') return [on('ListAllMyBuckets', '*')];
  if (bucket !== '' && key === '') {
    if (method === 'PUT') return [on('CreateBucket', bucketArn)];
    if (method === 'HEAD') return [on('ListBucket', bucketArn)];
    if (method === 'GET' && query.get('list-type') === '2') {
      return [
        on(
          'ListBucket',
          bucketArn,
          definedKeys({
            's3:prefix': query.get('prefix') ?? undefined,
            's3:delimiter': query.get('delimiter') ?? undefined,
            's3:max-keys': numberOrUndefined(query.get('max-keys')),
          }),
        ),
      ];
    }
  }
  if (bucket !== '' && key !== '') {
    if (method === 'PUT' && !request.headers['x-amz-copy-source'])
      return putObject(request, objectArn, on, options);
    if (method === 'HEAD') return [on('GetObject', objectArn)];
    if (method === 'DELETE') return [on('DeleteObject', objectArn)];
    if (method === 'GET') {
      const keyId = await options.objects?.objectKmsKeyId(bucket, key);
      return [
        on('GetObject', objectArn),
        ...keyUseThroughService(s3Key(keyId, request, options), ['kms:Decrypt'], 's3', request),
      ];
    }
  }
  throw new AwsError(
    'NotImplemented',
    `The local S3 does not implement ${method} ${request.path}, so local IAM cannot authorize it`,
    501,
    false,
  );
}

/** PutObject, with the encryption its headers ask for; SSE-KMS with a customer key needs kms:GenerateDataKey. */
function putObject(
  request: LocalRequest,
  objectArn: string,
  on: (action: string, resource: string, request?: RequestContext) => AccessSpec,
  options: S3AccessOptions,
): AccessSpec[] {
  const encryption = request.headers['x-amz-server-side-encryption'];
  const keyId = request.headers['x-amz-server-side-encryption-aws-kms-key-id'];
  const put = on(
    'PutObject',
    objectArn,
    definedKeys({
      's3:x-amz-server-side-encryption': encryption,
      's3:x-amz-server-side-encryption-aws-kms-key-id': keyId,
    }),
  );
  const kms = encryption?.startsWith('aws:kms') ? s3Key(keyId, request, options) : undefined;
  return [put, ...keyUseThroughService(kms, ['kms:GenerateDataKey'], 's3', request)];
}

/**
 * The key of SSE-KMS; none for the AWS managed key aws/s3 (no key id given).
 * @throws AwsError KMS.NotFoundException for a key the local KMS does not have
 */
function s3Key(
  keyId: string | undefined,
  request: LocalRequest,
  options: S3AccessOptions,
): ResolvedKey | undefined {
  if (keyId === undefined || keyId === '') return undefined;
  const key = resolveKey(keyId, { region: request.region, account: request.account }, options.keys);
  if (!key)
    throw new AwsError('KMS.NotFoundException', `Invalid keyId ${keyId}: the local KMS has no such key`);
  return key;
}

function numberOrUndefined(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}
