/**
 * Splitting of SQL script files into statements the way the official command-line clients split them:
 * `mysql`/`mariadb` for the MySQL family and `psql` for PostgreSQL.
 */

export type SqlDialect = 'mysql' | 'postgres';

export interface SqlStatement {
  /** The statement text to send to the server, without the trailing delimiter, trimmed. */
  readonly text: string;
  /** 1-based index among the statements of the file. */
  readonly index: number;
  /** 1-based line (in the original file) where the statement starts: the line of the first character of `text`. */
  readonly line: number;
}

/**
 * Splits a SQL script into the statements that `mysql`/`mariadb` (dialect `mysql`) or `psql` (dialect `postgres`)
 * would send to the server, so the script can be run statement by statement through a driver and a failure can
 * name the statement and the line it starts on.
 *
 * Comments before a statement's first token and after its last one are left out of its text; comments in between
 * are kept (MySQL's executable comments must be). As in the clients, CRLF line endings become LF for MySQL and stay
 * as they are for PostgreSQL. Throws, naming the line, on client commands a driver cannot run (psql backslash
 * meta-commands; mysql client commands other than DELIMITER and USE) and on a quote, dollar quote or comment still
 * open at the end of the file.
 */
export function splitStatements(script: string, dialect: SqlDialect): SqlStatement[] {
  const withoutBom = script.charCodeAt(0) === BYTE_ORDER_MARK ? script.slice(1) : script;
  if (dialect === 'mysql') {
    const collector = new StatementCollector(withoutBom.replace(/\r\n/g, '\n'));
    splitMysql(collector);
    return collector.statements;
  }
  const collector = new StatementCollector(withoutBom);
  splitPostgres(collector);
  return collector.statements;
}

const BYTE_ORDER_MARK = 0xfeff;

interface PendingStatement {
  readonly text: string;
  readonly line: number;
}

/** The statements read so far, the extent of the one being read, and line numbers for offsets in the source. */
class StatementCollector {
  readonly source: string;
  readonly statements: SqlStatement[] = [];
  private readonly newlineOffsets: number[] = [];
  private start = -1;
  private end = -1;

  constructor(source: string) {
    this.source = source;
    for (let at = source.indexOf('\n'); at >= 0; at = source.indexOf('\n', at + 1))
      this.newlineOffsets.push(at);
  }

  /** Whether nothing but whitespace and comments has been read since the last statement ended. */
  get isEmpty(): boolean {
    return this.start < 0;
  }

  /** Adds `source[from, to)`, a token (not whitespace, not an ordinary comment), to the statement being read. */
  extend(from: number, to: number): void {
    if (this.start < 0) this.start = from;
    this.end = to;
  }

  /** Ends the statement being read and returns it, or undefined when it had no tokens. */
  take(): PendingStatement | undefined {
    if (this.start < 0) return undefined;
    const statement = { text: this.source.slice(this.start, this.end), line: this.lineAt(this.start) };
    this.start = -1;
    return statement;
  }

  add(statement: PendingStatement): void {
    this.statements.push({ text: statement.text, index: this.statements.length + 1, line: statement.line });
  }

  /** The 1-based line of `offset`: one more than the number of newlines before it. */
  lineAt(offset: number): number {
    let low = 0;
    let high = this.newlineOffsets.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const newline = this.newlineOffsets[middle];
      if (newline !== undefined && newline < offset) low = middle + 1;
      else high = middle;
    }
    return low + 1;
  }

  /** Returns `end`, or throws that the token starting at `start` is never closed when `end` is negative. */
  ensureClosed(start: number, end: number, what: string): number {
    if (end < 0) throw scriptError(this.lineAt(start), `unterminated ${what} (opened here, never closed)`);
    return end;
  }
}

function scriptError(line: number, message: string): Error {
  return new Error(`Line ${line}: ${message}`);
}

/** mysql client commands by name, each with whether it takes arguments (see `commands[]` in client/mysql.cc). */
const MYSQL_CLIENT_COMMANDS: ReadonlyMap<string, boolean> = new Map([
  ['?', true],
  ['charset', true],
  ['clear', false],
  ['connect', true],
  ['delimiter', true],
  ['edit', false],
  ['ego', false],
  ['exit', false],
  ['go', false],
  ['help', true],
  ['nopager', false],
  ['notee', false],
  ['nowarning', false],
  ['pager', true],
  ['print', false],
  ['prompt', true],
  ['query_attributes', true],
  ['quit', false],
  ['rehash', false],
  ['resetconnection', false],
  ['source', true],
  ['ssl_session_data_print', true],
  ['status', false],
  ['system', true],
  ['tee', true],
  ['use', true],
  ['warnings', false],
]);

const MYSQL_DELIMITER_COMMAND = /delimiter(?=\s|$)/iy;

/**
 * Follows client/mysql.cc: statements end at the current delimiter outside quotes and comments; DELIMITER lines
 * change it. Unlike the client, a delimiter inside an executable comment does not end the statement.
 */
function splitMysql(collector: StatementCollector): void {
  const { source } = collector;
  let delimiter = ';';
  let executableCommentStart = -1;
  let pos = 0;
  while (pos < source.length) {
    const char = source[pos];
    if (isBlank(char)) {
      pos++;
      continue;
    }
    const inExecutableComment = executableCommentStart >= 0;
    if (
      !inExecutableComment &&
      (collector.isEmpty || char === 'd' || char === 'D') &&
      startsLine(source, pos)
    ) {
      const lineEnd = endOfLine(source, pos);
      if (isDelimiterCommand(source, pos)) {
        finishMysqlStatement(collector);
        delimiter = delimiterArgument(source.slice(pos, lineEnd), collector.lineAt(pos));
        pos = lineEnd;
        continue;
      }
      const line = source.slice(pos, lineEnd).trimEnd();
      if (collector.isEmpty && isMysqlCommandLine(line, delimiter)) {
        collector.extend(pos, pos + line.length);
        finishMysqlStatement(collector);
        pos = lineEnd;
        continue;
      }
    }
    if (char === '\\') {
      if (source[pos + 1] !== 'N') {
        throw scriptError(collector.lineAt(pos), unsupportedMysqlCommand(source.slice(pos, pos + 2)));
      }
      collector.extend(pos, pos + 2);
      pos += 2;
    } else if (!inExecutableComment && char === delimiter[0] && source.startsWith(delimiter, pos)) {
      finishMysqlStatement(collector);
      pos += delimiter.length;
    } else if (
      char === '#' ||
      (char === '-' && source[pos + 1] === '-' && startsMysqlDashComment(collector, pos))
    ) {
      pos = endOfLine(source, pos);
    } else if (char === '/' && source[pos + 1] === '*') {
      if (!inExecutableComment && isExecutableComment(source, pos)) {
        executableCommentStart = pos;
        collector.extend(pos, pos + 2);
        pos += 2;
      } else {
        const end = source.indexOf('*/', pos + 2);
        pos = collector.ensureClosed(pos, end < 0 ? end : end + 2, 'block comment /* ... */');
      }
    } else if (inExecutableComment && char === '*' && source[pos + 1] === '/') {
      executableCommentStart = -1;
      collector.extend(pos, pos + 2);
      pos += 2;
    } else if (char === "'" || char === '"' || char === '`') {
      const what = char === '`' ? 'quoted identifier `...`' : `string literal ${char}...${char}`;
      const end = collector.ensureClosed(pos, endOfQuoted(source, pos, char !== '`'), what);
      collector.extend(pos, end);
      pos = end;
    } else {
      collector.extend(pos, pos + 1);
      pos++;
    }
  }
  if (executableCommentStart >= 0)
    collector.ensureClosed(executableCommentStart, -1, 'executable comment /*! ... */');
  finishMysqlStatement(collector);
}

/** Ends the statement being read, rejecting the client commands the mysql client would run instead of sending. */
function finishMysqlStatement(collector: StatementCollector): void {
  const statement = collector.take();
  if (statement === undefined) return;
  const command = mysqlClientCommand(statement.text);
  if (command === 'delimiter') {
    throw scriptError(statement.line, 'DELIMITER must be at the start of a line, with nothing before it');
  }
  if (command !== undefined && command !== 'use') {
    throw scriptError(statement.line, unsupportedMysqlCommand(command));
  }
  collector.add(statement);
}

function unsupportedMysqlCommand(command: string): string {
  return `mysql client command "${command}" is not supported; only DELIMITER and USE are, as the script is sent to the server statement by statement`;
}

/** The client command `text` would run in the mysql client: its first word names one that accepts what follows. */
function mysqlClientCommand(text: string): string | undefined {
  const word = /^\S+/.exec(text)?.[0];
  if (word === undefined) return undefined;
  const name = word.toLowerCase();
  const takesArguments = MYSQL_CLIENT_COMMANDS.get(name);
  if (takesArguments === undefined) return undefined;
  return takesArguments || text.slice(word.length).trim() === '' ? name : undefined;
}

/** Whether the mysql client runs `line`, read between statements, as a client command: only if it has no delimiter. */
function isMysqlCommandLine(line: string, delimiter: string): boolean {
  return !line.includes('\\g') && !line.includes(delimiter) && mysqlClientCommand(line) !== undefined;
}

function isDelimiterCommand(source: string, pos: number): boolean {
  MYSQL_DELIMITER_COMMAND.lastIndex = pos;
  return MYSQL_DELIMITER_COMMAND.test(source);
}

/** The new delimiter a `DELIMITER xx` line sets: its first word, or a quoted string (as in the client's get_arg). */
function delimiterArgument(line: string, lineNumber: number): string {
  const argument = line.slice('delimiter'.length).trim();
  const quote = argument[0];
  let delimiter: string;
  if (quote === "'" || quote === '"' || quote === '`') {
    const close = argument.indexOf(quote, 1);
    delimiter = close < 0 ? '' : argument.slice(1, close);
  } else {
    delimiter = argument.split(/\s/, 1)[0] ?? '';
  }
  if (delimiter === '') throw scriptError(lineNumber, 'DELIMITER must be followed by the new delimiter');
  if (delimiter.includes('\\')) throw scriptError(lineNumber, 'DELIMITER cannot contain a backslash');
  return delimiter;
}

/**
 * Whether the `--` at `pos` starts a comment: the server wants a space or control character after it; the mariadb
 * client also takes `--` as a comment wherever a statement would start, where it can only be one.
 */
function startsMysqlDashComment(collector: StatementCollector, pos: number): boolean {
  const next = collector.source.charCodeAt(pos + 2);
  return collector.isEmpty || Number.isNaN(next) || next <= 0x20 || next === 0x7f;
}

/** `/*! ... *\/`, `/*!50001 ... *\/` and MariaDB's `/*M!100101 ... *\/`: comments the server executes. */
function isExecutableComment(source: string, pos: number): boolean {
  const marker = source[pos + 2];
  return marker === '!' || (marker === 'M' && source[pos + 3] === '!');
}

/** psql's bookkeeping of what a `;` can be nested in: parentheses, and BEGIN ... END in a routine body. */
class PsqlNesting {
  private parenthesisDepth = 0;
  private beginDepth = 0;
  private identifierCount = 0;
  /** First letters of the statement's first four identifiers, when they are routine-defining keywords. */
  private readonly leadingKeywords = ['', '', '', ''];

  get semicolonEndsStatement(): boolean {
    return this.parenthesisDepth === 0 && this.beginDepth === 0;
  }

  openParenthesis(): void {
    this.parenthesisDepth++;
  }

  closeParenthesis(): void {
    if (this.parenthesisDepth > 0) this.parenthesisDepth--;
  }

  statementEnded(): void {
    this.identifierCount = 0;
  }

  /**
   * psqlscan.l's heuristic for SQL-standard routine bodies: in a statement starting CREATE [OR REPLACE]
   * FUNCTION|PROCEDURE, BEGIN (and CASE within it) opens a block that END closes, outside parentheses.
   */
  identifier(source: string, from: number, to: number): void {
    if (this.identifierCount >= this.leadingKeywords.length && !this.definesRoutine()) return;
    const keyword = to - from <= 'procedure'.length ? source.slice(from, to).toLowerCase() : '';
    if (this.identifierCount === 0) this.leadingKeywords.fill('');
    if (this.identifierCount < this.leadingKeywords.length && ROUTINE_KEYWORDS.has(keyword)) {
      this.leadingKeywords[this.identifierCount] = keyword.charAt(0);
    }
    this.identifierCount++;
    if (this.parenthesisDepth > 0 || !this.definesRoutine()) return;
    if (keyword === 'begin') this.beginDepth++;
    else if (keyword === 'case' && this.beginDepth > 0) this.beginDepth++;
    else if (keyword === 'end' && this.beginDepth > 0) this.beginDepth--;
  }

  private definesRoutine(): boolean {
    const [first, second, third, fourth] = this.leadingKeywords;
    return (
      first === 'c' &&
      (second === 'f' ||
        second === 'p' ||
        (second === 'o' && third === 'r' && (fourth === 'f' || fourth === 'p')))
    );
  }
}

const ROUTINE_KEYWORDS: ReadonlySet<string> = new Set(['create', 'or', 'replace', 'function', 'procedure']);

/**
 * Follows src/fe_utils/psqlscan.l (standard_conforming_strings on): statements end at a `;` outside quotes,
 * comments, parentheses and routine BEGIN ... END blocks; a backslash outside quotes starts a meta-command.
 */
function splitPostgres(collector: StatementCollector): void {
  const { source } = collector;
  const nesting = new PsqlNesting();
  let pos = 0;
  while (pos < source.length) {
    const char = source[pos];
    if (isBlank(char)) {
      pos++;
    } else if (char === '-' && source[pos + 1] === '-') {
      pos = endOfPostgresLineComment(source, pos);
    } else if (char === '/' && source[pos + 1] === '*') {
      pos = collector.ensureClosed(pos, endOfNestedComment(source, pos), 'block comment /* ... */');
    } else if (char === ';' && nesting.semicolonEndsStatement) {
      const statement = collector.take();
      if (statement !== undefined) collector.add(statement);
      nesting.statementEnded();
      pos++;
    } else if (char === '\\') {
      throw scriptError(
        collector.lineAt(pos),
        `psql meta-command "${metaCommandName(source, pos)}" is not supported, as the script is sent to the server statement by statement, not run by psql`,
      );
    } else {
      const end = endOfPostgresToken(collector, pos, nesting);
      collector.extend(pos, end);
      pos = end;
    }
  }
  const statement = collector.take();
  if (statement !== undefined) collector.add(statement);
}

/** The end of the token at `pos` that is not whitespace, a comment, `;` or `\`, noting parentheses and keywords. */
function endOfPostgresToken(collector: StatementCollector, pos: number, nesting: PsqlNesting): number {
  const { source } = collector;
  const char = source[pos];
  if (char === '(') nesting.openParenthesis();
  else if (char === ')') nesting.closeParenthesis();
  else if (char === "'" || char === '"') {
    const what = char === "'" ? "string literal '...'" : 'quoted identifier "..."';
    return collector.ensureClosed(pos, endOfQuoted(source, pos, false), what);
  } else if (char === '$') {
    const tag = dollarQuoteTagAt(source, pos);
    if (tag === undefined) return pos + 1;
    const close = source.indexOf(tag, pos + tag.length);
    return collector.ensureClosed(
      pos,
      close < 0 ? close : close + tag.length,
      `dollar-quoted string ${tag}...${tag}`,
    );
  } else if (isIdentifierStart(source.charCodeAt(pos))) {
    let end = pos + 1;
    while (isIdentifierPart(source.charCodeAt(end))) end++;
    const literalEnd = end === pos + 1 ? endOfPrefixedLiteral(collector, pos) : undefined;
    if (literalEnd !== undefined) return literalEnd;
    nesting.identifier(source, pos, end);
    return end;
  }
  return pos + 1;
}

/** The end of a literal behind the one-letter prefix at `pos` (E'', B'', X'', N'', U&'', U&""), if there is one. */
function endOfPrefixedLiteral(collector: StatementCollector, pos: number): number | undefined {
  const { source } = collector;
  const prefix = source.charAt(pos).toLowerCase();
  const next = source[pos + 1];
  if (next === "'" && prefix === 'e') {
    return collector.ensureClosed(pos, endOfQuoted(source, pos + 1, true), "escape string literal E'...'");
  }
  if (next === "'" && (prefix === 'b' || prefix === 'x' || prefix === 'n')) {
    return collector.ensureClosed(pos, endOfQuoted(source, pos + 1, false), "string literal '...'");
  }
  const quote = source[pos + 2];
  if (prefix === 'u' && next === '&' && (quote === "'" || quote === '"')) {
    const what = quote === "'" ? "string literal U&'...'" : 'quoted identifier U&"..."';
    return collector.ensureClosed(pos, endOfQuoted(source, pos + 2, false), what);
  }
  return undefined;
}

/** The tag (`$$` or `$name$`) of the dollar quote opening at `pos`, or undefined (e.g. a `$1` parameter). */
function dollarQuoteTagAt(source: string, pos: number): string | undefined {
  let end = pos + 1;
  if (isIdentifierStart(source.charCodeAt(end))) {
    end++;
    while (isIdentifierStart(source.charCodeAt(end)) || isDigit(source.charCodeAt(end))) end++;
  }
  return source[end] === '$' ? source.slice(pos, end + 1) : undefined;
}

/** The end of the quoted token whose opening quote is at `pos` (a doubled quote stands for itself), or -1. */
function endOfQuoted(source: string, pos: number, backslashEscapes: boolean): number {
  const quote = source[pos];
  for (let at = pos + 1; at < source.length; at++) {
    const char = source[at];
    if (char === '\\' && backslashEscapes) at++;
    else if (char === quote) {
      if (source[at + 1] !== quote) return at + 1;
      at++;
    }
  }
  return -1;
}

/** The end of the PostgreSQL block comment opening at `pos`, where comments nest, or -1. */
function endOfNestedComment(source: string, pos: number): number {
  let depth = 0;
  for (let at = pos + 2; at < source.length - 1; at++) {
    const char = source[at];
    if (char === '*' && source[at + 1] === '/') {
      if (depth === 0) return at + 2;
      depth--;
      at++;
    } else if (char === '/' && source[at + 1] === '*') {
      depth++;
      at++;
    }
  }
  return -1;
}

/** The end of a `--` comment in PostgreSQL, which a carriage return ends as well as a newline. */
function endOfPostgresLineComment(source: string, pos: number): number {
  let at = pos + 2;
  while (at < source.length && source[at] !== '\n' && source[at] !== '\r') at++;
  return at;
}

function metaCommandName(source: string, pos: number): string {
  let end = pos + 1;
  while (end < source.length && end - pos < 40 && !isBlank(source[end])) end++;
  return source.slice(pos, end);
}

function endOfLine(source: string, pos: number): number {
  const newline = source.indexOf('\n', pos);
  return newline < 0 ? source.length : newline;
}

/** Whether only blanks stand between `pos` and the start of its line. */
function startsLine(source: string, pos: number): boolean {
  let at = pos - 1;
  while (at >= 0 && source[at] !== '\n' && isBlank(source[at])) at--;
  return at < 0 || source[at] === '\n';
}

function isBlank(char: string | undefined): boolean {
  return char === ' ' || char === '\n' || char === '\t' || char === '\r' || char === '\f' || char === '\v';
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** Letters, `_` and any non-ASCII character, as in PostgreSQL's lexer (which takes every high-bit byte). */
function isIdentifierStart(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || code === 0x5f || code >= 0x80;
}

function isIdentifierPart(code: number): boolean {
  return isIdentifierStart(code) || isDigit(code) || code === 0x24;
}
