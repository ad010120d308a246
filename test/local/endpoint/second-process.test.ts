import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LocalEndpoint } from '../../../local/endpoint/server';
import { LocalS3 } from '../../../local/endpoint/services/s3';
import { SecretStore, secretsManagerService } from '../../../local/endpoint/services/secrets-manager';
import { LocalSns } from '../../../local/endpoint/services/sns';
import { LocalSsm } from '../../../local/endpoint/services/ssm';
import {
  identitiesOf,
  presignRequest,
  type RawRequest,
  removeDirectory,
  type SigningOptions,
  signRequest,
  startEndpoint,
  targetOf,
  temporaryDirectory,
} from './endpoint-fixture';

/**
 * The local endpoint attacked from another process on the same machine, as the review did: a Node script that
 * speaks raw HTTP (node:http, no SDK) sends what the tests prepare. Signed requests are signed here, with the
 * credentials the case needs (wrong, unknown, forged), and sent there unchanged.
 */

jest.setTimeout(120_000);

const CLIENT = path.join(__dirname, 'raw-http-client.js');
const PASSWORD = 'production-Pa55word-never-leaks';
const INSTANCE = 'i-0123456789abcdef0';
const MiB = 1024 * 1024;

interface Spec {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly zeroBytes?: number;
}

type Result =
  | {
      readonly status: number;
      readonly headers: Record<string, string>;
      readonly text: string;
      readonly error?: never;
    }
  | { readonly error: string; readonly status?: never; readonly text?: never };

interface Sent {
  readonly results: Result[];
  /** How much this process (the endpoint's) grew at most while the other process sent, in bytes. */
  readonly peakGrowthBytes: number;
}

let stateDir: string;
/** Where the requests for the other process are written: not in the state directory, whose files are watched. */
let requestsDir: string;
let endpoint: LocalEndpoint;
let marker: string;
let secretArn: string;

/** Sends `specs` from another process and watches this process's memory meanwhile. */
async function fromAnotherProcess(...specs: Spec[]): Promise<Sent> {
  const file = path.join(requestsDir, `requests-${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(specs));
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [CLIENT, file, String(endpoint.port)], {
      maxBuffer: 16 * MiB,
    });
    return { results: JSON.parse(stdout) as Result[], peakGrowthBytes: peak - baseline };
  } finally {
    clearInterval(sampler);
  }
}

async function one(spec: Spec): Promise<Result> {
  const [result] = (await fromAnotherProcess(spec)).results;
  if (!result) throw new Error('the other process answered nothing');
  return result;
}

function spec(raw: RawRequest, extra: Partial<Spec> = {}): Spec {
  return {
    method: raw.method ?? 'POST',
    path: targetOf(raw),
    headers: { ...raw.headers },
    body: raw.body === undefined ? undefined : raw.body.toString(),
    ...extra,
  };
}

function getSecretValue(): RawRequest {
  return {
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'secretsmanager.GetSecretValue',
    },
    body: JSON.stringify({ SecretId: secretArn }),
  };
}

async function signed(service: string, raw: RawRequest, options?: SigningOptions): Promise<Spec> {
  return spec(await signRequest(endpoint, service, raw, options));
}

/** Every file under `directory` with its size and modification time, to see what a request touched. */
function snapshotFiles(directory: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const info = statSync(file);
    files.set(file, `${info.size}:${info.mtimeMs}:${readFileSync(file, 'utf8')}`);
  }
  return files;
}

beforeAll(async () => {
  stateDir = temporaryDirectory('second-process-');
  requestsDir = temporaryDirectory('second-process-requests-');
  const store = new SecretStore({ stateDir });
  secretArn =
    store.createSecret({
      Name: '/production/app/db',
      SecretString: JSON.stringify({ username: 'admin', password: PASSWORD }),
    }).ARN ?? '';
  const buckets = new LocalS3(stateDir);
  await buckets.createBucket('scripts');
  const ssm = new LocalSsm();
  ssm.registerInstance(INSTANCE);
  endpoint = await startEndpoint({
    services: [secretsManagerService(store), new LocalSns({ stateDir }), buckets, ssm],
  });
  marker = path.join(stateDir, 'ssm-ran');
});

afterAll(async () => {
  await endpoint.close();
  removeDirectory(stateDir);
  removeDirectory(requestsDir);
});

describe('the local endpoint, from another process speaking raw HTTP', () => {
  it('rejects an unsigned GetSecretValue without the secret', async () => {
    const result = await one(spec(getSecretValue()));

    expect(result.status).toBe(400);
    expect(JSON.parse(result.text ?? '')).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    expect(result.text).not.toContain(PASSWORD);
  });

  it('rejects an unsigned SSM SendCommand, and the command never runs', async () => {
    const result = await one(
      spec({
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.SendCommand' },
        body: JSON.stringify({
          DocumentName: 'AWS-RunShellScript',
          InstanceIds: [INSTANCE],
          Parameters: { commands: [`touch ${marker}`] },
        }),
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(result.status).toBe(400);
    expect(existsSync(marker)).toBe(false);
  });

  it('rejects a credential scope copied from a form into the query string without a valid signature', async () => {
    const result = await one({
      method: 'POST',
      path: `/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${encodeURIComponent('AKIAIOSFODNN7EXAMPLE/20260601/eu-west-1/sns/aws4_request')}&X-Amz-Date=20260601T120000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=${'0'.repeat(64)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=Publish&TopicArn=arn:aws:sns:eu-west-1:000000000000:t&Message=hi',
    });

    expect(result.status).toBe(403);
    expect(result.text).toContain('<Code>InvalidClientTokenId</Code>');
  });

  it('rejects a request signed with a wrong secret (InvalidSignatureException)', async () => {
    const administrator = identitiesOf(endpoint).administrator.credentials;

    const result = await one(
      await signed('secretsmanager', getSecretValue(), {
        credentials: { accessKeyId: administrator.accessKeyId, secretAccessKey: 'guessed-secret' },
      }),
    );

    expect(result.status).toBe(400);
    expect(JSON.parse(result.text ?? '')).toMatchObject({ __type: 'InvalidSignatureException' });
    expect(result.text).not.toContain(PASSWORD);
  });

  it('rejects an access key the account never issued (UnrecognizedClientException)', async () => {
    const result = await one(
      await signed('secretsmanager', getSecretValue(), {
        credentials: {
          accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
          secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY',
        },
      }),
    );

    expect(result.status).toBe(400);
    expect(JSON.parse(result.text ?? '')).toMatchObject({ __type: 'UnrecognizedClientException' });
  });

  it("rejects a role session's key with a forged session token", async () => {
    const session = identitiesOf(endpoint).roleSession({ name: 'dbrefresh-plan', policies: [] }, 'plan');

    const result = await one(
      await signed('secretsmanager', getSecretValue(), {
        credentials: { ...session, sessionToken: 'forged-session-token' },
      }),
    );

    expect(result.status).toBe(400);
    expect(JSON.parse(result.text ?? '')).toMatchObject({
      __type: 'UnrecognizedClientException',
      message: expect.stringContaining('is not the one issued'),
    });
  });

  it('rejects a request signed 20 minutes ago (Signature expired)', async () => {
    const result = await one(
      await signed('secretsmanager', getSecretValue(), {
        signingDate: new Date(Date.now() - 20 * 60 * 1000),
      }),
    );

    expect(result.status).toBe(400);
    expect(JSON.parse(result.text ?? '')).toMatchObject({
      __type: 'InvalidSignatureException',
      message: expect.stringContaining('Signature expired'),
    });
  });

  it('rejects a correctly signed request carrying a browser Origin', async () => {
    const result = await one(
      await signed('sns', {
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://attacker.example' },
        body: 'Action=CreateTopic&Version=2010-03-31&Name=planted',
      }),
    );

    expect(result.status).toBe(403);
    expect(result.text).toContain('<Code>AuthorizationError</Code>');
    expect(existsSync(path.join(stateDir, 'sns-topics.json'))).toBe(false);
  });

  it('rejects query-string credentials on Secrets Manager, which takes none', async () => {
    const presigned = await presignRequest(endpoint, 'secretsmanager', {
      ...getSecretValue(),
      method: 'POST',
    });

    const result = await one(spec(presigned));

    expect(result.status).toBe(400);
    expect(JSON.parse(result.text ?? '')).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    expect(result.text).not.toContain(PASSWORD);
  });

  it('serves a correctly signed request, to show the cases above fail for their own reason', async () => {
    const result = await one(await signed('secretsmanager', getSecretValue()));

    expect(result.status).toBe(200);
    expect(JSON.parse(result.text ?? '')).toMatchObject({ ARN: secretArn });
  });

  it('reaches nothing outside the bucket folder with ..%2F in a bucket or a key', async () => {
    // given: files outside the bucket folder, in the state directory and beside it
    const inside = path.join(stateDir, 'canary.txt');
    const beside = path.join(path.dirname(stateDir), `canary-${randomUUID()}.txt`);
    writeFileSync(inside, 'inside');
    writeFileSync(beside, 'beside');
    const before = snapshotFiles(stateDir);
    const traversal = '..%2F..%2F..%2Fcanary.txt';

    // when: signed requests (so only S3's own rules decide) put, get and delete through traversal names
    const { results } = await fromAnotherProcess(
      await signed('s3', { method: 'GET', path: `/..%2F..%2F${path.basename(beside)}` }),
      await signed('s3', { method: 'PUT', path: `/..%2Fbuckets/x`, body: 'pwned' }),
      await signed('s3', { method: 'PUT', path: `/scripts/${traversal}`, body: 'pwned' }),
      await signed('s3', { method: 'GET', path: `/scripts/${traversal}` }),
      await signed('s3', { method: 'DELETE', path: `/scripts/${traversal}` }),
      await signed('s3', { method: 'DELETE', path: '/scripts/../../canary.txt' }),
      await signed('s3', { method: 'GET', path: '/scripts/%00' }),
    );

    // then: invalid bucket names are refused, traversal keys are ordinary keys, and no file outside changed
    const [outsideBucket, plantedBucket, put, get, deleted, rawDotDot, nul] = results;
    expect(outsideBucket).toMatchObject({ status: 400, text: expect.stringContaining('InvalidBucketName') });
    expect(plantedBucket).toMatchObject({ status: 400, text: expect.stringContaining('InvalidBucketName') });
    expect(put?.status).toBe(200);
    expect(get).toMatchObject({ status: 200, text: 'pwned' });
    expect(deleted?.status).toBe(204);
    expect(rawDotDot?.status).toBe(204);
    expect(nul).toMatchObject({ status: 404, text: expect.stringContaining('NoSuchKey') });
    expect(readFileSync(inside, 'utf8')).toBe('inside');
    expect(readFileSync(beside, 'utf8')).toBe('beside');
    const after = snapshotFiles(stateDir);
    const objects = path.join(stateDir, 'buckets', 'scripts', 'objects');
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter(
      (file) => before.get(file) !== after.get(file),
    );
    expect(changed.filter((file) => !file.startsWith(`${objects}${path.sep}`))).toEqual([]);
    removeDirectory(beside);
  });

  it('rejects JSON nested 5,000 levels deep cleanly, and keeps serving', async () => {
    const deep = await signed('secretsmanager', {
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.CreateSecret',
      },
      body: `{"Name":"deep","Tags":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    });

    const { results } = await fromAnotherProcess(deep, await signed('secretsmanager', getSecretValue()));

    expect(results[0]?.status).toBe(400);
    expect(JSON.parse(results[0]?.text ?? '')).toMatchObject({
      __type: 'SerializationException',
      message: expect.stringContaining('5001 levels deep, deeper than the limit of 100'),
    });
    expect(results[1]?.status).toBe(200);
  });
});

describe('the local endpoint, sent 400 MB by another process', () => {
  const BODY_BYTES = 400 * MiB;
  /** A few MB: the old endpoint grew by 900 MB on such a body. */
  const GROWTH_LIMIT_BYTES = 24 * MiB;

  it('refuses an unsigned 400 MB body without reading it', async () => {
    const { results, peakGrowthBytes } = await fromAnotherProcess(
      spec({ headers: { 'x-amz-target': 'secretsmanager.CreateSecret' } }, { zeroBytes: BODY_BYTES }),
    );

    expect(results[0]).toMatchObject({ status: 400 });
    expect(peakGrowthBytes).toBeLessThan(GROWTH_LIMIT_BYTES);
  });

  it('refuses a signed 400 MB body as soon as it passes the service limit', async () => {
    const head = await signed('secretsmanager', {
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.CreateSecret',
      },
      body: '{}',
    });

    const { results, peakGrowthBytes } = await fromAnotherProcess({
      ...head,
      body: undefined,
      zeroBytes: BODY_BYTES,
    });

    expect(results[0]).toMatchObject({
      status: 413,
      text: expect.stringContaining('RequestEntityTooLargeException'),
    });
    expect(peakGrowthBytes).toBeLessThan(GROWTH_LIMIT_BYTES);
  });

  it('streams a 256 MB S3 upload to a file, never holding it in memory', async () => {
    const bytes = 256 * MiB;
    const head = await signed('s3', {
      method: 'PUT',
      path: '/scripts/big.bin',
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': String(bytes) },
    });

    const { results, peakGrowthBytes } = await fromAnotherProcess({ ...head, zeroBytes: bytes });

    expect(results[0]).toMatchObject({ status: 200 });
    // The chunks read are garbage until the next collection: what stays bounded is far below the object's size.
    expect(peakGrowthBytes).toBeLessThan(bytes / 6);
    const listed = readdirSync(path.join(stateDir, 'buckets', 'scripts', 'objects')).map((name) =>
      statSync(path.join(stateDir, 'buckets', 'scripts', 'objects', name)),
    );
    expect(listed.some((info) => info.size === bytes)).toBe(true);
  });
});
