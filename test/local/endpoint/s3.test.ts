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
  sendSigned,
  startEndpoint,
  temporaryDirectory,
} from './endpoint-fixture';

describe('local S3', () => {
  let stateDir: string;
  let endpoint: LocalEndpoint;
  let s3: S3Client;

  beforeEach(async () => {
    stateDir = temporaryDirectory('s3-');
    const local = new LocalS3(stateDir);
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

  it('rejects a missing key with NoSuchKey', async () => {
    await expect(
      s3.send(new GetObjectCommand({ Bucket: 'scripts', Key: 'missing.sql' })),
    ).rejects.toMatchObject({
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('rejects a missing bucket with NoSuchBucket', async () => {
    await expect(s3.send(new GetObjectCommand({ Bucket: 'nope', Key: 'a.sql' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
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
});
