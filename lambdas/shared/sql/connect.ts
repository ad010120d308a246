import { isIP } from 'node:net';
import type { Connection as MysqlConnection, ConnectionOptions as MysqlOptions } from 'mysql2/promise';
import type { Client as PgClient, ClientConfig as PgClientConfig } from 'pg';
import { logger } from '../handler';
import type { TlsMode } from './database-tls';
import { checkAddressIdentity, mysqlSsl, postgresSsl, withTlsErrors } from './driver-tls';
import type { SqlDialect } from './split-statements';

/** What a statement did: rows it returned and rows it changed. Never the rows themselves. */
export interface StatementResult {
  readonly rowCount: number;
  readonly rowsAffected: number;
}

/** One database session, as little of a driver as the script step needs. */
export interface SqlConnection {
  /** Runs one statement as plain text (no prepared statement), so DDL and routine bodies work. */
  execute(sql: string): Promise<StatementResult>;
  /**
   * Runs statements in one round trip, for runs of INSERT, UPDATE and DELETE (see executeScript). A failure
   * is returned, not thrown, with how many of the statements completed before it.
   */
  executeBatch(statements: readonly string[]): Promise<BatchResult>;
  /** Runs a query and returns how many rows it returned. */
  query(sql: string): Promise<number>;
  close(): Promise<void>;
}

/** What a batch did. */
export interface BatchResult {
  /** Statements that completed (committed, outside a transaction) before the failure, or all of them. */
  readonly completed: number;
  readonly rowsAffected: number;
  /**
   * Why the batch stopped. `atStatement`: the statement `completed` is the one that failed (MySQL runs a batch
   * statement by statement); otherwise none of the batch took effect and the failing statement is unknown
   * (PostgreSQL runs a batch as one implicit transaction).
   */
  readonly failure?: { readonly error: unknown; readonly atStatement: boolean };
}

export interface ConnectionSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The database to connect to; none means no default database (MySQL only; PostgreSQL needs one). */
  readonly database?: string;
}

export type { TlsMode } from './database-tls';

/** Opens one connection to the copy; the caller closes it. */
export type OpenConnection = (
  dialect: SqlDialect,
  settings: ConnectionSettings,
  tls: TlsMode,
) => Promise<SqlConnection>;

const CONNECT_TIMEOUT_MILLISECONDS = 10_000;

/** Opens a session with mysql2 (dialect `mysql`) or pg (dialect `postgres`). */
export const openConnection: OpenConnection = (dialect, settings, tls) =>
  dialect === 'mysql' ? openMysql(settings, tls) : openPostgres(settings, tls);

/**
 * A mysql2 connection as dbrefresh opens every one (the mariadb client's SQL mode, TLS, timeouts, an error
 * listener); `options` adds what the caller needs (rows as arrays, a type cast).
 */
export async function connectMysql(
  settings: ConnectionSettings,
  tls: TlsMode,
  options: Partial<MysqlOptions> = {},
): Promise<MysqlConnection> {
  const ssl = await mysqlSsl(tls, settings.host);
  // Each driver is loaded on first use: a run needs only one of them, and loading both slows the cold start.
  const { default: mysql } = await import('mysql2/promise');
  const connection = await withTlsErrors(settings, tls, () =>
    mysql.createConnection({
      host: settings.host,
      port: settings.port,
      user: settings.user,
      password: settings.password,
      database: settings.database,
      connectTimeout: CONNECT_TIMEOUT_MILLISECONDS,
      multipleStatements: false,
      // mysql2 asks for IGNORE_SPACE by default; the mariadb client does not, and MariaDB stores the SQL mode
      // with every routine and trigger a script creates (IGNORE_SPACE makes function names reserved words).
      flags: ['-IGNORE_SPACE'],
      // mysql2 captures a stack trace for every query by default, which doubled its CPU time per statement on a
      // 100,000-statement script (npm run bench -- masking); our errors name the file and statement instead.
      trace: false,
      ssl,
      ...options,
    }),
  );
  if (tls !== 'off' && isIP(settings.host) !== 0) checkAddressIdentity(connection, settings, tls);
  // An idle connection that drops emits 'error'; unheard, it would end the Lambda process.
  connection.on('error', (error: unknown) => logConnectionError('mysql', error));
  return connection;
}

async function openMysql(settings: ConnectionSettings, tls: TlsMode): Promise<SqlConnection> {
  // As with the mariadb client, which also sends a delimiter-ended text holding several statements as it is.
  const connection = await connectMysql(settings, tls, { multipleStatements: true });
  return {
    async execute(sql) {
      const [result] = await connection.query(sql);
      return mysqlResult(result);
    },
    executeBatch: (statements) => mysqlBatch(connection, statements),
    async query(sql) {
      const [result] = await connection.query(sql);
      return mysqlResult(result).rowCount;
    },
    async close() {
      await connection.end();
    },
  };
}

interface AffectedRows {
  affectedRows: number;
}

function isAffectedRows(value: unknown): value is AffectedRows {
  return typeof value === 'object' && value !== null && 'affectedRows' in value;
}

/** mysql2's result of a statement without rows; a row is a plain object, never one of these. */
function isResultSetHeader(value: unknown): value is AffectedRows {
  return isAffectedRows(value) && value.constructor?.name === 'ResultSetHeader';
}

/** The callback connection under mysql2's promise wrapper: there at runtime, not in the wrapper's types. */
interface CoreConnection {
  readonly connection: { query(sql: string): NodeJS.EventEmitter };
}

/**
 * Sends the statements as one multi-statement text. The server runs them in order, each committing on its
 * own, and stops at the first error; each statement's OK packet arrives as a `result` event,
 * so the number completed before the failure is known exactly. Statements that return rows are not batched.
 */
function mysqlBatch(connection: MysqlConnection, statements: readonly string[]): Promise<BatchResult> {
  return new Promise((resolve) => {
    let completed = 0;
    let rowsAffected = 0;
    let failure: BatchResult['failure'];
    // The promise wrapper resolves with the results only once all ran; the core query reports each one.
    const { connection: core } = connection as unknown as CoreConnection;
    const query = core.query(statements.join('\n;\n'));
    // A statement without rows ends with one OK packet (a ResultSetHeader `result`); batches hold no others.
    query.on('result', (result: unknown) => {
      if (!isAffectedRows(result)) return;
      completed++;
      rowsAffected += result.affectedRows;
    });
    query.on('error', (error: unknown) => {
      failure = { error, atStatement: true };
    });
    query.on('end', () => resolve({ completed, rowsAffected, failure }));
  });
}

/**
 * Counts from what mysql2's `query` resolves to: a ResultSetHeader for a statement without rows, an array
 * of rows for a query, or, for CALL, the procedure's result sets (arrays) followed by a ResultSetHeader.
 */
function mysqlResult(result: unknown): StatementResult {
  if (!Array.isArray(result)) {
    return { rowCount: 0, rowsAffected: isAffectedRows(result) ? result.affectedRows : 0 };
  }
  // Several statements in one text resolve to a list of their results: row arrays and ResultSetHeaders.
  const results = result.some((part) => Array.isArray(part) || isResultSetHeader(part));
  if (!results) return { rowCount: result.length, rowsAffected: 0 };
  let rowCount = 0;
  let rowsAffected = 0;
  for (const part of result) {
    if (Array.isArray(part)) rowCount += part.length;
    else if (isAffectedRows(part)) rowsAffected += part.affectedRows;
  }
  return { rowCount, rowsAffected };
}

/** A connected pg client as dbrefresh opens every one (TLS, timeouts, an error listener); `options` adds to it. */
export async function connectPostgres(
  settings: ConnectionSettings,
  tls: TlsMode,
  options: Partial<PgClientConfig> = {},
): Promise<PgClient> {
  const ssl = await postgresSsl(tls);
  const { Client } = await import('pg');
  const client: PgClient = new Client({
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    database: settings.database,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MILLISECONDS,
    ssl,
    ...options,
  });
  client.on('error', (error: unknown) => logConnectionError('pg', error));
  await withTlsErrors(settings, tls, () => client.connect());
  return client;
}

async function openPostgres(settings: ConnectionSettings, tls: TlsMode): Promise<SqlConnection> {
  const client = await connectPostgres(settings, tls);
  return {
    async execute(sql) {
      return postgresResult(await client.query(sql));
    },
    // One query runs as one implicit transaction: all of the batch takes effect, or none of it.
    async executeBatch(statements) {
      try {
        const { rowsAffected } = postgresResult(await client.query(statements.join('\n;\n')));
        return { completed: statements.length, rowsAffected };
      } catch (error: unknown) {
        return { completed: 0, rowsAffected: 0, failure: { error, atStatement: false } };
      }
    },
    async query(sql) {
      return postgresResult(await client.query(sql)).rowCount;
    },
    async close() {
      await client.end();
    },
  };
}

interface PgResultLike {
  command?: string | null;
  rowCount?: number | null;
  rows?: unknown[];
}

const COMMANDS_CHANGING_ROWS: ReadonlySet<string> = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/** Counts from a pg result; a simple query holding several statements resolves to an array of them. */
function postgresResult(result: PgResultLike | PgResultLike[]): StatementResult {
  const parts = Array.isArray(result) ? result : [result];
  let rowCount = 0;
  let rowsAffected = 0;
  for (const part of parts) {
    rowCount += part.rows?.length ?? 0;
    if (COMMANDS_CHANGING_ROWS.has(part.command ?? '')) rowsAffected += part.rowCount ?? 0;
  }
  return { rowCount, rowsAffected };
}

function logConnectionError(driver: string, error: unknown): void {
  logger.warn('Database connection error', {
    driver,
    errorName: error instanceof Error ? error.name : typeof error,
    errorCode: (error as { code?: unknown } | null)?.code,
  });
}
