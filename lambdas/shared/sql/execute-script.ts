import { isTransient } from '../aws/transient';
import { ScriptError } from '../errors';
import { logger } from '../handler';
import type { SqlConnection } from './connect';
import { type SqlDialect, type SqlStatement, splitStatements } from './split-statements';

/**
 * How the statements of a script commit (`scripts.transaction` in the refresh file): `none` commits each
 * statement as it runs, as the command-line clients do; `per-file` runs each file in one transaction.
 */
export type TransactionMode = 'none' | 'per-file';

/** A script file split into the statements its dialect's command-line client would send. */
export interface Script {
  /** The file's key as the refresh file lists it, naming it in errors and logs. */
  readonly key: string;
  readonly dialect: SqlDialect;
  readonly statements: readonly SqlStatement[];
}

/**
 * Splits the text of script `key` into statements.
 * @throws ScriptError naming the file and the line when the client could not run it either
 */
export function splitScript(key: string, text: string, dialect: SqlDialect): Script {
  try {
    return { key, dialect, statements: splitStatements(text, dialect) };
  } catch (error: unknown) {
    if (!(error instanceof Error)) throw error;
    throw new ScriptError(`${key}: ${error.message}`, { cause: error });
  }
}

export interface ExecuteOptions {
  /** How many statements of the file earlier invocations already ran (0-based index of the next one). */
  readonly startIndex: number;
  /**
   * Asked before each statement that starts outside an explicit transaction, with the number this call has
   * executed so far; true ends the call there, to be resumed from `nextIndex` by a later invocation.
   */
  readonly shouldStop: (executed: number) => boolean;
  /** @default 'none' */
  readonly transaction?: TransactionMode;
  /**
   * Milliseconds on a monotonic clock, to size batches by how long statements take.
   * @default performance.now
   */
  readonly clock?: () => number;
  /**
   * Per-file mode only: asked before each statement after the first; true means the file cannot finish in
   * this invocation, and it is rolled back (see executeInTransaction).
   */
  readonly timeIsUp?: () => boolean;
}

export interface ScriptProgress {
  /** Statements this call executed, not counting replayed session settings. */
  readonly executed: number;
  /** Session settings (USE, SET) from before `startIndex` run again to restore the session on resume. */
  readonly replayed: number;
  readonly rowsAffected: number;
  /** Statements of the file done after this call: where the next call starts. */
  readonly nextIndex: number;
  readonly finished: boolean;
}

/**
 * Runs a script's statements from `startIndex` until the end or until `shouldStop` says so.
 *
 * In `none` mode (the default) each statement commits as it runs. A resumed script runs on a new session, so
 * the session settings made before `startIndex` (USE and SET, except SET GLOBAL/PERSIST/LOCAL/TRANSACTION
 * ones) run again first; temporary tables and other session state do not survive a pause. The script never
 * pauses inside an explicit transaction (BEGIN/START TRANSACTION ... COMMIT/ROLLBACK/END), whose open part
 * would roll back with the session. Statements between the last returned position and a failed invocation
 * run again when Step Functions retries it, so scripts must be safe to re-run, as masking updates are.
 *
 * In `per-file` mode the whole file runs in one transaction (see executeInTransaction).
 *
 * @throws ScriptError naming the file, statement and line when a statement fails, with quoted values in the
 *   server's message redacted; transient connection errors are rethrown as they are, for the state machine to retry
 */
export async function executeScript(
  connection: SqlConnection,
  script: Script,
  options: ExecuteOptions,
): Promise<ScriptProgress> {
  if (options.transaction === 'per-file') return executeInTransaction(connection, script, options);
  const { statements } = script;
  const startIndex = Math.min(Math.max(options.startIndex, 0), statements.length);
  const replays = statements.slice(0, startIndex).filter((statement) => isSessionSetting(statement.text));
  for (const statement of replays) await run(connection, script.key, statement);

  let executed = 0;
  let rowsAffected = 0;
  let inTransaction = false;
  let index = startIndex;
  const clock = options.clock ?? (() => performance.now());
  let batchLimit = 1;
  while (index < statements.length) {
    const statement = statements[index];
    if (statement === undefined) break;
    if (!inTransaction && options.shouldStop(executed)) break;
    const batch = inTransaction ? [statement] : batchAt(script, index, batchLimit);
    const sentAt = clock();
    rowsAffected += await runBatch(connection, script.key, batch);
    batchLimit = nextBatchLimit(batch.length, clock() - sentAt);
    executed += batch.length;
    index += batch.length;
    inTransaction = transactionOpenAfter(statement.text, inTransaction);
  }
  return {
    executed,
    replayed: replays.length,
    rowsAffected,
    nextIndex: index,
    finished: index >= statements.length,
  };
}

/**
 * Runs a whole file in one transaction: BEGIN (PostgreSQL) or START TRANSACTION (MySQL/MariaDB), every
 * statement, COMMIT; on any failure ROLLBACK, so none of the file's statements takes effect.
 *
 * The file is checked first (assertFitsOneTransaction). It may wait for a later invocation before it starts
 * (`shouldStop(0)`), but never pauses inside: its transaction would roll back with the session. When
 * `timeIsUp` says the invocation is ending before the file does, the file is rolled back; it runs again from
 * its start in the next invocation when `shouldStop(0)` allows waiting for one (something ran before it in
 * this invocation, so the next gives it more time), and otherwise fails: it does not fit in one invocation.
 */
async function executeInTransaction(
  connection: SqlConnection,
  script: Script,
  options: ExecuteOptions,
): Promise<ScriptProgress> {
  const { key, statements } = script;
  if (options.startIndex >= statements.length) {
    return { executed: 0, replayed: 0, rowsAffected: 0, nextIndex: statements.length, finished: true };
  }
  if (options.startIndex > 0) {
    throw new ScriptError(
      `${key}: cannot resume at statement ${options.startIndex + 1}: with scripts.transaction "per-file" a file commits as a whole and never pauses inside; start the refresh again`,
    );
  }
  assertFitsOneTransaction([script]);
  if (options.shouldStop(0)) {
    return { executed: 0, replayed: 0, rowsAffected: 0, nextIndex: 0, finished: false };
  }

  await control(connection, key, script.dialect === 'postgres' ? 'BEGIN' : 'START TRANSACTION');
  let executed = 0;
  let rowsAffected = 0;
  try {
    for (const statement of statements) {
      if (executed > 0 && options.timeIsUp?.()) {
        if (options.shouldStop(0)) {
          // Uncommitted, the work ends with the session even if ROLLBACK fails.
          await rollBack(connection, key);
          logger.info('Per-file script rolled back to start again in the next invocation', { key, executed });
          return { executed: 0, replayed: 0, rowsAffected: 0, nextIndex: 0, finished: false };
        }
        throw new ScriptError(
          `${key}: did not finish within one invocation of the scripts function (${executed} of ${statements.length} statements ran); ` +
            'with scripts.transaction "per-file" a file must finish within the function\'s timeout (15 minutes): ' +
            'split it, or use scripts.transaction "none" (resumes across invocations) or scripts.method "ec2"',
        );
      }
      rowsAffected += (await run(connection, key, statement)).rowsAffected;
      executed++;
    }
    await control(connection, key, 'COMMIT');
  } catch (error: unknown) {
    const rolledBack = await rollBack(connection, key);
    if (error instanceof ScriptError && rolledBack) {
      throw new ScriptError(
        `${error.message}; the file's transaction was rolled back: none of it took effect`,
      );
    }
    throw error;
  }
  return { executed, replayed: 0, rowsAffected, nextIndex: statements.length, finished: true };
}

/** Runs BEGIN, COMMIT or the like, which the file itself does not contain. */
async function control(connection: SqlConnection, key: string, sql: string): Promise<void> {
  try {
    await connection.execute(sql);
  } catch (error: unknown) {
    if (isTransient(error)) throw error;
    throw new ScriptError(`${key}: ${sql} failed: ${describeSqlError(error, sql)}`);
  }
}

/**
 * Rolls the file's transaction back; whether that worked. A failure is logged, not thrown: the error that
 * led here is the one to report, and a session that ends rolls its open transaction back anyway.
 */
async function rollBack(connection: SqlConnection, key: string): Promise<boolean> {
  try {
    await connection.execute('ROLLBACK');
    return true;
  } catch (error: unknown) {
    logger.warn('ROLLBACK failed; the transaction ends with the session', {
      key,
      errorName: error instanceof Error ? error.name : typeof error,
      errorCode: (error as { code?: unknown } | null)?.code,
    });
    return false;
  }
}

/** At most this many statements, or this much text, go to the server in one round trip. */
const BATCH_STATEMENTS = 100;
const BATCH_CHARACTERS = 1 << 20;
/**
 * How long a batch should take at most. Batches grow only while statements are quick: the time budget is
 * checked between batches, and a script of a few long UPDATEs gains nothing from batching anyway.
 */
const BATCH_MILLISECONDS = 200;

/** How many statements the next batch may hold, from how long the last one took. */
function nextBatchLimit(statements: number, milliseconds: number): number {
  const perStatement = Math.max(milliseconds, 0) / statements;
  return Math.min(
    BATCH_STATEMENTS,
    Math.max(1, Math.floor(BATCH_MILLISECONDS / Math.max(perStatement, 0.01))),
  );
}

/** Statements that may go in a batch: they change rows and return none. */
const BATCHABLE = /^(?:insert|update|delete)\b/i;
const RETURNS_ROWS = /\breturning\b/i;

function isBatchable(statement: SqlStatement): boolean {
  return BATCHABLE.test(statement.text) && !RETURNS_ROWS.test(statement.text);
}

/**
 * The statements to send in one round trip from `index`: a run of at most `limit` consecutive INSERT, UPDATE
 * and DELETE statements (a masking script is mostly that), else the one statement. The round trip is most of a
 * statement's time, and the C clients spend less on each than a Node driver: batching is what keeps our
 * throughput at the clients' (npm run bench -- masking).
 */
function batchAt(script: Script, index: number, limit: number): SqlStatement[] {
  const first = script.statements[index];
  if (first === undefined) return [];
  if (!isBatchable(first)) return [first];
  const batch = [first];
  let characters = first.text.length;
  for (const next of script.statements.slice(index + 1, index + limit)) {
    characters += next.text.length;
    if (!isBatchable(next) || characters > BATCH_CHARACTERS) break;
    batch.push(next);
  }
  return batch;
}

/**
 * Runs a batch; the rows it changed. The result is the one statement by statement would give: statements
 * before a failure are committed and the error names the failing one. When the server cannot tell which one
 * failed (PostgreSQL, where the failed batch changed nothing), the batch runs again one statement at a time.
 */
async function runBatch(
  connection: SqlConnection,
  key: string,
  batch: readonly SqlStatement[],
): Promise<number> {
  const [only] = batch;
  if (batch.length === 1 && only !== undefined) return (await run(connection, key, only)).rowsAffected;
  const result = await connection.executeBatch(batch.map((statement) => statement.text));
  if (result.failure === undefined) return result.rowsAffected;
  const { error, atStatement } = result.failure;
  const failed = batch[result.completed];
  if (isTransient(error) || failed === undefined) throw error;
  if (atStatement) throw statementError(key, failed, error);
  let rowsAffected = 0;
  for (const statement of batch.slice(result.completed)) {
    rowsAffected += (await run(connection, key, statement)).rowsAffected;
  }
  return result.rowsAffected + rowsAffected;
}

async function run(connection: SqlConnection, key: string, statement: SqlStatement) {
  try {
    return await connection.execute(statement.text);
  } catch (error: unknown) {
    if (isTransient(error)) throw error;
    throw statementError(key, statement, error);
  }
}

function statementError(key: string, statement: SqlStatement, error: unknown): ScriptError {
  // No cause: the driver's error holds the unredacted server message, which may carry table data.
  return new ScriptError(
    `${key}: statement ${statement.index} (line ${statement.line}) failed: ${describeSqlError(error, statement.text)}`,
  );
}

const SESSION_SETTING = /^(?:use\b|set\s)/i;
const NOT_SESSION_SETTING =
  /^set\s+(?:global\b|persist\b|persist_only\b|local\b|transaction\b|constraints\b|password\b|@@global\.)/i;

/** Whether a statement changes only the session (current database, variables, role), so replaying it is safe. */
function isSessionSetting(text: string): boolean {
  return SESSION_SETTING.test(text) && !NOT_SESSION_SETTING.test(text);
}

const TRANSACTION_START = /^(?:begin|start\s+transaction)\b/i;
/** MariaDB's anonymous compound statement, not a transaction. */
const COMPOUND_STATEMENT = /^begin\s+not\s+atomic\b/i;
const TRANSACTION_END = /^(?:commit|rollback|end|abort)\b/i;
const TRANSACTION_CONTINUES = /^rollback\s+(?:work\s+)?to\b|\band\s+chain\b/i;

/** Whether an explicit transaction is open after `text` ran, given whether one was open before. */
function transactionOpenAfter(text: string, open: boolean): boolean {
  if (TRANSACTION_START.test(text) && !COMPOUND_STATEMENT.test(text)) return true;
  if (TRANSACTION_END.test(text) && !TRANSACTION_CONTINUES.test(text)) return false;
  return open;
}

/** How many problems a refusal lists; the history keeps 1000 characters of a cause. */
const MAX_PROBLEMS_SHOWN = 5;

/**
 * Refuses, before anything runs, files that cannot run in one transaction each.
 * @throws ScriptError naming every such statement (file, statement, line, why) and the fix
 */
export function assertFitsOneTransaction(scripts: readonly Script[]): void {
  const problems = scripts.flatMap(transactionProblems);
  if (problems.length === 0) return;
  const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).join('; ');
  const more =
    problems.length > MAX_PROBLEMS_SHOWN ? `; and ${problems.length - MAX_PROBLEMS_SHOWN} more` : '';
  throw new ScriptError(
    `scripts.transaction is "per-file", but ${problems.length} statement(s) cannot run inside a file's transaction: ${shown}${more}. ` +
      'Set scripts.transaction to "none" (each statement commits as it runs), or move these statements out of the scripts',
  );
}

/**
 * Why statements of a file cannot run inside the one transaction `per-file` mode wraps it in, as far as the
 * text tells: the file's own transaction control, MySQL/MariaDB statements that commit implicitly, and
 * PostgreSQL statements refused in a transaction block. What a called routine or a MariaDB `BEGIN NOT ATOMIC`
 * block does inside cannot be seen here.
 */
export function transactionProblems(script: Script): string[] {
  const problems: string[] = [];
  for (const statement of script.statements) {
    const words = leadingWords(statement.text);
    const why =
      transactionControl(words) ??
      (script.dialect === 'mysql' ? implicitCommit(words) : outsideTransactionBlock(words));
    if (why !== undefined) {
      problems.push(`${script.key} statement ${statement.index} (line ${statement.line}): ${why}`);
    }
  }
  return problems;
}

/** The first words of a statement, upper-case, skipping comments, quoted names and punctuation. */
function leadingWords(text: string, count = 12): string[] {
  // mysqldump wraps statements in version comments (`/*!40000 ALTER TABLE ... */`), which MySQL runs.
  const unwrapped = text.replace(/^\/\*M?!\d*/, ' ');
  const words: string[] = [];
  const token = /\/\*[\s\S]*?(?:\*\/|$)|--[^\n]*|#[^\n]*|`[^`]*`?|"[^"]*"?|'[^']*'?|([A-Za-z_][\w$]*)|\S/g;
  for (
    let match = token.exec(unwrapped);
    match !== null && words.length < count;
    match = token.exec(unwrapped)
  ) {
    if (match[1] !== undefined) words.push(match[1].toUpperCase());
  }
  return words;
}

function transactionControl([first = '', second, third]: readonly string[]): string | undefined {
  const own = (what: string) =>
    `${what} controls the transaction itself; per-file mode already runs the file in one`;
  switch (first) {
    case 'BEGIN':
      return second === 'NOT' && third === 'ATOMIC' ? undefined : own(first);
    case 'START':
    case 'PREPARE':
      return second === 'TRANSACTION' ? own(`${first} TRANSACTION`) : undefined;
    case 'COMMIT':
    case 'END':
    case 'ABORT':
    case 'XA':
      return own(first);
    case 'ROLLBACK':
      return second === 'TO' || (second === 'WORK' && third === 'TO') ? undefined : own(first);
    case 'SET':
      return [second, third].includes('AUTOCOMMIT') ? own('SET autocommit') : undefined;
    default:
      return undefined;
  }
}

/** Kinds of object whose CREATE, ALTER or DROP MySQL and MariaDB commit implicitly (all but temporary tables). */
const SCHEMA_OBJECTS = new Set([
  'DATABASE',
  'EVENT',
  'FUNCTION',
  'INDEX',
  'PROCEDURE',
  'ROLE',
  'SCHEMA',
  'SEQUENCE',
  'SERVER',
  'TABLE',
  'TABLESPACE',
  'TRIGGER',
  'USER',
  'VIEW',
]);

/** Statements MySQL and MariaDB commit implicitly, whatever follows their first word. */
const COMMITTING_VERBS = new Set([
  'CHANGE',
  'FLUSH',
  'GRANT',
  'INSTALL',
  'LOCK',
  'RENAME',
  'RESET',
  'REVOKE',
  'SHUTDOWN',
  'STOP',
  'TRUNCATE',
  'UNINSTALL',
  'UNLOCK',
]);

/** Table maintenance statements, which commit implicitly when followed by TABLE (ANALYZE alone explains a query in MariaDB). */
const MAINTENANCE_VERBS = new Set(['ANALYZE', 'CHECK', 'OPTIMIZE', 'REPAIR', 'CACHE']);

function implicitCommit(words: readonly string[]): string | undefined {
  const [first = '', second = ''] = words;
  const commits = (what: string) =>
    `${what} commits the open transaction implicitly in MySQL and MariaDB, so the file could not be rolled back as a whole`;
  if (first === 'CREATE' || first === 'ALTER' || first === 'DROP') {
    const at = words.findIndex((word, index) => index > 0 && SCHEMA_OBJECTS.has(word));
    const object = at > 0 ? words[at] : undefined;
    const temporary = at > 0 && words.slice(1, at).includes('TEMPORARY');
    if (object === 'TABLE' && temporary && first !== 'ALTER') return undefined;
    return commits(object ? `${first} ${object}` : first);
  }
  if (COMMITTING_VERBS.has(first)) return commits(first);
  if (
    MAINTENANCE_VERBS.has(first) &&
    ['TABLE', 'TABLES', 'VIEW', 'INDEX', 'NO_WRITE_TO_BINLOG', 'LOCAL'].includes(second)
  ) {
    return commits(`${first} ${second}`);
  }
  if (first === 'LOAD' && second === 'INDEX') return commits('LOAD INDEX');
  if (first === 'START' && second !== 'TRANSACTION') return commits(`START ${second}`.trim());
  if (first === 'SET' && second === 'PASSWORD') return commits('SET PASSWORD');
  return undefined;
}

function outsideTransactionBlock(words: readonly string[]): string | undefined {
  const [first = '', second = ''] = words;
  const refused = (what: string) => `PostgreSQL cannot run ${what} inside a transaction block`;
  if (first === 'VACUUM') return refused('VACUUM');
  if (first === 'ALTER' && second === 'SYSTEM') return refused('ALTER SYSTEM');
  if (first === 'ALTER' && second === 'DATABASE' && words.includes('TABLESPACE')) {
    return refused('ALTER DATABASE ... SET TABLESPACE');
  }
  if ((first === 'CREATE' || first === 'DROP') && (second === 'DATABASE' || second === 'TABLESPACE')) {
    return refused(`${first} ${second}`);
  }
  // CREATE [UNIQUE] INDEX CONCURRENTLY ..., DROP INDEX CONCURRENTLY ...
  const index = words.indexOf('INDEX');
  const indexStatement =
    first === 'DROP'
      ? index === 1
      : first === 'CREATE' && (index === 1 || (index === 2 && second === 'UNIQUE'));
  if (indexStatement && words[index + 1] === 'CONCURRENTLY') return refused(`${first} INDEX CONCURRENTLY`);
  if (first === 'REINDEX') {
    // REINDEX [(options)] {INDEX | TABLE | SCHEMA | DATABASE | SYSTEM} [CONCURRENTLY] name
    if (words.slice(1, 6).includes('CONCURRENTLY')) return refused('REINDEX ... CONCURRENTLY');
    const target = words.slice(1, 4).find((word) => word === 'DATABASE' || word === 'SYSTEM');
    if (target !== undefined) return refused(`REINDEX ${target}`);
  }
  return undefined;
}

/**
 * The server's error code and message for an error message, with the values it quotes redacted: messages such
 * as MySQL's "Duplicate entry 'john@x.com' for key ..." or PostgreSQL's `invalid input syntax ...: "abc"` carry
 * table data. A quoted part is kept only when `statementText` contains it (it is then the script's own text,
 * such as a misspelt column); everything else becomes `'…'`. PostgreSQL's DETAIL, which holds key values, is
 * never included.
 */
export function describeSqlError(error: unknown, statementText: string): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  const message = redactQuoted(error.message, statementText);
  return typeof code === 'string' || typeof code === 'number' ? `${code} ${message}` : message;
}

/**
 * Replaces the text between quotes. An opening quote follows a non-word character and a closing one precedes
 * one, so a value like O'Brien stays inside its quotes; a quote never closed redacts the rest of the message.
 */
export function redactQuoted(message: string, statementText: string): string {
  const statement = statementText.toLowerCase();
  let redacted = '';
  let pos = 0;
  while (pos < message.length) {
    const char = message.charAt(pos);
    if ((char !== "'" && char !== '"') || isWordCharacter(message.charAt(pos - 1))) {
      redacted += char;
      pos++;
      continue;
    }
    const close = closingQuote(message, pos, char);
    const inner = message.slice(pos + 1, close < 0 ? message.length : close);
    const keep = close >= 0 && (inner === '' || statement.includes(inner.toLowerCase()));
    redacted += `${char}${keep ? inner : '…'}${char}`;
    pos = close < 0 ? message.length : close + 1;
  }
  return redacted;
}

function closingQuote(message: string, open: number, quote: string): number {
  for (let at = message.indexOf(quote, open + 1); at >= 0; at = message.indexOf(quote, at + 1)) {
    if (!isWordCharacter(message.charAt(at + 1))) return at;
  }
  return -1;
}

function isWordCharacter(char: string): boolean {
  return /^[\p{L}\p{N}_]$/u.test(char);
}
