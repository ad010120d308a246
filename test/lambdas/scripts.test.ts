import {
  type DBCluster,
  type DBInstance,
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { GetObjectCommand, type GetObjectCommandOutput, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { start } from '../../lambdas/scripts/handler';
import {
  checkScripts,
  DEFAULT_RESERVE_MILLISECONDS,
  reserveMillisecondsFrom,
  SCRIPTS_TIMING,
  type ScriptsDependencies,
  startScripts,
} from '../../lambdas/scripts/run-scripts';
import { DbRefreshError, GuardError, PollTimeoutError, ScriptError } from '../../lambdas/shared/errors';
import { logger } from '../../lambdas/shared/handler';
import { type PollState, startPoll } from '../../lambdas/shared/poll';
import type { Plan } from '../../lambdas/shared/run/plan';
import type {
  ConnectionSettings,
  SqlConnection,
  StatementResult,
  TlsMode,
} from '../../lambdas/shared/sql/connect';
import { RDS_TLS } from '../../lambdas/shared/sql/database-tls';
import type { SqlDialect } from '../../lambdas/shared/sql/split-statements';
import { auroraPlan, rdsPlanWithScripts, runState } from '../fixtures/plans';
import { statementByStatement } from '../fixtures/sql-connection';

const rdsMock = mockClient(RDSClient);
const smMock = mockClient(SecretsManagerClient);
const s3Mock = mockClient(S3Client);

const NOW = new Date('2026-11-21T04:00:00.000Z');
const PASSWORD = 'Zq8#kT2!vLm9pR4$wXy7nB3%cD6&fG1a';
const SECRET = '/development/app1/app1-dev';
const COPY = 'app1-dev-new-ab12cd34';
const HOST = 'app1-dev-new-ab12cd34.c9akciq32.eu-west-1.rds.amazonaws.com';
const STATEMENT_MILLISECONDS = 10_000;

const SCRIPTS = {
  'app1-dev/01-mask.sql':
    "UPDATE users SET email = CONCAT('u', id, '@example.com');\nUPDATE users SET phone = NULL;\nUPDATE users SET name = 'x';",
  'app1-dev/02-clean.sql': 'DELETE FROM sessions;\nTRUNCATE audit_log;',
};

/** The statements of SCRIPTS, in the order they run. */
const ALL_STATEMENTS = [
  "UPDATE users SET email = CONCAT('u', id, '@example.com')",
  'UPDATE users SET phone = NULL',
  "UPDATE users SET name = 'x'",
  'DELETE FROM sessions',
  'TRUNCATE audit_log',
];

const VERIFY = "SELECT id FROM users WHERE email NOT LIKE '%@example.com'";

/** Connections opened by the step; each statement takes STATEMENT_MILLISECONDS of the invocation. */
class FakeDatabase {
  readonly opened: Array<{ dialect: SqlDialect; settings: ConnectionSettings; tls: TlsMode }> = [];
  readonly executed: string[] = [];
  readonly queried: string[] = [];
  readonly rowsByQuery = new Map<string, number>();
  closed = 0;
  remainingMilliseconds = Number.POSITIVE_INFINITY;
  /** Time the statements took, for a clock that moves with them. */
  elapsedMilliseconds = 0;

  readonly openConnection = async (
    dialect: SqlDialect,
    settings: ConnectionSettings,
    tls: TlsMode,
  ): Promise<SqlConnection> => {
    this.opened.push({ dialect, settings, tls });
    const execute = async (sql: string): Promise<StatementResult> => {
      this.executed.push(sql);
      this.remainingMilliseconds -= STATEMENT_MILLISECONDS;
      this.elapsedMilliseconds += STATEMENT_MILLISECONDS;
      return { rowCount: 0, rowsAffected: 2 };
    };
    return {
      execute,
      executeBatch: statementByStatement(execute),
      query: async (sql: string): Promise<number> => {
        this.queried.push(sql);
        return this.rowsByQuery.get(sql) ?? 0;
      },
      close: async () => {
        this.closed++;
      },
    };
  };
}

let database: FakeDatabase;

function dependencies(overrides: Partial<ScriptsDependencies> = {}): ScriptsDependencies {
  return {
    rds: new RDSClient({}),
    secrets: new SecretsManagerClient({}),
    s3: new S3Client({}),
    openConnection: database.openConnection,
    tls: RDS_TLS,
    context: { remainingMilliseconds: () => database.remainingMilliseconds },
    now: () => NOW,
    reserveMilliseconds: 60_000,
    ...overrides,
  };
}

/** The RDS plan with two scripts and one verification query. */
function plan(overrides: Partial<Plan> = {}): Plan {
  return rdsPlanWithScripts({ keys: ['01-mask.sql', '02-clean.sql'], verify: [VERIFY] }, overrides);
}

/** The same plan with `scripts.transaction` "per-file". */
function perFilePlan(): Plan {
  const base = plan();
  const scripts = base.file.scripts && { ...base.file.scripts, transaction: 'per-file' as const };
  return { ...base, file: { ...base.file, scripts } };
}

/** A clock that moves on by the time the statements took. */
function statementClock(): () => Date {
  return () => new Date(NOW.getTime() + database.elapsedMilliseconds);
}

/** What each file of SCRIPTS does when it runs whole: 10 s and 2 rows per statement. */
const RESULTS = [
  { file: '01-mask.sql', statements: 3, rowsAffected: 6, seconds: 30 },
  { file: '02-clean.sql', statements: 2, rowsAffected: 4, seconds: 20 },
];

function copyInstance(overrides: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: COPY,
    DBInstanceStatus: 'available',
    MasterUsername: 'admin',
    DBName: 'app1',
    Endpoint: { Address: HOST, Port: 3306 },
    ...overrides,
  };
}

function body(text: string): GetObjectCommandOutput['Body'] {
  return { transformToString: async () => text } as unknown as GetObjectCommandOutput['Body'];
}

function pollAt(position: number, started: Date = NOW): PollState {
  return { ...startPoll(started, SCRIPTS_TIMING), attempt: 1, position };
}

beforeEach(() => {
  rdsMock.reset();
  smMock.reset();
  s3Mock.reset();
  database = new FakeDatabase();
  rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: COPY }).resolves({
    DBInstances: [copyInstance()],
  });
  smMock
    .on(GetSecretValueCommand)
    .resolves({ SecretString: JSON.stringify({ username: 'admin', password: PASSWORD, engine: 'mysql' }) });
  for (const [key, text] of Object.entries(SCRIPTS)) {
    s3Mock.on(GetObjectCommand, { Bucket: 'app1-scripts', Key: key }).resolves({ Body: body(text) });
  }
});

describe('startScripts', () => {
  it('runs every script on the copy with the password of the run version, verifies, and is done', async () => {
    const state = runState(plan());

    const poll = await startScripts(state, dependencies());

    expect(database.executed).toEqual(ALL_STATEMENTS);
    expect(database.queried).toEqual([VERIFY]);
    expect(database.opened[0]).toEqual({
      dialect: 'mysql',
      settings: { host: HOST, port: 3306, user: 'admin', password: PASSWORD, database: 'app1' },
      tls: RDS_TLS,
    });
    expect(database.opened).toHaveLength(3);
    expect(database.closed).toBe(3);
    expect(smMock).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: SECRET,
      VersionId: 'dbrefresh-ab12cd34-admin-password',
    });
    expect(poll).toMatchObject({ done: true, position: 5, finishedAt: NOW.toISOString() });
  });

  it("records each file's statements, rows affected and seconds in the poll state", async () => {
    const poll = await startScripts(runState(plan()), dependencies({ now: statementClock() }));

    expect(poll.results).toEqual(RESULTS);
  });

  it('reads the scripts under a prefix written without its trailing slash, as per-step files write it', async () => {
    const base = plan();
    const scripts = base.file.scripts && { ...base.file.scripts, prefix: 'app1-dev' };
    const state = runState({ ...base, file: { ...base.file, scripts } });

    const poll = await startScripts(state, dependencies());

    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: 'app1-scripts',
      Key: 'app1-dev/01-mask.sql',
    });
    expect(poll).toMatchObject({ done: true });
  });

  it('pauses when less than the reserve remains, returning the position to resume from', async () => {
    database.remainingMilliseconds = 95_000;

    const poll = await startScripts(runState(plan()), dependencies());

    expect(database.executed).toEqual(ALL_STATEMENTS.slice(0, 4));
    expect(database.queried).toEqual([]);
    expect(poll).toMatchObject({ done: false, position: 4, waitSeconds: 1, attempt: 1 });
    expect(database.closed).toBe(database.opened.length);
  });

  it('runs at least one statement per invocation, however little time is left', async () => {
    database.remainingMilliseconds = 1_000;

    const poll = await startScripts(runState(plan()), dependencies());

    expect(database.executed).toEqual(ALL_STATEMENTS.slice(0, 1));
    expect(poll).toMatchObject({ done: false, position: 1 });
  });

  it('reads an RDS-managed password from the copy, falling back to its master user name', async () => {
    const base = plan();
    const state = runState({ ...base, adminPassword: { ...base.adminPassword, managed: true } });
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-1234-AbCdEf';
    rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: COPY }).resolves({
      DBInstances: [copyInstance({ MasterUsername: 'dbadmin', MasterUserSecret: { SecretArn: secretArn } })],
    });
    smMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ password: PASSWORD }) });

    await startScripts(state, dependencies());

    expect(smMock).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: secretArn,
      VersionStage: 'AWSCURRENT',
    });
    expect(database.opened[0]?.settings).toMatchObject({ user: 'dbadmin', password: PASSWORD });
  });

  it('connects to the copy cluster with pg, to database postgres when the cluster names none', async () => {
    const base = auroraPlan();
    const state = runState({
      ...base,
      file: { ...base.file, scripts: { bucket: 'app2-scripts', keys: ['mask.sql'] } },
    });
    const cluster: DBCluster = {
      DBClusterIdentifier: 'app2-test-new-ab12cd34',
      Status: 'available',
      MasterUsername: 'postgres',
      Endpoint: 'app2-test-new-ab12cd34.cluster-c9akciq32.eu-west-1.rds.amazonaws.com',
      Port: 5432,
    };
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster] });
    s3Mock
      .on(GetObjectCommand, { Bucket: 'app2-scripts', Key: 'mask.sql' })
      .resolves({ Body: body('DO $$ BEGIN UPDATE users SET email = NULL; END $$;') });

    const poll = await startScripts(state, dependencies({ tls: 'off' }));

    expect(database.opened).toEqual([
      {
        dialect: 'postgres',
        settings: {
          host: cluster.Endpoint,
          port: 5432,
          user: 'admin',
          password: PASSWORD,
          database: 'postgres',
        },
        tls: 'off',
      },
    ]);
    expect(database.executed).toEqual(['DO $$ BEGIN UPDATE users SET email = NULL; END $$']);
    expect(smMock).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: 'dbrefresh/app2-test',
      VersionId: 'dbrefresh-ab12cd34-admin-password',
    });
    expect(poll).toMatchObject({ done: true, position: 1 });
  });

  it('logs counts per file, never the password or statements', async () => {
    const info = jest.spyOn(logger, 'info');

    await startScripts(runState(plan()), dependencies());

    expect(info).toHaveBeenCalledWith(
      'Ran script',
      expect.objectContaining({ key: '01-mask.sql', statementsExecuted: 3, rowsAffected: 6 }),
    );
    const logged = JSON.stringify(info.mock.calls);
    expect(logged).not.toContain(PASSWORD);
    expect(logged).not.toContain('UPDATE');
    info.mockRestore();
  });

  it('rejects an engine that has no SQL client, before calling AWS', async () => {
    const state = runState(plan({ dialect: null, engine: 'oracle-ee' }));

    await expect(startScripts(state, dependencies())).rejects.toThrow(
      new GuardError('scripts are not supported for engine oracle-ee'),
    );
    expect(rdsMock).not.toHaveReceivedAnyCommand();
  });

  it('rejects such an engine through the Lambda handler too', async () => {
    const state = runState(plan({ dialect: null, engine: 'oracle-se2' }));

    await expect(start(state)).rejects.toThrow(GuardError);
    expect(rdsMock).not.toHaveReceivedAnyCommand();
  });

  it('fails when the copy does not exist', async () => {
    rdsMock
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: COPY })
      .rejects(new DBInstanceNotFoundFault({ message: `DBInstance ${COPY} not found.`, $metadata: {} }));

    const run = startScripts(runState(plan()), dependencies());

    await expect(run).rejects.toThrow(DbRefreshError);
    await expect(run).rejects.toThrow(`The restored copy, DB instance ${COPY}, does not exist`);
    expect(database.opened).toEqual([]);
  });

  it('fails when the copy has no endpoint yet', async () => {
    rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: COPY }).resolves({
      DBInstances: [copyInstance({ Endpoint: undefined, DBInstanceStatus: 'creating' })],
    });

    await expect(startScripts(runState(plan()), dependencies())).rejects.toThrow(
      `DB instance ${COPY} has no endpoint yet`,
    );
  });

  it('fails when the secret has no version of this run', async () => {
    smMock
      .on(GetSecretValueCommand)
      .rejects(new ResourceNotFoundException({ message: "can't find that version", $metadata: {} }));

    await expect(startScripts(runState(plan()), dependencies())).rejects.toThrow(
      `Secret ${SECRET} has no version dbrefresh-ab12cd34-admin-password`,
    );
  });

  it('fails without quoting the secret when it holds no password', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: PASSWORD });

    const run = startScripts(runState(plan()), dependencies());

    await expect(run).rejects.toThrow(
      `Secret ${SECRET} (version dbrefresh-ab12cd34-admin-password) is not JSON with a string "password" field`,
    );
    await expect(run).rejects.not.toThrow(PASSWORD);
  });

  it('fails naming the S3 object and the fix when a script is missing', async () => {
    s3Mock
      .on(GetObjectCommand, { Bucket: 'app1-scripts', Key: 'app1-dev/02-clean.sql' })
      .rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));

    const run = startScripts(runState(plan()), dependencies());

    await expect(run).rejects.toThrow(ScriptError);
    await expect(run).rejects.toThrow(
      's3://app1-scripts/app1-dev/02-clean.sql does not exist; upload it, or fix scripts.bucket, scripts.prefix or scripts.keys',
    );
    expect(database.executed).toEqual([]);
  });

  it('fails when a verification query returns rows, giving the count but no values', async () => {
    database.rowsByQuery.set(VERIFY, 2);

    await expect(startScripts(runState(plan()), dependencies())).rejects.toThrow(
      new ScriptError(`Verification query 1 returned 2 row(s): ${VERIFY}`),
    );
    expect(database.closed).toBe(database.opened.length);
  });
});

describe('checkScripts', () => {
  it('resumes at the position, skipping the statements of earlier invocations across files', async () => {
    const state = runState(plan(), { polls: { scripts: pollAt(2) } });

    const poll = await checkScripts(state, dependencies());

    expect(database.executed).toEqual(ALL_STATEMENTS.slice(2));
    expect(database.queried).toEqual([VERIFY]);
    expect(poll).toMatchObject({ done: true, position: 5, attempt: 2 });
  });

  it('resumes within the second file after a pause and carries on to the end over several invocations', async () => {
    database.remainingMilliseconds = 65_000;
    let poll = await startScripts(runState(plan()), dependencies());
    const positions = [poll.position];
    while (!poll.done) {
      database.remainingMilliseconds = 65_000;
      poll = await checkScripts(runState(plan(), { polls: { scripts: poll } }), dependencies());
      positions.push(poll.position);
    }

    expect(positions).toEqual([1, 2, 3, 4, 5, 5]);
    expect(database.executed).toEqual(ALL_STATEMENTS);
    expect(database.queried).toEqual([VERIFY]);
  });

  it('sums the results of a file over the invocations it spanned', async () => {
    const deps = () => dependencies({ now: statementClock() });
    database.remainingMilliseconds = 75_000;
    let poll = await startScripts(runState(plan()), deps());
    const positions = [poll.position];
    while (!poll.done) {
      database.remainingMilliseconds = 75_000;
      poll = await checkScripts(runState(plan(), { polls: { scripts: poll } }), deps());
      positions.push(poll.position);
    }

    expect(positions).toEqual([2, 4, 5]);
    expect(poll.results).toEqual(RESULTS);
  });

  it('keeps the results of the files earlier invocations ran', async () => {
    const earlier = [{ file: '01-mask.sql', statements: 3, rowsAffected: 7, seconds: 12.5 }];
    const state = runState(plan(), { polls: { scripts: { ...pollAt(3), results: earlier } } });

    const poll = await checkScripts(state, dependencies({ now: statementClock() }));

    expect(poll.results).toEqual([earlier[0], RESULTS[1]]);
  });

  it('resumes a poll state written without results, counting from there', async () => {
    const poll = await checkScripts(runState(plan(), { polls: { scripts: pollAt(3) } }), dependencies());

    expect(poll.results).toEqual([
      { file: '01-mask.sql', statements: 0, rowsAffected: 0, seconds: 0 },
      { file: '02-clean.sql', statements: 2, rowsAffected: 4, seconds: 0 },
    ]);
  });

  it('leaves the verification to the next invocation when the last statement used up the time', async () => {
    database.remainingMilliseconds = 50_000;

    const poll = await checkScripts(runState(plan(), { polls: { scripts: pollAt(4) } }), dependencies());

    expect(database.executed).toEqual(ALL_STATEMENTS.slice(4));
    expect(database.queried).toEqual([]);
    expect(poll).toMatchObject({ done: false, position: 5 });
  });

  it('only verifies when every statement already ran (a re-run of the last check)', async () => {
    const poll = await checkScripts(runState(plan(), { polls: { scripts: pollAt(5) } }), dependencies());

    expect(database.executed).toEqual([]);
    expect(database.queried).toEqual([VERIFY]);
    expect(poll).toMatchObject({ done: true, position: 5 });
  });

  it('fails past the deadline when statements remain', async () => {
    database.remainingMilliseconds = 0;
    const started = new Date(NOW.getTime() - (SCRIPTS_TIMING.timeoutSeconds + 60) * 1000);
    const state = runState(plan(), { polls: { scripts: pollAt(0, started) } });

    await expect(checkScripts(state, dependencies())).rejects.toThrow(PollTimeoutError);
  });

  it('fails when the state has no scripts poll', async () => {
    await expect(checkScripts(runState(plan()), dependencies())).rejects.toThrow(
      'No poll state at polls.scripts',
    );
  });
});

describe('scripts with transaction "per-file"', () => {
  beforeEach(() => {
    s3Mock
      .on(GetObjectCommand, { Bucket: 'app1-scripts', Key: 'app1-dev/02-clean.sql' })
      .resolves({ Body: body('DELETE FROM sessions;\nDELETE FROM audit_log;') });
  });

  it('runs each file in its own transaction and records what it did', async () => {
    const poll = await startScripts(runState(perFilePlan()), dependencies());

    expect(database.executed).toEqual([
      'START TRANSACTION',
      ...ALL_STATEMENTS.slice(0, 3),
      'COMMIT',
      'START TRANSACTION',
      'DELETE FROM sessions',
      'DELETE FROM audit_log',
      'COMMIT',
    ]);
    expect(poll).toMatchObject({ done: true, position: 5 });
    expect(poll.results?.map((result) => result.statements)).toEqual([3, 2]);
  });

  it('refuses, before anything runs, a file with a statement that commits implicitly', async () => {
    s3Mock
      .on(GetObjectCommand, { Bucket: 'app1-scripts', Key: 'app1-dev/02-clean.sql' })
      .resolves({ Body: body(SCRIPTS['app1-dev/02-clean.sql']) });

    const run = startScripts(runState(perFilePlan()), dependencies());

    await expect(run).rejects.toThrow(ScriptError);
    await expect(run).rejects.toThrow(
      '02-clean.sql statement 2 (line 2): TRUNCATE commits the open transaction implicitly in MySQL and MariaDB',
    );
    expect(database.opened).toEqual([]);
  });

  it('runs a file on past the reserve, and pauses only between files', async () => {
    database.remainingMilliseconds = 65_000;

    const poll = await startScripts(runState(perFilePlan()), dependencies());

    expect(database.executed).toEqual(['START TRANSACTION', ...ALL_STATEMENTS.slice(0, 3), 'COMMIT']);
    expect(poll).toMatchObject({ done: false, position: 3 });
    expect(database.opened).toHaveLength(1);
  });

  it('starts the next file in the next invocation', async () => {
    const state = runState(perFilePlan(), { polls: { scripts: pollAt(3) } });

    const poll = await checkScripts(state, dependencies());

    expect(database.executed).toEqual([
      'START TRANSACTION',
      'DELETE FROM sessions',
      'DELETE FROM audit_log',
      'COMMIT',
    ]);
    expect(poll).toMatchObject({ done: true, position: 5 });
  });

  it('rolls a later file back to run it again, first, in the next invocation when time runs out', async () => {
    s3Mock
      .on(GetObjectCommand, { Bucket: 'app1-scripts', Key: 'app1-dev/02-clean.sql' })
      .resolves({ Body: body('DELETE FROM a;\n'.repeat(6)) });
    database.remainingMilliseconds = 115_000;

    let poll = await startScripts(runState(perFilePlan()), dependencies());

    expect(database.executed.slice(5)).toEqual([
      'START TRANSACTION',
      ...Array(5).fill('DELETE FROM a'),
      'ROLLBACK',
    ]);
    expect(poll).toMatchObject({ done: false, position: 3 });
    database.executed.length = 0;
    database.remainingMilliseconds = Number.POSITIVE_INFINITY;
    poll = await checkScripts(runState(perFilePlan(), { polls: { scripts: poll } }), dependencies());
    expect(database.executed).toEqual(['START TRANSACTION', ...Array(6).fill('DELETE FROM a'), 'COMMIT']);
    expect(poll).toMatchObject({ done: true, position: 9 });
    expect(poll.results?.map((result) => result.statements)).toEqual([3, 6]);
  });

  it('fails, rolled back, when a file cannot finish before the invocation ends', async () => {
    database.remainingMilliseconds = 35_000;

    const run = startScripts(runState(perFilePlan()), dependencies());

    await expect(run).rejects.toThrow(
      '01-mask.sql: did not finish within one invocation of the scripts function (2 of 3 statements ran)',
    );
    expect(database.executed.at(-1)).toBe('ROLLBACK');
    expect(database.closed).toBe(database.opened.length);
  });
});

describe('reserveMillisecondsFrom', () => {
  it('is the default when SCRIPTS_RESERVE_MILLISECONDS is unset or empty', () => {
    expect(reserveMillisecondsFrom(undefined)).toBe(DEFAULT_RESERVE_MILLISECONDS);
    expect(reserveMillisecondsFrom('')).toBe(DEFAULT_RESERVE_MILLISECONDS);
  });

  it('reads a whole number of milliseconds', () => {
    expect(reserveMillisecondsFrom('1500')).toBe(1500);
    expect(reserveMillisecondsFrom('0')).toBe(0);
  });

  it.each(['-1', '1.5', 'soon'])('rejects %s, naming the variable', (value) => {
    expect(() => reserveMillisecondsFrom(value)).toThrow(
      `SCRIPTS_RESERVE_MILLISECONDS is "${value}"; it must be a whole number of milliseconds`,
    );
  });
});
