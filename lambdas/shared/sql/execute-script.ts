import { isTransient } from '../aws/transient';
import { ScriptError } from '../errors';
import type { SqlConnection } from './connect';
import { type SqlDialect, type SqlStatement, splitStatements } from './split-statements';

/** A script file split into the statements its dialect's command-line client would send. */
export interface Script {
  /** The file's key as the refresh file lists it, naming it in errors and logs. */
  readonly key: string;
  readonly statements: readonly SqlStatement[];
}

/**
 * Splits the text of script `key` into statements.
 * @throws ScriptError naming the file and the line when the client could not run it either
 */
export function splitScript(key: string, text: string, dialect: SqlDialect): Script {
  try {
    return { key, statements: splitStatements(text, dialect) };
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
 * A resumed script runs on a new session, so the session settings made before `startIndex` (USE and SET,
 * except SET GLOBAL/PERSIST/LOCAL/TRANSACTION ones) run again first; temporary tables and other session state
 * do not survive a pause. The script never pauses inside an explicit transaction (BEGIN/START TRANSACTION ...
 * COMMIT/ROLLBACK/END), whose open part would roll back with the session. Statements between the last
 * returned position and a failed invocation run again when Step Functions retries it, so scripts must be safe
 * to re-run, as masking updates are.
 *
 * @throws ScriptError naming the file, statement and line when a statement fails, with quoted values in the
 *   server's message redacted; transient connection errors are rethrown as they are, for the state machine to retry
 */
export async function executeScript(
  connection: SqlConnection,
  script: Script,
  options: ExecuteOptions,
): Promise<ScriptProgress> {
  const { statements } = script;
  const startIndex = Math.min(Math.max(options.startIndex, 0), statements.length);
  const replays = statements.slice(0, startIndex).filter((statement) => isSessionSetting(statement.text));
  for (const statement of replays) await run(connection, script.key, statement);

  let executed = 0;
  let rowsAffected = 0;
  let inTransaction = false;
  let index = startIndex;
  for (; index < statements.length; index++) {
    const statement = statements[index];
    if (statement === undefined) break;
    if (!inTransaction && options.shouldStop(executed)) break;
    rowsAffected += (await run(connection, script.key, statement)).rowsAffected;
    executed++;
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

async function run(connection: SqlConnection, key: string, statement: SqlStatement) {
  try {
    return await connection.execute(statement.text);
  } catch (error: unknown) {
    if (isTransient(error)) throw error;
    // No cause: the driver's error holds the unredacted server message, which may carry table data.
    throw new ScriptError(
      `${key}: statement ${statement.index} (line ${statement.line}) failed: ${describeSqlError(error, statement.text)}`,
    );
  }
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
