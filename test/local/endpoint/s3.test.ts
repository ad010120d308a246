import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { LocalEndpoint } from '../../../local/endpoint/server';
import { LocalS3 } from '../../../local/endpoint/services/s3';
import {
  clientConfig,
  removeDirectory,
  sendRaw,
  sendSigned,
  signRequest,
  startEndpoint,
  temporaryDirectory,
} from './endpoint-fixture';

describe('local S3', () => {
  let stateDir: string;
  let local: LocalS3;
  let endpoint: LocalEndpoint;
  let s3: S3Client;

  beforeEach(async () => {
    stateDir = temporaryDirectory('s3-');
    local = new LocalS3(stateDir);
    await local.createBucket('scripts');
    endpoint = await startEndpoint({ services: [local] });
    s3 = new S3Client(clientConfig(endpoint));
  });

  afterEach(async () => {
    s3.destroy();
    await endpoint.close();
    removeDirectory(stateDir);
  });

  it('stores a put object in the bucket folder, named after the hash of its key, and gets it back', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: 'scripts',
        Key: 'app/mask.sql',
        Body: 'UPDATE users SET email = NULL;',
      }),
    );

    const out = await s3.send(new GetObjectCommand({ Bucket: 'scripts', Key: 'app/mask.sql' }));

    await expect(out.Body?.transformToString()).resolves.toBe('UPDATE users SET email = NULL;');
    const id = createHash('sha256').update('app/mask.sql').digest('hex');
    expect(readFileSync(path.join(stateDir, 'buckets', 'scripts', 'objects', id), 'utf8')).toBe(
      'UPDATE users SET email = NULL;',
    );
  });

  it('decodes a streamed (aws-chunked) upload', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: 'scripts',
        Key: 'streamed.sql',
        Body: Readable.from([Buffer.from('SELECT 1;')]),
        ContentLength: 9,
      }),
    );

    const out = await s3.send(new GetObjectCommand({ Bucket: 'scripts', Key: 'streamed.sql' }));

    await expect(out.Body?.transformToString()).resolves.toBe('SELECT 1;');
  });

  it('answers HeadObject with size and ETag', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'scripts', Key: 'a.sql', Body: 'SELECT 1;' }));

    const head = await s3.send(new HeadObjectCommand({ Bucket: 'scripts', Key: 'a.sql' }));

    expect(head).toMatchObject({ ContentLength: 9, ETag: put.ETag });
  });

  it('lists objects by prefix, with common prefixes and pages', async () => {
    for (const key of ['app/a.sql', 'app/b.sql', 'app/sub/c.sql', 'other.sql']) {
      await s3.send(new PutObjectCommand({ Bucket: 'scripts', Key: key, Body: key }));
    }

    const byPrefix = await s3.send(
      new ListObjectsV2Command({ Bucket: 'scripts', Prefix: 'app/', Delimiter: '/' }),
    );
    const firstPage = await s3.send(new ListObjectsV2Command({ Bucket: 'scripts', MaxKeys: 3 }));
    const secondPage = await s3.send(
      new ListObjectsV2Command({
        Bucket: 'scripts',
        MaxKeys: 3,
        ContinuationToken: firstPage.NextContinuationToken,
      }),
    );

    expect(byPrefix.Contents?.map((o) => o.Key)).toEqual(['app/a.sql', 'app/b.sql']);
    expect(byPrefix.CommonPrefixes).toEqual([{ Prefix: 'app/sub/' }]);
    expect(firstPage).toMatchObject({ IsTruncated: true, KeyCount: 3 });
    expect(firstPage.Contents?.[0]).toMatchObject({ Key: 'app/a.sql', Size: 9 });
    expect(secondPage).toMatchObject({ IsTruncated: false, Contents: [{ Key: 'other.sql' }] });
  });

  it('rejects a missing key with NoSuchKey, naming the key', async () => {
    await expect(
      s3.send(new GetObjectCommand({ Bucket: 'scripts', Key: 'missing.sql' })),
    ).rejects.toMatchObject({
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
    const raw = await sendSigned(endpoint, 's3', { method: 'GET', path: '/scripts/missing.sql' });
    expect(raw.text).toContain('<Code>NoSuchKey</Code>');
    expect(raw.text).toContain('<Key>missing.sql</Key>');
  });

  it('rejects a missing bucket with NoSuchBucket, naming the bucket', async () => {
    await expect(s3.send(new GetObjectCommand({ Bucket: 'nope', Key: 'a.sql' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
    const raw = await sendSigned(endpoint, 's3', { method: 'GET', path: '/nope/a.sql' });
    expect(raw).toMatchObject({
      status: 404,
      text: expect.stringContaining('<BucketName>nope</BucketName>'),
    });
  });

  it('rejects a bucket name S3 would not take with InvalidBucketName, naming it and the rule', async () => {
    const raw = await sendSigned(endpoint, 's3', { method: 'PUT', path: '/My_Bucket' });

    expect(raw.status).toBe(400);
    expect(raw.text).toContain('<Code>InvalidBucketName</Code>');
    expect(raw.text).toContain('<BucketName>My_Bucket</BucketName>');
    expect(raw.text).toContain('lower-case letters, digits, dots (.) and hyphens (-)');
  });

  it('rejects a key longer than 1,024 bytes with KeyTooLongError', async () => {
    await expect(
      s3.send(new PutObjectCommand({ Bucket: 'scripts', Key: 'k'.repeat(1025), Body: 'x' })),
    ).rejects.toMatchObject({ name: 'KeyTooLongError', $metadata: { httpStatusCode: 400 } });
  });

  it('keeps a key with .. segments as an ordinary key, inside the bucket folder', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'scripts', Key: 'a/../../escape.sql', Body: 'x' }));

    const out = await s3.send(new GetObjectCommand({ Bucket: 'scripts', Key: 'a/../../escape.sql' }));

    await expect(out.Body?.transformToString()).resolves.toBe('x');
    expect(existsSync(path.join(stateDir, 'escape.sql'))).toBe(false);
    expect(existsSync(path.join(stateDir, 'buckets', 'escape.sql'))).toBe(false);
  });

  it('works with AWS_ENDPOINT_URL instead of an endpoint setting (path style on an IP address)', async () => {
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = endpoint.url;
    try {
      const { endpoint: _ignored, ...config } = clientConfig(endpoint);
      const fromEnvironment = new S3Client(config);
      await fromEnvironment.send(
        new PutObjectCommand({ Bucket: 'scripts', Key: 'env.sql', Body: 'SELECT 2;' }),
      );

      const out = await fromEnvironment.send(new GetObjectCommand({ Bucket: 'scripts', Key: 'env.sql' }));

      await expect(out.Body?.transformToString()).resolves.toBe('SELECT 2;');
      fromEnvironment.destroy();
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved;
    }
  });

  it('serves virtual-hosted-style requests (<bucket>.localhost)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'scripts', Key: 'vh.sql', Body: 'SELECT 3;' }));

    const response = await sendSigned(endpoint, 's3', {
      method: 'GET',
      path: '/vh.sql',
      headers: { host: `scripts.localhost:${endpoint.port}` },
    });

    expect(response).toMatchObject({ status: 200, text: 'SELECT 3;' });
  });

  describe('server-side encryption', () => {
    it('keeps the SSE-KMS key of an object as its ARN, and answers with it', async () => {
      const put = await s3.send(
        new PutObjectCommand({
          Bucket: 'scripts',
          Key: 'secret.sql',
          Body: 'x',
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
        }),
      );

      const got = await s3.send(new GetObjectCommand({ Bucket: 'scripts', Key: 'secret.sql' }));

      const arn = 'arn:aws:kms:eu-west-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab';
      expect(put).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: arn });
      expect(got).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: arn });
      await expect(local.objectKmsKeyId('scripts', 'secret.sql')).resolves.toBe(arn);
    });

    it('uses the AWS managed key aws/s3 for aws:kms without a key, and SSE-S3 by default', async () => {
      await s3.send(
        new PutObjectCommand({
          Bucket: 'scripts',
          Key: 'managed.sql',
          Body: 'x',
          ServerSideEncryption: 'aws:kms',
        }),
      );
      const plain = await s3.send(new PutObjectCommand({ Bucket: 'scripts', Key: 'plain.sql', Body: 'x' }));

      await expect(local.objectKmsKeyId('scripts', 'managed.sql')).resolves.toBe(
        'arn:aws:kms:eu-west-1:000000000000:alias/aws/s3',
      );
      await expect(local.objectKmsKeyId('scripts', 'plain.sql')).resolves.toBeUndefined();
      expect(plain.ServerSideEncryption).toBe('AES256');
    });

    it("encrypts with the bucket's default KMS key when the request names none", async () => {
      await local.createBucket('secure-scripts', {
        kmsKeyId: 'arn:aws:kms:eu-west-1:000000000000:key/0000aaaa-1111-2222-3333-444455556666',
      });

      await s3.send(new PutObjectCommand({ Bucket: 'secure-scripts', Key: 'a.sql', Body: 'x' }));

      await expect(local.objectKmsKeyId('secure-scripts', 'a.sql')).resolves.toBe(
        'arn:aws:kms:eu-west-1:000000000000:key/0000aaaa-1111-2222-3333-444455556666',
      );
    });

    it('rejects a KMS key with SSE-S3, and an encryption S3 does not know, as InvalidArgument', async () => {
      await expect(
        s3.send(
          new PutObjectCommand({
            Bucket: 'scripts',
            Key: 'a.sql',
            Body: 'x',
            ServerSideEncryption: 'AES256',
            SSEKMSKeyId: 'alias/app',
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidArgument' });
      const unknown = await sendSigned(endpoint, 's3', {
        method: 'PUT',
        path: '/scripts/a.sql',
        headers: { 'x-amz-server-side-encryption': 'rot13' },
        body: 'x',
      });
      expect(unknown).toMatchObject({
        status: 400,
        text: expect.stringContaining('<Code>InvalidArgument</Code>'),
      });
    });
  });

  describe('integrity checks', () => {
    it('keeps the checksum of an upload and returns it when asked (the SDK validates it)', async () => {
      await s3.send(
        new PutObjectCommand({
          Bucket: 'scripts',
          Key: 'sum.sql',
          Body: 'SELECT 1;',
          ChecksumAlgorithm: 'SHA256',
        }),
      );

      const got = await s3.send(
        new GetObjectCommand({ Bucket: 'scripts', Key: 'sum.sql', ChecksumMode: 'ENABLED' }),
      );

      expect(got.ChecksumSHA256).toBe(createHash('sha256').update('SELECT 1;').digest('base64'));
      await expect(got.Body?.transformToString()).resolves.toBe('SELECT 1;');
    });

    it.each([
      ['a CRC32 that is not the body', { 'x-amz-checksum-crc32': 'AAAAAA==' }, 'BadDigest'],
      [
        'a Content-MD5 that is not the body',
        { 'content-md5': createHash('md5').update('y').digest('base64') },
        'BadDigest',
      ],
      ['a Content-MD5 that is no MD5', { 'content-md5': 'abc' }, 'InvalidDigest'],
      [
        'a CRC32C, which local S3 does not compute',
        { 'x-amz-checksum-crc32c': 'AAAAAA==' },
        'InvalidRequest',
      ],
    ])('rejects %s', async (_, headers, code) => {
      const raw = await sendSigned(endpoint, 's3', {
        method: 'PUT',
        path: '/scripts/bad.sql',
        headers,
        body: 'x',
      });

      expect(raw.status).toBe(400);
      expect(raw.text).toContain(`<Code>${code}</Code>`);
      await expect(
        s3.send(new HeadObjectCommand({ Bucket: 'scripts', Key: 'bad.sql' })),
      ).rejects.toMatchObject({
        $metadata: { httpStatusCode: 404 },
      });
    });

    it('rejects a body other than the one X-Amz-Content-SHA256 declares (XAmzContentSHA256Mismatch)', async () => {
      const signed = await signRequest(endpoint, 's3', {
        method: 'PUT',
        path: '/scripts/swap.sql',
        body: 'SELECT 1;',
      });

      const raw = await sendRaw(endpoint, { ...signed, body: 'DROP TABLE;' });

      expect(raw.status).toBe(400);
      expect(raw.text).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    });
  });
});
