import {
  type DBCluster,
  type DBInstance,
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { check, start } from '../../lambdas/admin-password/handler';
import {
  checkAdminPassword,
  endpointAfterSwap,
  startAdminPassword,
} from '../../lambdas/admin-password/set-admin-password';
import { GuardError, PollTimeoutError, TerminalStateError } from '../../lambdas/shared/errors';
import { logger } from '../../lambdas/shared/handler';
import { type PollState, startPoll } from '../../lambdas/shared/poll';
import { auroraPlan, rdsPlan, runState } from '../fixtures/plans';

const rdsMock = mockClient(RDSClient);
const smMock = mockClient(SecretsManagerClient);
const rds = new RDSClient({});
const sm = new SecretsManagerClient({});

const NOW = new Date('2026-11-21T04:00:00.000Z');
const PASSWORD = 'Zq8#kT2!vLm9pR4$wXy7nB3%cD6&fG1a';
const RUN_VERSION = 'dbrefresh-ab12cd34-admin-password';
/** 30 characters without & or ': what RDS for Oracle takes. */
const ORACLE_PASSWORD = 'Zq8#kT2!vLm9pR4$wXy7nB3%cD6_fG';
const SECRET = '/development/app1/app1-dev';

function copyInstance(overrides: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: 'app1-dev-new-ab12cd34',
    DBInstanceStatus: 'available',
    MasterUsername: 'admin',
    Endpoint: { Address: 'app1-dev-new-ab12cd34.c9akciq32.eu-west-1.rds.amazonaws.com', Port: 3306 },
    PendingModifiedValues: {},
    ...overrides,
  };
}

function copyCluster(overrides: Partial<DBCluster> = {}): DBCluster {
  return {
    DBClusterIdentifier: 'app2-test-new-ab12cd34',
    Status: 'available',
    MasterUsername: 'postgres',
    Endpoint: 'app2-test-new-ab12cd34.cluster-c9akciq32.eu-west-1.rds.amazonaws.com',
    Port: 5432,
    ...overrides,
  };
}

/** An RDS for Oracle plan, with GetRandomPassword answering what Oracle takes. */
function oraclePlan() {
  smMock.on(GetRandomPasswordCommand).resolves({ RandomPassword: ORACLE_PASSWORD });
  return rdsPlan({ engine: 'oracle-ee', engineFamily: 'oracle', engineVersion: '19.0.0.0', dialect: null });
}

function givenInstance(instance: DBInstance): void {
  rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance] });
}

function givenCluster(cluster: DBCluster): void {
  rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster] });
}

function givenNoSecret(): void {
  smMock
    .on(DescribeSecretCommand)
    .rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find it", $metadata: {} }));
}

/** What the target's secret holds before the run: the old target's login, in the RDS format. */
const OLD_LOGIN = {
  engine: 'mysql',
  host: 'app1-dev.c9akciq32.eu-west-1.rds.amazonaws.com',
  port: 3306,
  username: 'admin',
  password: 'old-password',
  dbInstanceIdentifier: 'app1-dev',
};

/** What the run writes for rdsPlan(): the copy's login, under the target's name. */
const NEW_LOGIN = { ...OLD_LOGIN, password: PASSWORD };

function givenSecret(
  versions: Record<string, string[]>,
  extra: { DeletedDate?: Date } = {},
  current: unknown = OLD_LOGIN,
): void {
  smMock.on(DescribeSecretCommand).resolves({ Name: SECRET, VersionIdsToStages: versions, ...extra });
  const currentVersion = Object.keys(versions).find((version) => versions[version]?.includes('AWSCURRENT'));
  smMock
    .on(GetSecretValueCommand, { SecretId: SECRET, VersionId: currentVersion })
    .resolves({ SecretString: typeof current === 'string' ? current : JSON.stringify(current) });
}

/** The SecretString the step wrote, by CreateSecret or PutSecretValue. */
function storedValue(): Record<string, unknown> {
  const input =
    smMock.commandCalls(CreateSecretCommand)[0]?.args[0].input ??
    smMock.commandCalls(PutSecretValueCommand)[0]?.args[0].input;
  return JSON.parse(input?.SecretString ?? '{}');
}

function poll(overrides: Partial<PollState> = {}): PollState {
  return {
    ...startPoll(new Date('2026-11-21T03:59:00.000Z'), { expectedSeconds: 60, timeoutSeconds: 3600 }),
    ...overrides,
  };
}

beforeEach(() => {
  rdsMock.reset();
  smMock.reset();
  smMock.on(GetRandomPasswordCommand).resolves({ RandomPassword: PASSWORD });
  jest.restoreAllMocks();
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    jest.spyOn(logger, level).mockImplementation(() => undefined);
  }
});

describe('startAdminPassword with a generated password', () => {
  it('creates the secret with the run version when it does not exist, then sets the password on the copy', async () => {
    givenInstance(copyInstance());
    givenNoSecret();

    const state = await startAdminPassword(rds, sm, rdsPlan(), NOW);

    expect(smMock).toHaveReceivedCommandWith(GetRandomPasswordCommand, {
      PasswordLength: 32,
      ExcludeCharacters: '/"@ \'\\',
      ExcludePunctuation: false,
      IncludeSpace: false,
      RequireEachIncludedType: true,
    });
    expect(smMock).toHaveReceivedCommandWith(CreateSecretCommand, {
      Name: SECRET,
      ClientRequestToken: RUN_VERSION,
      Tags: [{ Key: 'dbrefresh:run', Value: 'ab12cd34' }],
    });
    expect(smMock).not.toHaveReceivedCommand(PutSecretValueCommand);
    expect(storedValue()).toEqual(NEW_LOGIN);
    expect(rdsMock).toHaveReceivedCommandWith(ModifyDBInstanceCommand, {
      DBInstanceIdentifier: 'app1-dev-new-ab12cd34',
      MasterUserPassword: PASSWORD,
      ApplyImmediately: true,
    });
    expect(state).toMatchObject({ startedAt: NOW.toISOString(), waitSeconds: 60, done: false });
  });

  it("stores the password in a version of an existing secret labelled DBREFRESH_PENDING, leaving AWSPENDING to the secret's rotation", async () => {
    givenInstance(copyInstance());
    givenSecret({ 'v-before': ['AWSCURRENT'] });

    await startAdminPassword(rds, sm, rdsPlan(), NOW);

    expect(smMock).toHaveReceivedCommandWith(PutSecretValueCommand, {
      SecretId: SECRET,
      ClientRequestToken: RUN_VERSION,
      VersionStages: ['DBREFRESH_PENDING'],
    });
    expect(storedValue()).toMatchObject({ password: PASSWORD, username: 'admin' });
    expect(smMock).not.toHaveReceivedCommand(CreateSecretCommand);
    expect(rdsMock).toHaveReceivedCommandWith(ModifyDBInstanceCommand, { MasterUserPassword: PASSWORD });
  });

  it('keeps every key the secret already had and replaces only the login dbrefresh writes', async () => {
    givenInstance(copyInstance());
    givenSecret(
      { 'v-before': ['AWSCURRENT'] },
      {},
      {
        ...OLD_LOGIN,
        dbname: 'app1',
        masterarn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app1-admin-AbCdEf',
        replicaHost: 'app1-dev-ro.c9akciq32.eu-west-1.rds.amazonaws.com',
      },
    );

    await startAdminPassword(rds, sm, rdsPlan(), NOW);

    expect(smMock).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: SECRET,
      VersionId: 'v-before',
    });
    expect(storedValue()).toEqual({
      ...NEW_LOGIN,
      dbname: 'app1',
      masterarn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app1-admin-AbCdEf',
      replicaHost: 'app1-dev-ro.c9akciq32.eu-west-1.rds.amazonaws.com',
    });
  });

  it('rejects a secret whose current version is not a JSON object, without quoting it or storing anything', async () => {
    givenInstance(copyInstance());
    givenSecret({ 'v-before': ['AWSCURRENT'] }, {}, 'plain-text-password');

    const started = startAdminPassword(rds, sm, rdsPlan(), NOW);

    await expect(started).rejects.toThrow(
      `The current version v-before of secret ${SECRET} is not a JSON object`,
    );
    await expect(started).rejects.not.toThrow('plain-text-password');
    expect(smMock).not.toHaveReceivedCommand(PutSecretValueCommand);
    expect(rdsMock).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });

  it('adds the login to a secret that has no current version yet', async () => {
    givenInstance(copyInstance({ DBName: 'app1' }));
    smMock.on(DescribeSecretCommand).resolves({ Name: SECRET, VersionIdsToStages: {} });

    await startAdminPassword(rds, sm, rdsPlan(), NOW);

    expect(smMock).not.toHaveReceivedCommand(GetSecretValueCommand);
    expect(storedValue()).toMatchObject({ engine: 'mysql', dbname: 'app1', password: PASSWORD });
  });

  it('writes an Oracle secret as the Oracle rotation functions expect: engine "oracle", dbname, 30 characters without & or \'', async () => {
    givenInstance(copyInstance({ DBName: 'ORCL', Endpoint: { ...copyInstance().Endpoint, Port: 1521 } }));
    givenNoSecret();
    const oracle = oraclePlan();

    await startAdminPassword(rds, sm, oracle, NOW);

    expect(smMock).toHaveReceivedCommandWith(GetRandomPasswordCommand, {
      PasswordLength: 30,
      ExcludeCharacters: expect.stringContaining('&'),
    });
    expect(smMock.commandCalls(GetRandomPasswordCommand)[0]?.args[0].input.ExcludeCharacters).toContain("'");
    expect(storedValue()).toMatchObject({
      engine: 'oracle',
      dbname: 'ORCL',
      port: 1521,
      password: ORACLE_PASSWORD,
    });
  });

  it('rejects an Oracle copy with no database name, which the Oracle rotation functions require, before storing anything', async () => {
    givenInstance(copyInstance());
    givenNoSecret();
    const oracle = oraclePlan();

    await expect(startAdminPassword(rds, sm, oracle, NOW)).rejects.toThrow(
      'reports no database name (DBName), which the Oracle rotation functions require',
    );
    expect(smMock).not.toHaveReceivedCommand(CreateSecretCommand);
  });

  it('rejects a generated password the engine would refuse, without storing, setting or quoting it', async () => {
    givenInstance(copyInstance());
    givenNoSecret();
    smMock.on(GetRandomPasswordCommand).resolves({ RandomPassword: 'abcDEF123@xyz' });

    const started = startAdminPassword(rds, sm, rdsPlan(), NOW);

    await expect(started).rejects.toThrow(
      'The generated admin password contains "@", which RDS refuses for mysql',
    );
    await expect(started).rejects.not.toThrow('abcDEF123@xyz');
    expect(smMock).not.toHaveReceivedCommand(CreateSecretCommand);
    expect(rdsMock).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });

  it('reuses the password of the run version on a re-run instead of generating another', async () => {
    givenInstance(copyInstance());
    givenSecret({ 'v-before': ['AWSCURRENT'], [RUN_VERSION]: ['DBREFRESH_PENDING'] });
    smMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ password: 'stored-pw' }) });

    await startAdminPassword(rds, sm, rdsPlan(), NOW);

    expect(smMock).not.toHaveReceivedCommand(GetRandomPasswordCommand);
    expect(smMock).not.toHaveReceivedCommand(PutSecretValueCommand);
    expect(smMock).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: SECRET,
      VersionId: RUN_VERSION,
    });
    expect(rdsMock).toHaveReceivedCommandWith(ModifyDBInstanceCommand, { MasterUserPassword: 'stored-pw' });
  });

  it('does not modify the copy again while it applies the run password', async () => {
    givenInstance(copyInstance({ DBInstanceStatus: 'resetting-master-credentials' }));
    givenSecret({ [RUN_VERSION]: ['AWSCURRENT'] });

    await startAdminPassword(rds, sm, rdsPlan(), NOW);

    expect(smMock).not.toHaveReceivedCommand(GetRandomPasswordCommand);
    expect(rdsMock).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });

  it('sets the password on the copy cluster and names the target cluster in the secret', async () => {
    givenCluster(copyCluster());
    givenNoSecret();

    await startAdminPassword(rds, sm, auroraPlan(), NOW);

    expect(storedValue()).toEqual({
      engine: 'aurora-postgresql',
      host: 'app2-test.cluster-c9akciq32.eu-west-1.rds.amazonaws.com',
      port: 5432,
      username: 'postgres',
      password: PASSWORD,
      dbClusterIdentifier: 'app2-test',
    });
    expect(rdsMock).toHaveReceivedCommandWith(ModifyDBClusterCommand, {
      DBClusterIdentifier: 'app2-test-new-ab12cd34',
      MasterUserPassword: PASSWORD,
      ApplyImmediately: true,
    });
    expect(rdsMock).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });

  it('rejects a secret scheduled for deletion', async () => {
    givenInstance(copyInstance());
    givenSecret({ 'v-before': ['AWSCURRENT'] }, { DeletedDate: new Date('2026-11-20T00:00:00.000Z') });

    await expect(startAdminPassword(rds, sm, rdsPlan(), NOW)).rejects.toThrow(GuardError);
    expect(rdsMock).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });

  it('fails when the copy does not exist', async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .rejects(new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} }));

    await expect(startAdminPassword(rds, sm, rdsPlan(), NOW)).rejects.toThrow(
      'The temporary copy app1-dev-new-ab12cd34 (instance) does not exist',
    );
    expect(smMock).not.toHaveReceivedAnyCommand();
  });

  it('fails when the copy reports no endpoint, before anything is stored', async () => {
    givenInstance(copyInstance({ Endpoint: undefined, DBInstanceStatus: 'creating' }));
    givenNoSecret();

    await expect(startAdminPassword(rds, sm, rdsPlan(), NOW)).rejects.toThrow(
      'reports no master user name, endpoint',
    );
    expect(smMock).not.toHaveReceivedCommand(CreateSecretCommand);
  });

  it.each([
    ['a new secret', givenNoSecret],
    ['an existing secret', () => givenSecret({ 'v-before': ['AWSCURRENT'] })],
  ])('never returns or logs the generated password stored in %s', async (_, givenTheSecret) => {
    givenInstance(copyInstance());
    givenTheSecret();
    const spies = (['debug', 'info', 'warn', 'error'] as const).map((level) => jest.spyOn(logger, level));

    const state = await startAdminPassword(rds, sm, rdsPlan(), NOW);

    const logged = JSON.stringify(spies.flatMap((spy) => spy.mock.calls));
    expect(logged).toContain(SECRET);
    expect(logged).not.toContain(PASSWORD);
    expect(JSON.stringify(state)).not.toContain(PASSWORD);
  });
});

describe('startAdminPassword with an RDS-managed password', () => {
  const plan = rdsPlan({
    adminPassword: { managed: true, secretName: SECRET, versionAtStart: null, rotate: false },
  });

  it('asks RDS to manage the copy password and writes no secret itself', async () => {
    givenInstance(copyInstance());

    await startAdminPassword(rds, sm, plan, NOW);

    expect(rdsMock).toHaveReceivedCommandWith(ModifyDBInstanceCommand, {
      DBInstanceIdentifier: 'app1-dev-new-ab12cd34',
      ManageMasterUserPassword: true,
      ApplyImmediately: true,
    });
    expect(smMock).not.toHaveReceivedAnyCommand();
  });

  it('changes nothing when the copy already has its managed secret', async () => {
    givenInstance(copyInstance({ MasterUserSecret: { SecretArn: 'arn:secret', SecretStatus: 'creating' } }));

    await startAdminPassword(rds, sm, plan, NOW);

    expect(rdsMock).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });
});

describe('endpointAfterSwap', () => {
  it('replaces the leading temporary id with the target id', () => {
    expect(endpointAfterSwap('t-new-1.abc.eu-west-1.rds.amazonaws.com', 't-new-1', 't')).toBe(
      't.abc.eu-west-1.rds.amazonaws.com',
    );
  });

  it('keeps an address that does not start with the temporary id', () => {
    expect(endpointAfterSwap('db.internal.example.com', 't-new-1', 't')).toBe('db.internal.example.com');
    expect(endpointAfterSwap('t-new-10.abc.rds.amazonaws.com', 't-new-1', 't')).toBe(
      't-new-10.abc.rds.amazonaws.com',
    );
  });
});

describe('checkAdminPassword', () => {
  it.each([
    ['resetting-master-credentials', {}],
    ['available', { MasterUserPassword: '****' }],
    ['modifying', {}],
  ])('is pending while the copy is %s with pending values %j', async (status, pending) => {
    givenInstance(copyInstance({ DBInstanceStatus: status, PendingModifiedValues: pending }));

    const state = await checkAdminPassword(rds, rdsPlan(), poll(), NOW);

    expect(state).toMatchObject({ done: false, attempt: 1, waitSeconds: 15 });
  });

  it('is done once the copy is available with no pending password', async () => {
    givenInstance(copyInstance());

    const state = await checkAdminPassword(rds, rdsPlan(), poll(), NOW);

    expect(state).toMatchObject({ done: true, finishedAt: NOW.toISOString() });
  });

  it('is pending while the copy cluster still applies the password', async () => {
    givenCluster(copyCluster({ PendingModifiedValues: { MasterUserPassword: '****' } }));

    const state = await checkAdminPassword(rds, auroraPlan(), poll(), NOW);

    expect(state.done).toBe(false);
  });

  it('fails when the copy is stuck in a terminal state', async () => {
    givenInstance(copyInstance({ DBInstanceStatus: 'incompatible-credentials' }));

    await expect(checkAdminPassword(rds, rdsPlan(), poll(), NOW)).rejects.toThrow(TerminalStateError);
  });

  it('fails when the deadline has passed', async () => {
    givenInstance(copyInstance({ DBInstanceStatus: 'resetting-master-credentials' }));

    await expect(
      checkAdminPassword(rds, rdsPlan(), poll({ deadline: '2026-11-21T03:59:30.000Z' }), NOW),
    ).rejects.toThrow(PollTimeoutError);
  });

  describe('with an RDS-managed password', () => {
    const plan = auroraPlan({
      adminPassword: {
        managed: true,
        secretName: 'dbrefresh/app2-test',
        versionAtStart: null,
        rotate: false,
      },
    });

    it('is pending until the managed secret is active', async () => {
      givenCluster(copyCluster({ MasterUserSecret: { SecretArn: 'arn:secret', SecretStatus: 'creating' } }));

      const state = await checkAdminPassword(rds, plan, poll(), NOW);

      expect(state.done).toBe(false);
    });

    it('is done when the cluster is available and its secret active', async () => {
      givenCluster(copyCluster({ MasterUserSecret: { SecretArn: 'arn:secret', SecretStatus: 'active' } }));

      const state = await checkAdminPassword(rds, plan, poll(), NOW);

      expect(state.done).toBe(true);
    });

    it('fails when the managed secret is impaired', async () => {
      givenCluster(copyCluster({ MasterUserSecret: { SecretArn: 'arn:secret', SecretStatus: 'impaired' } }));

      await expect(checkAdminPassword(rds, plan, poll(), NOW)).rejects.toThrow(
        'The RDS-managed secret of app2-test-new-ab12cd34 is in terminal state "impaired"',
      );
    });
  });
});

describe('admin password handler', () => {
  it('starts with the event plan and checks the poll state at polls.adminPassword', async () => {
    givenInstance(copyInstance());
    givenSecret({ [RUN_VERSION]: ['DBREFRESH_PENDING'] });
    smMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ password: 'stored-pw' }) });

    const started = await start(runState(rdsPlan()));
    const checked = await check(runState(rdsPlan(), { polls: { adminPassword: started } }));

    expect(rdsMock).toHaveReceivedCommandWith(ModifyDBInstanceCommand, { MasterUserPassword: 'stored-pw' });
    expect(checked).toMatchObject({ done: true, attempt: 1 });
  });

  it('rejects a check without its poll state', async () => {
    await expect(check(runState(rdsPlan()))).rejects.toThrow('No poll state at $.polls.adminPassword');
  });
});
