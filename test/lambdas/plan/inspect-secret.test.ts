import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { inspectSecret, MANAGED_SECRET_NOTE } from '../../../lambdas/plan/inspect-secret';
import { GuardError } from '../../../lambdas/shared/errors';
import type { RefreshFile } from '../../../lambdas/shared/refresh-model';
import { awsError } from '../../fixtures/aws-errors';
import { rdsPlan } from '../../fixtures/plans';

const sm = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'eu-west-1' });

const SECRET = '/development/app1/app1-dev';
const ROTATION_FUNCTION = 'arn:aws:lambda:eu-west-1:111122223333:function:app1-dev-rotation';

/** The sample plan's refresh file (target app1-dev) with this adminPassword section. */
function file(adminPassword: RefreshFile['adminPassword']): RefreshFile {
  return { ...rdsPlan().file, adminPassword };
}

function givenSecret(description: Partial<DescribeSecretCommandOutput>): void {
  sm.on(DescribeSecretCommand).resolves({
    Name: SECRET,
    VersionIdsToStages: { 'v-current': ['AWSCURRENT'], 'v-old': ['AWSPREVIOUS'] },
    ...description,
  });
}

beforeEach(() => {
  sm.reset();
});

describe('inspectSecret', () => {
  it("plans the secret's current version for the rollback, with no rotation", async () => {
    givenSecret({});

    const plan = await inspectSecret(client, file({ secretName: SECRET }), 'app1-dev');

    expect(plan).toEqual({ managed: false, secretName: SECRET, versionAtStart: 'v-current', rotate: false });
  });

  it('plans a secret the run creates under dbrefresh/<target> when the file names none', async () => {
    sm.on(DescribeSecretCommand).rejects(awsError('ResourceNotFoundException'));

    const plan = await inspectSecret(client, file(undefined), 'app1-dev');

    expect(plan).toMatchObject({ secretName: 'dbrefresh/app1-dev', versionAtStart: null });
  });

  it('reads the rotation function RotateSecret will invoke into the plan', async () => {
    givenSecret({ RotationEnabled: true, RotationLambdaARN: ROTATION_FUNCTION });

    const plan = await inspectSecret(client, file({ secretName: SECRET, rotate: true }), 'app1-dev');

    expect(plan).toEqual({
      managed: false,
      secretName: SECRET,
      versionAtStart: 'v-current',
      rotate: true,
      rotationFunctionArn: ROTATION_FUNCTION,
    });
  });

  it('says why the secret ARN changes when RDS manages the password, and reads no secret', async () => {
    const plan = await inspectSecret(client, file({ managed: true, rotate: true }), 'app1-dev');

    expect(plan).toEqual({
      managed: true,
      secretName: 'dbrefresh/app1-dev',
      versionAtStart: null,
      rotate: true,
      note: MANAGED_SECRET_NOTE,
    });
    expect(MANAGED_SECRET_NOTE).toContain('DescribeDBInstances');
    expect(MANAGED_SECRET_NOTE).toContain('adminPassword.managed to false');
    expect(sm).not.toHaveReceivedAnyCommand();
  });

  it.each([
    ['has rotation turned off', { RotationEnabled: false, RotationLambdaARN: ROTATION_FUNCTION }],
    ['has no rotation function', { RotationEnabled: true }],
    ['has no rotation at all', {}],
  ])('rejects a rotation of a secret that %s, naming the fix', async (_, rotation) => {
    givenSecret(rotation);

    const inspected = inspectSecret(client, file({ secretName: SECRET, rotate: true }), 'app1-dev');

    await expect(inspected).rejects.toThrow(GuardError);
    await expect(inspected).rejects.toThrow(
      `adminPassword.rotate is true but secret ${SECRET} has no rotation configured; configure its rotation with a rotation function tagged dbrefresh:rotation=true`,
    );
  });

  it('rejects a rotation of a secret that does not exist yet', async () => {
    sm.on(DescribeSecretCommand).rejects(awsError('ResourceNotFoundException'));

    await expect(inspectSecret(client, file({ rotate: true }), 'app1-dev')).rejects.toThrow(
      'secret dbrefresh/app1-dev does not exist yet, so it has no rotation configured',
    );
  });

  it('rejects a secret scheduled for deletion, naming the fix', async () => {
    givenSecret({ DeletedDate: new Date('2026-11-20T00:00:00.000Z') });

    await expect(inspectSecret(client, file({ secretName: SECRET }), 'app1-dev')).rejects.toThrow(
      `Secret ${SECRET} is scheduled for deletion (since 2026-11-20T00:00:00.000Z); restore it`,
    );
  });

  it('rejects other errors unchanged instead of taking them for a missing secret', async () => {
    sm.on(DescribeSecretCommand).rejects(awsError('AccessDeniedException', 'denied'));

    await expect(inspectSecret(client, file({ secretName: SECRET }), 'app1-dev')).rejects.toThrow('denied');
  });
});
