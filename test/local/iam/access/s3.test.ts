import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { LocalS3 } from '../../../../local/endpoint/services/s3';
import { s3AccessRequests } from '../../../../local/iam/access/s3';
import { ACCOUNT, capturing, REGION, summary } from './sdk-requests';

const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const VIA_S3 = { 'kms:ViaService': `s3.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT };
const OWNER = { 's3:ResourceAccount': ACCOUNT };

const { requestOf } = capturing(S3Client);
const local = new LocalS3('/nonexistent-state-dir');

async function accessesFor(command: unknown) {
  return local.accessRequests(await requestOf(command));
}

describe('S3 accesses', () => {
  it('authorizes object reads and writes on the object ARN, HeadObject as s3:GetObject', async () => {
    const get = await accessesFor(new GetObjectCommand({ Bucket: 'scripts', Key: 'app1-dev/01-mask.sql' }));
    const head = await accessesFor(new HeadObjectCommand({ Bucket: 'scripts', Key: 'app1-dev/01-mask.sql' }));
    const put = await accessesFor(
      new PutObjectCommand({ Bucket: 'scripts', Key: 'runs/r1/users.json', Body: '{}' }),
    );
    const remove = await accessesFor(
      new DeleteObjectCommand({ Bucket: 'scripts', Key: 'runs/r1/users.json' }),
    );

    expect([get, head, put, remove].map(summary)).toEqual([
      ['s3:GetObject arn:aws:s3:::scripts/app1-dev/01-mask.sql'],
      ['s3:GetObject arn:aws:s3:::scripts/app1-dev/01-mask.sql'],
      ['s3:PutObject arn:aws:s3:::scripts/runs/r1/users.json'],
      ['s3:DeleteObject arn:aws:s3:::scripts/runs/r1/users.json'],
    ]);
    expect(get[0]?.context).toEqual(OWNER);
  });

  it('authorizes bucket requests on the bucket ARN, HeadBucket as s3:ListBucket, with the listing keys', async () => {
    const list = await accessesFor(
      new ListObjectsV2Command({ Bucket: 'scripts', Prefix: 'app1-dev/', Delimiter: '/', MaxKeys: 100 }),
    );
    const head = await accessesFor(new HeadBucketCommand({ Bucket: 'scripts' }));
    const create = await accessesFor(new CreateBucketCommand({ Bucket: 'scripts' }));
    const buckets = await accessesFor(new ListBucketsCommand({}));

    expect([list, head, create, buckets].map(summary)).toEqual([
      ['s3:ListBucket arn:aws:s3:::scripts'],
      ['s3:ListBucket arn:aws:s3:::scripts'],
      ['s3:CreateBucket arn:aws:s3:::scripts'],
      ['s3:ListAllMyBuckets *'],
    ]);
    expect(list[0]?.context).toEqual({
      ...OWNER,
      's3:prefix': 'app1-dev/',
      's3:delimiter': '/',
      's3:max-keys': 100,
    });
  });

  it('authorizes kms:Decrypt through S3 to read an object encrypted with a customer key', async () => {
    const request = await requestOf(new GetObjectCommand({ Bucket: 'scripts', Key: 'masked.sql' }));

    const accesses = await s3AccessRequests(request, {
      objects: {
        objectKmsKeyId: (bucket, key) => (bucket === 'scripts' && key === 'masked.sql' ? KEY_ARN : undefined),
      },
    });

    expect(summary(accesses)).toEqual([
      's3:GetObject arn:aws:s3:::scripts/masked.sql',
      `kms:Decrypt ${KEY_ARN}`,
    ]);
    expect(accesses[1]?.context).toEqual(VIA_S3);
  });

  it('authorizes kms:GenerateDataKey through S3 to write an object with a customer key, none for aws/s3', async () => {
    const customer = await accessesFor(
      new PutObjectCommand({
        Bucket: 'scripts',
        Key: 'a.sql',
        Body: 'SELECT 1',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: KEY_ARN,
      }),
    );
    const awsManaged = await accessesFor(
      new PutObjectCommand({
        Bucket: 'scripts',
        Key: 'b.sql',
        Body: 'SELECT 1',
        ServerSideEncryption: 'aws:kms',
      }),
    );

    expect(summary(customer)).toEqual([
      's3:PutObject arn:aws:s3:::scripts/a.sql',
      `kms:GenerateDataKey ${KEY_ARN}`,
    ]);
    expect(customer[0]?.context).toMatchObject({
      's3:x-amz-server-side-encryption': 'aws:kms',
      's3:x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN,
    });
    expect(summary(awsManaged)).toEqual(['s3:PutObject arn:aws:s3:::scripts/b.sql']);
  });

  it('rejects a request the local S3 does not implement', async () => {
    await expect(
      accessesFor(new CopyObjectCommand({ Bucket: 'scripts', Key: 'copy.sql', CopySource: 'scripts/a.sql' })),
    ).rejects.toMatchObject({ code: 'NotImplemented' });
  });

  it('rejects a key alias the local KMS does not have', async () => {
    await expect(
      accessesFor(
        new PutObjectCommand({
          Bucket: 'scripts',
          Key: 'a.sql',
          Body: 'SELECT 1',
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: 'alias/scripts',
        }),
      ),
    ).rejects.toMatchObject({ code: 'KMS.NotFoundException' });
  });
});
