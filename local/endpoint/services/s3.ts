import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AccessRequest } from '../../iam/access';
import type { KeyResolver } from '../../iam/access/customer-keys';
import { s3AccessRequests } from '../../iam/access/s3';
import { escapeXml, renderAwsError, s3Location } from '../faults';
import { AwsError, type LocalRequest, type LocalResponse, type LocalService } from '../service';

const NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const DEFAULT_MAX_KEYS = 1000;

interface StoredObject {
  key: string;
  size: number;
  modified: Date;
  etag: string;
}

/**
 * A local S3 backed by a folder: object `<key>` of bucket `<bucket>` is the file
 * `<stateDir>/buckets/<bucket>/<key>`. Path-style (`/bucket/key`) and virtual-hosted-style
 * (`bucket.localhost/key`) requests; enough for the CLI to upload scripts and the handlers to read them.
 */
export class LocalS3 implements LocalService {
  readonly name = 's3';
  /** The folder holding one folder per bucket. */
  readonly root: string;

  constructor(stateDir: string) {
    this.root = path.join(stateDir, 'buckets');
  }

  private keys?: KeyResolver;

  /** Wires in the local KMS, which resolves the key ids SSE-KMS requests name for IAM. */
  useKeys(keys: KeyResolver): void {
    this.keys = keys;
  }

  /** What IAM authorizes for the request (local/iam/access/s3.ts). */
  accessRequests(request: LocalRequest): Promise<readonly AccessRequest[]> {
    return s3AccessRequests(request, { keys: this.keys });
  }

  /** Creates the bucket's folder; an existing bucket is fine. */
  async createBucket(bucket: string): Promise<void> {
    checkBucketName(bucket);
    await mkdir(path.join(this.root, bucket), { recursive: true });
  }

  async handle(request: LocalRequest): Promise<LocalResponse> {
    try {
      return await this.route(request);
    } catch (error: unknown) {
      if (error instanceof AwsError) return renderAwsError(request, error);
      throw error;
    }
  }

  private async route(request: LocalRequest): Promise<LocalResponse> {
    const { bucket, key } = s3Location(request);
    const { method } = request;
    if (bucket === '') {
      if (method === 'GET') return this.listBuckets();
      throw notImplemented(request);
    }
    if (key === '') {
      if (method === 'PUT') return this.putBucket(bucket);
      if (method === 'HEAD') return { status: (await this.bucketExists(bucket)) ? 200 : 404 };
      if (method === 'GET' && request.query.get('list-type') === '2')
        return this.listObjectsV2(bucket, request.query);
      throw notImplemented(request);
    }
    if (method === 'PUT' && !request.headers['x-amz-copy-source'])
      return this.putObject(bucket, key, request);
    if (method === 'GET' || method === 'HEAD') return this.getObject(bucket, key);
    if (method === 'DELETE') return this.deleteObject(bucket, key);
    throw notImplemented(request);
  }

  private async listBuckets(): Promise<LocalResponse> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(ignoreMissing([]));
    const buckets = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    const xml = buckets.map((name) => `<Bucket><Name>${escapeXml(name)}</Name></Bucket>`).join('');
    return xmlResponse(
      `<ListAllMyBucketsResult xmlns="${NAMESPACE}"><Buckets>${xml}</Buckets></ListAllMyBucketsResult>`,
    );
  }

  private async putBucket(bucket: string): Promise<LocalResponse> {
    checkBucketName(bucket);
    if (await this.bucketExists(bucket)) {
      throw new AwsError(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        409,
      );
    }
    await this.createBucket(bucket);
    return { status: 200, headers: { location: `/${bucket}` } };
  }

  private async putObject(bucket: string, key: string, request: LocalRequest): Promise<LocalResponse> {
    await this.requireBucket(bucket);
    const file = this.objectFile(bucket, key);
    const body = isAwsChunked(request.headers) ? decodeAwsChunked(request.body) : request.body;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, body);
    } catch (error: unknown) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') throw keyConflict(bucket, key);
      throw error;
    }
    return { status: 200, headers: { etag: etagOf(body) } };
  }

  private async getObject(bucket: string, key: string): Promise<LocalResponse> {
    await this.requireBucket(bucket);
    const file = this.objectFile(bucket, key);
    const info = await stat(file).catch(ignoreMissing(undefined));
    if (!info?.isFile()) throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404);
    const body = await readFile(file);
    return {
      status: 200,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(body.length),
        etag: etagOf(body),
        'last-modified': info.mtime.toUTCString(),
      },
      body,
    };
  }

  private async deleteObject(bucket: string, key: string): Promise<LocalResponse> {
    await this.requireBucket(bucket);
    await rm(this.objectFile(bucket, key), { force: true });
    return { status: 204 };
  }

  private async listObjectsV2(bucket: string, query: URLSearchParams): Promise<LocalResponse> {
    await this.requireBucket(bucket);
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const maxKeys = Number.parseInt(query.get('max-keys') ?? String(DEFAULT_MAX_KEYS), 10);
    const token = query.get('continuation-token');
    const after = token ? Buffer.from(token, 'base64').toString('utf8') : (query.get('start-after') ?? '');
    const objects = (await this.objects(bucket)).filter((o) => o.key.startsWith(prefix) && o.key > after);

    const contents: StoredObject[] = [];
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
          `<Contents><Key>${escapeXml(o.key)}</Key><LastModified>${o.modified.toISOString()}</LastModified>` +
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

  /** Every object of the bucket, sorted by key as S3 lists them. */
  private async objects(bucket: string): Promise<StoredObject[]> {
    const bucketDir = path.join(this.root, bucket);
    const entries = await readdir(bucketDir, { recursive: true, withFileTypes: true });
    const objects: StoredObject[] = [];
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      const [info, body] = await Promise.all([stat(file), readFile(file)]);
      objects.push({
        key: path.relative(bucketDir, file).split(path.sep).join('/'),
        size: info.size,
        modified: info.mtime,
        etag: etagOf(body),
      });
    }
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private async bucketExists(bucket: string): Promise<boolean> {
    const info = await stat(path.join(this.root, bucket)).catch(ignoreMissing(undefined));
    return info?.isDirectory() === true;
  }

  private async requireBucket(bucket: string): Promise<void> {
    if (!(await this.bucketExists(bucket))) {
      throw new AwsError('NoSuchBucket', 'The specified bucket does not exist', 404);
    }
  }

  /** The file of an object; keys that cannot be a relative file path are refused. */
  private objectFile(bucket: string, key: string): string {
    const segments = key.split('/');
    if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
      throw new AwsError(
        'InvalidArgument',
        `The local S3 keeps objects as files under ${path.join(this.root, bucket)}, so key "${key}" cannot be stored: ` +
          "use keys without empty, '.' or '..' path segments",
      );
    }
    return path.join(this.root, bucket, ...segments);
  }
}

function checkBucketName(bucket: string): void {
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    throw new AwsError('InvalidBucketName', `The specified bucket is not valid: "${bucket}"`);
  }
}

function keyConflict(bucket: string, key: string): AwsError {
  return new AwsError(
    'InvalidArgument',
    `The local S3 keeps objects as files, so key "${key}" of bucket ${bucket} cannot be stored beside an object ` +
      'that is a prefix of it (or whose prefix it is)',
  );
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

function etagOf(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

function xmlResponse(xml: string): LocalResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`,
  };
}

function ignoreMissing<T>(fallback: T): (error: unknown) => T {
  return (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw error;
  };
}

/** The SDK streams bodies of unknown length as `aws-chunked` with a trailing checksum. */
function isAwsChunked(headers: Record<string, string>): boolean {
  return (
    (headers['content-encoding'] ?? '').includes('aws-chunked') ||
    (headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-')
  );
}

/** `<hex size>[;chunk-signature=…]\r\n<data>\r\n … 0\r\n<trailers>\r\n\r\n` → the data. */
export function decodeAwsChunked(body: Buffer): Buffer {
  const chunks: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isInteger(size)) {
      throw new AwsError('IncompleteBody', 'The aws-chunked request body has a chunk without a valid size');
    }
    if (size === 0) break;
    const start = lineEnd + 2;
    chunks.push(body.subarray(start, start + size));
    offset = start + size + 2;
  }
  return Buffer.concat(chunks);
}
