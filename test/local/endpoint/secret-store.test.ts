import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { LocalEndpoint } from '../../../local/endpoint/server';
import type { LocalRequest } from '../../../local/endpoint/service';
import { LocalKms } from '../../../local/endpoint/services/kms';
import { SecretStore, secretsManagerService } from '../../../local/endpoint/services/secrets-manager';
import { clientConfig, startEndpoint, uniqueName } from './endpoint-fixture';

const REGION = 'eu-west-1';
const ACCOUNT = '000000000000';
const TOKEN_1 = 'dbrefresh-ab12cd34-admin-password';
const TOKEN_2 = 'dbrefresh-ab12cd34-secret-rotation';
const HOUR_MS = 3_600_000;

let clock: number;
let kms: LocalKms;
let store: SecretStore;
let service: ReturnType<typeof secretsManagerService>;
let endpoint: LocalEndpoint;
let sm: SecretsManagerClient;
let name: string;

beforeAll(async () => {
  clock = Date.parse('2025-06-01T10:00:00Z');
  kms = new LocalKms({ scope: { region: REGION, account: ACCOUNT } });
  store = new SecretStore({
    kms,
    scope: { region: REGION, account: ACCOUNT },
    now: () => new Date(clock),
    rotate: async (value) => value.replace('old', 'new'),
  });
  service = secretsManagerService(store);
  endpoint = await startEndpoint({ services: [service] });
  sm = new SecretsManagerClient(clientConfig(endpoint));
});

afterAll(async () => {
  sm.destroy();
  await endpoint.close();
});

beforeEach(() => {
  name = uniqueName('app/rules');
});

/** A token of 36 characters that no other version of the test uses. */
function token(n: number): string {
  return `version-${String(n).padStart(28, '0')}`;
}

async function stagesOf(secretId: string): Promise<Record<string, string[]> | undefined> {
  return (await sm.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages;
}

/** A Secrets Manager request as a client that does not use an SDK sends it. */
function rawRequest(operation: string, body: object): LocalRequest {
  return {
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `secretsmanager.${operation}`,
    },
    body: Buffer.from(JSON.stringify(body)),
    service: 'secretsmanager',
    region: REGION,
    account: ACCOUNT,
  };
}

describe('secret values and tokens', () => {
  it('takes a SecretString of exactly 65,536 bytes', async () => {
    await expect(
      sm.send(new CreateSecretCommand({ Name: name, SecretString: 'x'.repeat(65_536) })),
    ).resolves.toHaveProperty('VersionId');
  });

  it('rejects a SecretString over 65,536 bytes of UTF-8 without quoting it (ValidationException)', async () => {
    // 32,769 two-byte characters: under 65,536 characters, over 65,536 bytes.
    const value = 'é'.repeat(32_769);

    await expect(sm.send(new CreateSecretCommand({ Name: name, SecretString: value }))).rejects.toMatchObject(
      {
        name: 'ValidationException',
        message:
          "1 validation error detected: Value at 'secretString' failed to satisfy constraint: " +
          'Member must have length less than or equal to 65536',
      },
    );
  });

  it('gives the only version of a new secret AWSCURRENT, whatever labels a raw request adds', async () => {
    const body = {
      Name: name,
      SecretString: 'v1',
      ClientRequestToken: TOKEN_1,
      VersionStages: ['AWSPENDING'],
    };

    const response = await service.handle(rawRequest('CreateSecret', body));

    expect(response.status).toBe(200);
    await expect(stagesOf(name)).resolves.toEqual({ [TOKEN_1]: ['AWSCURRENT'] });
  });

  it('rejects a raw request that writes a value without a ClientRequestToken (InvalidRequestException)', async () => {
    const response = await service.handle(rawRequest('CreateSecret', { Name: name, SecretString: 'v1' }));

    expect(response.status).toBe(400);
    expect(JSON.parse(String(response.body))).toEqual({
      __type: 'InvalidRequestException',
      message: 'You must provide a ClientRequestToken value. We recommend a UUID-type value.',
    });
    await expect(sm.send(new DescribeSecretCommand({ SecretId: name }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('staging labels', () => {
  it('moves a label given to PutSecretValue from the version that had it', async () => {
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1', ClientRequestToken: token(1) }));
    await sm.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: 'v2',
        ClientRequestToken: token(2),
        VersionStages: ['AWSPENDING', 'dbrefresh-run'],
      }),
    );

    await sm.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: 'v3',
        ClientRequestToken: token(3),
        VersionStages: ['dbrefresh-run'],
      }),
    );

    await expect(stagesOf(name)).resolves.toEqual({
      [token(1)]: ['AWSCURRENT'],
      [token(2)]: ['AWSPENDING'],
      [token(3)]: ['dbrefresh-run'],
    });
  });

  it('rejects more than 20 labels in one PutSecretValue (ValidationException)', async () => {
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));
    const labels = Array.from({ length: 21 }, (_, i) => `label-${i}`);

    await expect(
      sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', VersionStages: labels })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("at 'versionStages' failed to satisfy constraint"),
    });
  });

  it('rejects a label that would give the secret more than 20 (LimitExceededException)', async () => {
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1', ClientRequestToken: token(1) }));
    const labels = Array.from({ length: 19 }, (_, i) => `label-${i}`);
    await sm.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: 'v2',
        ClientRequestToken: token(2),
        VersionStages: labels,
      }),
    );

    await expect(
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: 'one-too-many',
          MoveToVersionId: token(1),
        }),
      ),
    ).rejects.toMatchObject({ name: 'LimitExceededException', message: expect.stringContaining('20') });
    expect(Object.values((await stagesOf(name)) ?? {}).flat()).toHaveLength(20);
  });
});

describe('versions kept', () => {
  /** Gives the secret `count` versions, the newest AWSCURRENT, each `stepMs` after the previous one. */
  function addVersions(count: number, stepMs: number): void {
    for (let i = 0; i < count; i++) {
      store.putSecretValue({ SecretId: name, SecretString: `v${i}`, ClientRequestToken: token(1000 + i) });
      clock += stepMs;
    }
  }

  it('rejects a 101st version while the others are younger than 24 hours (LimitExceededException)', async () => {
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'first' }));
    addVersions(99, 60_000);

    await expect(
      sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'one more' })),
    ).rejects.toMatchObject({ name: 'LimitExceededException' });
  });

  it('removes the oldest unlabelled version once it is 24 hours old to make room', async () => {
    await sm.send(
      new CreateSecretCommand({ Name: name, SecretString: 'first', ClientRequestToken: token(1) }),
    );
    addVersions(99, 60_000);
    clock += 24 * HOUR_MS;

    await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'one more' }));

    await expect(
      sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: token(1) })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(
      sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: token(1000) })),
    ).resolves.toMatchObject({ SecretString: 'v0' });
  });
});

describe('rotation', () => {
  it('rotates again once the AWSPENDING label is on the AWSCURRENT version', async () => {
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: '{"password":"old"}' }));
    await sm.send(new RotateSecretCommand({ SecretId: name, RotationRules: { AutomaticallyAfterDays: 7 } }));
    const current = Object.entries((await stagesOf(name)) ?? {}).find(([, s]) =>
      s.includes('AWSCURRENT'),
    )?.[0];
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'AWSPENDING',
        MoveToVersionId: current,
      }),
    );

    await expect(
      sm.send(new RotateSecretCommand({ SecretId: name, ClientRequestToken: TOKEN_2 })),
    ).resolves.toMatchObject({ VersionId: TOKEN_2 });
  });

  it('rotates an RDS-managed secret, whose rotation RDS manages every seven days', async () => {
    const arn = store.createManagedSecret(
      'rds.amazonaws.com',
      `rds!db-${name.replace(/\W/g, '')}`,
      '{"password":"old"}',
    );

    await sm.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: TOKEN_2 }));

    await expect(sm.send(new DescribeSecretCommand({ SecretId: arn }))).resolves.toMatchObject({
      RotationEnabled: true,
      RotationRules: { AutomaticallyAfterDays: 7 },
      OwningService: 'rds.amazonaws.com',
    });
    await expect(sm.send(new GetSecretValueCommand({ SecretId: arn }))).resolves.toMatchObject({
      SecretString: '{"password":"new"}',
    });
  });
});

describe('secrets managed by another service', () => {
  let arn: string;

  beforeEach(() => {
    arn = store.createManagedSecret(
      'rds.amazonaws.com',
      `rds!db-${name.replace(/\W/g, '')}`,
      '{"password":"p"}',
    );
  });

  it.each([
    ['PutSecretValue', () => new PutSecretValueCommand({ SecretId: arn, SecretString: 'x' })],
    ['UpdateSecret', () => new UpdateSecretCommand({ SecretId: arn, Description: 'mine now' })],
    ['DeleteSecret', () => new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true })],
    [
      'UpdateSecretVersionStage',
      () =>
        new UpdateSecretVersionStageCommand({
          SecretId: arn,
          VersionStage: 'mine',
          MoveToVersionId: TOKEN_1,
        }),
    ],
  ])('rejects %s from a client (InvalidRequestException)', async (_action, command) => {
    await expect(sm.send(command() as never)).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: expect.stringContaining('managed by rds.amazonaws.com'),
    });
    expect(store.arnOf(arn)).toBe(arn);
  });
});

describe('deletion', () => {
  it.each([6, 31])('rejects a recovery window of %i days (InvalidParameterException)', async (days) => {
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));

    await expect(
      sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: days })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('7 to 30'),
    });
  });

  it('force-deletes a secret that does not exist without ResourceNotFoundException', async () => {
    await expect(
      sm.send(new DeleteSecretCommand({ SecretId: 'app/never-created', ForceDeleteWithoutRecovery: true })),
    ).resolves.toMatchObject({ Name: 'app/never-created' });
  });
});

describe('tags', () => {
  it('rejects a 51st tag (LimitExceededException)', async () => {
    const tags = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1', Tags: tags }));

    await expect(
      sm.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: 'k50', Value: 'v' }] })),
    ).rejects.toMatchObject({ name: 'LimitExceededException' });
  });

  it('rejects a tag key with the aws: prefix (InvalidParameterException)', async () => {
    await expect(
      sm.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: 'v1',
          Tags: [{ Key: 'aws:owner', Value: 'me' }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('aws:') });
  });
});

describe('KMS keys', () => {
  it('keeps the KmsKeyId given, shows it in DescribeSecret and resolves it to the key ARN', async () => {
    const key = kms.createKey({ aliases: [`alias/${name.replace(/\W/g, '-')}`] });
    const alias = `alias/${name.replace(/\W/g, '-')}`;

    await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1', KmsKeyId: alias }));

    await expect(sm.send(new DescribeSecretCommand({ SecretId: name }))).resolves.toMatchObject({
      KmsKeyId: alias,
    });
    expect(store.kmsKeyIdOf(name)).toBe(key.Arn);
  });

  it('has no customer key for a secret encrypted with aws/secretsmanager', async () => {
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));

    expect(store.kmsKeyIdOf(name)).toBeUndefined();
  });

  it('rejects a KmsKeyId that names no key (InvalidParameterException)', async () => {
    await expect(
      sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1', KmsKeyId: 'alias/no-such-key' })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('alias/no-such-key'),
    });
  });

  it('changes the key with UpdateSecret', async () => {
    const key = kms.createKey();
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));

    await sm.send(new UpdateSecretCommand({ SecretId: name, KmsKeyId: key.Arn }));

    expect(store.kmsKeyIdOf(name)).toBe(key.Arn);
  });

  it('fails to write (EncryptionFailure) and read (DecryptionFailure) while the key is disabled', async () => {
    const key = kms.createKey();
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1', KmsKeyId: key.KeyId }));
    kms.setKeyState(key.KeyId ?? '', 'Disabled');

    await expect(
      sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2' })),
    ).rejects.toMatchObject({ name: 'EncryptionFailure', message: expect.stringContaining('Disabled') });
    await expect(sm.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toMatchObject({
      name: 'DecryptionFailure',
    });
  });
});

describe('lookups for IAM', () => {
  it('finds a secret by name or partial ARN, with its rotation function and tags', async () => {
    const created = await sm.send(
      new CreateSecretCommand({ Name: name, SecretString: 'v1', Tags: [{ Key: 'team', Value: 'db' }] }),
    );
    const rotation = 'arn:aws:lambda:eu-west-1:000000000000:function:rotate-db';
    await sm.send(
      new RotateSecretCommand({ SecretId: name, RotationLambdaARN: rotation, RotateImmediately: false }),
    );

    expect(store.arnOf(name)).toBe(created.ARN);
    expect(store.arnOf(created.ARN?.slice(0, -7) ?? '')).toBe(created.ARN);
    expect(store.rotationLambdaArnOf(name)).toBe(rotation);
    expect(store.tagsOf(name)).toEqual([{ Key: 'team', Value: 'db' }]);
  });

  it('answers undefined for a secret that does not exist', () => {
    expect([
      store.arnOf('app/none'),
      store.kmsKeyIdOf('app/none'),
      store.rotationLambdaArnOf('app/none'),
      store.tagsOf('app/none'),
    ]).toEqual([undefined, undefined, undefined, undefined]);
  });
});
