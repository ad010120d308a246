import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DbRefreshError } from '../../../../lambdas/shared/errors';
import {
  copyConnectionSettings,
  copyLoginSecret,
  type DatabaseEndpoint,
  readLogin,
} from '../../../../lambdas/shared/sql/database-login';
import { rdsPlan } from '../../../fixtures/plans';

const smMock = mockClient(SecretsManagerClient);
const secrets = new SecretsManagerClient({});

const SECRET = '/development/app1/app1-dev';
const RUN_VERSION = 'dbrefresh-ab12cd34-admin-password';
const PASSWORD = 'Zq8#kT2!vLm9pR4$wXy7nB3%cD6&fG1a';
const MANAGED_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-1';

const COPY: DatabaseEndpoint = {
  kind: 'instance',
  id: 'app1-dev-new-ab12cd34',
  host: 'app1-dev-new-ab12cd34.c9akciq32.eu-west-1.rds.amazonaws.com',
  port: 3306,
  database: 'app1',
  masterUsername: 'admin',
};

function notFound(): ResourceNotFoundException {
  return new ResourceNotFoundException({ message: "can't find the secret value", $metadata: {} });
}

/**
 * The secret as the first refresh of a target leaves it: the run created it, so its only version, the run's,
 * is AWSCURRENT (CreateSecret's initial version); no version carries AWSPENDING.
 */
function secretCreatedByTheRun(): void {
  smMock.on(GetSecretValueCommand).rejects(notFound());
  smMock
    .on(GetSecretValueCommand, { SecretId: SECRET, VersionId: RUN_VERSION })
    .resolves({ SecretString: JSON.stringify({ username: 'admin', password: PASSWORD }) });
  smMock
    .on(GetSecretValueCommand, { SecretId: SECRET, VersionStage: 'AWSCURRENT' })
    .resolves({ SecretString: JSON.stringify({ username: 'admin', password: PASSWORD }) });
}

beforeEach(() => {
  smMock.reset();
});

describe('copyLoginSecret', () => {
  it("names the run's version of the target's secret by its id for a generated password", () => {
    expect(copyLoginSecret(rdsPlan(), COPY)).toEqual({ secretId: SECRET, versionId: RUN_VERSION });
  });

  it("names the copy's RDS-managed secret at AWSCURRENT when RDS manages the password", () => {
    const plan = rdsPlan({ adminPassword: { ...rdsPlan().adminPassword, managed: true } });

    expect(copyLoginSecret(plan, { ...COPY, managedSecretArn: MANAGED_ARN })).toEqual({
      secretId: MANAGED_ARN,
      stage: 'AWSCURRENT',
    });
  });

  it('fails when the plan expects an RDS-managed secret and the copy has none', () => {
    const plan = rdsPlan({ adminPassword: { ...rdsPlan().adminPassword, managed: true } });

    expect(() => copyLoginSecret(plan, COPY)).toThrow('has no RDS-managed master user secret');
  });
});

describe('copyConnectionSettings', () => {
  it('logs in to the copy on the first refresh of a target, whose secret the run created (no AWSPENDING)', async () => {
    secretCreatedByTheRun();
    const firstRefresh = rdsPlan({
      target: { ...rdsPlan().target, exists: false },
      adminPassword: { ...rdsPlan().adminPassword, versionAtStart: null },
    });

    const settings = await copyConnectionSettings(secrets, firstRefresh, COPY, 'mysql');

    expect(settings).toEqual({
      host: COPY.host,
      port: 3306,
      user: 'admin',
      password: PASSWORD,
      database: 'app1',
    });
    expect(smMock).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: SECRET,
      VersionId: RUN_VERSION,
    });
    expect(smMock).not.toHaveReceivedCommandWith(GetSecretValueCommand, { VersionStage: 'AWSPENDING' });
  });
});

describe('readLogin', () => {
  it('fails naming the secret and the missing version, never its text', async () => {
    smMock.on(GetSecretValueCommand).rejects(notFound());

    const read = readLogin(secrets, { secretId: SECRET, versionId: RUN_VERSION });

    await expect(read).rejects.toThrow(DbRefreshError);
    await expect(read).rejects.toThrow(`Secret ${SECRET} has no version ${RUN_VERSION}`);
  });

  it('fails naming the label when a labelled version is missing', async () => {
    smMock.on(GetSecretValueCommand).rejects(notFound());

    await expect(readLogin(secrets, { secretId: MANAGED_ARN, stage: 'AWSCURRENT' })).rejects.toThrow(
      `Secret ${MANAGED_ARN} has no AWSCURRENT version`,
    );
  });

  it('fails without quoting a version that is not JSON with a password', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: PASSWORD });

    const read = readLogin(secrets, { secretId: SECRET, versionId: RUN_VERSION });

    await expect(read).rejects.toThrow(
      `Secret ${SECRET} (version ${RUN_VERSION}) is not JSON with a string "password" field`,
    );
    await expect(read).rejects.not.toThrow(PASSWORD);
  });
});
