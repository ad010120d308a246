import { ScriptError } from '../../../../lambdas/shared/errors';
import type { SqlConnection, StatementResult } from '../../../../lambdas/shared/sql/connect';
import {
  describeSqlError,
  executeScript,
  redactQuoted,
  splitScript,
} from '../../../../lambdas/shared/sql/execute-script';

/** A connection that records what it is sent, changes one row per UPDATE and fails on chosen statements. */
class FakeConnection implements SqlConnection {
  readonly sent: string[] = [];
  readonly failures = new Map<string, Error>();

  async execute(sql: string): Promise<StatementResult> {
    this.sent.push(sql);
    const failure = this.failures.get(sql);
    if (failure) throw failure;
    return { rowCount: 0, rowsAffected: sql.startsWith('UPDATE') ? 1 : 0 };
  }

  async query(sql: string): Promise<number> {
    this.sent.push(sql);
    return 0;
  }

  async close(): Promise<void> {}
}

function serverError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const never = () => false;

const MASKING = [
  'USE app;',
  'SET FOREIGN_KEY_CHECKS = 0;',
  "UPDATE users SET email = CONCAT('user', id, '@example.com');",
  'UPDATE users SET phone = NULL;',
  'SET GLOBAL max_connections = 500;',
  'UPDATE orders SET address = NULL;',
].join('\n');

describe('splitScript', () => {
  it('names the file and holds its statements', () => {
    const script = splitScript('01-mask.sql', 'SELECT 1;\nSELECT 2;', 'mysql');

    expect(script.key).toBe('01-mask.sql');
    expect(script.statements.map((statement) => statement.text)).toEqual(['SELECT 1', 'SELECT 2']);
  });

  it('fails with a ScriptError naming the file and the line when the script cannot be split', () => {
    const split = () => splitScript('02-bad.sql', 'SELECT 1;\n\\connect other\n', 'postgres');

    expect(split).toThrow(ScriptError);
    expect(split).toThrow(/^02-bad\.sql: Line 2: psql meta-command "\\connect" is not supported/);
  });
});

describe('executeScript', () => {
  it('runs every statement in order and adds up the rows affected', async () => {
    const connection = new FakeConnection();
    const script = splitScript('01-mask.sql', MASKING, 'mysql');

    const progress = await executeScript(connection, script, { startIndex: 0, shouldStop: never });

    expect(connection.sent).toHaveLength(6);
    expect(progress).toEqual({ executed: 6, replayed: 0, rowsAffected: 3, nextIndex: 6, finished: true });
  });

  it('resumes at startIndex, first replaying the session settings made before it', async () => {
    const connection = new FakeConnection();
    const script = splitScript('01-mask.sql', MASKING, 'mysql');

    const progress = await executeScript(connection, script, { startIndex: 5, shouldStop: never });

    expect(connection.sent).toEqual([
      'USE app',
      'SET FOREIGN_KEY_CHECKS = 0',
      'UPDATE orders SET address = NULL',
    ]);
    expect(progress).toEqual({ executed: 1, replayed: 2, rowsAffected: 1, nextIndex: 6, finished: true });
  });

  it('replays no PostgreSQL setting scoped to a transaction or the server', async () => {
    const connection = new FakeConnection();
    const script = splitScript(
      'mask.sql',
      "SET search_path = app;\nSET LOCAL lock_timeout = '1s';\nSET session_replication_role = replica;\nSET TRANSACTION READ WRITE;\nUPDATE users SET email = NULL;",
      'postgres',
    );

    await executeScript(connection, script, { startIndex: 4, shouldStop: never });

    expect(connection.sent).toEqual([
      'SET search_path = app',
      'SET session_replication_role = replica',
      'UPDATE users SET email = NULL',
    ]);
  });

  it('does nothing when every statement already ran before', async () => {
    const connection = new FakeConnection();
    const script = splitScript('01-mask.sql', 'UPDATE a SET b = 1;', 'mysql');

    const progress = await executeScript(connection, script, { startIndex: 1, shouldStop: never });

    expect(connection.sent).toEqual([]);
    expect(progress).toEqual({ executed: 0, replayed: 0, rowsAffected: 0, nextIndex: 1, finished: true });
  });

  it('stops before the statement for which shouldStop is true, telling it how many ran', async () => {
    const connection = new FakeConnection();
    const script = splitScript('01-mask.sql', MASKING, 'mysql');
    const asked: number[] = [];

    const progress = await executeScript(connection, script, {
      startIndex: 1,
      shouldStop: (executed) => {
        asked.push(executed);
        return executed === 2;
      },
    });

    expect(asked).toEqual([0, 1, 2]);
    expect(connection.sent).toEqual([
      'USE app',
      'SET FOREIGN_KEY_CHECKS = 0',
      "UPDATE users SET email = CONCAT('user', id, '@example.com')",
    ]);
    expect(progress).toEqual({ executed: 2, replayed: 1, rowsAffected: 1, nextIndex: 3, finished: false });
  });

  it('never stops inside an explicit transaction', async () => {
    const connection = new FakeConnection();
    const script = splitScript(
      'tx.sql',
      'START TRANSACTION;\nUPDATE a SET b = 1;\nUPDATE c SET d = 1;\nCOMMIT;\nUPDATE e SET f = 1;',
      'mysql',
    );
    const asked: number[] = [];

    const progress = await executeScript(connection, script, {
      startIndex: 0,
      shouldStop: (executed) => {
        asked.push(executed);
        return executed > 0;
      },
    });

    expect(asked).toEqual([0, 4]);
    expect(progress).toMatchObject({ executed: 4, nextIndex: 4, finished: false });
  });

  it('may stop after ROLLBACK but not after ROLLBACK TO SAVEPOINT or COMMIT AND CHAIN', async () => {
    const connection = new FakeConnection();
    const script = splitScript(
      'tx.sql',
      'BEGIN;\nSAVEPOINT s;\nROLLBACK TO SAVEPOINT s;\nCOMMIT AND CHAIN;\nROLLBACK;\nSELECT 1;',
      'mysql',
    );

    const progress = await executeScript(connection, script, {
      startIndex: 0,
      shouldStop: (executed) => executed > 0,
    });

    expect(progress).toMatchObject({ executed: 5, nextIndex: 5 });
  });

  it("takes MariaDB's BEGIN NOT ATOMIC block for a statement, not a transaction", async () => {
    const connection = new FakeConnection();
    const script = splitScript(
      'block.sql',
      'DELIMITER //\nBEGIN NOT ATOMIC\n  UPDATE a SET b = 1;\nEND//\nDELIMITER ;\nSELECT 1;',
      'mysql',
    );

    const progress = await executeScript(connection, script, {
      startIndex: 0,
      shouldStop: (executed) => executed > 0,
    });

    expect(progress).toMatchObject({ executed: 1, nextIndex: 1, finished: false });
  });

  it('fails with the file, statement, line and code, and redacts the values the server quotes', async () => {
    const connection = new FakeConnection();
    const script = splitScript('01-mask.sql', MASKING, 'mysql');
    connection.failures.set(
      "UPDATE users SET email = CONCAT('user', id, '@example.com')",
      serverError("Duplicate entry 'john@x.com' for key 'users.email'", 'ER_DUP_ENTRY'),
    );

    const run = executeScript(connection, script, { startIndex: 0, shouldStop: never });

    await expect(run).rejects.toThrow(ScriptError);
    await expect(run).rejects.toThrow(
      "01-mask.sql: statement 3 (line 3) failed: ER_DUP_ENTRY Duplicate entry '…' for key '…'",
    );
    expect(connection.sent).toHaveLength(3);
  });

  it('fails on a replayed session setting like on any statement', async () => {
    const connection = new FakeConnection();
    const script = splitScript('01-mask.sql', MASKING, 'mysql');
    connection.failures.set('USE app', serverError("Unknown database 'app'", 'ER_BAD_DB_ERROR'));

    await expect(executeScript(connection, script, { startIndex: 4, shouldStop: never })).rejects.toThrow(
      "01-mask.sql: statement 1 (line 1) failed: ER_BAD_DB_ERROR Unknown database 'app'",
    );
  });

  it('rethrows a transient connection error unchanged, for the state machine to retry', async () => {
    const connection = new FakeConnection();
    const script = splitScript('01-mask.sql', MASKING, 'mysql');
    const reset = serverError('read ECONNRESET', 'ECONNRESET');
    connection.failures.set('UPDATE users SET phone = NULL', reset);

    await expect(executeScript(connection, script, { startIndex: 0, shouldStop: never })).rejects.toBe(reset);
  });
});

describe('redactQuoted', () => {
  it.each([
    [
      'a MySQL duplicate key',
      "Duplicate entry 'john@x.com' for key 'users.email'",
      "Duplicate entry '…' for key '…'",
    ],
    [
      'a value holding a quote',
      "Duplicate entry 'O'Brien' for key 'name'",
      "Duplicate entry '…' for key '…'",
    ],
    [
      'a PostgreSQL invalid input',
      'invalid input syntax for type integer: "12 Main St"',
      'invalid input syntax for type integer: "…"',
    ],
    ['a quote never closed', "Incorrect string value: 'abc", "Incorrect string value: '…'"],
    ['an apostrophe inside a word', "Table 'shop.users' doesn't exist", "Table '…' doesn't exist"],
    ['an empty value', "Duplicate entry '' for key 'PRIMARY'", "Duplicate entry '' for key '…'"],
  ])('redacts %s', (_case, message, redacted) => {
    expect(redactQuoted(message, 'UPDATE users SET email = NULL')).toBe(redacted);
  });

  it("keeps quoted text the statement itself contains, as it is the script's, not the table's", () => {
    const statement = 'UPDATE users SET emial = NULL';

    expect(redactQuoted("Unknown column 'emial' in 'field list'", statement)).toBe(
      "Unknown column 'emial' in '…'",
    );
    expect(redactQuoted('relation "USERS" does not exist', statement)).toBe(
      'relation "USERS" does not exist',
    );
  });
});

describe('describeSqlError', () => {
  it('puts the server code before the redacted message', () => {
    const error = serverError('value too long for type character varying(10)', '22001');

    expect(describeSqlError(error, 'SELECT 1')).toBe('22001 value too long for type character varying(10)');
  });

  it('gives the message alone when there is no code, and says so when nothing was thrown as an Error', () => {
    expect(describeSqlError(new Error('Connection terminated'), 'SELECT 1')).toBe('Connection terminated');
    expect(describeSqlError('boom', 'SELECT 1')).toBe('unknown error');
  });
});
