import { GetObjectCommand, type GetObjectCommandOutput, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  decodeJob,
  encodeJob,
  main,
  RUNNER_ERROR_PREFIX,
  type RunnerDependencies,
  type RunnerJob,
  runJob,
} from '../../lambdas/scripts/ec2-runner';
import { DbRefreshError, ScriptError } from '../../lambdas/shared/errors';
import type { ConnectionSettings, SqlConnection } from '../../lambdas/shared/sql/connect';
import { RDS_TLS } from '../../lambdas/shared/sql/database-tls';
import type { SqlDialect } from '../../lambdas/shared/sql/split-statements';
import { statementByStatement } from '../fixtures/sql-connection';

const smMock = mockClient(SecretsManagerClient);
const s3Mock = mockClient(S3Client);

const PASSWORD = 'Zq8#kT2!vLm9pR4$wXy7nB3%cD6&fG1a';
const SECRET = '/development/app1/app1-dev';
const HOST = 'app1-dev-new-ab12cd34.c9akciq32.eu-west-1.rds.amazonaws.com';
const VERIFY = "SELECT id FROM users WHERE email NOT LIKE '%@example.com'";

/** A script longer than any Lambda invocation would run in one go: the runner has no time budget. */
const MANY_UPDATES = Array.from({ length: 50 }, (_, index) => `UPDATE users SET n = ${index};`).join('\n');

const SCRIPTS: Record<string, string> = {
  'app1-dev/01-mask.sql': MANY_UPDATES,
  'app1-dev/02-clean.sql': 'DELETE FROM sessions;\nDELETE FROM audit_log;',
  'app1-dev/03-schema.sql': 'ALTER TABLE users DROP COLUMN phone;',
};

function job(overrides: Partial<RunnerJob> = {}): RunnerJob {
  return {
    copy: {
      kind: 'instance',
      id: 'app1-dev-new-ab12cd34',
      host: HOST,
      port: 3306,
      database: 'app1',
      masterUsername: 'admin',
    },
    secret: { id: SECRET, versionId: 'dbrefresh-ab12cd34-admin-password' },
    dialect: 'mysql',
    bucket: 'app1-scripts',
    prefix: 'app1-dev/',
    keys: ['01-mask.sql', '02-clean.sql'],
    verify: [VERIFY],
    ...overrides,
  };
}

/** Sessions the runner opened and what they ran; `failOn` makes a statement fail as the server would. */
class FakeDatabase {
  readonly opened: Array<{ dialect: SqlDialect; settings: ConnectionSettings }> = [];
  readonly executed: string[] = [];
  readonly queried: string[] = [];
  readonly rowsByQuery = new Map<string, number>();
  failOn?: { sql: string; error: Error };
  closed = 0;

  readonly openConnection = async (
    dialect: SqlDialect,
    settings: ConnectionSettings,
  ): Promise<SqlConnection> => {
    this.opened.push({ dialect, settings });
    const execute = async (sql: string) => {
      this.executed.push(sql);
      if (this.failOn?.sql === sql) throw this.failOn.error;
      return { rowCount: 0, rowsAffected: 3 };
    };
    return {
      execute,
      executeBatch: statementByStatement(execute),
      query: async (sql) => {
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
let printed: string[];
let errors: string[];
let clock: number;

function dependencies(): RunnerDependencies & { printError: (line: string) => void } {
  return {
    secrets: new SecretsManagerClient({}),
    s3: new S3Client({}),
    openConnection: database.openConnection,
    tls: RDS_TLS,
    // Every reading of the clock is 250 ms after the one before.
    clock: () => {
      clock += 250;
      return clock;
    },
    print: (line) => printed.push(line),
    printError: (line) => errors.push(line),
  };
}

function body(text: string): GetObjectCommandOutput['Body'] {
  return { transformToString: async () => text } as unknown as GetObjectCommandOutput['Body'];
}

beforeEach(() => {
  smMock.reset();
  s3Mock.reset();
  database = new FakeDatabase();
  printed = [];
  errors = [];
  clock = 0;
  smMock
    .on(GetSecretValueCommand)
    .resolves({ SecretString: JSON.stringify({ username: 'admin', password: PASSWORD }) });
  for (const [key, text] of Object.entries(SCRIPTS)) {
    s3Mock.on(GetObjectCommand, { Bucket: 'app1-scripts', Key: key }).resolves({ Body: body(text) });
  }
});

describe('the runner job', () => {
  it('travels as base64 JSON, one shell word', () => {
    const encoded = encodeJob(job());

    expect(encoded).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(decodeJob(encoded)).toEqual(job());
  });

  it('rejects an argument that is not base64 JSON', () => {
    expect(() => decodeJob('not a job')).toThrow(DbRefreshError);
  });

  it('carries an RDS-managed secret by its label', () => {
    const managed = job({
      secret: {
        id: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-1',
        versionStage: 'AWSCURRENT',
      },
    });

    expect(decodeJob(encodeJob(managed))).toEqual(managed);
  });

  it('rejects a job naming both a version id and a label, or neither', () => {
    const both = { ...job(), secret: { id: SECRET, versionId: 'v1', versionStage: 'AWSCURRENT' } };
    const neither = { ...job(), secret: { id: SECRET } };

    for (const wrong of [both, neither]) {
      const encoded = Buffer.from(JSON.stringify(wrong)).toString('base64');
      expect(() => decodeJob(encoded)).toThrow(/secret/);
    }
  });

  it('rejects JSON that is not a job, naming what is missing', () => {
    const encoded = Buffer.from(JSON.stringify({ bucket: 'b' })).toString('base64');

    expect(() => decodeJob(encoded)).toThrow(/copy: .*keys: /);
  });
});

describe('runJob', () => {
  it('reads the secret the job names and runs every statement of every file, with no time budget', async () => {
    await runJob(job(), dependencies());

    expect(smMock).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: SECRET,
      VersionId: 'dbrefresh-ab12cd34-admin-password',
    });
    expect(database.executed).toHaveLength(52);
    expect(database.executed.at(0)).toBe('UPDATE users SET n = 0');
    expect(database.executed.slice(-2)).toEqual(['DELETE FROM sessions', 'DELETE FROM audit_log']);
    expect(database.opened[0]).toEqual({
      dialect: 'mysql',
      settings: { host: HOST, port: 3306, user: 'admin', password: PASSWORD, database: 'app1' },
    });
    expect(database.closed).toBe(3);
  });

  it('prints one result line per file and runs the verification queries last', async () => {
    const results = await runJob(job(), dependencies());

    expect(printed.map((line) => JSON.parse(line))).toEqual([
      { file: '01-mask.sql', statements: 50, rowsAffected: 150, seconds: 0.25 },
      { file: '02-clean.sql', statements: 2, rowsAffected: 6, seconds: 0.25 },
    ]);
    expect(results).toHaveLength(2);
    expect(database.queried).toEqual([VERIFY]);
    expect(printed.join('\n')).not.toContain(PASSWORD);
  });

  it('runs each file in one transaction with transaction "per-file"', async () => {
    await runJob(job({ keys: ['02-clean.sql'], transaction: 'per-file', verify: [] }), dependencies());

    expect(database.executed).toEqual([
      'START TRANSACTION',
      'DELETE FROM sessions',
      'DELETE FROM audit_log',
      'COMMIT',
    ]);
  });

  it('rejects a "per-file" job whose files cannot run in a transaction, before running anything', async () => {
    const failed = runJob(
      job({ keys: ['02-clean.sql', '03-schema.sql'], transaction: 'per-file' }),
      dependencies(),
    );

    await expect(failed).rejects.toThrow(ScriptError);
    await expect(failed).rejects.toThrow(/cannot run inside a file's transaction/);
    expect(database.executed).toEqual([]);
  });

  it('uses the master user of the copy when the secret names no user', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ password: PASSWORD }) });

    await runJob(job({ copy: { ...job().copy, masterUsername: 'root' } }), dependencies());

    expect(database.opened[0]?.settings.user).toBe('root');
  });

  it('connects to the postgres database of a PostgreSQL copy that names none', async () => {
    await runJob(job({ dialect: 'postgres', copy: { ...job().copy, database: undefined } }), dependencies());

    expect(database.opened[0]).toMatchObject({ dialect: 'postgres', settings: { database: 'postgres' } });
  });

  it('fails when a verification query returns rows', async () => {
    database.rowsByQuery.set(VERIFY, 4);

    await expect(runJob(job(), dependencies())).rejects.toThrow(
      new ScriptError(`Verification query 1 returned 4 row(s): ${VERIFY}`),
    );
  });

  it('fails naming the S3 object when a script does not exist, before running any', async () => {
    s3Mock
      .on(GetObjectCommand, { Key: 'app1-dev/02-clean.sql' })
      .rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));

    await expect(runJob(job(), dependencies())).rejects.toThrow(
      /s3:\/\/app1-scripts\/app1-dev\/02-clean\.sql does not exist/,
    );
    expect(database.executed).toEqual([]);
  });

  it('fails clearly when the instance role may not read the secret', async () => {
    smMock
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));

    await expect(runJob(job(), dependencies())).rejects.toThrow(
      /may not read secret \/development\/app1\/app1-dev/,
    );
  });

  it('fails without the secret text when the secret holds no password field', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: PASSWORD });

    const failed = runJob(job(), dependencies());

    await expect(failed).rejects.toThrow(/is not JSON with a string "password" field/);
    await expect(failed).rejects.not.toThrow(PASSWORD);
  });
});

describe('main', () => {
  it('exits 0 after running the job it is given', async () => {
    const code = await main([encodeJob(job())], dependencies());

    expect(code).toBe(0);
    expect(printed).toHaveLength(2);
    expect(errors).toEqual([]);
  });

  it("exits 1 with one error line, the server's quoted values redacted, when a statement fails", async () => {
    database.failOn = {
      sql: 'DELETE FROM sessions',
      error: Object.assign(new Error("Cannot delete: row 'jane@example.com' is referenced"), {
        code: 'ER_ROW_IS_REFERENCED',
      }),
    };

    const code = await main([encodeJob(job())], dependencies());

    expect(code).toBe(1);
    expect(errors).toEqual([
      `${RUNNER_ERROR_PREFIX}ScriptError: 02-clean.sql: statement 1 (line 1) failed: ER_ROW_IS_REFERENCED Cannot delete: row '…' is referenced`,
    ]);
    expect(printed.map((line) => JSON.parse(line).file)).toEqual(['01-mask.sql']);
  });

  it('exits 1 with the error of anything else, redacted too', async () => {
    smMock.on(GetSecretValueCommand).rejects(new Error("Unexpected reply for 'xyz'\nsecond line"));

    const code = await main([encodeJob(job())], dependencies());

    expect(code).toBe(1);
    expect(errors).toEqual([`${RUNNER_ERROR_PREFIX}Error: Unexpected reply for '…' | second line`]);
  });

  it('exits 1 when not given exactly one argument', async () => {
    const code = await main([], dependencies());

    expect(code).toBe(1);
    expect(errors).toEqual([
      `${RUNNER_ERROR_PREFIX}DbRefreshError: The runner takes one argument, the base64 JSON job the scripts step writes; it got 0`,
    ]);
  });
});
