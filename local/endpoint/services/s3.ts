import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as z from 'zod';
import type { AccessRequest } from '../../iam/access';
import type { KeyResolver } from '../../iam/access/customer-keys';
import { s3AccessRequests } from '../../iam/access/s3';
import { isStreamingPayload, UNSIGNED_PAYLOAD } from '../auth/request-signature';
import { escapeXml, renderAwsError } from '../faults';
import { BodyTooLargeError, S3_PUT_OBJECT_LIMIT } from '../request-body';
import { AwsError, type LocalRequest, type LocalResponse, type LocalService } from '../service';
import {
  type ReceivedUpload,
  receiveUpload,
  type UploadingService,
  type UploadRequest,
} from '../upload-body';
import { checksumHeaders, verifyChecksums } from './s3-checksums';
import { checkBucketName, checkObjectKey, S3Error, s3Address } from './s3-names';

const NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
const DEFAULT_MAX_KEYS = 1000;
const UPLOADS = '.uploads';

/** How an object is encrypted at rest: https://docs.aws.amazon.com/AmazonS3/latest/userguide/serv-side-encryption.html */
const ServerSideEncryptionSchema = z.enum(['AES256', 'aws:kms', 'aws:kms:dsse']);

/** What `<bucket>/objects/<id>.json` keeps of an object beside its bytes. */
const ObjectRecordSchema = z.object({
  key: z.string(),
  size: z.number().int().min(0),
  etag: z.string(),
  lastModified: z.iso.datetime(),
  contentType: z.string(),
  serverSideEncryption: ServerSideEncryptionSchema,
  /** The KMS key's ARN, for SSE-KMS. */
  kmsKeyId: z.string().optional(),
  checksum: z.object({ algorithm: z.enum(['CRC32', 'SHA1', 'SHA256']), value: z.string() }).optional(),
});
type ObjectRecord = z.output<typeof ObjectRecordSchema>;

/** What `<bucket>/bucket.json` keeps: the bucket's default encryption. */
const BucketRecordSchema = z.object({ kmsKeyId: z.string().optional() });

export interface BucketOptions {
  /**
   * The bucket's default encryption is SSE-KMS with this key (id, ARN or alias): objects put without their own
   * encryption headers are encrypted with it.
   * @default - SSE-S3 (AES256), S3's default for every new object
   */
  readonly kmsKeyId?: string;
}

/**
 * A local S3 backed by a folder: bucket `<bucket>` is the folder `<stateDir>/buckets/<bucket>` (bucket names are
 * validated as S3 validates them), and each object is two files of its `objects` folder named after the SHA-256 of
 * its key, its bytes and its record. A key never becomes a path, so no key (`..`, `/`, `%2F`, NUL, 1,024 bytes)
 * reaches anything outside its bucket's folder. Path-style (`/bucket/key`) and virtual-hosted-style
 * (`bucket.localhost/key`) requests; PutObject bodies arrive as files the endpoint streamed them into.
 */
export class LocalS3 implements LocalService, UploadingService {
  readonly name = 's3';
  /** The folder holding one folder per bucket. */
  readonly root: string;
  readonly uploadLimit = S3_PUT_OBJECT_LIMIT;

  constructor(stateDir: string) {
    this.root = path.join(stateDir, 'buckets');
  }

  private keys?: KeyResolver;

  /** Wires in the local KMS, which resolves the key ids SSE-KMS requests name for IAM. */
  useKeys(keys: KeyResolver): void {
    this.keys = keys;
  }

  /** What IAM authorizes for the request (local/iam/access/s3.ts); an SSE-KMS object needs its key through S3. */
  accessRequests(request: LocalRequest): Promise<readonly AccessRequest[]> {
    return s3AccessRequests(request, { keys: this.keys, objects: this });
  }

  /** Creates the bucket's folder (an existing bucket is fine), with its default encryption. */
  async createBucket(bucket: string, options: BucketOptions = {}): Promise<void> {
    checkBucketName(bucket);
    await mkdir(path.join(this.bucketFolder(bucket), 'objects'), { recursive: true });
    if (options.kmsKeyId !== undefined) {
      await writeAtomically(this.bucketRecordFile(bucket), JSON.stringify({ kmsKeyId: options.kmsKeyId }));
    }
  }

  /** The folder of a bucket's files; nothing of the bucket is outside it. */
  bucketFolder(bucket: string): string {
    checkBucketName(bucket);
    return path.join(this.root, bucket);
  }

  /**
   * The ARN of the KMS key an object is encrypted with (SSE-KMS), or undefined for an SSE-S3 object or one that
   * does not exist: reading it through S3 needs kms:Decrypt on that key, as on AWS.
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
   */
  async objectKmsKeyId(bucket: string, key: string): Promise<string | undefined> {
    return (await this.readRecord(bucket, key))?.kmsKeyId;
  }

  uploadFolder(request: LocalRequest): string | undefined {
    const { bucket, key } = s3Address(request.headers, request.path);
    if (request.method !== 'PUT' || key === '' || request.headers['x-amz-copy-source'] !== undefined) {
      return undefined;
    }
    checkBucketName(bucket);
    checkObjectKey(key);
    if (!existsSync(path.join(this.bucketFolder(bucket), 'objects'))) throw noSuchBucket(bucket);
    const folder = path.join(this.root, UPLOADS);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    return folder;
  }

  async handle(request: LocalRequest): Promise<LocalResponse> {
    try {
      return await this.route(request);
    } catch (error: unknown) {
      if (error instanceof AwsError) return renderAwsError(request, error, undefined, 's3');
      throw error;
    } finally {
      const upload = (request as UploadRequest).upload;
      if (upload) await rm(upload.file, { force: true });
    }
  }

  private async route(request: LocalRequest): Promise<LocalResponse> {
    const { bucket, key } = s3Address(request.headers, request.path);
    const { method } = request;
    if (bucket === '') {
      if (method === 'GET') return this.listBuckets();
      throw notImplemented(request);
    }
    checkBucketName(bucket);
    if (key === '') {
      if (method === 'PUT') return this.putBucket(bucket);
      if (method === 'HEAD') return { status: (await this.bucketExists(bucket)) ? 200 : 404 };
      if (method === 'GET' && request.query.get('list-type') === '2')
        return this.listObjectsV2(bucket, request.query);
      throw notImplemented(request);
    }
    checkObjectKey(key);
    if (method === 'PUT' && !request.headers['x-amz-copy-source'])
      return this.putObject(bucket, key, request);
    if (method === 'GET' || method === 'HEAD') return this.getObject(bucket, key, request);
    if (method === 'DELETE') return this.deleteObject(bucket, key);
    throw notImplemented(request);
  }

  private async listBuckets(): Promise<LocalResponse> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(ignoreMissing([]));
    const buckets = entries.filter((entry) => entry.isDirectory() && entry.name !== UPLOADS);
    const xml = buckets.map((entry) => `<Bucket><Name>${escapeXml(entry.name)}</Name></Bucket>`).join('');
    return xmlResponse(
      `<ListAllMyBucketsResult xmlns="${NAMESPACE}"><Buckets>${xml}</Buckets></ListAllMyBucketsResult>`,
    );
  }

  private async putBucket(bucket: string): Promise<LocalResponse> {
    if (await this.bucketExists(bucket)) {
      throw new S3Error(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        409,
        { BucketName: bucket },
      );
    }
    await this.createBucket(bucket);
    return { status: 200, headers: { location: `/${bucket}` } };
  }

  private async putObject(bucket: string, key: string, request: LocalRequest): Promise<LocalResponse> {
    await this.requireBucket(bucket);
    const encryption = await this.encryptionOf(bucket, request);
    const upload = (request as UploadRequest).upload ?? (await this.receiveBuffered(request));
    const checksum = verifyChecksums(upload, request.headers);
    const id = objectId(key);
    const objects = path.join(this.bucketFolder(bucket), 'objects');
    const record: ObjectRecord = {
      key,
      size: upload.size,
      etag: `"${upload.md5.toString('hex')}"`,
      lastModified: new Date().toISOString(),
      contentType: request.headers['content-type'] ?? 'binary/octet-stream',
      ...encryption,
      checksum,
    };
    await rename(upload.file, path.join(objects, id));
    await writeAtomically(path.join(objects, `${id}.json`), JSON.stringify(record));
    return {
      status: 200,
      headers: { etag: record.etag, ...encryptionHeaders(record), ...checksumHeaders(record.checksum) },
    };
  }

  /** A body handed in memory (a direct call, not through the endpoint) goes through the same checks. */
  private async receiveBuffered(request: LocalRequest): Promise<ReceivedUpload> {
    const folder = this.uploadFolder(request) ?? path.join(this.root, UPLOADS);
    const declared = request.headers['x-amz-content-sha256'] ?? UNSIGNED_PAYLOAD;
    return receiveUpload(Readable.from([request.body]), {
      file: path.join(folder, randomUUID()),
      // Without the endpoint there is no signature to chain chunk signatures from.
      payloadHash: isStreamingPayload(declared) ? 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' : declared,
      headers: request.headers,
      limit: this.uploadLimit,
      tooLarge: (received) => new BodyTooLargeError('s3', 's3', this.uploadLimit, received, true),
    });
  }

  /**
   * SSE-KMS from the request's headers, else the bucket's default, else SSE-S3. A key id or alias becomes the
   * key's ARN in the request's region and account; `aws:kms` without a key is the AWS managed key `aws/s3`.
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html
   */
  private async encryptionOf(
    bucket: string,
    request: LocalRequest,
  ): Promise<Pick<ObjectRecord, 'serverSideEncryption' | 'kmsKeyId'>> {
    const header = request.headers['x-amz-server-side-encryption'];
    const keyId = request.headers['x-amz-server-side-encryption-aws-kms-key-id'];
    const scope = { region: request.region, account: request.account };
    if (header === undefined) {
      if (keyId !== undefined) throw kmsKeyWithoutKms('x-amz-server-side-encryption-aws-kms-key-id', keyId);
      const defaultKey = await this.defaultKmsKeyId(bucket);
      if (defaultKey === undefined) return { serverSideEncryption: 'AES256' };
      return { serverSideEncryption: 'aws:kms', kmsKeyId: kmsKeyArn(defaultKey, scope) };
    }
    const parsed = ServerSideEncryptionSchema.safeParse(header);
    if (!parsed.success) {
      throw new S3Error(
        'InvalidArgument',
        `The encryption method specified is not supported: x-amz-server-side-encryption "${header}"; use AES256, aws:kms or aws:kms:dsse.`,
        400,
        { ArgumentName: 'x-amz-server-side-encryption', ArgumentValue: header },
      );
    }
    if (parsed.data === 'AES256') {
      if (keyId !== undefined) throw kmsKeyWithoutKms('x-amz-server-side-encryption', header);
      return { serverSideEncryption: 'AES256' };
    }
    return { serverSideEncryption: parsed.data, kmsKeyId: kmsKeyArn(keyId ?? 'alias/aws/s3', scope) };
  }

  private async getObject(bucket: string, key: string, request: LocalRequest): Promise<LocalResponse> {
    await this.requireBucket(bucket);
    const record = await this.readRecord(bucket, key);
    if (!record) throw noSuchKey(key);
    const body = await readFile(path.join(this.bucketFolder(bucket), 'objects', objectId(key))).catch(
      ignoreMissing(undefined),
    );
    if (body === undefined) throw noSuchKey(key);
    const checksumMode = request.headers['x-amz-checksum-mode'] === 'ENABLED';
    return {
      status: 200,
      headers: {
        'content-type': record.contentType,
        'content-length': String(body.length),
        etag: record.etag,
        'last-modified': new Date(record.lastModified).toUTCString(),
        ...encryptionHeaders(record),
        ...(checksumMode ? checksumHeaders(record.checksum) : {}),
      },
      body,
    };
  }

  private async deleteObject(bucket: string, key: string): Promise<LocalResponse> {
    await this.requireBucket(bucket);
    const objects = path.join(this.bucketFolder(bucket), 'objects');
    const id = objectId(key);
    await rm(path.join(objects, `${id}.json`), { force: true });
    await rm(path.join(objects, id), { force: true });
    return { status: 204 };
  }

  private async listObjectsV2(bucket: string, query: URLSearchParams): Promise<LocalResponse> {
    await this.requireBucket(bucket);
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const maxKeys = Number.parseInt(query.get('max-keys') ?? String(DEFAULT_MAX_KEYS), 10);
    const token = query.get('continuation-token');
    const after = token ? Buffer.from(token, 'base64').toString('utf8') : (query.get('start-after') ?? '');
    const objects = (await this.records(bucket)).filter(
      (o) => o.key.startsWith(prefix) && compareKeys(o.key, after) > 0,
    );

    const contents: ObjectRecord[] = [];
    const commonPrefixes = new Set<string>();
    let last = '';
    let truncated = false;
    for (const object of objects) {
      const cut = delimiter ? object.key.indexOf(delimiter, prefix.length) : -1;
      const commonPrefix = cut >= 0 ? object.key.slice(0, cut + delimiter.length) : undefined;
      if (commonPrefix !== undefined && commonPrefixes.has(commonPrefix)) continue;
      if (contents.length + commonPrefixes.size >= maxKeys) {
        truncated = true;
        break;
      }
      if (commonPrefix !== undefined) commonPrefixes.add(commonPrefix);
      else contents.push(object);
      last = object.key;
    }
    const contentsXml = contents
      .map(
        (o) =>
          `<Contents><Key>${escapeXml(o.key)}</Key><LastModified>${o.lastModified}</LastModified>` +
          `<ETag>${escapeXml(o.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      )
      .join('');
    const prefixesXml = [...commonPrefixes]
      .map((p) => `<CommonPrefixes><Prefix>${escapeXml(p)}</Prefix></CommonPrefixes>`)
      .join('');
    const optional = (name: string, value: string | null | undefined): string =>
      value ? `<${name}>${escapeXml(value)}</${name}>` : '';
    return xmlResponse(
      `<ListBucketResult xmlns="${NAMESPACE}"><Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix>` +
        `${optional('Delimiter', delimiter)}${optional('ContinuationToken', token)}${optional('StartAfter', query.get('start-after'))}` +
        `<KeyCount>${contents.length + commonPrefixes.size}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
        `<IsTruncated>${truncated}</IsTruncated>` +
        `${truncated ? optional('NextContinuationToken', Buffer.from(last).toString('base64')) : ''}` +
        `${contentsXml}${prefixesXml}</ListBucketResult>`,
    );
  }

  /** Every object record of the bucket, sorted by key as S3 lists them (UTF-8 byte order). */
  private async records(bucket: string): Promise<ObjectRecord[]> {
    const objects = path.join(this.bucketFolder(bucket), 'objects');
    const names = await readdir(objects).catch(ignoreMissing([] as string[]));
    const records: ObjectRecord[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const record = await readRecordFile(path.join(objects, name));
      if (record) records.push(record);
    }
    return records.sort((a, b) => compareKeys(a.key, b.key));
  }

  private async readRecord(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    checkObjectKey(key);
    return readRecordFile(path.join(this.bucketFolder(bucket), 'objects', `${objectId(key)}.json`));
  }

  private async defaultKmsKeyId(bucket: string): Promise<string | undefined> {
    const text = await readFile(this.bucketRecordFile(bucket), 'utf8').catch(ignoreMissing(undefined));
    return text === undefined ? undefined : BucketRecordSchema.parse(JSON.parse(text)).kmsKeyId;
  }

  private bucketRecordFile(bucket: string): string {
    return path.join(this.bucketFolder(bucket), 'bucket.json');
  }

  private async bucketExists(bucket: string): Promise<boolean> {
    const info = await stat(path.join(this.bucketFolder(bucket), 'objects')).catch(ignoreMissing(undefined));
    return info?.isDirectory() === true;
  }

  private async requireBucket(bucket: string): Promise<void> {
    if (!(await this.bucketExists(bucket))) throw noSuchBucket(bucket);
  }
}

/** The file name of an object: the SHA-256 of its key, so any key is an ordinary file name inside the bucket. */
function objectId(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

async function readRecordFile(file: string): Promise<ObjectRecord | undefined> {
  const text = await readFile(file, 'utf8').catch(ignoreMissing(undefined));
  return text === undefined ? undefined : ObjectRecordSchema.parse(JSON.parse(text));
}

/** S3 lists keys in UTF-8 binary order. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** A key id, alias or ARN as the key's (or alias's) ARN in the request's region and account. */
function kmsKeyArn(keyId: string, scope: { region: string; account: string }): string {
  if (keyId.startsWith('arn:')) return keyId;
  return `arn:aws:kms:${scope.region}:${scope.account}:${keyId.startsWith('alias/') ? keyId : `key/${keyId}`}`;
}

function encryptionHeaders(
  record: Pick<ObjectRecord, 'serverSideEncryption' | 'kmsKeyId'>,
): Record<string, string> {
  return {
    'x-amz-server-side-encryption': record.serverSideEncryption,
    ...(record.kmsKeyId === undefined
      ? {}
      : { 'x-amz-server-side-encryption-aws-kms-key-id': record.kmsKeyId }),
  };
}

/** A KMS key named for an object that is not encrypted with SSE-KMS. */
function kmsKeyWithoutKms(argument: string, value: string): S3Error {
  return new S3Error(
    'InvalidArgument',
    'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms',
    400,
    { ArgumentName: argument, ArgumentValue: value },
  );
}

function noSuchBucket(bucket: string): S3Error {
  return new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
}

function noSuchKey(key: string): S3Error {
  return new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
}

function notImplemented(request: LocalRequest): AwsError {
  return new AwsError(
    'NotImplemented',
    `The local S3 does not implement ${request.method} ${request.path}?${request.query}; it implements ` +
      'GetObject, HeadObject, PutObject, DeleteObject, ListObjectsV2, CreateBucket, HeadBucket and ListBuckets',
    501,
    false,
  );
}

function xmlResponse(xml: string): LocalResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`,
  };
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}

function ignoreMissing<T>(fallback: T): (error: unknown) => T {
  return (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw error;
  };
}
