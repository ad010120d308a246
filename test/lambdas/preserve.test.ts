import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { type DBInstance, RDSClient } from '@aws-sdk/client-rds';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { planRefresh } from '../../lambdas/plan/plan-refresh';
import { capturePreservedData } from '../../lambdas/preserve/capture';
import type { PreserveDependencies } from '../../lambdas/preserve/dependencies';
import { reapplyPreservedData } from '../../lambdas/preserve/reapply';
import { preservedDataKey, reappliedMarkerKey } from '../../lambdas/preserve/storage';
import { DbRefreshError, GuardError, ScriptError } from '../../lambdas/shared/errors';
import { logger } from '../../lambdas/shared/handler';
import { errorsOf, formatProblem, parseRefreshFile } from '../../lambdas/shared/refresh-model';
import { splitTableName, splitUserName } from '../../lambdas/shared/refresh-model/preserved-names';
import type { Plan } from '../../lambdas/shared/run/plan';
import type { ConnectionSettings, TlsMode } from '../../lambdas/shared/sql/connect';
import { RDS_TLS } from '../../lambdas/shared/sql/database-tls';
import { grantLabel, insertStatements, type PreservedData } from '../../lambdas/shared/sql/preserved-data';
import {
  MYSQL_SESSION,
  mysqlAccount,
  mysqlInsertableColumns,
  mysqlInsertHeader,
  mysqlSelectRows,
  mysqlUserStatements,
} from '../../lambdas/shared/sql/preserved-mysql';
import {
  POSTGRES_SESSION,
  type PostgresRole,
  postgresInsertHeader,
  postgresLiteral,
  postgresRoleStatements,
  postgresSelectRows,
  postgresSequenceStatements,
} from '../../lambdas/shared/sql/preserved-postgres';
import type { SqlDialect } from '../../lambdas/shared/sql/split-statements';
import type { SessionResult, SqlSession, SqlText } from '../../lambdas/shared/sql/sql-session';
import { auroraPlan, rdsPlan, runState } from '../fixtures/plans';
import { describesCluster, describesInstance, describesNothing } from '../fixtures/rds-describe';

const rdsMock = mockClient(RDSClient);
const smMock = mockClient(SecretsManagerClient);
const s3Mock = mockClient(S3Client);

const NOW = new Date('2026-11-21T03:10:00.000Z');
const BUCKET = 'dbrefresh-preserved-data-1a2b3c';
const SECRET = '/development/app1/app1-dev';
const CURRENT_PASSWORD = 'Current#Passw0rd-of-the-target';
const PENDING_PASSWORD = 'Pending#Passw0rd-of-the-copy';
const HASH = '*4CDF317205061A87E1DFA3AEAA74FFDBCF356C24';
const SCRAM = 'SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy';
const ROW_VALUE = 'smtp.secret-dev.example.com';
const KEY = preservedDataKey('ab12cd34');

/** What a statement answers: rows, or an error the driver would throw. */
type Answer = readonly (readonly SqlText[])[] | Error;

/** A database server behind the OpenSession seam: records every statement, answers by pattern. */
class FakeServer {
  readonly opened: Array<{ dialect: SqlDialect; settings: ConnectionSettings; tls: TlsMode }> = [];
  readonly statements: string[] = [];
  readonly params: Array<readonly string[] | undefined> = [];
  closed = 0;
  private readonly answers: Array<[RegExp, Answer]> = [];

  answer(pattern: RegExp, answer: Answer): this {
    this.answers.unshift([pattern, answer]);
    return this;
  }

  readonly openSession = async (
    dialect: SqlDialect,
    settings: ConnectionSettings,
    tls: TlsMode,
  ): Promise<SqlSession> => {
    this.opened.push({ dialect, settings, tls });
    return {
      run: async (sql: string, params?: readonly string[]): Promise<SessionResult> => {
        this.statements.push(sql);
        this.params.push(params);
        const answer = this.answers.find(([pattern]) => pattern.test(sql))?.[1] ?? [];
        if (answer instanceof Error) throw answer;
        return { rows: answer, rowsAffected: 0 };
      },
      close: async () => {
        this.closed++;
      },
    };
  };
}

function sqlError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

let server: FakeServer;

function dependencies(): PreserveDependencies {
  return {
    rds: new RDSClient({ region: 'eu-west-1' }),
    secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
    s3: new S3Client({ region: 'eu-west-1' }),
    bucket: BUCKET,
    openSession: server.openSession,
    tls: RDS_TLS,
    now: () => NOW,
  };
}

/** The sample RDS for MySQL plan, preserving app1.settings and user app_dev. */
function mysqlPlan(preserve: { tables?: string[]; users?: string[] } = {}): Plan {
  const base = rdsPlan();
  return rdsPlan({
    file: { ...base.file, preserve: { tables: ['app1.settings'], users: ['app_dev'], ...preserve } },
    steps: { ...base.steps, preserve: true },
  });
}

/** The sample Aurora PostgreSQL plan, preserving public.flags and role app_dev. */
function postgresPlan(): Plan {
  const base = auroraPlan();
  return auroraPlan({
    file: { ...base.file, preserve: { tables: ['public.flags'], users: ['app_dev'] } },
    steps: { ...base.steps, preserve: true },
  });
}

function secretHolds(stage: string, password: string, secretId = SECRET): void {
  smMock
    .on(GetSecretValueCommand, { SecretId: secretId, VersionStage: stage })
    .resolves({ SecretString: JSON.stringify({ username: 'admin', password }) });
}

/** The version the admin password step of run ab12cd34 wrote: read by its id, whatever its labels. */
function runVersionHolds(password: string, secretId = SECRET): void {
  smMock
    .on(GetSecretValueCommand, { SecretId: secretId, VersionId: 'dbrefresh-ab12cd34-admin-password' })
    .resolves({ SecretString: JSON.stringify({ username: 'admin', password }) });
}

function liveDatabases(target: DBInstance = {}): void {
  describesNothing(rdsMock);
  describesInstance(rdsMock, 'app1-dev', {
    Endpoint: { Address: 'app1-dev.abc.eu-west-1.rds.amazonaws.com', Port: 3306 },
    MasterUsername: 'admin',
    ...target,
  });
  describesInstance(rdsMock, 'app1-dev-new-ab12cd34', {
    Endpoint: { Address: 'app1-dev-new-ab12cd34.abc.eu-west-1.rds.amazonaws.com', Port: 3306 },
    MasterUsername: 'admin',
  });
}

/** A MariaDB target holding app1.settings (one generated column, one BLOB) and user app_dev@%. */
function mariadbTarget(): FakeServer {
  return new FakeServer()
    .answer(/print_identified_with_as_hex/, sqlError('Unknown system variable', { errno: 1193 }))
    .answer(/information_schema\.TABLES/, [['app1', 'settings', 'BASE TABLE']])
    .answer(/information_schema\.COLUMNS/, [
      ['name', 'varchar', ''],
      ['value', 'text', ''],
      ['name_upper', 'varchar', 'VIRTUAL GENERATED'],
      ['icon', 'blob', ''],
    ])
    .answer(/^SELECT CONCAT_WS/, [[`'mail.host','${ROW_VALUE}',X'00FF'`], ["'feature.beta','on',NULL"]])
    .answer(/^SELECT VERSION\(\)/, [['10.11.6-MariaDB']])
    .answer(/FROM mysql\.user/, [['%']])
    .answer(/^SHOW CREATE USER/, [[`CREATE USER \`app_dev\`@\`%\` IDENTIFIED BY PASSWORD '${HASH}'`]])
    .answer(/^SHOW GRANTS/, [
      [`GRANT USAGE ON *.* TO \`app_dev\`@\`%\` IDENTIFIED BY PASSWORD '${HASH}'`],
      ['GRANT SELECT ON `app1`.`settings` TO `app_dev`@`%`'],
    ]);
}

function storedData(): PreservedData {
  const put = s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input;
  return JSON.parse(String(put?.Body));
}

function objectBody(text: string): GetObjectCommandOutput {
  return {
    Body: { transformToString: async () => text },
    $metadata: {},
  } as unknown as GetObjectCommandOutput;
}

const noSuchKey = () => new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });

beforeEach(() => {
  rdsMock.reset();
  smMock.reset();
  s3Mock.reset();
  server = new FakeServer();
  secretHolds('AWSCURRENT', CURRENT_PASSWORD);
  runVersionHolds(PENDING_PASSWORD);
  s3Mock.on(PutObjectCommand).resolves({});
  s3Mock.on(DeleteObjectCommand).resolves({});
});

describe('preserve in the refresh file', () => {
  const base = {
    application: 'app1',
    environment: 'development',
    service: 'rds',
    source: { instance: 'app1-prod' },
    target: { instance: 'app1-dev' },
    restore: { type: 'latestpoint' },
  };
  const problems = (preserve: unknown) =>
    errorsOf(parseRefreshFile({ ...base, preserve })).map((problem) => formatProblem('f', problem));

  it('accepts tables as database.table, with quotes, spaces or keywords, and users with or without host', () => {
    const parsed = parseRefreshFile({
      ...base,
      preserve: { tables: ['app1.settings', "app1.user's group"], users: ['app_dev', 'app_ro@10.0.%'] },
    });

    expect(errorsOf(parsed)).toEqual([]);
    expect(parsed.refreshFile?.preserve).toEqual({
      tables: ['app1.settings', "app1.user's group"],
      users: ['app_dev', 'app_ro@10.0.%'],
    });
  });

  it('rejects a section that lists nothing', () => {
    expect(problems({ tables: [] })).toEqual([
      'f: $.preserve: lists no tables and no users (got: {"tables":[]}; expected: at least one entry in tables or users, or no preserve section)',
    ]);
  });

  it('rejects table names without both parts, and repeated entries, naming each', () => {
    expect(problems({ tables: ['settings', '.settings', 'app1.', 'app1.a', 'app1.a'] })).toEqual([
      expect.stringContaining('$.preserve.tables[0]: names no database or schema'),
      expect.stringContaining('$.preserve.tables[1]: has nothing before the dot'),
      expect.stringContaining('$.preserve.tables[2]: has nothing after the dot'),
      expect.stringContaining('$.preserve.tables[4]: lists "app1.a" a second time'),
    ]);
  });

  it('rejects user names with an empty name or host, spaces around, or control characters', () => {
    expect(problems({ users: ['@%', 'app@', ' app', 'a\tb'] })).toEqual([
      expect.stringContaining('$.preserve.users[0]: has nothing before the "@"'),
      expect.stringContaining('$.preserve.users[1]: ends with "@"'),
      expect.stringContaining('$.preserve.users[2]: the user name starts or ends with a space'),
      expect.stringContaining('$.preserve.users[3]: the user name contains a control character'),
    ]);
  });

  it('rejects unknown fields with a suggestion', () => {
    expect(problems({ tabels: ['app1.a'], users: ['x'] })).toEqual([
      expect.stringContaining(
        '$.preserve.tabels: is not a known field (got: ["app1.a"]; expected: did you mean "tables"?',
      ),
    ]);
  });

  it('splits a table at its first dot and a user at its last @', () => {
    expect(splitTableName('app1.a.b')).toEqual({ schema: 'app1', table: 'a.b' });
    expect(splitUserName('a@b@%')).toEqual({ name: 'a@b', host: '%' });
    expect(splitUserName('app_dev')).toEqual({ name: 'app_dev' });
  });
});

describe('planRefresh with preserve', () => {
  const rds = mockClient(RDSClient);
  const kms = mockClient(KMSClient);
  const ddb = mockClient(DynamoDBDocumentClient);
  const clients = {
    rds: new RDSClient({ region: 'eu-west-1' }),
    secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
    kms: new KMSClient({ region: 'eu-west-1' }),
    history: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    historyTable: 'dbrefresh-history',
  };
  const file = (preserve: unknown = { tables: ['app1.settings'] }) => ({
    application: 'app1',
    environment: 'development',
    service: 'rds',
    source: { instance: 'app1-prod' },
    target: { instance: 'app1-dev' },
    restore: { type: 'latestpoint' },
    adminPassword: { secretName: SECRET },
    preserve,
  });
  const request = (refreshFile: unknown) => ({
    input: { refreshFile, requestedBy: 'alice' },
    executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:dbrefresh:run-1',
    startTime: '2026-11-21T03:00:00.000Z',
  });
  const source = (engine: string): DBInstance => ({
    Engine: engine,
    EngineVersion: '8.0.39',
    DBInstanceClass: 'db.r6g.large',
    LatestRestorableTime: new Date('2026-11-21T02:55:00.000Z'),
    TagList: [],
  });

  beforeEach(() => {
    rds.reset();
    kms.reset();
    ddb.reset();
    describesNothing(rds);
    describesInstance(rds, 'app1-prod', source('mysql'));
    smMock.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v1: ['AWSCURRENT'] } });
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', KeyState: 'Enabled' } });
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).resolves({});
    ddb.on(DeleteCommand).resolves({});
  });

  it('preserves when the target exists and the engine speaks SQL', async () => {
    describesInstance(rds, 'app1-dev', { Engine: 'mysql', DBInstanceClass: 'db.t4g.medium' });

    const { plan } = await planRefresh(clients, request(file()));

    expect(plan.steps.preserve).toBe(true);
    expect(plan.file.preserve).toEqual({ tables: ['app1.settings'] });
  });

  it('preserves nothing on the first refresh, when the target does not exist yet', async () => {
    const { plan } = await planRefresh(clients, request(file()));

    expect(plan.steps.preserve).toBe(false);
  });

  it('leaves the steps out without a preserve section', async () => {
    describesInstance(rds, 'app1-dev', { Engine: 'mysql', DBInstanceClass: 'db.t4g.medium' });

    const { preserve: _preserve, ...withoutPreserve } = file();

    const { plan } = await planRefresh(clients, request(withoutPreserve));

    expect(plan.steps.preserve).toBe(false);
  });

  it('rejects preserve on Oracle, before taking the lock', async () => {
    describesInstance(rds, 'app1-prod', source('oracle-ee'));
    describesInstance(rds, 'app1-dev', { Engine: 'oracle-ee', DBInstanceClass: 'db.t4g.medium' });

    await expect(planRefresh(clients, request(file()))).rejects.toThrow(
      new GuardError(
        'dbrefresh preserves tables and users on MySQL, MariaDB and PostgreSQL engines, not on oracle-ee; remove preserve, or keep the data with a hook (hooks.beforeSwap)',
      ),
    );
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });
});

describe('insertStatements', () => {
  it('puts as many rows in a statement as fit the batch size, and a longer row alone', () => {
    const rows = ['(1)', '(2)', `(${'x'.repeat(30)})`, '(4)'];

    expect(insertStatements('INSERT INTO t VALUES ', rows, 30)).toEqual([
      'INSERT INTO t VALUES (1),(2)',
      `INSERT INTO t VALUES (${'x'.repeat(30)})`,
      'INSERT INTO t VALUES (4)',
    ]);
  });

  it('writes no INSERT for no rows', () => {
    expect(insertStatements('INSERT INTO t VALUES ', [])).toEqual([]);
  });
});

describe('MySQL preserve SQL', () => {
  const columns = [
    { name: 'name', dataType: 'varchar', extra: '' },
    { name: 'odd`col', dataType: 'text', extra: 'DEFAULT_GENERATED' },
    { name: 'icon', dataType: 'MEDIUMBLOB', extra: '' },
    { name: 'flags', dataType: 'bit', extra: '' },
    { name: 'upper', dataType: 'varchar', extra: 'STORED GENERATED' },
    { name: 'legacy', dataType: 'int', extra: 'PERSISTENT' },
  ];

  it('reads text as QUOTE()d utf8mb4, bytes as hex and bits as binary literals', () => {
    expect(mysqlSelectRows('app1', "user's group", mysqlInsertableColumns(columns))).toBe(
      "SELECT CONCAT_WS(',', CONVERT(QUOTE(`name`) USING utf8mb4), CONVERT(QUOTE(`odd``col`) USING utf8mb4), IF(`icon` IS NULL, 'NULL', CONCAT('X''', HEX(`icon`), '''')), IF(`flags` IS NULL, 'NULL', CONCAT('b''', BIN(`flags`), ''''))) FROM `app1`.`user's group`",
    );
  });

  it('writes every column but generated ones, quoting names', () => {
    expect(mysqlInsertHeader('app1', 'order', mysqlInsertableColumns(columns))).toBe(
      'INSERT INTO `app1`.`order` (`name`, `odd``col`, `icon`, `flags`) VALUES ',
    );
  });

  it('rebuilds an account: drop, create with its hash, then each grant, labelled without the hash', () => {
    const account = mysqlAccount('app`dev', '%');
    const statements = mysqlUserStatements(
      account,
      `CREATE USER ${account} IDENTIFIED BY PASSWORD '${HASH}'`,
      [
        `GRANT USAGE ON *.* TO ${account} IDENTIFIED BY PASSWORD '${HASH}'`,
        `GRANT SELECT, INSERT ON \`app1\`.* TO ${account}`,
      ],
    );

    expect(account).toBe('`app``dev`@`%`');
    expect(statements.map((statement) => statement.label)).toEqual([
      'DROP USER IF EXISTS',
      'CREATE USER',
      'GRANT USAGE ON *.*',
      'GRANT SELECT, INSERT ON `app1`.*',
    ]);
    expect(statements[0]?.sql).toBe('DROP USER IF EXISTS `app``dev`@`%`');
    expect(statements.map((statement) => statement.label).join()).not.toContain(HASH);
  });

  it('labels statements that are not grants by their first words', () => {
    expect(grantLabel('SET DEFAULT ROLE `r` FOR `u`@`%`')).toBe('SET DEFAULT');
  });
});

describe('PostgreSQL preserve SQL', () => {
  const columns = [
    { name: 'id', generated: false, identityAlways: true, hasSequence: true },
    { name: 'Key "name"', generated: false, identityAlways: false, hasSequence: false },
  ];
  const role: PostgresRole = {
    name: 'app_dev',
    superuser: false,
    inherit: true,
    createRole: false,
    createDb: true,
    login: true,
    replication: false,
    bypassRls: false,
    connectionLimit: 5,
    validUntil: null,
    passwordHash: SCRAM,
    memberOf: [{ role: 'Readers', admin: true }],
    privileges: [
      { on: 'DATABASE', object: 'app2', privilege: 'CONNECT', grantable: false },
      { on: 'SCHEMA', object: 'app', privilege: 'USAGE', grantable: false },
      { on: 'TABLE', object: 'app."Order"', privilege: 'SELECT', grantable: true },
      { on: 'SEQUENCE', object: 'app.order_id_seq', privilege: 'USAGE', grantable: false },
    ],
  };

  it('reads each row as quote_nullable() literals joined with ||, which takes any number of columns', () => {
    expect(postgresSelectRows('My Schema', 'flags', columns)).toBe(
      `SELECT pg_catalog.quote_nullable("id") || ',' || pg_catalog.quote_nullable("Key ""name""") FROM "My Schema"."flags"`,
    );
  });

  it('overrides GENERATED ALWAYS identities and moves their sequences past the preserved values', () => {
    expect(postgresInsertHeader('public', 'flags', columns)).toBe(
      'INSERT INTO "public"."flags" ("id", "Key ""name""") OVERRIDING SYSTEM VALUE VALUES ',
    );
    expect(postgresInsertHeader('public', 'flags', columns.slice(1))).toBe(
      'INSERT INTO "public"."flags" ("Key ""name""") VALUES ',
    );
    expect(postgresSequenceStatements('public', "it's", columns)).toEqual([
      `SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('"public"."it''s"', 'id')::regclass, max("id")) FROM "public"."it's" HAVING max("id") IS NOT NULL`,
    ]);
  });

  it('quotes literals by doubling quotes (standard_conforming_strings is on in both sessions)', () => {
    expect(postgresLiteral("it's \\ fine")).toBe("'it''s \\ fine'");
    expect(POSTGRES_SESSION).toContain('SET standard_conforming_strings = on');
  });

  it('rebuilds a role: create if missing, attributes and hash, revoke what the copy gave it, then grant', () => {
    const statements = postgresRoleStatements(role);

    expect(statements.map((statement) => statement.label)).toEqual([
      'CREATE ROLE',
      'ALTER ROLE (attributes and password)',
      'REVOKE the memberships and privileges the role has in the copy',
      'GRANT "Readers"',
      "GRANT CONNECT ON DATABASE (the copy's)",
      'GRANT USAGE ON SCHEMA app',
      'GRANT SELECT ON TABLE app."Order"',
      'GRANT USAGE ON SEQUENCE app.order_id_seq',
    ]);
    expect(statements[0]?.sql).toBe(
      'DO $dbrefresh$BEGIN CREATE ROLE "app_dev"; EXCEPTION WHEN duplicate_object THEN NULL; END$dbrefresh$',
    );
    expect(statements[1]?.sql).toBe(
      `ALTER ROLE "app_dev" WITH INHERIT NOCREATEROLE CREATEDB LOGIN CONNECTION LIMIT 5 VALID UNTIL 'infinity' PASSWORD '${SCRAM}'`,
    );
    expect(statements[2]?.sql).toContain(
      "EXECUTE pg_catalog.format('REVOKE %I FROM %I', granted, 'app_dev')",
    );
    expect(statements.slice(3).map((statement) => statement.sql)).toEqual([
      'GRANT "Readers" TO "app_dev" WITH ADMIN OPTION',
      "DO $dbrefresh$BEGIN EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO %I', pg_catalog.current_database(), 'app_dev'); END$dbrefresh$",
      'GRANT USAGE ON SCHEMA app TO "app_dev"',
      'GRANT SELECT ON TABLE app."Order" TO "app_dev" WITH GRANT OPTION',
      'GRANT USAGE ON SEQUENCE app.order_id_seq TO "app_dev"',
    ]);
    expect(statements.map((statement) => statement.label).join()).not.toContain('SCRAM');
  });

  it('names SUPERUSER, REPLICATION and BYPASSRLS only when the role has them (only a superuser may name them)', () => {
    const plain = postgresRoleStatements({
      ...role,
      passwordHash: null,
      validUntil: '2030-01-01 00:00:00+00',
    });
    const mighty = postgresRoleStatements({ ...role, superuser: true, replication: true, bypassRls: true });

    expect(plain[1]?.sql).toBe(
      'ALTER ROLE "app_dev" WITH INHERIT NOCREATEROLE CREATEDB LOGIN CONNECTION LIMIT 5 VALID UNTIL \'2030-01-01 00:00:00+00\' PASSWORD NULL',
    );
    expect(mighty[1]?.sql).toMatch(/WITH SUPERUSER INHERIT .* REPLICATION BYPASSRLS/);
  });

  it("rejects a role name holding the DO blocks' quote tag", () => {
    expect(() => postgresRoleStatements({ ...role, name: 'x$dbrefresh$y' })).toThrow(GuardError);
  });
});

describe('capturePreservedData', () => {
  it('reads the tables and users of the live target in one read-only snapshot and stores their statements', async () => {
    liveDatabases();
    server = mariadbTarget();

    const summary = await capturePreservedData(runState(mysqlPlan()), dependencies());

    expect(server.opened).toEqual([
      {
        dialect: 'mysql',
        settings: {
          host: 'app1-dev.abc.eu-west-1.rds.amazonaws.com',
          port: 3306,
          user: 'admin',
          password: CURRENT_PASSWORD,
          database: undefined,
        },
        tls: RDS_TLS,
      },
    ]);
    expect(server.statements.slice(0, 5)).toEqual([
      ...MYSQL_SESSION,
      'SET SESSION print_identified_with_as_hex = ON',
      'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ',
      'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY',
    ]);
    expect(server.statements.filter((sql) => !/^(SELECT|SHOW|SET|START)/.test(sql))).toEqual([]);
    expect(server.closed).toBe(1);
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: BUCKET, Key: KEY });
    expect(storedData()).toEqual({
      version: 1,
      runId: 'ab12cd34',
      target: 'app1-dev',
      dialect: 'mysql',
      capturedAt: NOW.toISOString(),
      tables: [
        {
          listed: 'app1.settings',
          schema: 'app1',
          table: 'settings',
          rowCount: 2,
          insertHeader: 'INSERT INTO `app1`.`settings` (`name`, `value`, `icon`) VALUES',
          statements: [
            'DELETE FROM `app1`.`settings`',
            `INSERT INTO \`app1\`.\`settings\` (\`name\`, \`value\`, \`icon\`) VALUES ('mail.host','${ROW_VALUE}',X'00FF'),('feature.beta','on',NULL)`,
          ],
        },
      ],
      users: [
        {
          listed: 'app_dev',
          account: 'app_dev@%',
          statements: [
            { sql: 'DROP USER IF EXISTS `app_dev`@`%`', label: 'DROP USER IF EXISTS' },
            { sql: `CREATE USER \`app_dev\`@\`%\` IDENTIFIED BY PASSWORD '${HASH}'`, label: 'CREATE USER' },
            {
              sql: `GRANT USAGE ON *.* TO \`app_dev\`@\`%\` IDENTIFIED BY PASSWORD '${HASH}'`,
              label: 'GRANT USAGE ON *.*',
            },
            {
              sql: 'GRANT SELECT ON `app1`.`settings` TO `app_dev`@`%`',
              label: 'GRANT SELECT ON `app1`.`settings`',
            },
          ],
        },
      ],
    });
    expect(summary).toMatchObject({
      key: KEY,
      tables: [{ table: 'app1.settings', rows: 2 }],
      users: ['app_dev@%'],
    });
  });

  it('matches every host of a name without host, and only the given host otherwise (MariaDB roles excluded)', async () => {
    liveDatabases();
    server = mariadbTarget().answer(/FROM mysql\.user/, [['%'], ['localhost']]);

    await capturePreservedData(
      runState(mysqlPlan({ tables: [], users: ['app_dev', 'app_ro@10.0.%'] })),
      dependencies(),
    );

    const lookups = server.statements.flatMap((sql, index) =>
      /FROM mysql\.user/.test(sql) ? [[sql, server.params[index]]] : [],
    );
    expect(lookups).toEqual([
      ["SELECT Host FROM mysql.user WHERE User = ? AND is_role = 'N' ORDER BY Host", ['app_dev']],
      ["SELECT Host FROM mysql.user WHERE User = ? AND Host = ? AND is_role = 'N'", ['app_ro', '10.0.%']],
    ]);
    expect(storedData().users.map((user) => user.account)).toEqual([
      'app_dev@%',
      'app_dev@localhost',
      'app_ro@%',
      'app_ro@localhost',
    ]);
  });

  it('logs names and counts, never rows or password hashes', async () => {
    liveDatabases();
    server = mariadbTarget();
    const info = jest.spyOn(logger, 'info');

    await capturePreservedData(runState(mysqlPlan()), dependencies());

    const logged = JSON.stringify(info.mock.calls);
    expect(logged).toContain('app1.settings');
    expect(logged).not.toContain(ROW_VALUE);
    expect(logged).not.toContain(HASH);
    info.mockRestore();
  });

  it("logs in with the target's RDS-managed secret when RDS manages its password", async () => {
    liveDatabases({
      MasterUserSecret: { SecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-1' },
    });
    secretHolds(
      'AWSCURRENT',
      'managed-password',
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-1',
    );
    server = mariadbTarget();

    await capturePreservedData(runState(mysqlPlan()), dependencies());

    expect(server.opened[0]?.settings.password).toBe('managed-password');
  });

  it('fails naming the table when the target lacks it, storing nothing', async () => {
    liveDatabases();
    server = mariadbTarget().answer(/information_schema\.TABLES/, []);

    const run = capturePreservedData(runState(mysqlPlan()), dependencies());

    await expect(run).rejects.toThrow(GuardError);
    await expect(run).rejects.toThrow(
      'Table app1.settings, listed in preserve.tables, does not exist on the target app1-dev; write it as database.table',
    );
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(server.closed).toBe(server.opened.length);
  });

  it('fails when a listed name is a view, not a table', async () => {
    liveDatabases();
    server = mariadbTarget().answer(/information_schema\.TABLES/, [['app1', 'settings', 'VIEW']]);

    await expect(capturePreservedData(runState(mysqlPlan()), dependencies())).rejects.toThrow(
      'app1.settings, listed in preserve.tables, is a view on the target app1-dev, not a table',
    );
  });

  it('fails naming the user when the target has no such account', async () => {
    liveDatabases();
    server = mariadbTarget().answer(/FROM mysql\.user/, []);

    await expect(capturePreservedData(runState(mysqlPlan()), dependencies())).rejects.toThrow(
      new GuardError(
        'User app_dev, listed in preserve.users, does not exist on the target app1-dev; write it as name (every host) or name@host, as SELECT User, Host FROM mysql.user shows it, or remove it from preserve.users',
      ),
    );
  });

  it('refuses to preserve the admin user, whose password every refresh replaces', async () => {
    liveDatabases();
    server = mariadbTarget();

    await expect(
      capturePreservedData(runState(mysqlPlan({ tables: [], users: ['admin@%'] })), dependencies()),
    ).rejects.toThrow('User admin@%, listed in preserve.users, is the admin user');
  });

  it('fails with the server message redacted when a read fails', async () => {
    liveDatabases();
    server = mariadbTarget().answer(
      /^SELECT CONCAT_WS/,
      sqlError(`Illegal mix of collations for '${ROW_VALUE}'`, { code: 'ER_CANT_AGGREGATE_2COLLATIONS' }),
    );

    const run = capturePreservedData(runState(mysqlPlan()), dependencies());

    await expect(run).rejects.toThrow(ScriptError);
    await expect(run).rejects.toThrow(
      "Reading table app1.settings on the target app1-dev failed: ER_CANT_AGGREGATE_2COLLATIONS Illegal mix of collations for '…'",
    );
  });

  it('rejects a plan that preserves nothing, before calling AWS', async () => {
    await expect(capturePreservedData(runState(rdsPlan()), dependencies())).rejects.toThrow(
      'The plan of app1-dev preserves nothing; this step should be skipped',
    );
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('fails when the target is gone', async () => {
    describesNothing(rdsMock);

    await expect(capturePreservedData(runState(mysqlPlan()), dependencies())).rejects.toThrow(
      new DbRefreshError(
        'The target, DB instance app1-dev, does not exist; it existed when the refresh was planned, so check whether it was deleted or renamed since',
      ),
    );
  });
});

describe('capturePreservedData on PostgreSQL', () => {
  function postgresTarget(): FakeServer {
    return new FakeServer()
      .answer(/FROM pg_catalog\.pg_class c JOIN/, [['r']])
      .answer(/FROM information_schema\.columns/, [
        ['id', 'NEVER', 'ALWAYS', 't'],
        ['name', 'NEVER', null, 'f'],
        ['upper_name', 'ALWAYS', null, 'f'],
      ])
      .answer(/quote_nullable/, [["'1','beta'"]])
      .answer(/^SELECT rolsuper/, [['f', 't', 'f', 'f', 't', 'f', 'f', '-1', null]])
      .answer(/pg_authid/, [[SCRAM]])
      .answer(/pg_auth_members/, [['readers', 'f']])
      .answer(/aclexplode/, [['TABLE', 'public.flags', 'SELECT', 'f']]);
  }

  beforeEach(() => {
    describesNothing(rdsMock);
    describesCluster(rdsMock, 'app2-test', {
      Endpoint: 'app2-test.cluster-abc.eu-west-1.rds.amazonaws.com',
      Port: 5432,
      DatabaseName: 'app2',
      MasterUsername: 'postgres',
    });
    secretHolds('AWSCURRENT', CURRENT_PASSWORD, 'dbrefresh/app2-test');
  });

  it("reads the table and the role's attributes, hash, memberships and privileges in the cluster's database", async () => {
    server = postgresTarget();

    await capturePreservedData(runState(postgresPlan()), dependencies());

    expect(server.opened[0]).toMatchObject({
      dialect: 'postgres',
      settings: { host: 'app2-test.cluster-abc.eu-west-1.rds.amazonaws.com', port: 5432, database: 'app2' },
    });
    expect(server.statements.slice(0, POSTGRES_SESSION.length + 1)).toEqual([
      ...POSTGRES_SESSION,
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    ]);
    const data = storedData();
    expect(data.tables[0]?.statements).toEqual([
      'DELETE FROM "public"."flags"',
      `INSERT INTO "public"."flags" ("id", "name") OVERRIDING SYSTEM VALUE VALUES ('1','beta')`,
      `SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('"public"."flags"', 'id')::regclass, max("id")) FROM "public"."flags" HAVING max("id") IS NOT NULL`,
    ]);
    expect(data.users[0]?.statements.map((statement) => statement.sql).slice(1)).toEqual([
      `ALTER ROLE "app_dev" WITH INHERIT NOCREATEROLE NOCREATEDB LOGIN CONNECTION LIMIT -1 VALID UNTIL 'infinity' PASSWORD '${SCRAM}'`,
      expect.stringContaining('DO $dbrefresh$DECLARE granted text'),
      'GRANT "readers" TO "app_dev"',
      'GRANT SELECT ON TABLE public.flags TO "app_dev"',
    ]);
  });

  it('does not read the password of a role that cannot log in', async () => {
    server = postgresTarget().answer(/^SELECT rolsuper/, [['f', 't', 'f', 'f', 'f', 'f', 'f', '-1', null]]);

    await capturePreservedData(runState(postgresPlan()), dependencies());

    expect(server.statements.some((sql) => sql.includes('pg_authid'))).toBe(false);
    expect(storedData().users[0]?.statements[1]?.sql).toContain('NOLOGIN');
  });

  it('fails saying why and what to do when the admin user may not read password hashes (RDS)', async () => {
    server = postgresTarget().answer(
      /pg_authid/,
      sqlError('permission denied for table pg_authid', { code: '42501' }),
    );

    const run = capturePreservedData(runState(postgresPlan()), dependencies());

    await expect(run).rejects.toThrow(GuardError);
    await expect(run).rejects.toThrow(
      'Cannot read the password of role app_dev (preserve.users) on the target app2-test: password hashes are in pg_authid, which only a superuser may read, and the admin user admin is not one (on RDS and Aurora no user is). Remove app_dev from preserve.users',
    );
  });

  it('refuses roles PostgreSQL or RDS manage', async () => {
    server = postgresTarget();
    const base = postgresPlan();
    const plan = { ...base, file: { ...base.file, preserve: { users: ['rds_superuser'] } } };

    await expect(capturePreservedData(runState(plan), dependencies())).rejects.toThrow(
      'Role rds_superuser, listed in preserve.users, is a role PostgreSQL or RDS manage',
    );
  });

  it('fails naming the table and database when the schema has no such table', async () => {
    server = postgresTarget()
      .answer(/FROM pg_catalog\.pg_class c JOIN/, [])
      .answer(/current_database\(\)$/, [['app2']]);

    await expect(capturePreservedData(runState(postgresPlan()), dependencies())).rejects.toThrow(
      'Table public.flags, listed in preserve.tables, does not exist in database app2 of the target app2-test',
    );
  });
});

/** The data a capture of mysqlPlan() stores. */
function capturedData(): PreservedData {
  return {
    version: 1,
    runId: 'ab12cd34',
    target: 'app1-dev',
    dialect: 'mysql',
    capturedAt: NOW.toISOString(),
    tables: [
      {
        listed: 'app1.settings',
        schema: 'app1',
        table: 'settings',
        rowCount: 1,
        insertHeader: 'INSERT INTO `app1`.`settings` (`name`, `value`) VALUES',
        statements: [
          'DELETE FROM `app1`.`settings`',
          `INSERT INTO \`app1\`.\`settings\` (\`name\`, \`value\`) VALUES ('mail.host','${ROW_VALUE}')`,
        ],
      },
    ],
    users: [
      {
        listed: 'app_dev',
        account: 'app_dev@%',
        statements: [
          { sql: 'DROP USER IF EXISTS `app_dev`@`%`', label: 'DROP USER IF EXISTS' },
          { sql: `CREATE USER \`app_dev\`@\`%\` IDENTIFIED BY PASSWORD '${HASH}'`, label: 'CREATE USER' },
          {
            sql: 'GRANT SELECT ON `app1`.`settings` TO `app_dev`@`%`',
            label: 'GRANT SELECT ON `app1`.`settings`',
          },
        ],
      },
    ],
  };
}

function stored(data: PreservedData | undefined, marker = false): void {
  s3Mock.on(GetObjectCommand, { Bucket: BUCKET, Key: KEY }).callsFake(async () => {
    if (data === undefined) throw noSuchKey();
    return objectBody(JSON.stringify(data));
  });
  s3Mock.on(GetObjectCommand, { Bucket: BUCKET, Key: reappliedMarkerKey('ab12cd34') }).callsFake(async () => {
    if (!marker) throw noSuchKey();
    return objectBody('{}');
  });
}

/** A copy that has app1.settings. */
function copyServer(): FakeServer {
  return new FakeServer().answer(/information_schema\.TABLES/, [['app1', 'settings', 'BASE TABLE']]);
}

describe('reapplyPreservedData', () => {
  beforeEach(() => {
    liveDatabases();
    stored(capturedData());
    server = copyServer();
  });

  it('replaces the rows in one transaction and rebuilds the user on the copy, then deletes the stored data', async () => {
    const summary = await reapplyPreservedData(runState(mysqlPlan()), dependencies());

    expect(server.opened).toEqual([
      {
        dialect: 'mysql',
        settings: {
          host: 'app1-dev-new-ab12cd34.abc.eu-west-1.rds.amazonaws.com',
          port: 3306,
          user: 'admin',
          password: PENDING_PASSWORD,
          database: undefined,
        },
        tls: RDS_TLS,
      },
    ]);
    const data = capturedData();
    expect(server.statements).toEqual([
      ...MYSQL_SESSION,
      'SET SESSION foreign_key_checks = 0',
      'SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      'START TRANSACTION',
      ...(data.tables[0]?.statements ?? []),
      'COMMIT',
      ...(data.users[0]?.statements.map((statement) => statement.sql) ?? []),
    ]);
    expect(server.closed).toBe(1);
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: BUCKET,
      Key: reappliedMarkerKey('ab12cd34'),
    });
    expect(s3Mock).toHaveReceivedCommandWith(DeleteObjectCommand, { Bucket: BUCKET, Key: KEY });
    expect(summary).toEqual({
      reapplied: true,
      tables: [{ table: 'app1.settings', rows: 1 }],
      users: ['app_dev@%'],
    });
  });

  it('does nothing on a re-run after the data was reapplied and deleted', async () => {
    stored(undefined, true);

    const summary = await reapplyPreservedData(runState(mysqlPlan()), dependencies());

    expect(summary).toEqual({ reapplied: false, tables: [], users: [] });
    expect(server.opened).toEqual([]);
    expect(s3Mock).not.toHaveReceivedCommand(DeleteObjectCommand);
  });

  it('fails when the stored data is gone without having been reapplied', async () => {
    stored(undefined, false);

    const run = reapplyPreservedData(runState(mysqlPlan()), dependencies());

    await expect(run).rejects.toThrow(DbRefreshError);
    await expect(run).rejects.toThrow(
      `The preserved data of run ab12cd34 (s3://${BUCKET}/${KEY}) does not exist: it was deleted, or expired`,
    );
    expect(server.opened).toEqual([]);
  });

  it('fails when the stored object is not preserved data', async () => {
    s3Mock.on(GetObjectCommand, { Bucket: BUCKET, Key: KEY }).resolves(objectBody('{"version": 2}'));

    await expect(reapplyPreservedData(runState(mysqlPlan()), dependencies())).rejects.toThrow(
      `s3://${BUCKET}/${KEY} is not preserved data as the capture step writes it`,
    );
  });

  it('fails naming the table and the source when the copy lacks the table, writing nothing', async () => {
    server = new FakeServer().answer(/information_schema\.TABLES/, []);

    const run = reapplyPreservedData(runState(mysqlPlan()), dependencies());

    await expect(run).rejects.toThrow(ScriptError);
    await expect(run).rejects.toThrow(
      'Table app1.settings (preserve.tables) does not exist in the copy app1-dev-new-ab12cd34: the source app1-prod has no such table, so its rows have nowhere to go. Create the table in the source, or remove it from preserve.tables',
    );
    expect(server.statements.filter((sql) => /^(DELETE|INSERT|START)/.test(sql))).toEqual([]);
    expect(s3Mock).not.toHaveReceivedCommand(DeleteObjectCommand);
  });

  it('rolls the table back and fails without quoting row values when an INSERT fails', async () => {
    server = copyServer().answer(
      /^INSERT/,
      sqlError(`Duplicate entry '${ROW_VALUE}' for key 'PRIMARY'`, { code: 'ER_DUP_ENTRY' }),
    );

    const run = reapplyPreservedData(runState(mysqlPlan()), dependencies());

    await expect(run).rejects.toThrow(
      "Writing the preserved rows of table app1.settings into the copy app1-dev-new-ab12cd34 failed, and none were written: ER_DUP_ENTRY Duplicate entry '…' for key '…'. The table's columns or constraints in the source app1-prod probably differ",
    );
    await expect(run).rejects.not.toThrow(ROW_VALUE);
    expect(server.statements.at(-1)).toBe('ROLLBACK');
    expect(s3Mock).not.toHaveReceivedCommand(DeleteObjectCommand);
  });

  it('fails naming the user and the statement by its label, never its hash', async () => {
    server = copyServer().answer(
      /^CREATE USER/,
      sqlError(`Operation CREATE USER failed for 'app_dev'@'%' using '${HASH}'`, { code: 'ER_CANNOT_USER' }),
    );

    const run = reapplyPreservedData(runState(mysqlPlan()), dependencies());

    await expect(run).rejects.toThrow(
      "Rebuilding user app_dev@% (preserve.users: app_dev) in the copy app1-dev-new-ab12cd34 failed at statement 2 of 3 (CREATE USER): ER_CANNOT_USER Operation CREATE USER failed for '…'@'…' using '…'",
    );
    await expect(run).rejects.not.toThrow(HASH);
  });

  it("logs in with the copy's RDS-managed secret when the plan lets RDS manage the password", async () => {
    const base = mysqlPlan();
    const plan = { ...base, adminPassword: { ...base.adminPassword, managed: true } };
    describesInstance(rdsMock, 'app1-dev-new-ab12cd34', {
      Endpoint: { Address: 'copy.example', Port: 3306 },
      MasterUsername: 'admin',
      MasterUserSecret: { SecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-2' },
    });
    secretHolds(
      'AWSCURRENT',
      'copy-managed',
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-2',
    );

    await reapplyPreservedData(runState(plan), dependencies());

    expect(server.opened[0]?.settings).toMatchObject({ host: 'copy.example', password: 'copy-managed' });
  });

  it('runs each PostgreSQL role in a transaction, after disabling triggers where allowed', async () => {
    describesNothing(rdsMock);
    describesCluster(rdsMock, 'app2-test-new-ab12cd34', {
      Endpoint: 'copy.cluster.example',
      Port: 5432,
      DatabaseName: 'app2',
      MasterUsername: 'postgres',
    });
    runVersionHolds(PENDING_PASSWORD, 'dbrefresh/app2-test');
    stored({
      ...capturedData(),
      dialect: 'postgres',
      tables: [],
      users: [
        { listed: 'app_dev', account: 'app_dev', statements: [{ sql: 'ALTER ROLE x', label: 'ALTER ROLE' }] },
      ],
    });
    server = new FakeServer().answer(
      /session_replication_role/,
      sqlError('permission denied to set parameter', { code: '42501' }),
    );

    await reapplyPreservedData(runState(postgresPlan()), dependencies());

    expect(server.statements.slice(POSTGRES_SESSION.length)).toEqual([
      'SET session_replication_role = replica',
      'BEGIN',
      'ALTER ROLE x',
      'COMMIT',
    ]);
  });
});

describe('the preserve handler', () => {
  it('rejects an event whose plan preserves nothing', async () => {
    process.env.PRESERVED_DATA_BUCKET = BUCKET;
    const { capture } = await import('../../lambdas/preserve/handler');

    await expect(capture(runState(rdsPlan()))).rejects.toThrow(GuardError);
  });
});
