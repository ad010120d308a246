import {
  DescribeSecretCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  clientRequestToken,
  currentVersionId,
  promotePendingVersion,
  RUN_PENDING_STAGE,
  restoreVersionAtStart,
  runVersionId,
  stagesOf,
  versionWithStage,
} from '../../../../lambdas/shared/aws/secrets';
import { logger } from '../../../../lambdas/shared/handler';
import { FakeSecret } from '../../../fixtures/fake-secret';

const sm = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({});
const SECRET = '/development/app1/app1-dev';
const RUN_ID = 'ab12cd34';
const RUN_VERSION = 'dbrefresh-ab12cd34-admin-password';

function notFound(): ResourceNotFoundException {
  return new ResourceNotFoundException({
    message: "Secrets Manager can't find the specified secret.",
    $metadata: {},
  });
}

function secretWith(versions: Record<string, string[]>): void {
  sm.on(DescribeSecretCommand).resolves({ Name: SECRET, VersionIdsToStages: versions });
}

beforeEach(() => {
  sm.reset();
  jest.restoreAllMocks();
  jest.spyOn(logger, 'info').mockImplementation(() => undefined);
});

describe('RUN_PENDING_STAGE', () => {
  it("is dbrefresh's own label, not the rotation's AWSPENDING, and within the 1 to 256 characters of a label", () => {
    expect(RUN_PENDING_STAGE).toBe('DBREFRESH_PENDING');
    expect(RUN_PENDING_STAGE).not.toMatch(/^AWS/);
    expect(RUN_PENDING_STAGE.length).toBeLessThanOrEqual(256);
  });
});

describe('runVersionId', () => {
  it('is deterministic per run and within the 32 to 64 characters of a ClientRequestToken', () => {
    const versionId = runVersionId(RUN_ID);

    expect(versionId).toBe(RUN_VERSION);
    expect(versionId.length).toBeGreaterThanOrEqual(32);
    expect(versionId.length).toBeLessThanOrEqual(64);
  });
});

describe('clientRequestToken', () => {
  it('rejects a token shorter than 32 characters', () => {
    expect(() => clientRequestToken('ab12', 'x')).toThrow('Secrets Manager requires 32 to 64');
  });

  it('rejects a token longer than 64 characters', () => {
    expect(() => clientRequestToken('a'.repeat(60), 'admin-password')).toThrow(
      'Secrets Manager requires 32 to 64',
    );
  });
});

describe('stagesOf and versionWithStage', () => {
  const secret = { VersionIdsToStages: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'], v0: ['AWSPREVIOUS'] } };

  it('read the labels of a version and the version of a label', () => {
    expect(stagesOf(secret, 'v2')).toEqual(['AWSPENDING']);
    expect(stagesOf(secret, 'v9')).toEqual([]);
    expect(versionWithStage(secret, 'AWSCURRENT')).toBe('v1');
    expect(versionWithStage({}, 'AWSCURRENT')).toBeUndefined();
  });
});

describe('currentVersionId', () => {
  it('is the AWSCURRENT version', async () => {
    secretWith({ 'v-before': ['AWSCURRENT'], older: ['AWSPREVIOUS'] });

    await expect(currentVersionId(client, SECRET)).resolves.toBe('v-before');
  });

  it('is null when the secret does not exist', async () => {
    sm.on(DescribeSecretCommand).rejects(notFound());

    await expect(currentVersionId(client, SECRET)).resolves.toBeNull();
  });

  it('rejects other errors instead of calling them "not found"', async () => {
    sm.on(DescribeSecretCommand).rejects(
      Object.assign(new Error('denied'), { name: 'AccessDeniedException' }),
    );

    await expect(currentVersionId(client, SECRET)).rejects.toThrow('denied');
  });
});

describe('promotePendingVersion', () => {
  it('moves AWSCURRENT to the run version and removes its DBREFRESH_PENDING', async () => {
    secretWith({ 'v-before': ['AWSCURRENT'], [RUN_VERSION]: ['DBREFRESH_PENDING'] });

    await promotePendingVersion(client, SECRET, RUN_ID);

    expect(sm).toHaveReceivedCommandWith(UpdateSecretVersionStageCommand, {
      SecretId: SECRET,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: RUN_VERSION,
      RemoveFromVersionId: 'v-before',
    });
    expect(sm).toHaveReceivedCommandWith(UpdateSecretVersionStageCommand, {
      SecretId: SECRET,
      VersionStage: 'DBREFRESH_PENDING',
      RemoveFromVersionId: RUN_VERSION,
    });
    expect(sm).toHaveReceivedCommandTimes(UpdateSecretVersionStageCommand, 2);
  });

  it('takes AWSCURRENT from whichever version holds it now, leaving a rotation in flight alone', async () => {
    const secret = new FakeSecret(sm, {
      'v-rotated': ['AWSCURRENT'],
      'v-before': ['AWSPREVIOUS'],
      'v-rotating': ['AWSPENDING'],
      [RUN_VERSION]: ['DBREFRESH_PENDING'],
    });

    await promotePendingVersion(client, SECRET, RUN_ID);
    await promotePendingVersion(client, SECRET, RUN_ID);

    expect(secret.versions).toEqual({
      'v-rotated': ['AWSPREVIOUS'],
      'v-before': [],
      'v-rotating': ['AWSPENDING'],
      [RUN_VERSION]: ['AWSCURRENT'],
    });
    expect(sm).toHaveReceivedCommandTimes(UpdateSecretVersionStageCommand, 2);
  });

  it('changes nothing when the run version is already current', async () => {
    secretWith({ [RUN_VERSION]: ['AWSCURRENT'], 'v-before': ['AWSPREVIOUS'] });

    await promotePendingVersion(client, SECRET, RUN_ID);

    expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
  });

  it('only removes DBREFRESH_PENDING when a previous attempt already made the version current', async () => {
    secretWith({ [RUN_VERSION]: ['AWSCURRENT', 'DBREFRESH_PENDING'], 'v-before': ['AWSPREVIOUS'] });

    await promotePendingVersion(client, SECRET, RUN_ID);

    expect(sm).toHaveReceivedCommandTimes(UpdateSecretVersionStageCommand, 1);
    expect(sm).toHaveReceivedCommandWith(UpdateSecretVersionStageCommand, {
      VersionStage: 'DBREFRESH_PENDING',
      RemoveFromVersionId: RUN_VERSION,
    });
  });

  it('fails when the run version does not exist', async () => {
    secretWith({ 'v-before': ['AWSCURRENT'] });

    await expect(promotePendingVersion(client, SECRET, RUN_ID)).rejects.toThrow(
      `Secret ${SECRET} has no version ${RUN_VERSION}`,
    );
    expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
  });

  it('fails when the secret does not exist', async () => {
    sm.on(DescribeSecretCommand).rejects(notFound());

    await expect(promotePendingVersion(client, SECRET, RUN_ID)).rejects.toThrow(
      `has no version ${RUN_VERSION}`,
    );
  });
});

describe('restoreVersionAtStart', () => {
  it('moves AWSCURRENT back to the version current at the start', async () => {
    secretWith({ [RUN_VERSION]: ['AWSCURRENT'], 'v-before': ['AWSPREVIOUS'] });

    await restoreVersionAtStart(client, SECRET, 'v-before', RUN_ID);

    expect(sm).toHaveReceivedCommandTimes(UpdateSecretVersionStageCommand, 1);
    expect(sm).toHaveReceivedCommandWith(UpdateSecretVersionStageCommand, {
      SecretId: SECRET,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: 'v-before',
      RemoveFromVersionId: RUN_VERSION,
    });
  });

  it('moves AWSCURRENT back to the version the swap replaced when a rotation changed the secret during the run', async () => {
    // A rotation between "Set admin password" and the swap gave the old target the password of v-rotated.
    const secret = new FakeSecret(sm, {
      'v-before': [],
      'v-rotated': ['AWSCURRENT'],
      [RUN_VERSION]: ['DBREFRESH_PENDING'],
    });
    await promotePendingVersion(client, SECRET, RUN_ID);

    await restoreVersionAtStart(client, SECRET, 'v-before', RUN_ID);

    expect(secret.versions).toMatchObject({ 'v-rotated': ['AWSCURRENT'], [RUN_VERSION]: ['AWSPREVIOUS'] });
  });

  it('removes DBREFRESH_PENDING from a run version that was never promoted', async () => {
    secretWith({ 'v-before': ['AWSCURRENT'], [RUN_VERSION]: ['DBREFRESH_PENDING'] });

    await restoreVersionAtStart(client, SECRET, 'v-before', RUN_ID);

    expect(sm).toHaveReceivedCommandTimes(UpdateSecretVersionStageCommand, 1);
    expect(sm).toHaveReceivedCommandWith(UpdateSecretVersionStageCommand, {
      VersionStage: 'DBREFRESH_PENDING',
      RemoveFromVersionId: RUN_VERSION,
    });
  });

  it('does both when the promotion stopped halfway', async () => {
    const secret = new FakeSecret(sm, {
      [RUN_VERSION]: ['AWSCURRENT', 'DBREFRESH_PENDING'],
      'v-before': ['AWSPREVIOUS'],
    });

    await restoreVersionAtStart(client, SECRET, 'v-before', RUN_ID);

    expect(sm).toHaveReceivedCommandTimes(UpdateSecretVersionStageCommand, 2);
    expect(secret.versions).toEqual({ [RUN_VERSION]: ['AWSPREVIOUS'], 'v-before': ['AWSCURRENT'] });
  });

  it('changes nothing once undone', async () => {
    secretWith({ 'v-before': ['AWSCURRENT'], [RUN_VERSION]: ['AWSPREVIOUS'] });

    await restoreVersionAtStart(client, SECRET, 'v-before', RUN_ID);

    expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
  });

  it('changes nothing when the secret or the run version is absent', async () => {
    sm.on(DescribeSecretCommand)
      .rejectsOnce(notFound())
      .resolves({ VersionIdsToStages: { v1: ['AWSCURRENT'] } });

    await restoreVersionAtStart(client, SECRET, 'v-before', RUN_ID);
    await restoreVersionAtStart(client, SECRET, 'v-before', RUN_ID);

    expect(sm).toHaveReceivedCommandTimes(DescribeSecretCommand, 2);
    expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
  });

  it('leaves a secret this run created as it is', async () => {
    secretWith({ [RUN_VERSION]: ['AWSCURRENT'] });

    await restoreVersionAtStart(client, SECRET, null, RUN_ID);

    expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
  });

  it('fails when the version current at the start is gone', async () => {
    secretWith({ [RUN_VERSION]: ['AWSCURRENT'] });

    await expect(restoreVersionAtStart(client, SECRET, 'v-before', RUN_ID)).rejects.toThrow(
      `Secret ${SECRET} no longer has version v-before`,
    );
    expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
  });
});
