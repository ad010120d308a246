import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetRandomPasswordCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { Faults } from '../../../local/endpoint/faults';
import { credentialScope, type LocalEndpoint } from '../../../local/endpoint/server';
import type { LocalRequest, LocalService } from '../../../local/endpoint/service';
import { LocalS3 } from '../../../local/endpoint/services/s3';
import { SecretStore, secretsManagerService } from '../../../local/endpoint/services/secrets-manager';
import { LocalSns } from '../../../local/endpoint/services/sns';
import {
  clientConfig,
  presignRequest,
  removeDirectory,
  sendRaw,
  sendSigned,
  startEndpoint,
  temporaryDirectory,
} from './endpoint-fixture';

describe('startLocalEndpoint', () => {
  let endpoint: LocalEndpoint;
  let seen: LocalRequest[];

  beforeEach(async () => {
    seen = [];
    const recorder: LocalService = {
      name: 'secretsmanager',
      handle: async (request) => {
        seen.push(request);
        return {
          status: 200,
          headers: { 'content-type': 'application/x-amz-json-1.1' },
          body: '{"RandomPassword":"x"}',
        };
      },
    };
    endpoint = await startEndpoint({ services: [recorder], account: '123456789012' });
  });

  afterEach(async () => {
    await endpoint.close();
  });

  it('listens on 127.0.0.1 and routes by the SigV4 service name, with region and account', async () => {
    const sm = new SecretsManagerClient(clientConfig(endpoint));

    await expect(sm.send(new GetRandomPasswordCommand({}))).resolves.toMatchObject({ RandomPassword: 'x' });

    expect(endpoint.url).toBe(`http://127.0.0.1:${endpoint.port}`);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      path: '/',
      service: 'secretsmanager',
      region: 'eu-west-1',
      account: '123456789012',
      headers: { 'x-amz-target': 'secretsmanager.GetRandomPassword' },
    });
    expect(JSON.parse(seen[0]?.body.toString() ?? '')).toEqual({});
    sm.destroy();
  });

  it('rejects a service it does not emulate with a message naming it and the services it serves', async () => {
    const lambda = new LambdaClient(clientConfig(endpoint));

    await expect(lambda.send(new InvokeCommand({ FunctionName: 'hook' }))).rejects.toMatchObject({
      name: 'UnknownService',
      message: expect.stringContaining('does not emulate the service "lambda"; it serves secretsmanager'),
      $metadata: { httpStatusCode: 400 },
    });
    lambda.destroy();
  });

  it('rejects an unsigned request, explaining how to sign it', async () => {
    const response = await fetch(`${endpoint.url}/`, { method: 'POST', body: '{}' });

    expect(response.status).toBe(400);
    await expect(response.json()).resolves.toMatchObject({
      __type: 'MissingAuthenticationTokenException',
      message: expect.stringContaining('Credential=<key>/<date>/<region>/<service>/aws4_request'),
    });
    expect(seen).toHaveLength(0);
  });
});

describe('startLocalEndpoint with a failing service', () => {
  it('answers 500 InternalFailure and reports the error', async () => {
    const onError = jest.fn();
    const broken: LocalService = {
      name: 'secretsmanager',
      handle: async () => {
        throw new Error('bug in the emulator');
      },
    };
    const endpoint = await startEndpoint({ services: [broken], onError });
    const sm = new SecretsManagerClient(clientConfig(endpoint));

    await expect(sm.send(new GetRandomPasswordCommand({}))).rejects.toMatchObject({
      name: 'InternalFailure',
      message: expect.stringContaining('bug in the emulator'),
      $metadata: { httpStatusCode: 500 },
    });
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'bug in the emulator' }),
      expect.anything(),
    );
    sm.destroy();
    await endpoint.close();
  });

  it('rejects two services with the same name', async () => {
    const service: LocalService = { name: 'sns', handle: async () => ({ status: 200 }) };

    await expect(startEndpoint({ services: [service, service] })).rejects.toThrow(
      'Two local services are named "sns"',
    );
  });
});

describe('credentialScope', () => {
  it('reads region and service from an Authorization header and a presigned credential', () => {
    const header =
      'AWS4-HMAC-SHA256 Credential=AKID/20261121/eu-west-1/rds/aws4_request, SignedHeaders=host, Signature=abc';

    expect(credentialScope(header)).toEqual({ region: 'eu-west-1', service: 'rds' });
    expect(credentialScope('AKID/20261121/us-east-2/s3/aws4_request')).toEqual({
      region: 'us-east-2',
      service: 's3',
    });
    expect(credentialScope('Bearer token')).toBeUndefined();
  });
});

describe('fault injection', () => {
  let stateDir: string;
  let faults: Faults;
  let endpoint: LocalEndpoint;
  let sm: SecretsManagerClient;
  let sns: SNSClient;
  let s3: S3Client;

  beforeEach(async () => {
    stateDir = temporaryDirectory('faults-');
    faults = Faults.inMemory();
    const buckets = new LocalS3(stateDir);
    await buckets.createBucket('scripts');
    endpoint = await startEndpoint({
      services: [secretsManagerService(new SecretStore()), new LocalSns(), buckets],
      faults,
    });
    sm = new SecretsManagerClient(clientConfig(endpoint));
    sns = new SNSClient(clientConfig(endpoint));
    s3 = new S3Client(clientConfig(endpoint));
  });

  afterEach(async () => {
    for (const client of [sm, sns, s3]) client.destroy();
    await endpoint.close();
    removeDirectory(stateDir);
  });

  it('throttles every call of a JSON service at fraction 1 with ThrottlingException', async () => {
    await faults.set({ throttle: [{ service: 'secretsmanager', fraction: 1 }] });

    await expect(sm.send(new GetRandomPasswordCommand({}))).rejects.toMatchObject({
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('surfaces the throttling after the SDK retried it', async () => {
    await faults.set({ throttle: [{ service: 'secretsmanager', fraction: 1 }] });
    const retrying = new SecretsManagerClient({ ...clientConfig(endpoint), maxAttempts: 2 });

    await expect(retrying.send(new GetRandomPasswordCommand({}))).rejects.toMatchObject({
      name: 'ThrottlingException',
      $metadata: { attempts: 2 },
    });
    retrying.destroy();
  });

  it('throttles a Query service with Throttling (Sender), and S3 with SlowDown', async () => {
    await faults.set({
      throttle: [
        { service: 'sns', fraction: 1 },
        { service: 's3', fraction: 1 },
      ],
    });

    await expect(sns.send(new CreateTopicCommand({ Name: 't' }))).rejects.toMatchObject({
      name: 'Throttling',
      $fault: 'client',
    });
    await expect(s3.send(new GetObjectCommand({ Bucket: 'scripts', Key: 'a.sql' }))).rejects.toMatchObject({
      name: 'SlowDown',
      $metadata: { httpStatusCode: 503 },
    });
  });

  it('throttles nothing at fraction 0 and only the named action', async () => {
    await faults.set({
      throttle: [
        { service: 'secretsmanager', fraction: 0 },
        { service: 'secretsmanager', action: 'DescribeSecret', fraction: 1 },
      ],
    });

    await expect(sm.send(new GetRandomPasswordCommand({}))).resolves.toHaveProperty('RandomPassword');
  });

  it('fails the next matching call exactly once, then removes the rule', async () => {
    await faults.set({
      failOnce: [
        {
          service: 'secretsmanager',
          action: 'GetRandomPassword',
          code: 'InternalServiceError',
          message: 'boom',
        },
      ],
    });

    await expect(sm.send(new GetRandomPasswordCommand({}))).rejects.toMatchObject({
      name: 'InternalServiceError',
      message: 'boom',
      $metadata: { httpStatusCode: 500 },
    });
    await expect(sm.send(new GetRandomPasswordCommand({}))).resolves.toHaveProperty('RandomPassword');
    await expect(faults.get()).resolves.toEqual({ failOnce: [] });
  });

  it('fails a Query action once with the given code', async () => {
    await faults.set({ failOnce: [{ service: 'sns', action: 'CreateTopic', code: 'InvalidParameter' }] });

    await expect(sns.send(new CreateTopicCommand({ Name: 't' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(sns.send(new CreateTopicCommand({ Name: 't' }))).resolves.toHaveProperty('TopicArn');
  });
});

describe('Faults.fromFile', () => {
  let stateDir: string;

  beforeEach(() => {
    stateDir = temporaryDirectory('fault-file-');
  });

  afterEach(() => {
    removeDirectory(stateDir);
  });

  it('reads the file on every request, so faults can change while the endpoint runs', async () => {
    const file = path.join(stateDir, 'faults.json');
    const endpoint = await startEndpoint({
      services: [secretsManagerService(new SecretStore())],
      faults: Faults.fromFile(file),
    });
    const sm = new SecretsManagerClient(clientConfig(endpoint));

    await expect(sm.send(new GetRandomPasswordCommand({}))).resolves.toHaveProperty('RandomPassword');
    writeFileSync(
      file,
      JSON.stringify({ failOnce: [{ service: 'secretsmanager', action: 'GetRandomPassword' }] }),
    );
    await expect(sm.send(new GetRandomPasswordCommand({}))).rejects.toMatchObject({
      name: 'InternalFailure',
    });
    await expect(sm.send(new GetRandomPasswordCommand({}))).resolves.toHaveProperty('RandomPassword');

    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ failOnce: [] });
    sm.destroy();
    await endpoint.close();
  });

  it('rejects an invalid fault file with a message naming it', async () => {
    const file = path.join(stateDir, 'faults.json');
    writeFileSync(file, JSON.stringify({ throttle: [{ service: 'rds', fraction: 2 }] }));

    await expect(Faults.fromFile(file).get()).rejects.toThrow(`Fault file ${file} is not valid`);
  });
});

describe('startLocalEndpoint refusing what AWS refuses', () => {
  let stateDir: string;
  let endpoint: LocalEndpoint;
  let handled: LocalRequest[];

  beforeAll(async () => {
    stateDir = temporaryDirectory('refusals-');
    const buckets = new LocalS3(stateDir);
    await buckets.createBucket('scripts');
    const secrets: LocalService = {
      name: 'secretsmanager',
      handle: async (request) => {
        handled.push(request);
        return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '{}' };
      },
    };
    endpoint = await startEndpoint({ services: [secrets, buckets, new LocalSns()] });
    const s3 = new S3Client(clientConfig(endpoint));
    await s3.send(new PutObjectCommand({ Bucket: 'scripts', Key: 'a.sql', Body: 'SELECT 1;' }));
    s3.destroy();
  });

  beforeEach(() => {
    handled = [];
  });

  afterAll(async () => {
    await endpoint.close();
    removeDirectory(stateDir);
  });

  it('serves a presigned S3 GET URL, as the S3 presigner makes it, until it expires', async () => {
    const url = await presignedGet(endpoint, '/scripts/a.sql', new Date(), 60);
    const expired = await presignedGet(endpoint, '/scripts/a.sql', new Date(Date.now() - 120_000), 60);

    const served = await fetch(url);
    const refused = await fetch(expired);

    expect(served.status).toBe(200);
    await expect(served.text()).resolves.toBe('SELECT 1;');
    expect(refused.status).toBe(403);
    await expect(refused.text()).resolves.toContain('Request has expired');
  });

  it('rejects query-string credentials on a JSON service, which takes them only in the Authorization header', async () => {
    const presigned = await presignRequest(endpoint, 'secretsmanager', {
      method: 'POST',
      path: '/',
      headers: { 'x-amz-target': 'secretsmanager.GetRandomPassword' },
    });

    const response = await sendRaw(endpoint, presigned);

    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toMatchObject({
      __type: 'MissingAuthenticationTokenException',
      message: expect.stringContaining('takes credentials only in the Authorization header'),
    });
    expect(handled).toHaveLength(0);
  });

  it('rejects a correctly signed request a web page sent (Origin header), in the service protocol', async () => {
    const json = await sendSigned(endpoint, 'secretsmanager', {
      headers: { 'x-amz-target': 'secretsmanager.GetRandomPassword', origin: 'https://evil.example' },
      body: '{}',
    });
    const query = await sendSigned(endpoint, 'sns', {
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null' },
      body: 'Action=ListTopics&Version=2010-03-31',
    });

    expect(json.status).toBe(400);
    expect(JSON.parse(json.text)).toMatchObject({
      __type: 'AccessDeniedException',
      message: expect.stringContaining('this one carries Origin: https://evil.example'),
    });
    expect(query.status).toBe(403);
    expect(query.text).toContain('<Code>AuthorizationError</Code>');
    expect(handled).toHaveLength(0);
  });

  it('rejects a request whose shape names another service than its credential scope', async () => {
    const response = await sendSigned(endpoint, 'secretsmanager', {
      method: 'GET',
      path: '/a.sql',
      headers: { host: `scripts.localhost:${endpoint.port}` },
    });

    expect(response.status).toBe(403);
    expect(response.text).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(response.text).toContain('Credential should be scoped to correct service: &apos;s3&apos;');
  });
});

/** A presigned GET URL as @aws-sdk/s3-request-presigner makes it: UNSIGNED-PAYLOAD, the signature in the query. */
async function presignedGet(endpoint: LocalEndpoint, path: string, signingDate: Date, expiresIn: number) {
  const request = await presignRequest(
    endpoint,
    's3',
    { method: 'GET', path, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
    { signingDate, expiresIn },
  );
  return `${endpoint.url}${path}?${new URLSearchParams(request.query).toString()}`;
}
