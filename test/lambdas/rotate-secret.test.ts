import {
  type DBInstance,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  InvalidRequestException,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { check, start, undoCheck, undoStart } from '../../lambdas/rotate-secret/handler';
import {
  checkRotation,
  checkUndoRotation,
  rotationToken,
  secretToRotate,
  startRotation,
  startUndoRotation,
} from '../../lambdas/rotate-secret/rotate-secret';
import { GuardError, PollTimeoutError, TerminalStateError } from '../../lambdas/shared/errors';
import { logger } from '../../lambdas/shared/handler';
import { type PollState, startPoll } from '../../lambdas/shared/poll';
import { awsError } from '../fixtures/aws-errors';
import { FakeSecret } from '../fixtures/fake-secret';
import { auroraPlan, rdsPlan, runState } from '../fixtures/plans';

const rdsMock = mockClient(RDSClient);
const smMock = mockClient(SecretsManagerClient);
const rds = new RDSClient({});
const sm = new SecretsManagerClient({});

const NOW = new Date('2026-11-21T05:00:00.000Z');
const SECRET = '/development/app1/app1-dev';
const TOKEN = 'dbrefresh-ab12cd34-secret-rotation';
const MANAGED_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!cluster-abc-123456';
const ROTATION_FUNCTION = 'arn:aws:lambda:eu-west-1:111122223333:function:app1-dev-rotation';
const RUN_VERSION = 'dbrefresh-ab12cd34-admin-password';
const RUN_PASSWORD = 'Zq8#kT2!vLm9pR4$wXy7nB3%cD6&fG1a';
const managedPlan = auroraPlan({
  adminPassword: { managed: true, secretName: 'dbrefresh/app2-test', versionAtStart: null, rotate: true },
});

function invalidRequest(message: string): InvalidRequestException {
  return new InvalidRequestException({ message, $metadata: {} });
}

function givenSecret(description: Partial<DescribeSecretCommandOutput>): void {
  smMock.on(DescribeSecretCommand).resolves({ Name: SECRET, ...description });
}

function poll(overrides: Partial<PollState> = {}): PollState {
  return {
    ...startPoll(new Date('2026-11-21T04:59:00.500Z'), { expectedSeconds: 30, timeoutSeconds: 1800 }),
    ...overrides,
  };
}

beforeEach(() => {
  rdsMock.reset();
  smMock.reset();
  jest.restoreAllMocks();
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    jest.spyOn(logger, level).mockImplementation(() => undefined);
  }
});

describe('rotationToken', () => {
  it('is deterministic per run and within the 32 to 64 characters of a ClientRequestToken', () => {
    expect(rotationToken('ab12cd34')).toBe(TOKEN);
    expect(TOKEN.length).toBeGreaterThanOrEqual(32);
    expect(TOKEN.length).toBeLessThanOrEqual(64);
  });
});

describe('secretToRotate', () => {
  it('is the secret dbrefresh writes for a generated password', async () => {
    await expect(secretToRotate(rds, rdsPlan())).resolves.toBe(SECRET);
    expect(rdsMock).not.toHaveReceivedAnyCommand();
  });

  it("is the target's RDS-managed secret for a managed password", async () => {
    rdsMock.on(DescribeDBClustersCommand).resolves({
      DBClusters: [{ DBClusterIdentifier: 'app2-test', MasterUserSecret: { SecretArn: MANAGED_ARN } }],
    });

    await expect(secretToRotate(rds, managedPlan)).resolves.toBe(MANAGED_ARN);
    expect(rdsMock).toHaveReceivedCommandWith(DescribeDBClustersCommand, {
      DBClusterIdentifier: 'app2-test',
    });
  });

  it('fails when the target has no RDS-managed secret', async () => {
    const plan = rdsPlan({ adminPassword: { ...rdsPlan().adminPassword, managed: true } });
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'app1-dev' }] });

    await expect(secretToRotate(rds, plan)).rejects.toThrow(
      'The target instance app1-dev has no RDS-managed secret',
    );
  });
});

describe('startRotation', () => {
  it('rotates the secret now with the run token', async () => {
    smMock.on(RotateSecretCommand).resolves({ VersionId: TOKEN });

    const state = await startRotation(rds, sm, rdsPlan(), NOW);

    expect(smMock).toHaveReceivedCommandWith(RotateSecretCommand, {
      SecretId: SECRET,
      RotateImmediately: true,
      ClientRequestToken: TOKEN,
    });
    expect(state).toMatchObject({ startedAt: NOW.toISOString(), waitSeconds: 30, done: false });
    expect(Date.parse(state.deadline) - NOW.getTime()).toBe(1800 * 1000);
  });

  it('rotates the RDS-managed secret of the target', async () => {
    rdsMock.on(DescribeDBClustersCommand).resolves({
      DBClusters: [{ DBClusterIdentifier: 'app2-test', MasterUserSecret: { SecretArn: MANAGED_ARN } }],
    });
    smMock.on(RotateSecretCommand).resolves({});

    await startRotation(rds, sm, managedPlan, NOW);

    expect(smMock).toHaveReceivedCommandWith(RotateSecretCommand, { SecretId: MANAGED_ARN });
  });

  it('rejects a secret without rotation configured, naming the secret and the fix', async () => {
    smMock.on(RotateSecretCommand).rejects(invalidRequest('No Lambda rotation function ARN is associated'));
    givenSecret({ RotationEnabled: false, VersionIdsToStages: { v1: ['AWSCURRENT'] } });

    const started = startRotation(rds, sm, rdsPlan(), NOW);

    await expect(started).rejects.toThrow(GuardError);
    await expect(started).rejects.toThrow(
      `Secret ${SECRET} has no rotation configured, so it cannot be rotated after the refresh; ` +
        'configure rotation on the secret, or set adminPassword.rotate to false',
    );
  });

  it.each([
    ['the run rotation version exists', { [TOKEN]: ['AWSPENDING'], v1: ['AWSCURRENT'] }],
    ['a rotation is pending', { other: ['AWSPENDING'], v1: ['AWSCURRENT'] }],
  ])('accepts a refused re-run when %s', async (_, versions) => {
    smMock.on(RotateSecretCommand).rejects(invalidRequest("A previous rotation isn't complete."));
    givenSecret({ RotationEnabled: true, VersionIdsToStages: versions });

    const state = await startRotation(rds, sm, rdsPlan(), NOW);

    expect(state.done).toBe(false);
  });

  it('rejects another refusal as Secrets Manager gave it', async () => {
    smMock.on(RotateSecretCommand).rejects(invalidRequest('The secret is marked deleted'));
    givenSecret({ RotationEnabled: true, VersionIdsToStages: { v1: ['AWSCURRENT'] } });

    await expect(startRotation(rds, sm, rdsPlan(), NOW)).rejects.toThrow(InvalidRequestException);
  });

  it('rejects a rotation denied for want of lambda:InvokeFunction, naming the function and the tag it needs', async () => {
    smMock
      .on(RotateSecretCommand)
      .rejects(
        awsError(
          'AccessDeniedException',
          'User is not authorized to perform: lambda:InvokeFunction on resource',
        ),
      );
    const plan = rdsPlan({
      adminPassword: { ...rdsPlan().adminPassword, rotationFunctionArn: ROTATION_FUNCTION },
    });

    const started = startRotation(rds, sm, plan, NOW);

    await expect(started).rejects.toThrow(GuardError);
    await expect(started).rejects.toThrow(
      `RotateSecret needs lambda:InvokeFunction on ${ROTATION_FUNCTION}, which dbrefresh may invoke only when it is tagged dbrefresh:rotation=true`,
    );
  });

  it('rejects other errors unchanged', async () => {
    smMock.on(RotateSecretCommand).rejects(awsError('LimitExceededException', 'too many'));

    await expect(startRotation(rds, sm, rdsPlan(), NOW)).rejects.toThrow('too many');
    expect(smMock).not.toHaveReceivedCommand(DescribeSecretCommand);
  });
});

describe('checkRotation', () => {
  it('is pending while a version carries AWSPENDING', async () => {
    givenSecret({
      LastRotatedDate: new Date('2026-11-21T04:59:30.000Z'),
      VersionIdsToStages: { v1: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] },
    });

    const state = await checkRotation(rds, sm, rdsPlan(), poll(), NOW);

    expect(state).toMatchObject({ done: false, attempt: 1 });
  });

  it("does not take dbrefresh's own label for a rotation in flight", async () => {
    givenSecret({
      LastRotatedDate: new Date('2026-11-21T04:59:30.000Z'),
      VersionIdsToStages: {
        [TOKEN]: ['AWSCURRENT'],
        v1: ['AWSPREVIOUS'],
        'dbrefresh-zz99yy88-admin-password': ['DBREFRESH_PENDING'],
      },
    });

    const state = await checkRotation(rds, sm, rdsPlan(), poll(), NOW);

    expect(state.done).toBe(true);
  });

  it('is pending while the last rotation is older than the step', async () => {
    givenSecret({
      LastRotatedDate: new Date('2026-10-01T00:00:00.000Z'),
      VersionIdsToStages: { v1: ['AWSCURRENT'] },
    });

    const state = await checkRotation(rds, sm, rdsPlan(), poll(), NOW);

    expect(state.done).toBe(false);
  });

  it('is done once rotated since the step started, even when the date is truncated to the second', async () => {
    givenSecret({
      LastRotatedDate: new Date('2026-11-21T04:59:00.000Z'),
      VersionIdsToStages: { v2: ['AWSCURRENT'], v1: ['AWSPREVIOUS'] },
    });

    const state = await checkRotation(rds, sm, rdsPlan(), poll(), NOW);

    expect(state).toMatchObject({ done: true, finishedAt: NOW.toISOString() });
  });

  it('is done when the run rotation version is current', async () => {
    givenSecret({ VersionIdsToStages: { [TOKEN]: ['AWSCURRENT'], v1: ['AWSPREVIOUS'] } });

    const state = await checkRotation(rds, sm, rdsPlan(), poll(), NOW);

    expect(state.done).toBe(true);
  });

  it('fails when the secret is scheduled for deletion', async () => {
    givenSecret({ DeletedDate: new Date('2026-11-21T04:59:50.000Z'), VersionIdsToStages: {} });

    await expect(checkRotation(rds, sm, rdsPlan(), poll(), NOW)).rejects.toThrow(TerminalStateError);
  });

  it('fails when the rotation is not done by the deadline', async () => {
    givenSecret({ VersionIdsToStages: { v1: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] } });

    await expect(
      checkRotation(rds, sm, rdsPlan(), poll({ deadline: '2026-11-21T04:59:59.000Z' }), NOW),
    ).rejects.toThrow(PollTimeoutError);
  });
});

describe('rotate secret handler', () => {
  it('starts the rotation and checks the poll state at polls.rotateSecret', async () => {
    smMock.on(RotateSecretCommand).resolves({ VersionId: TOKEN });
    givenSecret({ VersionIdsToStages: { [TOKEN]: ['AWSCURRENT'] } });

    const started = await start(runState(rdsPlan()));
    const checked = await check(runState(rdsPlan(), { polls: { rotateSecret: started } }));

    expect(smMock).toHaveReceivedCommandTimes(RotateSecretCommand, 1);
    expect(checked).toMatchObject({ done: true, attempt: 1 });
  });
});

describe('startUndoRotation', () => {
  /** The secret after a rotation that failed after setting the database's password: its version stays AWSPENDING. */
  function halfRotatedSecret(extra: Record<string, string[]> = {}): FakeSecret {
    smMock
      .on(GetSecretValueCommand, { SecretId: SECRET, VersionId: RUN_VERSION })
      .resolves({ SecretString: JSON.stringify({ username: 'admin', password: RUN_PASSWORD }) });
    return new FakeSecret(smMock, {
      [RUN_VERSION]: ['AWSCURRENT'],
      'v-before': ['AWSPREVIOUS'],
      [TOKEN]: ['AWSPENDING'],
      ...extra,
    });
  }

  /** Records the order of the calls that change something. */
  function changes(): string[] {
    const order: string[] = [];
    rdsMock.on(ModifyDBInstanceCommand).callsFake(async () => {
      order.push('ModifyDBInstance');
      return {};
    });
    smMock.on(UpdateSecretVersionStageCommand).callsFake(async (input) => {
      order.push(`UpdateSecretVersionStage ${input.VersionStage} from ${input.RemoveFromVersionId}`);
      return {};
    });
    return order;
  }

  it("sets the target's password back to the current version, then clears the half-done rotation", async () => {
    // given
    halfRotatedSecret();
    const order = changes();

    // when
    const state = await startUndoRotation(rds, sm, rdsPlan(), NOW);

    // then
    expect(rdsMock).toHaveReceivedCommandWith(ModifyDBInstanceCommand, {
      DBInstanceIdentifier: 'app1-dev',
      MasterUserPassword: RUN_PASSWORD,
      ApplyImmediately: true,
    });
    expect(order).toEqual(['ModifyDBInstance', `UpdateSecretVersionStage AWSPENDING from ${TOKEN}`]);
    expect(state).toMatchObject({ done: false, startedAt: NOW.toISOString() });
  });

  it('leaves no AWSPENDING that would refuse the next rotation, and a re-run changes nothing more', async () => {
    const secret = halfRotatedSecret({ 'v-scheduled': ['AWSPENDING'] });

    await startUndoRotation(rds, sm, rdsPlan(), NOW);
    await startUndoRotation(rds, sm, rdsPlan(), NOW);

    expect(Object.values(secret.versions).flat()).not.toContain('AWSPENDING');
    expect(secret.versions[RUN_VERSION]).toEqual(['AWSCURRENT']);
    expect(rdsMock).toHaveReceivedCommandTimes(ModifyDBInstanceCommand, 1);
  });

  it("sets an Aurora target's password on its cluster", async () => {
    const plan = auroraPlan();
    smMock
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ username: 'postgres', password: RUN_PASSWORD }) });
    new FakeSecret(smMock, { [RUN_VERSION]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });

    await startUndoRotation(rds, sm, plan, NOW);

    expect(rdsMock).toHaveReceivedCommandWith(ModifyDBClusterCommand, {
      DBClusterIdentifier: 'app2-test',
      MasterUserPassword: RUN_PASSWORD,
    });
    expect(rdsMock).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });

  it('changes nothing when no rotation was left half done: the database still has the current password', async () => {
    givenSecret({ VersionIdsToStages: { [RUN_VERSION]: ['AWSCURRENT'], 'v-before': ['AWSPREVIOUS'] } });

    const state = await startUndoRotation(rds, sm, rdsPlan(), NOW);

    expect(rdsMock).not.toHaveReceivedAnyCommand();
    expect(smMock).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
    expect(state.waitSeconds).toBe(1);
  });

  it('changes nothing for an RDS-managed secret, whose rotation RDS repairs', async () => {
    const state = await startUndoRotation(rds, sm, managedPlan, NOW);

    expect(smMock).not.toHaveReceivedAnyCommand();
    expect(rdsMock).not.toHaveReceivedAnyCommand();
    expect(state.done).toBe(false);
  });

  it('fails without quoting the current version when it holds no password, clearing nothing', async () => {
    new FakeSecret(smMock, { [RUN_VERSION]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
    smMock.on(GetSecretValueCommand).resolves({ SecretString: RUN_PASSWORD });

    const undone = startUndoRotation(rds, sm, rdsPlan(), NOW);

    await expect(undone).rejects.toThrow(
      `Version ${RUN_VERSION} of secret ${SECRET} is not JSON with a string "password" field`,
    );
    await expect(undone).rejects.not.toThrow(RUN_PASSWORD);
    expect(smMock).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
  });
});

describe('checkUndoRotation', () => {
  function givenTarget(instance: Partial<DBInstance>): void {
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ DBInstanceIdentifier: 'app1-dev', DBInstanceStatus: 'available', ...instance }],
    });
  }

  it.each([
    ['resetting-master-credentials', {}],
    ['available', { MasterUserPassword: '****' }],
  ])('is pending while the target is %s with pending values %j', async (status, pending) => {
    givenTarget({ DBInstanceStatus: status, PendingModifiedValues: pending });

    const state = await checkUndoRotation(rds, rdsPlan(), poll(), NOW);

    expect(state.done).toBe(false);
  });

  it('is done once the target is available with no password to apply', async () => {
    givenTarget({ PendingModifiedValues: {} });

    const state = await checkUndoRotation(rds, rdsPlan(), poll(), NOW);

    expect(state).toMatchObject({ done: true, finishedAt: NOW.toISOString() });
  });

  it('reads an Aurora target from its cluster', async () => {
    rdsMock.on(DescribeDBClustersCommand).resolves({
      DBClusters: [{ DBClusterIdentifier: 'app2-test', Status: 'available' }],
    });

    const state = await checkUndoRotation(rds, auroraPlan(), poll(), NOW);

    expect(state.done).toBe(true);
  });

  it('fails when the target is stuck in a terminal state', async () => {
    givenTarget({ DBInstanceStatus: 'incompatible-credentials' });

    await expect(checkUndoRotation(rds, rdsPlan(), poll(), NOW)).rejects.toThrow(TerminalStateError);
  });
});

describe('undo rotation handler', () => {
  it('starts the undo and checks the poll state at polls.undoRotation', async () => {
    givenSecret({ VersionIdsToStages: { [RUN_VERSION]: ['AWSCURRENT'] } });
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ DBInstanceIdentifier: 'app1-dev', DBInstanceStatus: 'available' }],
    });

    const started = await undoStart(runState(rdsPlan()));
    const checked = await undoCheck(runState(rdsPlan(), { polls: { undoRotation: started } }));

    expect(checked).toMatchObject({ done: true, attempt: 1 });
  });
});
