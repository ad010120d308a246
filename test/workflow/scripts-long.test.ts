import { ScriptError } from '../../lambdas/shared/errors';
import { openConnection } from '../../lambdas/shared/sql/connect';
import { executeScript, splitScript } from '../../lambdas/shared/sql/execute-script';
import type { RunEvent } from '../../local/runner/run-refresh';
import { expectRolledBack, refreshFailing, servedByShop } from './fault-outcomes';
import {
  notificationFacts,
  openTestAccount,
  SHOP,
  seedShop,
  shopRefreshFile,
  type TestAccount,
} from './refresh-fixture';

/** UPDATEs of the long script, each followed by a pause: about 6 s of statements in all. */
const INCREMENTS = 40;
const PAUSE_SECONDS = 0.15;

/**
 * A script that needs several invocations once each gets a few seconds. Every UPDATE adds one to a counter, so a
 * statement run twice or skipped shows in its value; `@increment`, set once at the top, is only there on a resumed
 * session because the step replays the file's session settings first.
 */
const LONG_SCRIPT = [
  'SET @increment = 1;',
  'CREATE TABLE script_counter (id INT PRIMARY KEY, n INT NOT NULL);',
  'INSERT INTO script_counter VALUES (1, 0);',
  ...Array.from({ length: INCREMENTS }, () => [
    'UPDATE script_counter SET n = n + @increment WHERE id = 1;',
    `SELECT SLEEP(${PAUSE_SECONDS});`,
  ]).flat(),
].join('\n');
const LONG_STATEMENTS = 3 + 2 * INCREMENTS;

/** Changes customers, then fails on its last statement. */
const FAILING_PER_FILE = [
  "UPDATE customers SET first_name = 'Changed';",
  'DELETE FROM orders;',
  'SELECT no_such_column FROM customers;',
].join('\n');

/** A file MariaDB cannot run in one transaction: CREATE TABLE commits implicitly. */
const DDL_PER_FILE = ['UPDATE customers SET phone = NULL;', 'CREATE TABLE masked_at (at DATETIME);'].join(
  '\n',
);

/** The time each invocation of the scripts function gets here instead of 15 minutes. */
const SCRIPTS_INVOCATION_SECONDS = { 'Run scripts': 2, 'Check run scripts': 2 };

let test: TestAccount;

beforeAll(async () => {
  // Read when the scripts handler is first loaded, by the first run below: no statement starts with less left.
  process.env.SCRIPTS_RESERVE_MILLISECONDS = '1000';
  test = await openTestAccount();
  await seedShop(test, {
    scripts: {
      '02-long.sql': LONG_SCRIPT,
      '02-per-file-fails.sql': FAILING_PER_FILE,
      '02-per-file-ddl.sql': DDL_PER_FILE,
    },
  });
}, 120_000);

afterAll(async () => {
  await test?.close();
  delete process.env.SCRIPTS_RESERVE_MILLISECONDS;
}, 60_000);

/** The demo's refresh file with the masking script, then `script`, run in `transaction` mode. */
function refreshFileWith(script: string, transaction?: 'none' | 'per-file') {
  const file = shopRefreshFile();
  file.scripts.keys = ['01-mask-customers.sql', script];
  if (transaction !== undefined) file.scripts.transaction = transaction;
  return file;
}

/** What the failing per-file file would change on the target: customers renamed, orders deleted. */
async function customersAndOrders(): Promise<{ changed: number; orders: number }> {
  const [row] = await test.queryTarget(
    SHOP.target,
    SHOP.secretName,
    SHOP.database,
    "SELECT (SELECT COUNT(*) FROM customers WHERE first_name = 'Changed') AS changed, (SELECT COUNT(*) FROM orders) AS orders",
  );
  return { changed: Number(row?.changed), orders: Number(row?.orders) };
}

function enteredCount(events: readonly RunEvent[], stateName: string): number {
  return events.filter((event) => event.type === 'entered' && event.stateName === stateName).length;
}

describe('scripts with transaction "per-file" through the real state machine', () => {
  it('refuses a MariaDB file with CREATE TABLE before anything ran, naming the statement and the fix', async () => {
    const outcome = await refreshFailing(
      test,
      'per-file-ddl',
      undefined,
      refreshFileWith('02-per-file-ddl.sql', 'per-file'),
    );

    await expectRolledBack(test, outcome, {
      step: 'Run scripts',
      error: 'ScriptError',
      cause:
        '02-per-file-ddl.sql statement 2 (line 2): CREATE TABLE commits the open transaction implicitly in MySQL and MariaDB',
    });
    const record = await test.recordOf(SHOP.target, 'per-file-ddl');
    expect(String(record?.cause)).toContain('Set scripts.transaction to "none"');
    // Refused in its first invocation, before any file ran: no check followed, no script reported.
    expect(enteredCount(outcome.run.events, 'Run scripts')).toBe(1);
    expect(enteredCount(outcome.run.events, 'Check run scripts')).toBe(0);
    expect(record?.scripts).toBeUndefined();
  }, 120_000);

  it('fails the refresh when the last statement of a file fails, leaving none of its changes', async () => {
    const outcome = await refreshFailing(
      test,
      'per-file-fails',
      undefined,
      refreshFileWith('02-per-file-fails.sql', 'per-file'),
    );

    await expectRolledBack(test, outcome, {
      step: 'Run scripts',
      error: 'ScriptError',
      cause:
        "02-per-file-fails.sql: statement 3 (line 3) failed: ER_BAD_FIELD_ERROR Unknown column 'no_such_column' in 'SELECT'; the file's transaction was rolled back: none of it took effect",
    });

    // The copy is gone with the rollback; the same file through the same executor on the live MariaDB of the
    // target shows that its transaction leaves nothing behind.
    const before = await customersAndOrders();
    const login = await test.secretCredentials(SHOP.secretName);
    const connection = await openConnection(
      'mysql',
      {
        ...(await test.endpointOf(SHOP.target)),
        user: login.username,
        password: login.password,
        database: SHOP.database,
      },
      'off',
    );
    const script = splitScript('02-per-file-fails.sql', FAILING_PER_FILE, 'mysql');
    try {
      await expect(
        executeScript(connection, script, {
          startIndex: 0,
          shouldStop: () => false,
          transaction: 'per-file',
        }),
      ).rejects.toThrow(ScriptError);
    } finally {
      await connection.close();
    }
    expect(await customersAndOrders()).toEqual(before);
    expect(before).toMatchObject({ changed: 0 });
    expect(before.orders).toBeGreaterThan(0);
  }, 120_000);
});

describe('a long script through the real state machine', () => {
  it('resumes across several invocations, runs every statement once and records each file', async () => {
    const events: RunEvent[] = [];

    const result = await test.refresh(refreshFileWith('02-long.sql'), 'long-script', {
      onEvent: (event) => events.push(event),
      taskTimeoutSeconds: SCRIPTS_INVOCATION_SECONDS,
    });

    expect(result).toMatchObject({ status: 'SUCCEEDED' });
    expect(enteredCount(events, 'Check run scripts')).toBeGreaterThanOrEqual(3);
    const rows = (sql: string) => test.queryTarget(SHOP.target, SHOP.secretName, SHOP.database, sql);
    expect(await rows('SELECT n FROM script_counter')).toEqual([{ n: INCREMENTS }]);
    expect(await servedByShop(test)).toMatchObject({ customers: 300 });
    const record = await test.recordOf(SHOP.target, 'long-script');
    expect(record).toMatchObject({
      status: 'succeeded',
      scripts: [
        { file: '01-mask-customers.sql', statements: 1, rowsAffected: 300 },
        { file: '02-long.sql', statements: LONG_STATEMENTS, rowsAffected: 1 + INCREMENTS },
      ],
    });
    const long = (record?.scripts as { seconds: number }[] | undefined)?.[1];
    expect(long?.seconds).toBeGreaterThanOrEqual(INCREMENTS * PAUSE_SECONDS);
    const notification = test.notifications().at(-1);
    expect(notification?.message).toContain(
      `Scripts:         2 file(s), ${1 + LONG_STATEMENTS} statement(s), ${301 + INCREMENTS} row(s) changed`,
    );
    expect(notification && notificationFacts(notification).scripts).toEqual(record?.scripts);
  }, 120_000);
});
