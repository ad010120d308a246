import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import { runIdOf } from '../../lambdas/plan/plan-refresh';
import type { SeededDatabase } from '../../local/seed/seed-database';
import { expectRolledBack, refreshFailing } from './fault-outcomes';
import {
  accepts,
  openTestAccount,
  query,
  SHOP,
  seedShop,
  shopRefreshFile,
  type TestAccount,
} from './refresh-fixture';

let test: TestAccount;
let source: SeededDatabase;

/** A table name that needs quoting twice over: a quote and a keyword. */
const QUOTED_TABLE = "user's group";
const DEV_USER = { username: 'app_dev', password: 'dev-only-Passw0rd' };

const SETTINGS_TABLE =
  'CREATE TABLE app_settings (name VARCHAR(64) PRIMARY KEY, value TEXT, updated DATETIME)';
const QUOTED_TABLE_DDL = "CREATE TABLE `user's group` (id INT PRIMARY KEY, `group` VARCHAR(20), note BLOB)";

/** Runs statements on the production source, with its admin login. */
async function onSource(...statements: string[]): Promise<void> {
  for (const sql of statements) {
    await query(
      source.endpoint,
      { username: source.username, password: source.password },
      SHOP.database,
      sql,
    );
  }
}

/** Runs statements on the development target, as its applications would (through its secret). */
async function onTarget(...statements: string[]): Promise<Record<string, unknown>[]> {
  let rows: Record<string, unknown>[] = [];
  for (const sql of statements)
    rows = await test.queryTarget(SHOP.target, SHOP.secretName, SHOP.database, sql);
  return rows;
}

function preservingFile(tables: string[]) {
  const file = shopRefreshFile();
  file.preserve = { tables, users: [DEV_USER.username] };
  return file;
}

async function preservedObjects(): Promise<string[]> {
  const out = await test.clients.s3.send(
    new ListObjectsV2Command({ Bucket: test.account.preservedDataBucketName }),
  );
  return (out.Contents ?? []).map((object) => object.Key ?? '').sort();
}

beforeAll(async () => {
  test = await openTestAccount();
  ({ source } = await seedShop(test));
  await onSource(
    SETTINGS_TABLE,
    "INSERT INTO app_settings VALUES ('mail.host', 'smtp.prod.example.com', '2026-01-01 00:00:00'), ('feature.beta', 'off', NULL)",
    QUOTED_TABLE_DDL,
    "INSERT INTO `user's group` VALUES (1, 'prod', NULL)",
  );
  await onTarget(
    SETTINGS_TABLE,
    "INSERT INTO app_settings VALUES ('mail.host', 'localhost:1025', '2026-11-20 10:00:00'), ('feature.beta', 'on', NULL), ('dev.note', 'it''s \\\\ dev\nonly', NULL)",
    QUOTED_TABLE_DDL,
    "INSERT INTO `user's group` VALUES (7, 'dev', X'00FF'), (8, NULL, NULL)",
    'CREATE TABLE dev_only (id INT PRIMARY KEY)',
    `CREATE USER '${DEV_USER.username}'@'%' IDENTIFIED BY '${DEV_USER.password}'`,
    `GRANT SELECT ON ${SHOP.database}.customers TO '${DEV_USER.username}'@'%'`,
  );
  // The source's latest restorable time passes these changes.
  await new Promise((resolve) => setTimeout(resolve, 1100));
}, 180_000);

afterAll(async () => {
  await test?.close();
}, 60_000);

describe('a refresh that preserves tables and users of an RDS MariaDB target', () => {
  it('fails before the swap, target untouched, when a preserved table does not exist in the source', async () => {
    const outcome = await refreshFailing(
      test,
      'preserve-missing-in-source',
      undefined,
      preservingFile(['shop.app_settings', 'shop.dev_only']),
    );

    expect(outcome.run.entered).toContain('Capture preserved data');
    await expectRolledBack(test, outcome, {
      step: 'Reapply preserved data',
      error: 'ScriptError',
      cause: 'Table shop.dev_only (preserve.tables) does not exist in the copy',
    });
  }, 180_000);

  it('keeps the dev rows and the dev user with its password and grant; every other table holds the source data', async () => {
    const result = await test.refresh(
      preservingFile(['shop.app_settings', `shop.${QUOTED_TABLE}`]),
      'preserve-dev-settings',
    );

    expect(result).toMatchObject({ status: 'SUCCEEDED' });
    expect(await onTarget('SELECT name, value, updated FROM app_settings ORDER BY name')).toEqual([
      { name: 'dev.note', value: "it's \\ dev\nonly", updated: null },
      { name: 'feature.beta', value: 'on', updated: null },
      { name: 'mail.host', value: 'localhost:1025', updated: new Date('2026-11-20T10:00:00') },
    ]);
    expect(await onTarget("SELECT id, `group`, HEX(note) AS note FROM `user's group` ORDER BY id")).toEqual([
      { id: 7, group: 'dev', note: '00FF' },
      { id: 8, group: null, note: null },
    ]);
    expect(await onTarget('SELECT COUNT(*) AS n FROM customers')).toEqual([{ n: 300 }]);
    const endpoint = await test.endpointOf(SHOP.target);
    expect(await accepts(endpoint, DEV_USER)).toBe(true);
    expect(await query(endpoint, DEV_USER, SHOP.database, 'SELECT COUNT(*) AS n FROM customers')).toEqual([
      { n: 300 },
    ]);
    await expect(query(endpoint, DEV_USER, SHOP.database, 'SELECT COUNT(*) FROM orders')).rejects.toThrow(
      /denied/,
    );
    const runId = runIdOf(result.executionArn);
    const objects = await preservedObjects();
    expect(objects).toContain(`runs/${runId}/reapplied.json`);
    expect(objects).not.toContain(`runs/${runId}/preserved.json`);
    const record = await test.recordOf(SHOP.target, 'preserve-dev-settings');
    expect(record).toMatchObject({ status: 'succeeded' });
    expect(JSON.stringify(record)).not.toContain('localhost:1025');
  }, 180_000);
});

const CRM = {
  source: 'crm-prod',
  target: 'crm-dev',
  secretName: '/development/crm/crm-dev',
  database: 'crm',
};
const FLAGS_TABLE =
  'CREATE TABLE public.feature_flags (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text UNIQUE, enabled boolean)';

/** Runs statements on a local PostgreSQL database and returns the last one's rows (assertions only). */
async function postgres(
  endpoint: { host: string; port: number },
  login: { username: string; password: string },
  ...statements: string[]
): Promise<Record<string, unknown>[]> {
  const client = new Client({
    ...endpoint,
    user: login.username,
    password: login.password,
    database: CRM.database,
  });
  await client.connect();
  try {
    let rows: Record<string, unknown>[] = [];
    for (const sql of statements) rows = (await client.query(sql)).rows;
    return rows;
  } finally {
    await client.end();
  }
}

describe('a refresh that preserves a table and a role of an RDS PostgreSQL target', () => {
  it('keeps the dev rows (and moves their identity on) and the dev role with its password and grant', async () => {
    const crmSource = await test.seed({
      id: CRM.source,
      engine: 'postgres',
      databaseName: CRM.database,
      customers: 20,
    });
    const crmTarget = await test.seed({
      id: CRM.target,
      engine: 'postgres',
      databaseName: CRM.database,
      customers: 3,
      tags: { 'dbrefresh:refreshable': 'true' },
      secretName: CRM.secretName,
    });
    await postgres(
      crmSource.endpoint,
      crmSource,
      FLAGS_TABLE,
      "INSERT INTO public.feature_flags (name, enabled) VALUES ('beta', false)",
    );
    await postgres(
      crmTarget.endpoint,
      crmTarget,
      FLAGS_TABLE,
      "INSERT INTO public.feature_flags (name, enabled) VALUES ('beta', true), ('dev-tools', true), ('it''s', NULL)",
      `CREATE ROLE ${DEV_USER.username} LOGIN PASSWORD '${DEV_USER.password}'`,
      `GRANT SELECT ON public.customers TO ${DEV_USER.username}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const result = await test.refresh(
      {
        application: 'crm',
        environment: 'development',
        service: 'rds',
        engine: 'postgres',
        source: { instance: CRM.source },
        target: { instance: CRM.target },
        restore: { type: 'latestpoint' },
        adminPassword: { secretName: CRM.secretName },
        preserve: { tables: ['public.feature_flags'], users: [DEV_USER.username] },
      },
      'preserve-postgres',
    );

    expect(result).toMatchObject({ status: 'SUCCEEDED' });
    const endpoint = await test.endpointOf(CRM.target);
    const admin = await test.secretCredentials(CRM.secretName);
    expect(
      await postgres(endpoint, admin, 'SELECT id, name, enabled FROM public.feature_flags ORDER BY id'),
    ).toEqual([
      { id: 1, name: 'beta', enabled: true },
      { id: 2, name: 'dev-tools', enabled: true },
      { id: 3, name: "it's", enabled: null },
    ]);
    expect(
      await postgres(endpoint, admin, "INSERT INTO public.feature_flags (name) VALUES ('new') RETURNING id"),
    ).toEqual([{ id: 4 }]);
    expect(await postgres(endpoint, DEV_USER, 'SELECT COUNT(*)::int AS n FROM public.customers')).toEqual([
      { n: 20 },
    ]);
    await expect(postgres(endpoint, DEV_USER, 'SELECT * FROM public.orders')).rejects.toThrow(
      /permission denied/,
    );
  }, 180_000);
});
