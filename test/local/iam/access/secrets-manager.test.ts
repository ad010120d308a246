import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { SecretStore, secretsManagerService } from '../../../../local/endpoint/services/secrets-manager';
import type { AccessRequest } from '../../../../local/iam/access';
import type { FunctionRegistry } from '../../../../local/iam/access/lambda';
import { SECRETS_MANAGER_OPERATIONS } from '../../../../local/iam/access/secrets-manager';
import { ACCOUNT, accessesOf, capturing, OTHER_ACCOUNT, REGION, summary } from './sdk-requests';

const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const ROTATION_FUNCTION = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rds-mysql-rotation`;
const VIA_SECRETS_MANAGER = {
  'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com`,
  'kms:CallerAccount': ACCOUNT,
};

const functions: FunctionRegistry = {
  functionAccess: (arn) =>
    arn === ROTATION_FUNCTION ? { tags: [{ Key: 'team', Value: 'dba' }] } : undefined,
};
const store = new SecretStore({ scope: { region: REGION, account: ACCOUNT } });
const service = secretsManagerService(store, { functions });
const { requestOf } = capturing(SecretsManagerClient);
let plain: string;
let encrypted: string;

beforeAll(() => {
  plain = store.createSecret({
    Name: '/development/app1/app1-dev',
    SecretString: '{"username":"admin"}',
    Tags: [{ Key: 'application', Value: 'app1' }],
  }).ARN as string;
  encrypted = store.createSecret({
    Name: '/production/app1/app1-prod',
    SecretString: '{"username":"admin"}',
    KmsKeyId: KEY_ARN,
  }).ARN as string;
});

async function accessesFor(command: unknown): Promise<readonly AccessRequest[]> {
  const accessRequests = service.accessRequests;
  if (!accessRequests) throw new Error('The Secrets Manager service describes no accesses');
  return accessRequests(await requestOf(command));
}

describe('Secrets Manager accesses', () => {
  it('authorizes GetSecretValue on the secret with its tags, its ARN as SecretId and the stage asked for', async () => {
    const accesses = await accessesFor(
      new GetSecretValueCommand({ SecretId: '/development/app1/app1-dev', VersionStage: 'AWSPENDING' }),
    );

    expect(accesses).toEqual([
      {
        action: 'secretsmanager:GetSecretValue',
        resource: plain,
        context: {
          'secretsmanager:SecretId': plain,
          'secretsmanager:VersionStage': 'AWSPENDING',
          'aws:ResourceTag/application': 'app1',
          'secretsmanager:ResourceTag/application': 'app1',
        },
      },
    ]);
  });

  it('authorizes kms:Decrypt through Secrets Manager to read a secret encrypted with a customer key', async () => {
    const accesses = await accessesFor(new GetSecretValueCommand({ SecretId: encrypted }));

    expect(summary(accesses)).toEqual([
      `secretsmanager:GetSecretValue ${encrypted}`,
      `kms:Decrypt ${KEY_ARN}`,
    ]);
    expect(accesses[1]?.context).toEqual(VIA_SECRETS_MANAGER);
  });

  it('authorizes kms:GenerateDataKey through Secrets Manager to write a value with a customer key', async () => {
    const accesses = await accessesFor(
      new PutSecretValueCommand({ SecretId: encrypted, SecretString: '{}' }),
    );

    expect(summary(accesses)).toEqual([
      `secretsmanager:PutSecretValue ${encrypted}`,
      `kms:GenerateDataKey ${KEY_ARN}`,
    ]);
    expect(accesses[1]?.context).toEqual(VIA_SECRETS_MANAGER);
  });

  it('authorizes a new secret on the ARN it will have, with its tags also as TagResource', async () => {
    const accesses = await accessesFor(
      new CreateSecretCommand({
        Name: '/development/app2/app2-dev',
        SecretString: '{}',
        Tags: [{ Key: 'application', Value: 'app2' }],
      }),
    );

    const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:/development/app2/app2-dev-??????`;
    expect(summary(accesses)).toEqual([
      `secretsmanager:CreateSecret ${arn}`,
      `secretsmanager:TagResource ${arn}`,
    ]);
    for (const access of accesses) {
      expect(access.context).toMatchObject({
        'aws:RequestTag/application': 'app2',
        'aws:TagKeys': ['application'],
      });
    }
    expect(accesses[0]?.context).toMatchObject({ 'secretsmanager:Name': '/development/app2/app2-dev' });
  });

  it('authorizes kms:GenerateDataKey and kms:Decrypt for a new secret with a customer key, none for aws/secretsmanager', async () => {
    const customer = await accessesFor(
      new CreateSecretCommand({ Name: 'a', SecretString: '{}', KmsKeyId: KEY_ARN }),
    );
    const awsManaged = await accessesFor(
      new CreateSecretCommand({ Name: 'b', SecretString: '{}', KmsKeyId: 'alias/aws/secretsmanager' }),
    );

    expect(summary(customer).slice(1)).toEqual([`kms:GenerateDataKey ${KEY_ARN}`, `kms:Decrypt ${KEY_ARN}`]);
    expect(customer[0]?.context).toMatchObject({ 'secretsmanager:KmsKeyArn': KEY_ARN });
    expect(summary(awsManaged)).toHaveLength(1);
  });

  it('authorizes lambda:InvokeFunction on the rotation function a rotation names, with its tags', async () => {
    const accesses = await accessesFor(
      new RotateSecretCommand({
        SecretId: plain,
        RotationLambdaARN: ROTATION_FUNCTION,
        RotateImmediately: true,
      }),
    );

    expect(accesses[0]?.context).toMatchObject({
      'secretsmanager:RotationLambdaARN': ROTATION_FUNCTION,
      'secretsmanager:RotateImmediately': true,
    });
    expect(accessesOf(accesses, 'lambda:InvokeFunction')).toEqual([
      {
        action: 'lambda:InvokeFunction',
        resource: ROTATION_FUNCTION,
        context: { 'aws:ResourceTag/team': 'dba' },
      },
    ]);
  });

  it('authorizes lambda:InvokeFunction on the rotation function the secret is configured with', async () => {
    await store.rotateSecret({
      SecretId: encrypted,
      RotationLambdaARN: ROTATION_FUNCTION,
      RotateImmediately: false,
    });

    const accesses = await accessesFor(new RotateSecretCommand({ SecretId: encrypted }));

    expect(summary(accesses)).toEqual([
      `secretsmanager:RotateSecret ${encrypted}`,
      `lambda:InvokeFunction ${ROTATION_FUNCTION}`,
    ]);
    expect(accesses[0]?.context).toMatchObject({
      'secretsmanager:resource/AllowRotationLambdaArn': ROTATION_FUNCTION,
    });
  });

  it('authorizes a secret that does not exist on the ARN its name would have', async () => {
    const accesses = await accessesFor(new DescribeSecretCommand({ SecretId: 'missing/secret' }));

    expect(accesses).toEqual([
      {
        action: 'secretsmanager:DescribeSecret',
        resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:missing/secret`,
        context: {
          'secretsmanager:SecretId': `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:missing/secret`,
        },
      },
    ]);
  });

  it('authorizes another account’s secret with that account as its owner', async () => {
    const other = `arn:aws:secretsmanager:${REGION}:${OTHER_ACCOUNT}:secret:shared-AbCdEf`;

    const [access] = await accessesFor(new GetSecretValueCommand({ SecretId: other }));

    expect(access).toMatchObject({ resource: other, resourceAccount: OTHER_ACCOUNT });
  });

  it('authorizes the other secret actions on the secret with the keys they list', async () => {
    const stage = await accessesFor(
      new UpdateSecretVersionStageCommand({
        SecretId: plain,
        VersionStage: 'DBREFRESH',
        MoveToVersionId: 'v',
      }),
    );
    const tag = await accessesFor(
      new TagResourceCommand({ SecretId: plain, Tags: [{ Key: 'k', Value: 'v' }] }),
    );
    const untag = await accessesFor(new UntagResourceCommand({ SecretId: plain, TagKeys: ['k'] }));
    const remove = await accessesFor(
      new DeleteSecretCommand({ SecretId: plain, ForceDeleteWithoutRecovery: true }),
    );
    const restore = await accessesFor(new RestoreSecretCommand({ SecretId: plain }));

    expect(stage[0]?.context).toMatchObject({ 'secretsmanager:VersionStage': 'DBREFRESH' });
    expect(tag[0]?.context).toMatchObject({ 'aws:RequestTag/k': 'v', 'aws:TagKeys': ['k'] });
    expect(untag[0]?.context).toMatchObject({ 'aws:TagKeys': ['k'] });
    expect(remove[0]?.context).toMatchObject({ 'secretsmanager:ForceDeleteWithoutRecovery': true });
    expect(summary(restore)).toEqual([`secretsmanager:RestoreSecret ${plain}`]);
  });

  it('authorizes GetRandomPassword and ListSecrets on "*"', async () => {
    const password = await accessesFor(new GetRandomPasswordCommand({ PasswordLength: 32 }));
    const list = await accessesFor(new ListSecretsCommand({}));

    expect([...summary(password), ...summary(list)]).toEqual([
      'secretsmanager:GetRandomPassword *',
      'secretsmanager:ListSecrets *',
    ]);
  });

  it('rejects a SecretId that is another service’s ARN', async () => {
    await expect(
      accessesFor(new GetSecretValueCommand({ SecretId: 'arn:aws:s3:::bucket/key' })),
    ).rejects.toMatchObject({ code: 'InvalidParameterException' });
  });

  it('rejects a secret whose key alias the local KMS does not have, as Secrets Manager fails to decrypt', async () => {
    store.createSecret({ Name: 'aliased', SecretString: '{}', KmsKeyId: 'alias/app1-secrets' });

    await expect(accessesFor(new GetSecretValueCommand({ SecretId: 'aliased' }))).rejects.toMatchObject({
      code: 'DecryptionFailure',
    });
  });

  it('rejects a body the service would refuse', async () => {
    const request = await requestOf(new DescribeSecretCommand({ SecretId: plain }));

    await expect(
      service.accessRequests?.({ ...request, body: Buffer.from('{"SecretId": 42}') }),
    ).rejects.toMatchObject({ code: 'ValidationException' });
    await expect(service.accessRequests?.({ ...request, body: Buffer.from('{') })).rejects.toMatchObject({
      code: 'SerializationException',
    });
  });

  it('describes what IAM authorizes for every operation the local Secrets Manager implements', async () => {
    const request = await requestOf(new ListSecretsCommand({}));

    const response = await service.handle({
      ...request,
      headers: { ...request.headers, 'x-amz-target': 'secretsmanager.Nope' },
    });
    const implemented = /it implements (.*)"/.exec(String(response.body))?.[1]?.split(', ') ?? [];

    expect(implemented.length).toBeGreaterThan(10);
    expect(Object.keys(SECRETS_MANAGER_OPERATIONS).sort()).toEqual([...implemented].sort());
    await expect(
      service.accessRequests?.({
        ...request,
        headers: { ...request.headers, 'x-amz-target': 'secretsmanager.Nope' },
      }),
    ).rejects.toMatchObject({ code: 'UnknownOperationException' });
  });
});
