import { type ConnectionSettings, connectMysql, connectPostgres, type TlsMode } from './connect';
import { withConnection } from './script-files';
import type { SqlDialect } from './split-statements';

/**
 * A database session that also returns rows, every value as the server's text (or null), for the steps
 * that read data to write it elsewhere (preserved tables and users). It connects as `openConnection` in
 * connect.ts does (connectMysql, connectPostgres); the script step's SqlConnection only counts rows.
 */

/** A value as text: never a JS number or date, so nothing is rounded or shifted to another time zone. */
export type SqlText = string | null;

export interface SessionResult {
  readonly rows: readonly (readonly SqlText[])[];
  /** Rows an INSERT, UPDATE or DELETE changed. */
  readonly rowsAffected: number;
}

export interface SqlSession {
  /**
   * Runs one statement. `params` fill `?` (MySQL, escaped by the driver) or `$1`, `$2`... (PostgreSQL,
   * sent apart from the text); without params the text is sent as it is (a simple query).
   */
  run(sql: string, params?: readonly string[]): Promise<SessionResult>;
  close(): Promise<void>;
}

export type OpenSession = (
  dialect: SqlDialect,
  settings: ConnectionSettings,
  tls: TlsMode,
) => Promise<SqlSession>;

/** Opens a session with mysql2 (dialect `mysql`) or pg (dialect `postgres`); the caller closes it. */
export const openSession: OpenSession = (dialect, settings, tls) =>
  dialect === 'mysql' ? openMysql(settings, tls) : openPostgres(settings, tls);

async function openMysql(settings: ConnectionSettings, tls: TlsMode): Promise<SqlSession> {
  const connection = await connectMysql(settings, tls, {
    rowsAsArray: true,
    typeCast: (field) => field.string('utf8'),
  });
  return {
    async run(sql, params) {
      const [result] =
        params === undefined ? await connection.query(sql) : await connection.query(sql, [...params]);
      if (!Array.isArray(result)) {
        const affected = (result as { affectedRows?: unknown }).affectedRows;
        return { rows: [], rowsAffected: typeof affected === 'number' ? affected : 0 };
      }
      return { rows: result as unknown as SqlText[][], rowsAffected: 0 };
    },
    async close() {
      await connection.end();
    },
  };
}

/** Every type is read as the server's text output. */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value };

async function openPostgres(settings: ConnectionSettings, tls: TlsMode): Promise<SqlSession> {
  const client = await connectPostgres(settings, tls, { types: TEXT_TYPES as never });
  return {
    async run(sql, params) {
      const result = await client.query({ text: sql, values: params && [...params], rowMode: 'array' });
      const changes = ['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(result.command ?? '');
      return {
        rows: (result.rows ?? []) as SqlText[][],
        rowsAffected: changes ? (result.rowCount ?? 0) : 0,
      };
    },
    async close() {
      await client.end();
    },
  };
}

/** Opens a session, runs `work` and closes the session whatever happens. */
export function withSession<T>(
  open: OpenSession,
  dialect: SqlDialect,
  settings: ConnectionSettings,
  tls: TlsMode,
  work: (session: SqlSession) => Promise<T>,
): Promise<T> {
  return withConnection(open(dialect, settings, tls), work);
}
