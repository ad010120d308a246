import { ScriptError } from '../../../../lambdas/shared/errors';
import { logger } from '../../../../lambdas/shared/handler';
import type { BatchResult, SqlConnection, StatementResult } from '../../../../lambdas/shared/sql/connect';
import {
  assertFitsOneTransaction,
  describeSqlError,
  executeScript,
  redactQuoted,
  splitScript,
  transactionProblems,
} from '../../../../lambdas/shared/sql/execute-script';
import type { SqlDialect } from '../../../../lambdas/shared/sql/split-statements';
import { statementByStatement } from '../../../fixtures/sql-connection';

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

  readonly executeBatch = statementByStatement((sql) => this.execute(sql));

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

/** A clock that moves a second every time it is read: statements that slow are sent one at a time. */
function secondPerCall(): () => number {
  let now = 0;
  return () => (now += 1000);
}

const MASKING = [
  'USE app;',
  'SET FOREIGN_KEY_CHECKS = 0;',
  "UPDATE users SET email = CONCAT('user', id, '@example.com');",
  'UPDATE users SET phone = NULL;',
  'SET GLOBAL max_connections = 500;',
  'UPDATE orders SET address = NULL;',
].join('\n');

describe('splitScript', () => {
  it('names the file and holds its dialect and statements', () => {
    const script = splitScript('01-mask.sql', 'SELECT 1;\nSELECT 2;', 'mysql');

    expect(script.key).toBe('01-mask.sql');
    expect(script.dialect).toBe('mysql');
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
      clock: secondPerCall(),
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

describe('executeScript batching', () => {
  /**
   * A server that takes batches: `atomic` (PostgreSQL) runs a batch as one implicit transaction, all or
   * nothing; otherwise (MySQL) statement by statement, stopping at the first failure.
   */
  class BatchingServer implements SqlConnection {
    readonly roundTrips: string[][] = [];
    readonly committed: string[] = [];
    failing?: string;

    constructor(private readonly atomic: boolean) {}

    async execute(sql: string): Promise<StatementResult> {
      this.roundTrips.push([sql]);
      return this.apply(sql);
    }

    async executeBatch(statements: readonly string[]): Promise<BatchResult> {
      this.roundTrips.push([...statements]);
      if (this.atomic && this.failing !== undefined && statements.includes(this.failing)) {
        return { completed: 0, rowsAffected: 0, failure: { error: divisionByZero(), atStatement: false } };
      }
      let completed = 0;
      for (const sql of statements) {
        try {
          this.apply(sql);
        } catch (error: unknown) {
          return { completed, rowsAffected: completed, failure: { error, atStatement: true } };
        }
        completed++;
      }
      return { completed, rowsAffected: completed };
    }

    private apply(sql: string): StatementResult {
      if (sql === this.failing) throw divisionByZero();
      this.committed.push(sql);
      return { rowCount: 0, rowsAffected: sql.startsWith('UPDATE') ? 1 : 0 };
    }

    async query(sql: string): Promise<number> {
      this.roundTrips.push([sql]);
      return 0;
    }

    async close(): Promise<void> {}
  }

  const divisionByZero = () => serverError('division by zero', '22012');

  const updates = (count: number) =>
    Array.from({ length: count }, (_, i) => `UPDATE customers SET email = 'x' WHERE id = ${i + 1};`).join(
      '\n',
    );
  const third = "UPDATE customers SET email = 'x' WHERE id = 3";

  it('sends runs of INSERT, UPDATE and DELETE in round trips of at most 100 statements', async () => {
    const server = new BatchingServer(true);
    const script = splitScript(
      'mask.sql',
      `SET search_path = app;\n${updates(150)}\nVACUUM customers;`,
      'postgres',
    );

    const progress = await executeScript(server, script, { startIndex: 0, shouldStop: never });

    expect(server.roundTrips.map((trip) => trip.length)).toEqual([1, 100, 50, 1]);
    expect(progress).toMatchObject({ executed: 152, rowsAffected: 150, nextIndex: 152, finished: true });
  });

  it('sends a statement that returns rows (RETURNING) on its own', async () => {
    const server = new BatchingServer(true);
    const script = splitScript(
      'mask.sql',
      `${updates(2)}\nDELETE FROM t RETURNING id;\n${updates(2)}`,
      'postgres',
    );

    await executeScript(server, script, { startIndex: 0, shouldStop: never });

    expect(server.roundTrips.map((trip) => trip.length)).toEqual([1, 1, 1, 2]);
  });

  it('PostgreSQL: runs a failed batch again one statement at a time, committing those before the failure and naming it', async () => {
    const server = new BatchingServer(true);
    server.failing = third;
    const script = splitScript('mask.sql', updates(5), 'postgres');

    const run = executeScript(server, script, { startIndex: 0, shouldStop: never });

    await expect(run).rejects.toThrow('mask.sql: statement 3 (line 3) failed: 22012 division by zero');
    expect(server.committed).toHaveLength(2);
    expect(server.roundTrips.map((trip) => trip.length)).toEqual([1, 4, 1, 1]);
  });

  it('MySQL: names the statement the server stopped at, running none of the batch again', async () => {
    const server = new BatchingServer(false);
    server.failing = third;
    const script = splitScript('mask.sql', updates(5), 'mysql');

    const run = executeScript(server, script, { startIndex: 0, shouldStop: never });

    await expect(run).rejects.toThrow('mask.sql: statement 3 (line 3) failed: 22012 division by zero');
    expect(server.committed).toHaveLength(2);
    expect(server.roundTrips.map((trip) => trip.length)).toEqual([1, 4]);
  });

  it('checks the time before each batch, so a resumed run starts after the last whole batch', async () => {
    const server = new BatchingServer(true);
    const script = splitScript('mask.sql', updates(250), 'postgres');

    const progress = await executeScript(server, script, {
      startIndex: 0,
      shouldStop: (executed) => executed >= 150,
    });

    expect(progress).toMatchObject({ executed: 201, nextIndex: 201, finished: false });
  });

  it('starts with one statement and grows batches only while statements are quick', async () => {
    const server = new BatchingServer(true);
    const script = splitScript('mask.sql', updates(5), 'postgres');

    await executeScript(server, script, { startIndex: 0, shouldStop: never, clock: secondPerCall() });

    expect(server.roundTrips.map((trip) => trip.length)).toEqual([1, 1, 1, 1, 1]);
  });

  it('sends statements inside an explicit transaction one at a time', async () => {
    const server = new BatchingServer(true);
    const script = splitScript('mask.sql', `BEGIN;\n${updates(3)}\nCOMMIT;`, 'postgres');

    await executeScript(server, script, { startIndex: 0, shouldStop: never });

    expect(server.roundTrips.map((trip) => trip.length)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('executeScript with transaction "per-file"', () => {
  const perFile = { startIndex: 0, shouldStop: never, transaction: 'per-file' } as const;

  it('runs a MySQL file between START TRANSACTION and COMMIT and adds up the rows affected', async () => {
    const connection = new FakeConnection();
    const script = splitScript('01-mask.sql', 'UPDATE a SET b = 1;\nUPDATE c SET d = 1;', 'mysql');

    const progress = await executeScript(connection, script, perFile);

    expect(connection.sent).toEqual([
      'START TRANSACTION',
      'UPDATE a SET b = 1',
      'UPDATE c SET d = 1',
      'COMMIT',
    ]);
    expect(progress).toEqual({ executed: 2, replayed: 0, rowsAffected: 2, nextIndex: 2, finished: true });
  });

  it('runs a PostgreSQL file, DDL and PL/pgSQL bodies included, between BEGIN and COMMIT', async () => {
    const connection = new FakeConnection();
    const script = splitScript(
      'mask.sql',
      'CREATE TABLE audit (id int);\nDO $$ BEGIN UPDATE users SET email = NULL; COMMIT; END $$;',
      'postgres',
    );

    await executeScript(connection, script, perFile);

    expect(connection.sent).toEqual([
      'BEGIN',
      'CREATE TABLE audit (id int)',
      'DO $$ BEGIN UPDATE users SET email = NULL; COMMIT; END $$',
      'COMMIT',
    ]);
  });

  it('never pauses inside the file, whatever shouldStop says once it started', async () => {
    const connection = new FakeConnection();
    const script = splitScript('01-mask.sql', MASKING, 'mysql');
    const asked: number[] = [];

    const progress = await executeScript(connection, script, {
      ...perFile,
      shouldStop: (executed) => {
        asked.push(executed);
        return executed > 0;
      },
    });

    expect(asked).toEqual([0]);
    expect(progress).toMatchObject({ executed: 6, finished: true });
  });

  it('may wait for a later invocation before it starts, sending nothing', async () => {
    const connection = new FakeConnection();
    const script = splitScript('01-mask.sql', MASKING, 'mysql');

    const progress = await executeScript(connection, script, { ...perFile, shouldStop: () => true });

    expect(connection.sent).toEqual([]);
    expect(progress).toEqual({ executed: 0, replayed: 0, rowsAffected: 0, nextIndex: 0, finished: false });
  });

  it('does nothing for a file an earlier invocation committed', async () => {
    const connection = new FakeConnection();
    const script = splitScript('01-mask.sql', MASKING, 'mysql');

    const progress = await executeScript(connection, script, { ...perFile, startIndex: 6 });

    expect(connection.sent).toEqual([]);
    expect(progress).toMatchObject({ executed: 0, nextIndex: 6, finished: true });
  });

  it('rejects resuming inside a file', async () => {
    const script = splitScript('01-mask.sql', MASKING, 'mysql');

    await expect(executeScript(new FakeConnection(), script, { ...perFile, startIndex: 2 })).rejects.toThrow(
      '01-mask.sql: cannot resume at statement 3',
    );
  });

  it('fails when a statement fails, after rolling the whole file back', async () => {
    const connection = new FakeConnection();
    const script = splitScript('01-mask.sql', MASKING, 'mysql');
    connection.failures.set(
      'UPDATE users SET phone = NULL',
      serverError("Unknown column 'phone'", 'ER_BAD_FIELD_ERROR'),
    );

    const run = executeScript(connection, script, perFile);

    await expect(run).rejects.toThrow(ScriptError);
    await expect(run).rejects.toThrow(
      "01-mask.sql: statement 4 (line 4) failed: ER_BAD_FIELD_ERROR Unknown column 'phone'; the file's transaction was rolled back: none of it took effect",
    );
    expect(connection.sent.slice(-2)).toEqual(['UPDATE users SET phone = NULL', 'ROLLBACK']);
    expect(connection.sent).not.toContain('COMMIT');
  });

  it('fails when COMMIT fails, rolling back', async () => {
    const connection = new FakeConnection();
    const script = splitScript('mask.sql', 'UPDATE users SET email = NULL;', 'postgres');
    connection.failures.set('COMMIT', serverError('violates foreign key constraint "orders_fk"', '23503'));

    await expect(executeScript(connection, script, perFile)).rejects.toThrow(
      'mask.sql: COMMIT failed: 23503 violates foreign key constraint "…"',
    );
    expect(connection.sent.at(-1)).toBe('ROLLBACK');
  });

  it("fails with the statement's error alone when ROLLBACK fails too, and logs that", async () => {
    const connection = new FakeConnection();
    const script = splitScript('01-mask.sql', 'UPDATE a SET b = 1;', 'mysql');
    connection.failures.set(
      'UPDATE a SET b = 1',
      serverError('Lock wait timeout exceeded', 'ER_LOCK_WAIT_TIMEOUT'),
    );
    connection.failures.set('ROLLBACK', serverError('Connection lost', 'PROTOCOL_CONNECTION_LOST'));
    const warn = jest.spyOn(logger, 'warn');

    const run = executeScript(connection, script, perFile);

    await expect(run).rejects.toThrow(
      new ScriptError(
        '01-mask.sql: statement 1 (line 1) failed: ER_LOCK_WAIT_TIMEOUT Lock wait timeout exceeded',
      ),
    );
    expect(warn).toHaveBeenCalledWith(
      'ROLLBACK failed; the transaction ends with the session',
      expect.objectContaining({ key: '01-mask.sql', errorCode: 'PROTOCOL_CONNECTION_LOST' }),
    );
    warn.mockRestore();
  });

  it('rethrows a transient connection error unchanged after trying to roll back, for a retry of the whole file', async () => {
    const connection = new FakeConnection();
    const script = splitScript('01-mask.sql', MASKING, 'mysql');
    const reset = serverError('read ECONNRESET', 'ECONNRESET');
    connection.failures.set('UPDATE users SET phone = NULL', reset);

    await expect(executeScript(connection, script, perFile)).rejects.toBe(reset);
    expect(connection.sent.at(-1)).toBe('ROLLBACK');
  });

  it('fails, rolled back, when the invocation ends before the file does', async () => {
    const connection = new FakeConnection();
    const script = splitScript('01-mask.sql', MASKING, 'mysql');

    const run = executeScript(connection, script, {
      ...perFile,
      timeIsUp: () => connection.sent.length > 3,
    });

    await expect(run).rejects.toThrow(
      /^01-mask\.sql: did not finish within one invocation of the scripts function \(3 of 6 statements ran\); .* use scripts\.transaction "none" .* rolled back: none of it took effect$/,
    );
    expect(connection.sent.at(-1)).toBe('ROLLBACK');
  });

  it('rolls back to start again in the next invocation when it may wait for one and time is up', async () => {
    const connection = new FakeConnection();
    const script = splitScript('02-clean.sql', MASKING, 'mysql');
    let late = false;
    const info = jest.spyOn(logger, 'info');

    const progress = await executeScript(connection, script, {
      ...perFile,
      shouldStop: () => late,
      timeIsUp: () => {
        late = connection.sent.length > 2;
        return late;
      },
    });

    expect(progress).toEqual({ executed: 0, replayed: 0, rowsAffected: 0, nextIndex: 0, finished: false });
    expect(connection.sent).toEqual([
      'START TRANSACTION',
      'USE app',
      'SET FOREIGN_KEY_CHECKS = 0',
      'ROLLBACK',
    ]);
    expect(info).toHaveBeenCalledWith('Per-file script rolled back to start again in the next invocation', {
      key: '02-clean.sql',
      executed: 2,
    });
    info.mockRestore();
  });

  it('refuses a file that cannot run in one transaction before sending anything', async () => {
    const connection = new FakeConnection();
    const script = splitScript('02-ddl.sql', 'UPDATE a SET b = 1;\nCREATE TABLE t (id INT);', 'mysql');

    await expect(executeScript(connection, script, perFile)).rejects.toThrow(
      '02-ddl.sql statement 2 (line 2): CREATE TABLE commits the open transaction implicitly',
    );
    expect(connection.sent).toEqual([]);
  });
});

describe('transactionProblems', () => {
  const why = (dialect: SqlDialect, text: string) =>
    transactionProblems(splitScript('f.sql', `${text};`, dialect))[0]?.replace(
      'f.sql statement 1 (line 1): ',
      '',
    );

  it.each([
    ['CREATE TABLE t (id INT)', 'CREATE TABLE commits the open transaction implicitly in MySQL and MariaDB'],
    ['create or replace view v as select 1', 'CREATE VIEW commits'],
    ['CREATE DEFINER=`admin`@`%` PROCEDURE p() SELECT 1', 'CREATE PROCEDURE commits'],
    ['CREATE UNIQUE INDEX i ON t (a)', 'CREATE INDEX commits'],
    ['ALTER TABLE t ADD COLUMN c INT', 'ALTER TABLE commits'],
    ['ALTER TABLE tmp_t ADD COLUMN c INT', 'ALTER TABLE commits'],
    ['DROP TABLE IF EXISTS t', 'DROP TABLE commits'],
    ['DROP USER app', 'DROP USER commits'],
    ['CREATE USER app IDENTIFIED BY "x"', 'CREATE USER commits'],
    ['RENAME TABLE a TO b', 'RENAME commits'],
    ['TRUNCATE TABLE audit_log', 'TRUNCATE commits'],
    ['TRUNCATE audit_log', 'TRUNCATE commits'],
    ['GRANT SELECT ON shop.* TO app', 'GRANT commits'],
    ['REVOKE ALL ON shop.* FROM app', 'REVOKE commits'],
    ['LOCK TABLES t WRITE', 'LOCK commits'],
    ['UNLOCK TABLES', 'UNLOCK commits'],
    ['ANALYZE TABLE t', 'ANALYZE TABLE commits'],
    ['OPTIMIZE NO_WRITE_TO_BINLOG TABLE t', 'OPTIMIZE NO_WRITE_TO_BINLOG commits'],
    ['FLUSH PRIVILEGES', 'FLUSH commits'],
    ['LOAD INDEX INTO CACHE t', 'LOAD INDEX commits'],
    ['SET PASSWORD FOR app = PASSWORD("x")', 'SET PASSWORD commits'],
    ['/*!40000 ALTER TABLE `t` DISABLE KEYS */', 'ALTER TABLE commits'],
    ['START TRANSACTION', 'START TRANSACTION controls the transaction itself'],
    ['BEGIN', 'BEGIN controls the transaction itself'],
    ['COMMIT', 'COMMIT controls the transaction itself'],
    ['ROLLBACK', 'ROLLBACK controls the transaction itself'],
    ['SET autocommit = 0', 'SET autocommit controls the transaction itself'],
    ['SET @@session.autocommit = 0', 'SET autocommit controls the transaction itself'],
    ["XA START 'x'", 'XA controls the transaction itself'],
  ])('refuses in MySQL/MariaDB: %s', (text, reason) => {
    expect(why('mysql', text)).toContain(reason);
  });

  it.each([
    'UPDATE customers SET email = NULL',
    'INSERT INTO t SELECT * FROM u',
    'LOAD DATA LOCAL INFILE "x" INTO TABLE t',
    'CREATE TEMPORARY TABLE tmp (id INT)',
    'CREATE OR REPLACE TEMPORARY TABLE tmp AS SELECT 1',
    'DROP TEMPORARY TABLE IF EXISTS tmp',
    'SAVEPOINT s',
    'ROLLBACK TO SAVEPOINT s',
    'ROLLBACK WORK TO s',
    'RELEASE SAVEPOINT s',
    'SET FOREIGN_KEY_CHECKS = 0',
    'USE shop',
    'CHECKSUM TABLE t',
    'ANALYZE SELECT * FROM t',
    'CALL mask_customers()',
  ])('accepts in MySQL/MariaDB: %s', (text) => {
    expect(why('mysql', text)).toBeUndefined();
  });

  it("accepts MariaDB's BEGIN NOT ATOMIC compound statement", () => {
    const script = splitScript(
      'block.sql',
      'DELIMITER //\nBEGIN NOT ATOMIC\n  UPDATE a SET b = 1;\nEND//\nDELIMITER ;',
      'mysql',
    );

    expect(transactionProblems(script)).toEqual([]);
  });

  it.each([
    ['VACUUM ANALYZE customers', 'PostgreSQL cannot run VACUUM inside a transaction block'],
    ['CREATE DATABASE copy', 'cannot run CREATE DATABASE'],
    ['DROP DATABASE copy', 'cannot run DROP DATABASE'],
    ["CREATE TABLESPACE fast LOCATION '/x'", 'cannot run CREATE TABLESPACE'],
    ['DROP TABLESPACE fast', 'cannot run DROP TABLESPACE'],
    ['CREATE INDEX CONCURRENTLY i ON t (a)', 'cannot run CREATE INDEX CONCURRENTLY'],
    ['CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)', 'cannot run CREATE INDEX CONCURRENTLY'],
    ['DROP INDEX CONCURRENTLY i', 'cannot run DROP INDEX CONCURRENTLY'],
    ['REINDEX TABLE CONCURRENTLY t', 'cannot run REINDEX ... CONCURRENTLY'],
    ['REINDEX (VERBOSE) INDEX CONCURRENTLY i', 'cannot run REINDEX ... CONCURRENTLY'],
    ['REINDEX DATABASE app', 'cannot run REINDEX DATABASE'],
    ["ALTER SYSTEM SET work_mem = '64MB'", 'cannot run ALTER SYSTEM'],
    ['ALTER DATABASE app SET TABLESPACE fast', 'cannot run ALTER DATABASE ... SET TABLESPACE'],
    ['BEGIN ISOLATION LEVEL SERIALIZABLE', 'BEGIN controls the transaction itself'],
    ['END', 'END controls the transaction itself'],
    ['ABORT', 'ABORT controls the transaction itself'],
    ['COMMIT AND CHAIN', 'COMMIT controls the transaction itself'],
    ["PREPARE TRANSACTION 'x'", 'PREPARE TRANSACTION controls the transaction itself'],
  ])('refuses in PostgreSQL: %s', (text, reason) => {
    expect(why('postgres', text)).toContain(reason);
  });

  it.each([
    'CREATE TABLE audit (id int)',
    'ALTER TABLE customers DROP COLUMN phone',
    'DROP TABLE IF EXISTS sessions',
    'TRUNCATE audit_log',
    'CREATE INDEX i ON t (a)',
    'GRANT SELECT ON customers TO app',
    'REINDEX TABLE customers',
    'ALTER DATABASE app SET search_path = app',
    'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$',
    'DO $$ BEGIN UPDATE t SET a = 1; END $$',
    'SAVEPOINT s',
    'ROLLBACK TO SAVEPOINT s',
    'PREPARE q AS SELECT 1',
  ])('accepts in PostgreSQL: %s', (text) => {
    expect(why('postgres', text)).toBeUndefined();
  });
});

describe('assertFitsOneTransaction', () => {
  it('accepts files that fit', () => {
    const scripts = [splitScript('01.sql', 'UPDATE a SET b = 1;', 'mysql')];

    expect(() => assertFitsOneTransaction(scripts)).not.toThrow();
  });

  it('rejects listing every such statement of every file with the fix', () => {
    const scripts = [
      splitScript('01.sql', 'UPDATE a SET b = 1;\nTRUNCATE sessions;', 'mysql'),
      splitScript('02.sql', 'START TRANSACTION;\nUPDATE a SET b = 2;\nCOMMIT;', 'mysql'),
    ];

    expect(() => assertFitsOneTransaction(scripts)).toThrow(
      new ScriptError(
        'scripts.transaction is "per-file", but 3 statement(s) cannot run inside a file\'s transaction: ' +
          '01.sql statement 2 (line 2): TRUNCATE commits the open transaction implicitly in MySQL and MariaDB, so the file could not be rolled back as a whole; ' +
          '02.sql statement 1 (line 1): START TRANSACTION controls the transaction itself; per-file mode already runs the file in one; ' +
          '02.sql statement 3 (line 3): COMMIT controls the transaction itself; per-file mode already runs the file in one. ' +
          'Set scripts.transaction to "none" (each statement commits as it runs), or move these statements out of the scripts',
      ),
    );
  });

  it('lists five problems and counts the others', () => {
    const scripts = [splitScript('ddl.sql', 'DROP TABLE a;\n'.repeat(8), 'mysql')];

    expect(() => assertFitsOneTransaction(scripts)).toThrow(
      /ddl\.sql statement 5 \(line 5\).*; and 3 more\. Set/,
    );
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
