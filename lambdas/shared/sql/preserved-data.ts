import * as z from 'zod';
import type { PreservedTableName } from '../refresh-model/preserved-names';
import type { SqlSession } from './sql-session';

/**
 * What a refresh keeps of its target (`preserve` in the refresh file): the statements that rebuild the
 * listed tables' rows and users, read from the live target before the restore and run on the copy before
 * the swap. The captured object holds table data and password hashes: it lives only in the stack's
 * encrypted bucket, never in the execution's state, logs or history.
 */

/** One statement of a preserved user, with a label that names it without its secrets (for errors and logs). */
export const LabelledStatementSchema = z.object({
  sql: z.string(),
  /** "CREATE USER", "GRANT SELECT ON `app`.`settings`": never a password hash. */
  label: z.string(),
});
export type LabelledStatement = z.output<typeof LabelledStatementSchema>;

export const PreservedTableSchema = z.object({
  /** The name as `preserve.tables` lists it. */
  listed: z.string(),
  /** The database (MySQL) or schema (PostgreSQL) and table, as the target spells them. */
  schema: z.string(),
  table: z.string(),
  rowCount: z.number().int(),
  /** DELETE, then INSERTs of about INSERT_BATCH_CHARACTERS each, then any sequence adjustment. */
  statements: z.array(z.string()),
  /** The INSERT's text up to VALUES: what an error may quote (never row values). */
  insertHeader: z.string(),
});
export type PreservedTable = z.output<typeof PreservedTableSchema>;

/** What a dialect read of one listed table, to turn into the statements that put its rows back. */
export interface CapturedRows {
  readonly listed: string;
  readonly schema: string;
  readonly table: string;
  /** `DELETE FROM <table>`, quoted as the dialect quotes. */
  readonly deleteStatement: string;
  /** `INSERT INTO <table> (<columns>) VALUES `. */
  readonly insertHeader: string;
  /** Each row as a list of SQL literals, the first column of a captured row (or null when empty). */
  readonly rows: readonly (readonly (string | null)[])[];
  /** Statements to run after the rows, such as moving sequences past them. */
  readonly after?: readonly string[];
}

/** A captured table as it is stored: DELETE, the rows in INSERTs of about INSERT_BATCH_CHARACTERS, then `after`. */
export function preservedTable(captured: CapturedRows): PreservedTable {
  return {
    listed: captured.listed,
    schema: captured.schema,
    table: captured.table,
    rowCount: captured.rows.length,
    insertHeader: captured.insertHeader.trimEnd(),
    statements: [
      captured.deleteStatement,
      ...insertStatements(
        captured.insertHeader,
        captured.rows.map(([values]) => `(${values ?? ''})`),
      ),
      ...(captured.after ?? []),
    ],
  };
}

export const PreservedUserSchema = z.object({
  /** The name as `preserve.users` lists it. */
  listed: z.string(),
  /** The account (`name@host`) or role it stands for; a name without host may stand for several accounts. */
  account: z.string(),
  statements: z.array(LabelledStatementSchema),
});
export type PreservedUser = z.output<typeof PreservedUserSchema>;

/** The object stored at `runs/<runId>/preserved.json`. */
export const PreservedDataSchema = z.object({
  version: z.literal(1),
  runId: z.string(),
  /** The target the data was read from. */
  target: z.string(),
  dialect: z.enum(['mysql', 'postgres']),
  capturedAt: z.string(),
  tables: z.array(PreservedTableSchema),
  users: z.array(PreservedUserSchema),
});
export type PreservedData = z.output<typeof PreservedDataSchema>;

/** Statement text per INSERT: about 1 MB, well inside every server's packet and query limits. */
export const INSERT_BATCH_CHARACTERS = 1_000_000;

/**
 * The INSERT statements for `rows` (each a parenthesised list of literals), `header` followed by as many
 * rows as fit in about `batchCharacters` (a longer row gets a statement of its own).
 */
export function insertStatements(
  header: string,
  rows: readonly string[],
  batchCharacters: number = INSERT_BATCH_CHARACTERS,
): string[] {
  const statements: string[] = [];
  let batch: string[] = [];
  let length = header.length;
  for (const row of rows) {
    if (batch.length > 0 && length + row.length + 1 > batchCharacters) {
      statements.push(header + batch.join(','));
      batch = [];
      length = header.length;
    }
    batch.push(row);
    length += row.length + 1;
  }
  if (batch.length > 0) statements.push(header + batch.join(','));
  return statements;
}

/** Where the capture reads: for error messages that tell which database said what. */
export interface CaptureContext {
  /** The target's identifier. */
  readonly target: string;
  /** The admin user the session logged in as, which must never be preserved (every refresh replaces its password). */
  readonly adminUser: string;
}

/** What each SQL dialect does for the preserve steps; the capture and reapply logic is the same for both. */
export interface PreserveDialect {
  /** Run first on the target: stable text forms (time zone, escapes), then a consistent read-only snapshot. */
  startCapture(session: SqlSession): Promise<void>;
  /** Run first on the copy: the same text forms, and foreign keys neither checked nor cascaded. */
  startReapply(session: SqlSession): Promise<void>;
  /**
   * Reads a table's rows as statements that rebuild them.
   * @throws GuardError naming the table when the target has no such base table
   */
  captureTable(
    session: SqlSession,
    listed: string,
    name: PreservedTableName,
    context: CaptureContext,
  ): Promise<PreservedTable>;
  /**
   * Reads a user (every account of a name without host) as statements that rebuild it.
   * @throws GuardError naming the user when the target has none, or it cannot be preserved
   */
  captureUser(session: SqlSession, listed: string, context: CaptureContext): Promise<PreservedUser[]>;
  /** Whether the copy has the table as a base table. */
  tableExists(session: SqlSession, schema: string, table: string): Promise<boolean>;
  /** Whether a user's statements can run in one transaction (PostgreSQL role DDL can; MySQL's commits). */
  readonly transactionalUsers: boolean;
  readonly begin: string;
}

/** A label for a GRANT, REVOKE or other statement: its text up to " TO " or " FROM ", without the grantee. */
export function grantLabel(sql: string): string {
  const match = /^((?:GRANT|REVOKE)\s[\s\S]*?)\s(?:TO|FROM)\s/i.exec(sql);
  const label = match?.[1] ?? sql.split(/\s+/).slice(0, 2).join(' ');
  return label.length > 200 ? `${label.slice(0, 199)}…` : label;
}
