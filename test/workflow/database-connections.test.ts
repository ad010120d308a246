import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DatabaseTlsError } from '../../lambdas/shared/errors';
import type { ConnectionSettings } from '../../lambdas/shared/sql/connect';
import { RDS_TLS, type TlsMode, tlsFromEnvironment } from '../../lambdas/shared/sql/database-tls';
import type { SqlDialect } from '../../lambdas/shared/sql/split-statements';
import { openSession } from '../../lambdas/shared/sql/sql-session';
import { findMariadb } from '../../local/engines/binaries';
import type { ServerStatus } from '../../local/engines/engine-manager';
import { mysqlNativePasswordHash, scramSha256Verifier } from '../../local/engines/password-verifiers';
import { openTestAccount, SHOP, seedShop, shopRefreshFile, type TestAccount } from './refresh-fixture';

/**
 * The functions' database connections in local mode, as on AWS: TLS with the server's certificate verified
 * (against the local account's CA, given as DB_CA_BUNDLE, where AWS has the RDS CAs), and no password in clear
 * in what the engines write (MariaDB's binary log, PostgreSQL's server log and WAL).
 */

jest.setTimeout(120_000);

/** A script that keeps the TLS version of the session the scripts step ran it in. */
const RECORD_TLS: Record<SqlDialect, string> = {
  mysql:
    "CREATE TABLE tls_sessions AS SELECT VARIABLE_VALUE AS version FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_version';\n",
  postgres: 'CREATE TABLE tls_sessions AS SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid();\n',
};

const BILLING = {
  source: 'billing-prod',
  target: 'billing-dev',
  secretName: '/development/billing/billing-dev',
  database: 'billing',
  bucket: 'billing-refresh-scripts',
} as const;

/** A user of the target that each refresh keeps (preserve.users); the test only ever sends its password hashed. */
const READER = { user: 'app_reader', password: 'Reader-Secret-4821' } as const;

const CREATE_READER: Record<SqlDialect, (database: string) => string[]> = {
  mysql: (database) => [
    `CREATE USER '${READER.user}'@'%' IDENTIFIED BY PASSWORD '${mysqlNativePasswordHash(READER.password)}'`,
    `GRANT SELECT ON ${database}.* TO '${READER.user}'@'%'`,
  ],
  postgres: () => [`CREATE ROLE ${READER.user} LOGIN PASSWORD '${scramSha256Verifier(READER.password)}'`],
};

let test: TestAccount;
/** The functions' TLS in this account, as they read it from their environment. */
let localTls: TlsMode;

beforeAll(async () => {
  test = await openTestAccount();
  localTls = tlsFromEnvironment({ DB_CA_BUNDLE: test.account.engines.certificateAuthority.certificateFile });
  await seedShop(test, { scripts: { '02-record-tls.sql': RECORD_TLS.mysql } });
  await test.seed({
    id: BILLING.source,
    engine: 'postgres',
    databaseName: BILLING.database,
    customers: 20,
    tags: { environment: 'production' },
  });
  await test.seed({
    id: BILLING.target,
    engine: 'postgres',
    databaseName: BILLING.database,
    customers: 3,
    tags: { 'dbrefresh:refreshable': 'true' },
    secretName: BILLING.secretName,
  });
  for (const [dialect, target, secretName, database] of [
    ['mysql', SHOP.target, SHOP.secretName, SHOP.database],
    ['postgres', BILLING.target, BILLING.secretName, BILLING.database],
  ] as const) {
    const login = await targetLogin(target, secretName, database);
    for (const statement of CREATE_READER[dialect](database))
      await select(dialect, login, localTls, statement);
  }
  await test.account.s3.createBucket(BILLING.bucket);
  await test.clients.s3.send(
    new PutObjectCommand({ Bucket: BILLING.bucket, Key: '01-record-tls.sql', Body: RECORD_TLS.postgres }),
  );
});

afterAll(async () => {
  await test?.close();
});

function billingRefreshFile() {
  return {
    application: 'billing',
    environment: 'development',
    service: 'rds',
    engine: 'postgres',
    source: { instance: BILLING.source },
    target: { instance: BILLING.target },
    restore: { type: 'latestpoint' },
    adminPassword: { secretName: BILLING.secretName },
    scripts: { bucket: BILLING.bucket, keys: ['01-record-tls.sql'] },
    preserve: { users: [READER.user] },
  };
}

/** How the target's applications log in: at its endpoint, with the credentials of its secret. */
async function targetLogin(
  target: string,
  secretName: string,
  database: string,
): Promise<ConnectionSettings> {
  const { host, port } = await test.endpointOf(target);
  const { username, password } = await test.secretCredentials(secretName);
  return { host, port, user: username, password, database };
}

async function select(dialect: SqlDialect, login: ConnectionSettings, tls: TlsMode, sql: string) {
  const session = await openSession(dialect, login, tls);
  try {
    return (await session.run(sql)).rows;
  } finally {
    await session.close();
  }
}

/** The local server behind an endpoint. */
async function serverAt(port: number): Promise<ServerStatus> {
  const server = (await test.account.engines.listServers()).find((candidate) => candidate.port === port);
  if (server === undefined) throw new Error(`no local server listens on port ${port}`);
  return server;
}

/** Every file a server writes its changes and messages to: binary logs or WAL archive, and its log. */
async function logFiles(server: ServerStatus): Promise<string[]> {
  const changes = path.join(path.dirname(server.dataDirectory), 'changes');
  return [...(await readdir(changes)).map((file) => path.join(changes, file)), server.logFile];
}

/** Whether any file any server of the account writes its changes and messages to holds `text`. */
async function anyLogHolds(text: string): Promise<boolean> {
  for (const server of await test.account.engines.listServers()) {
    for (const file of await logFiles(server)) if ((await readFile(file)).includes(text)) return true;
  }
  return false;
}

/** The server's binary logs as mariadb-binlog prints them, row events decoded. */
async function decodedBinlogs(server: ServerStatus): Promise<string> {
  const binlogs = (await logFiles(server)).filter((file) => /mariadb-bin\.\d+$/.test(file));
  const { stdout } = await promisify(execFile)(
    findMariadb().binlog,
    ['--no-defaults', '--verbose', ...binlogs],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout;
}

describe('database connections in local mode', () => {
  it('refreshes a MariaDB target with the scripts run over verified TLS, no password in clear in its logs', async () => {
    // given
    const file = shopRefreshFile();
    file.scripts.keys.push('02-record-tls.sql');
    file.preserve = { users: [READER.user] };

    // when
    const result = await test.refresh(file, 'tls-mariadb');

    // then: the scripts' session was TLS, and the copy's certificate verified against the account's CA
    expect(result.status).toBe('SUCCEEDED');
    const login = await targetLogin(SHOP.target, SHOP.secretName, SHOP.database);
    expect(await select('mysql', login, localTls, 'SELECT version FROM tls_sessions')).toEqual([
      [expect.stringMatching(/^TLSv1\.[23]$/)],
    ]);
    // and the new password reached the server as a hash only
    const binlogs = await decodedBinlogs(await serverAt(login.port));
    expect(binlogs).toMatch(/ALTER USER .* IDENTIFIED BY PASSWORD '\*[0-9A-F]{40}'/);
    // and the preserved user was rebuilt from its hash: its password works and is nowhere either
    const reader = { ...login, user: READER.user, password: READER.password };
    expect(await select('mysql', reader, localTls, 'SELECT CURRENT_USER()')).toEqual([[`${READER.user}@%`]]);
    for (const password of [login.password, READER.password]) {
      expect(binlogs).not.toContain(password);
      expect(await anyLogHolds(password)).toBe(false);
    }
  });

  it('refreshes a PostgreSQL target with the scripts run over verified TLS, no password in clear in its logs', async () => {
    // when
    const result = await test.refresh(billingRefreshFile(), 'tls-postgres');

    // then
    expect(result.status).toBe('SUCCEEDED');
    const login = await targetLogin(BILLING.target, BILLING.secretName, BILLING.database);
    expect(await select('postgres', login, localTls, 'SELECT version FROM tls_sessions')).toEqual([
      [expect.stringMatching(/^TLSv1\.[23]$/)],
    ]);
    const reader = { ...login, user: READER.user, password: READER.password };
    expect(await select('postgres', reader, localTls, 'SELECT current_user')).toEqual([[READER.user]]);
    for (const password of [login.password, READER.password]) expect(await anyLogHolds(password)).toBe(false);
  });

  it.each<[SqlDialect, string, string, string]>([
    ['mysql', SHOP.target, SHOP.secretName, SHOP.database],
    ['postgres', BILLING.target, BILLING.secretName, BILLING.database],
  ])(
    'rejects, with the RDS CAs the functions trust by default, a %s server no RDS CA signed',
    async (dialect, target, secretName, database) => {
      const login = await targetLogin(target, secretName, database);

      const connecting = select(dialect, login, RDS_TLS, 'SELECT 1');

      await expect(connecting).rejects.toThrow(DatabaseTlsError);
      await expect(connecting).rejects.toThrow(/against the Amazon RDS certificate authorities/);
      expect(await select(dialect, login, localTls, 'SELECT 1')).toEqual([['1']]);
    },
  );
});
