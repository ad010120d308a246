import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
  type UpdateSecretVersionStageCommandInput,
} from '@aws-sdk/client-secrets-manager';
import type { LocalEndpoint } from '../../../local/endpoint/server';
import {
  randomPassword,
  SecretStore,
  secretsManagerService,
} from '../../../local/endpoint/services/secrets-manager';
import {
  clientConfig,
  removeDirectory,
  sendSigned,
  startEndpoint,
  temporaryDirectory,
  uniqueName,
} from './endpoint-fixture';

const TOKEN_1 = 'dbrefresh-ab12cd34-admin-password';
const TOKEN_2 = 'dbrefresh-ab12cd34-secret-rotation';
const TOKEN_3 = 'dbrefresh-ef56ab78-admin-password';

let store: SecretStore;
let endpoint: LocalEndpoint;
let sm: SecretsManagerClient;
let name: string;

beforeAll(async () => {
  store = new SecretStore();
  endpoint = await startEndpoint({ services: [secretsManagerService(store)] });
  sm = new SecretsManagerClient(clientConfig(endpoint));
});

afterAll(async () => {
  sm.destroy();
  await endpoint.close();
});

beforeEach(() => {
  name = uniqueName('app/db');
});

async function stages(secretId: string): Promise<Record<string, string[]> | undefined> {
  return (await sm.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages;
}

/** Creates the secret `name` with the value `v1`, as version `token` (or one the SDK picks). */
function createSecret(token?: string) {
  return sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1', ClientRequestToken: token }));
}

/** Puts the value `v2` into the secret `name` as version TOKEN_2 with `stages` (by default AWSCURRENT). */
function putSecondVersion(stages?: string[]) {
  return sm.send(
    new PutSecretValueCommand({
      SecretId: name,
      SecretString: 'v2',
      ClientRequestToken: TOKEN_2,
      VersionStages: stages,
    }),
  );
}

function updateStage(change: Omit<UpdateSecretVersionStageCommandInput, 'SecretId'>) {
  return sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, ...change }));
}

describe('secrets manager: create, describe, get', () => {
  it('creates a secret whose first version is AWSCURRENT, found by name and by ARN', async () => {
    const created = await createSecret(TOKEN_1);

    expect(created.ARN).toMatch(
      new RegExp(`^arn:aws:secretsmanager:eu-west-1:000000000000:secret:${name}-[A-Za-z0-9]{6}$`),
    );
    expect(created.VersionId).toBe(TOKEN_1);
    const byArn = await sm.send(new GetSecretValueCommand({ SecretId: created.ARN }));
    expect(byArn).toMatchObject({ Name: name, SecretString: 'v1', VersionStages: ['AWSCURRENT'] });
    expect(byArn.CreatedDate).toBeInstanceOf(Date);
    await expect(stages(name)).resolves.toEqual({ [TOKEN_1]: ['AWSCURRENT'] });
  });

  it('repeats a CreateSecret with the same token and value without error', async () => {
    const first = await createSecret(TOKEN_1);

    const again = await createSecret(TOKEN_1);

    expect(again.ARN).toBe(first.ARN);
  });

  it('rejects a second secret with the same name (ResourceExistsException)', async () => {
    await createSecret();

    await expect(sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v2' }))).rejects.toMatchObject({
      name: 'ResourceExistsException',
      message: `The operation failed because the secret ${name} already exists.`,
    });
  });

  it('rejects an unknown secret with ResourceNotFoundException', async () => {
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'no/such/secret' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('rejects a name with a character outside letters, digits and /_+=.@- (InvalidParameterException)', async () => {
    await expect(
      sm.send(new CreateSecretCommand({ Name: 'bad name!', SecretString: 'x' })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('/_+=.@-'),
    });
  });

  it('rejects a name longer than 512 characters (ValidationException)', async () => {
    await expect(
      sm.send(new CreateSecretCommand({ Name: 'a'.repeat(513), SecretString: 'x' })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining(
        "at 'name' failed to satisfy constraint: Member must have length less",
      ),
    });
  });

  it('reads a version by id, and fails when the id and the label do not match', async () => {
    await createSecret(TOKEN_1);
    await putSecondVersion();

    const old = await sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: TOKEN_1 }));

    expect(old).toMatchObject({ SecretString: 'v1', VersionStages: ['AWSPREVIOUS'] });
    await expect(
      sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: TOKEN_1, VersionStage: 'AWSCURRENT' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('keeps binary secrets', async () => {
    await sm.send(new CreateSecretCommand({ Name: name, SecretBinary: new Uint8Array([1, 2, 255]) }));

    const out = await sm.send(new GetSecretValueCommand({ SecretId: name }));

    expect([...(out.SecretBinary ?? [])]).toEqual([1, 2, 255]);
  });
});

describe('secrets manager: PutSecretValue', () => {
  it('makes a new version AWSCURRENT by default and leaves AWSPREVIOUS on the old one', async () => {
    await createSecret(TOKEN_1);

    const put = await putSecondVersion();

    expect(put.VersionStages).toEqual(['AWSCURRENT']);
    await expect(stages(name)).resolves.toEqual({ [TOKEN_1]: ['AWSPREVIOUS'], [TOKEN_2]: ['AWSCURRENT'] });
    await expect(sm.send(new GetSecretValueCommand({ SecretId: name }))).resolves.toMatchObject({
      SecretString: 'v2',
    });
  });

  it('stores an AWSPENDING version without touching AWSCURRENT', async () => {
    await createSecret(TOKEN_1);

    await putSecondVersion(['AWSPENDING']);

    await expect(stages(name)).resolves.toEqual({ [TOKEN_1]: ['AWSCURRENT'], [TOKEN_2]: ['AWSPENDING'] });
  });

  it('repeats a put with the same token and value without creating a version', async () => {
    await createSecret(TOKEN_1);
    await putSecondVersion(['AWSPENDING']);

    const again = await putSecondVersion(['AWSPENDING']);

    expect(again).toMatchObject({ VersionId: TOKEN_2, VersionStages: ['AWSPENDING'] });
    await expect(stages(name)).resolves.toEqual({ [TOKEN_1]: ['AWSCURRENT'], [TOKEN_2]: ['AWSPENDING'] });
  });

  it('rejects the same token with another value (ResourceExistsException)', async () => {
    await createSecret(TOKEN_1);

    await expect(
      sm.send(
        new PutSecretValueCommand({ SecretId: name, SecretString: 'other', ClientRequestToken: TOKEN_1 }),
      ),
    ).rejects.toMatchObject({
      name: 'ResourceExistsException',
      message: "You can't modify an existing version, you can only create a new version.",
    });
  });

  it('rejects a token shorter than 32 characters (ValidationException)', async () => {
    await createSecret();

    await expect(
      sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', ClientRequestToken: 'short' })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value 'short' at 'clientRequestToken' failed to satisfy constraint: " +
        'Member must have length greater than or equal to 32',
    });
  });
});

describe('secrets manager: UpdateSecretVersionStage', () => {
  beforeEach(async () => {
    await createSecret(TOKEN_1);
    await putSecondVersion(['AWSPENDING']);
  });

  it('moves AWSCURRENT (the old version gets AWSPREVIOUS) and then removes AWSPENDING', async () => {
    await updateStage({ VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN_2, RemoveFromVersionId: TOKEN_1 });
    await expect(stages(name)).resolves.toEqual({
      [TOKEN_1]: ['AWSPREVIOUS'],
      [TOKEN_2]: ['AWSPENDING', 'AWSCURRENT'],
    });

    await updateStage({ VersionStage: 'AWSPENDING', RemoveFromVersionId: TOKEN_2 });

    await expect(stages(name)).resolves.toEqual({ [TOKEN_1]: ['AWSPREVIOUS'], [TOKEN_2]: ['AWSCURRENT'] });
  });

  it('moves AWSCURRENT back (a rollback), swapping AWSPREVIOUS', async () => {
    await updateStage({ VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN_2, RemoveFromVersionId: TOKEN_1 });

    await updateStage({ VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN_1, RemoveFromVersionId: TOKEN_2 });

    await expect(stages(name)).resolves.toEqual({
      [TOKEN_1]: ['AWSCURRENT'],
      [TOKEN_2]: ['AWSPENDING', 'AWSPREVIOUS'],
    });
  });

  it.each([
    {
      what: 'moving a label without naming the version that has it',
      change: { VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN_2 },
      error: { name: 'InvalidParameterException', message: expect.stringContaining(TOKEN_1) },
    },
    {
      what: 'removing a label from a version that does not have it',
      change: { VersionStage: 'AWSPENDING', RemoveFromVersionId: TOKEN_1 },
      error: { name: 'InvalidParameterException' },
    },
    {
      what: 'removing AWSCURRENT without moving it',
      change: { VersionStage: 'AWSCURRENT', RemoveFromVersionId: TOKEN_1 },
      error: { name: 'InvalidParameterException' },
    },
    {
      what: 'an unknown version (ResourceNotFoundException)',
      change: { VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN_3, RemoveFromVersionId: TOKEN_1 },
      error: { name: 'ResourceNotFoundException' },
    },
  ])('rejects $what', async ({ change, error }) => {
    await expect(updateStage(change)).rejects.toMatchObject(error);
  });
});

describe('secrets manager: GetRandomPassword', () => {
  it('makes 32 characters with every type by default', async () => {
    const { RandomPassword } = await sm.send(new GetRandomPasswordCommand({}));

    expect(RandomPassword).toHaveLength(32);
    expect(RandomPassword).toMatch(/[a-z]/);
    expect(RandomPassword).toMatch(/[A-Z]/);
    expect(RandomPassword).toMatch(/[0-9]/);
    expect(RandomPassword).toMatch(/[^A-Za-z0-9]/);
  });

  it('honours length, excluded characters and RequireEachIncludedType', async () => {
    const excluded = '"@/\\\' abcdefghijklmnopqrstuvwxy0123456789';
    for (let i = 0; i < 50; i++) {
      const { RandomPassword = '' } = await sm.send(
        new GetRandomPasswordCommand({
          PasswordLength: 4,
          ExcludeCharacters: excluded,
          RequireEachIncludedType: true,
        }),
      );
      expect(RandomPassword).toHaveLength(4);
      expect([...RandomPassword].filter((c) => excluded.includes(c))).toEqual([]);
      expect(RandomPassword).toContain('z');
      expect(RandomPassword).toMatch(/[A-Z]/);
      expect(RandomPassword).toMatch(/[^A-Za-z0-9]/);
    }
  });

  it('leaves out punctuation when asked', () => {
    expect(randomPassword({ PasswordLength: 200, ExcludePunctuation: true })).toMatch(/^[A-Za-z0-9]{200}$/);
  });

  it('rejects a length too short for every required type', async () => {
    await expect(sm.send(new GetRandomPasswordCommand({ PasswordLength: 3 }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });

  it('rejects parameters that exclude every character', () => {
    expect(() =>
      randomPassword({
        ExcludeLowercase: true,
        ExcludeUppercase: true,
        ExcludeNumbers: true,
        ExcludePunctuation: true,
      }),
    ).toThrow('exclude every character');
  });
});

describe('secrets manager: RotateSecret', () => {
  it('fails when no rotation is configured (InvalidRequestException)', async () => {
    await createSecret();

    await expect(sm.send(new RotateSecretCommand({ SecretId: name }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
    await expect(sm.send(new DescribeSecretCommand({ SecretId: name }))).resolves.toMatchObject({
      RotationEnabled: false,
    });
  });

  it('runs the registered rotator: the new value becomes AWSCURRENT, the old one AWSPREVIOUS', async () => {
    await sm.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: '{"password":"old"}',
        ClientRequestToken: TOKEN_1,
      }),
    );
    const rotator = jest.fn(async (value: string) => value.replace('old', 'new'));
    store.setRotator(name, rotator);
    const before = Date.now();

    const out = await sm.send(
      new RotateSecretCommand({ SecretId: name, RotateImmediately: true, ClientRequestToken: TOKEN_2 }),
    );

    expect(out.VersionId).toBe(TOKEN_2);
    expect(rotator).toHaveBeenCalledWith('{"password":"old"}', expect.objectContaining({ name }));
    await expect(sm.send(new GetSecretValueCommand({ SecretId: name }))).resolves.toMatchObject({
      SecretString: '{"password":"new"}',
    });
    const described = await sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.VersionIdsToStages).toEqual({ [TOKEN_1]: ['AWSPREVIOUS'], [TOKEN_2]: ['AWSCURRENT'] });
    expect(described.RotationEnabled).toBe(true);
    expect(described.LastRotatedDate?.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  });

  it('repeats a finished rotation with the same token without rotating again', async () => {
    await createSecret();
    const rotator = jest.fn(async () => 'v2');
    store.setRotator(name, rotator);
    await sm.send(new RotateSecretCommand({ SecretId: name, ClientRequestToken: TOKEN_2 }));

    const again = await sm.send(new RotateSecretCommand({ SecretId: name, ClientRequestToken: TOKEN_2 }));

    expect(again.VersionId).toBe(TOKEN_2);
    expect(rotator).toHaveBeenCalledTimes(1);
  });

  it('rotates with the store rotator once RotateSecret configured rotation', async () => {
    const rotate = jest.fn(async () => 'rotated');
    const own = new SecretStore({ rotate });
    own.createSecret({ Name: 'app/configured', SecretString: 'v1' });

    await own.rotateSecret({
      SecretId: 'app/configured',
      RotationLambdaARN: 'arn:aws:lambda:eu-west-1:000000000000:function:rotate',
      RotationRules: { AutomaticallyAfterDays: 7 },
    });

    expect(own.getSecretValue({ SecretId: 'app/configured' }).SecretString).toBe('rotated');
    expect(own.describeSecret('app/configured')).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: 'arn:aws:lambda:eu-west-1:000000000000:function:rotate',
      RotationRules: { AutomaticallyAfterDays: 7 },
    });
  });

  it('only configures rotation when RotateImmediately is false', async () => {
    const rotate = jest.fn(async () => 'rotated');
    const own = new SecretStore({ rotate });
    own.createSecret({ Name: 'app/later', SecretString: 'v1' });

    const out = await own.rotateSecret({
      SecretId: 'app/later',
      RotationRules: { AutomaticallyAfterDays: 30 },
      RotateImmediately: false,
    });

    expect(out.VersionId).toBeUndefined();
    expect(rotate).not.toHaveBeenCalled();
    expect(own.describeSecret('app/later')).toMatchObject({ RotationEnabled: true });
  });

  it('rejects a rotation while another version is AWSPENDING', async () => {
    await createSecret();
    store.setRotator(name, async () => 'v3');
    await sm.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: 'v2',
        ClientRequestToken: TOKEN_1,
        VersionStages: ['AWSPENDING'],
      }),
    );

    await expect(
      sm.send(new RotateSecretCommand({ SecretId: name, ClientRequestToken: TOKEN_2 })),
    ).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: "A previous rotation isn't complete. That rotation will be reattempted.",
    });
  });

  it('fails with the rotator error and leaves the secret unchanged', async () => {
    await createSecret(TOKEN_1);
    store.setRotator(name, async () => {
      throw new Error('database unreachable');
    });

    await expect(
      sm.send(new RotateSecretCommand({ SecretId: name, ClientRequestToken: TOKEN_2 })),
    ).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: expect.stringContaining('database unreachable'),
    });
    await expect(stages(name)).resolves.toEqual({ [TOKEN_1]: ['AWSCURRENT'] });
  });
});

describe('secrets manager: tags, listing and deletion', () => {
  it('tags a secret and lists it by name filter', async () => {
    await sm.send(
      new CreateSecretCommand({ Name: name, SecretString: 'v1', Tags: [{ Key: 'a', Value: '1' }] }),
    );

    await sm.send(
      new TagResourceCommand({
        SecretId: name,
        Tags: [
          { Key: 'b', Value: '2' },
          { Key: 'a', Value: '3' },
        ],
      }),
    );
    const listed = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [name] }] }));

    expect(listed.SecretList).toHaveLength(1);
    expect(listed.SecretList?.[0]).toMatchObject({
      Name: name,
      Tags: [
        { Key: 'a', Value: '3' },
        { Key: 'b', Value: '2' },
      ],
    });
    expect(Object.values(listed.SecretList?.[0]?.SecretVersionsToStages ?? {})).toEqual([['AWSCURRENT']]);
  });

  it('schedules a deletion (DeletedDate set, reads refused) and forces one', async () => {
    await createSecret();

    const scheduled = await sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));

    expect(scheduled.DeletionDate?.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    await expect(sm.send(new DescribeSecretCommand({ SecretId: name }))).resolves.toHaveProperty(
      'DeletedDate',
    );
    await expect(sm.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
    await sm.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    await expect(sm.send(new DescribeSecretCommand({ SecretId: name }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('rejects ForceDeleteWithoutRecovery with RecoveryWindowInDays', async () => {
    await createSecret();

    await expect(
      sm.send(
        new DeleteSecretCommand({
          SecretId: name,
          RecoveryWindowInDays: 7,
          ForceDeleteWithoutRecovery: true,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});

describe('SecretStore', () => {
  let stateDir: string;

  beforeEach(() => {
    stateDir = temporaryDirectory('secrets-');
  });

  afterEach(() => {
    removeDirectory(stateDir);
  });

  it('persists secrets in the state directory', () => {
    const first = new SecretStore({ stateDir });
    const arn = first.createSecret({ Name: 'kept', SecretString: 's3cr3t' }).ARN;

    const second = new SecretStore({ stateDir });

    expect(second.getSecretValue({ SecretId: arn })).toMatchObject({ Name: 'kept', SecretString: 's3cr3t' });
    expect(JSON.parse(readFileSync(path.join(stateDir, 'secrets.json'), 'utf8')).secrets).toHaveLength(1);
  });

  it('creates RDS-managed secrets under reserved names', () => {
    const own = new SecretStore({ scope: { region: 'eu-central-1', account: '123456789012' } });

    const arn = own.createManagedSecret('rds', 'rds!db-1234', '{"username":"admin","password":"p"}');

    expect(arn).toMatch(/^arn:aws:secretsmanager:eu-central-1:123456789012:secret:rds!db-1234-/);
    expect(own.describeSecret(arn)).toMatchObject({ OwningService: 'rds', Name: 'rds!db-1234' });
  });

  it('rejects a request body nested 5,000 levels deep as SerializationException naming the limit', async () => {
    const response = await sendSigned(endpoint, 'secretsmanager', {
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.CreateSecret',
      },
      body: `{"Name":"deep","Tags":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    });

    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toEqual({
      __type: 'SerializationException',
      message:
        'The request body nests objects and arrays 5001 levels deep, deeper than the limit of 100: flatten it to at most 100 levels',
    });
  });
});
