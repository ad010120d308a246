import { readdirSync } from 'node:fs';
import path from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetRandomPasswordCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { LocalEndpoint } from '../../../../local/endpoint/server';
import type { LocalRequest, LocalService } from '../../../../local/endpoint/service';
import { LocalS3 } from '../../../../local/endpoint/services/s3';
import type { AccessDecision, AccessRequest } from '../../../../local/iam/access';
import type { LocalCredentials } from '../../../../local/iam/identities';
import {
  clientConfig,
  removeDirectory,
  sendSigned,
  startEndpoint,
  temporaryDirectory,
  testIdentities,
} from '../endpoint-fixture';

const identities = testIdentities();
const session = identities.roleSession({ name: 'dbrefresh-plan', policies: [] }, 'plan');
const SESSION_ARN = 'arn:aws:sts::000000000000:assumed-role/dbrefresh-plan/plan';

/** A service that answers every request with 200 and says what IAM authorizes for it. */
function recorder(
  name: string,
  access?: (request: LocalRequest) => AccessRequest[],
): LocalService & { handled: number } {
  const service = {
    name,
    handled: 0,
    accessRequests: access,
    async handle() {
      service.handled += 1;
      const body = name === 's3' ? 'data' : ['sns', 'rds', 'sts'].includes(name) ? '<XResponse/>' : '{}';
      return {
        status: 200,
        headers: { 'content-type': name === 's3' ? 'text/plain' : 'application/json' },
        body,
      };
    },
  };
  return service;
}

describe('authorizeRequest through the endpoint', () => {
  let endpoint: LocalEndpoint;
  let decisions: { principal: string; access: AccessRequest }[];
  let decision: AccessDecision;
  const services = {
    secretsmanager: recorder('secretsmanager', () => [
      { action: 'secretsmanager:GetRandomPassword', resource: '*', context: {} },
    ]),
    sns: recorder('sns', () => [{ action: 'sns:ListTopics', resource: '*', context: {} }]),
    rds: recorder('rds', () => [
      { action: 'rds:DescribeDBInstances', resource: 'arn:aws:rds:eu-west-1:000000000000:db:*', context: {} },
    ]),
    s3: recorder('s3', () => [
      { action: 's3:GetObject', resource: 'arn:aws:s3:::scripts/a.sql', context: {} },
    ]),
    lambda: recorder('lambda', () => [
      {
        action: 'lambda:InvokeFunction',
        resource: 'arn:aws:lambda:eu-west-1:000000000000:function:hook',
        context: {},
      },
    ]),
    sts: recorder('sts'),
  };

  beforeAll(async () => {
    endpoint = await startEndpoint({
      services: Object.values(services),
      identities,
      authorize: (principal, access) => {
        decisions.push({ principal: principal.arn, access });
        return decision;
      },
    });
  });

  beforeEach(() => {
    decisions = [];
    decision = { allowed: true, reason: 'allowed' };
    for (const service of Object.values(services)) service.handled = 0;
  });

  afterAll(async () => {
    await endpoint.close();
  });

  it('asks the authorizer about each access of the request, for the caller that signed it', async () => {
    const sm = new SecretsManagerClient(clientConfig(endpoint, session));

    await sm.send(new GetRandomPasswordCommand({}));

    expect(decisions).toEqual([
      {
        principal: SESSION_ARN,
        access: { action: 'secretsmanager:GetRandomPassword', resource: '*', context: {} },
      },
    ]);
    expect(services.secretsmanager.handled).toBe(1);
    sm.destroy();
  });

  it('rejects a JSON request no identity-based policy allows with AccessDeniedException 400 and AWS message', async () => {
    decision = { allowed: false, reason: 'no-identity-allow' };
    const sm = new SecretsManagerClient(clientConfig(endpoint, session));

    await expect(sm.send(new GetRandomPasswordCommand({}))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message:
        `User: ${SESSION_ARN} is not authorized to perform: secretsmanager:GetRandomPassword on resource: * ` +
        'because no identity-based policy allows the secretsmanager:GetRandomPassword action',
      $metadata: { httpStatusCode: 400 },
    });
    expect(services.secretsmanager.handled).toBe(0);
    sm.destroy();
  });

  it('rejects with SNS AuthorizationError 403, naming an explicit deny', async () => {
    decision = { allowed: false, reason: 'explicit-deny', statement: 'DenyAll' };
    const sns = new SNSClient(clientConfig(endpoint, session));

    await expect(sns.send(new ListTopicsCommand({}))).rejects.toMatchObject({
      name: 'AuthorizationErrorException',
      message: expect.stringContaining(
        'is not authorized to perform: sns:ListTopics on resource: * with an explicit deny in an identity-based policy',
      ),
      $metadata: { httpStatusCode: 403 },
    });
    sns.destroy();
  });

  it('rejects RDS with AccessDenied 403 and S3 with AccessDenied 403, naming the resource', async () => {
    decision = { allowed: false, reason: 'no-resource-allow' };
    const rds = new RDSClient(clientConfig(endpoint, session));
    const s3 = new S3Client({ ...clientConfig(endpoint, session), forcePathStyle: true });

    await expect(rds.send(new DescribeDBInstancesCommand({}))).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining(
        'on resource: arn:aws:rds:eu-west-1:000000000000:db:* because no resource-based policy allows the rds:DescribeDBInstances action',
      ),
      $metadata: { httpStatusCode: 403 },
    });
    await expect(s3.send(new GetObjectCommand({ Bucket: 'scripts', Key: 'a.sql' }))).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining('s3:GetObject on resource: arn:aws:s3:::scripts/a.sql'),
      $metadata: { httpStatusCode: 403 },
    });
    rds.destroy();
    s3.destroy();
  });

  it('rejects a REST-JSON request (Lambda) with AccessDeniedException 403', async () => {
    decision = { allowed: false, reason: 'no-identity-allow' };
    const lambda = new LambdaClient(clientConfig(endpoint, session));

    await expect(lambda.send(new InvokeCommand({ FunctionName: 'hook' }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 403 },
    });
    lambda.destroy();
  });

  it('lets STS GetCallerIdentity through without asking: it needs no permission', async () => {
    decision = { allowed: false, reason: 'no-identity-allow' };
    const sts = new STSClient(clientConfig(endpoint, session));

    await sts.send(new GetCallerIdentityCommand({})).catch(() => undefined);

    expect(services.sts.handled).toBe(1);
    expect(decisions).toEqual([]);
    sts.destroy();
  });
});

describe('authorizeRequest for a service that does not say what IAM authorizes', () => {
  let endpoint: LocalEndpoint;
  const unmapped = recorder('kms');

  beforeAll(async () => {
    endpoint = await startEndpoint({
      services: [unmapped],
      identities,
      authorize: () => ({ allowed: true, reason: 'allowed' }),
    });
  });

  afterAll(async () => {
    await endpoint.close();
  });

  it('serves the administrator', async () => {
    const response = await fetchJson(endpoint, identities.administrator.credentials);

    expect(response.status).toBe(200);
    expect(unmapped.handled).toBe(1);
  });

  it('rejects any other caller, saying local mode does not know what IAM authorizes for the action', async () => {
    const response = await fetchJson(endpoint, session);

    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toEqual({
      __type: 'AccessDeniedException',
      message: expect.stringContaining(
        `User: ${SESSION_ARN} is not authorized to perform: kms:ListKeys: local mode does not know what IAM authorizes for this action`,
      ),
    });
  });
});

function fetchJson(endpoint: LocalEndpoint, credentials: LocalCredentials) {
  return sendSigned(
    endpoint,
    'kms',
    {
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' },
      body: '{}',
    },
    { credentials },
  );
}

describe('authorizeRequest refusing an upload', () => {
  it('leaves no file of the refused body behind', async () => {
    const stateDir = temporaryDirectory('refused-upload-');
    const buckets = new LocalS3(stateDir);
    await buckets.createBucket('scripts');
    const endpoint = await startEndpoint({
      services: [buckets],
      identities,
      authorize: () => ({ allowed: false, reason: 'no-identity-allow' }),
    });
    const s3 = new S3Client(clientConfig(endpoint, session));

    await expect(
      s3.send(new PutObjectCommand({ Bucket: 'scripts', Key: 'a.sql', Body: 'SELECT 1;' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });

    expect(readdirSync(path.join(buckets.root, '.uploads'))).toEqual([]);
    expect(readdirSync(path.join(buckets.root, 'scripts', 'objects'))).toEqual([]);
    s3.destroy();
    await endpoint.close();
    removeDirectory(stateDir);
  });
});
