import { GuardError } from '../errors';
import { splitUserName } from '../refresh-model/preserved-names';
import {
  type CaptureContext,
  grantLabel,
  type LabelledStatement,
  type PreserveDialect,
  type PreservedUser,
  preservedTable,
} from './preserved-data';
import type { SqlSession } from './sql-session';

/** MySQL and MariaDB: rows read as QUOTE()d literals, users as SHOW CREATE USER and SHOW GRANTS. */

/** `name` quoted as a MySQL identifier (also for the user and host of an account: `app`@`%`). */
export function mysqlIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** The account `name`@`host`, as SHOW CREATE USER writes it. */
export function mysqlAccount(name: string, host: string): string {
  return `${mysqlIdentifier(name)}@${mysqlIdentifier(host)}`;
}

/**
 * Text forms that read back identically: TIMESTAMPs in UTC, backslash escapes on (QUOTE() writes them
 * and the driver's placeholders use them), and NO_AUTO_VALUE_ON_ZERO so a stored 0 in an AUTO_INCREMENT
 * column stays 0 (as mysqldump does).
 */
export const MYSQL_SESSION = [
  "SET SESSION time_zone = '+00:00'",
  "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ',')), ''), 'NO_AUTO_VALUE_ON_ZERO')",
] as const;

/** MySQL 8.0.17+ prints password hashes (binary for caching_sha2_password) in hex; MariaDB lacks it. */
const HASHES_AS_HEX = 'SET SESSION print_identified_with_as_hex = ON';
const UNKNOWN_SYSTEM_VARIABLE = 1193;

/** Column types whose values are bytes, written as X'…' hex literals so no character set touches them (BIT as b'…'). */
const BINARY_TYPES: ReadonlySet<string> = new Set([
  'binary',
  'varbinary',
  'tinyblob',
  'blob',
  'mediumblob',
  'longblob',
  'geometry',
  'point',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
  'geomcollection',
]);

/** EXTRA of a generated column (MySQL "VIRTUAL GENERATED", MariaDB also "PERSISTENT"); not MySQL's "DEFAULT_GENERATED". */
const GENERATED = /(^|\s)(VIRTUAL|STORED) GENERATED\b|^(VIRTUAL|PERSISTENT)$/i;

export interface MysqlColumn {
  readonly name: string;
  readonly dataType: string;
  readonly extra: string;
}

/** The SELECT that reads each row of a table as one text: its values as SQL literals, comma-separated. */
export function mysqlSelectRows(schema: string, table: string, columns: readonly MysqlColumn[]): string {
  const literals = columns.map((column) => {
    const name = mysqlIdentifier(column.name);
    const type = column.dataType.toLowerCase();
    if (type === 'bit') return `IF(${name} IS NULL, 'NULL', CONCAT('b''', BIN(${name}), ''''))`;
    return BINARY_TYPES.has(type)
      ? `IF(${name} IS NULL, 'NULL', CONCAT('X''', HEX(${name}), ''''))`
      : `CONVERT(QUOTE(${name}) USING utf8mb4)`;
  });
  return `SELECT CONCAT_WS(',', ${literals.join(', ')}) FROM ${mysqlIdentifier(schema)}.${mysqlIdentifier(table)}`;
}

/** The columns a preserved row is written to: all but generated ones, which the server computes. */
export function mysqlInsertableColumns(columns: readonly MysqlColumn[]): MysqlColumn[] {
  return columns.filter((column) => !GENERATED.test(column.extra));
}

export function mysqlInsertHeader(schema: string, table: string, columns: readonly MysqlColumn[]): string {
  const names = columns.map((column) => mysqlIdentifier(column.name)).join(', ');
  return `INSERT INTO ${mysqlIdentifier(schema)}.${mysqlIdentifier(table)} (${names}) VALUES `;
}

/** The statements that rebuild an account: drop it, create it as it was (password hash included), grant. */
export function mysqlUserStatements(
  account: string,
  createUser: string,
  grants: readonly string[],
): LabelledStatement[] {
  return [
    { sql: `DROP USER IF EXISTS ${account}`, label: 'DROP USER IF EXISTS' },
    { sql: createUser, label: 'CREATE USER' },
    ...grants.map((grant) => ({ sql: grant, label: grantLabel(grant) })),
  ];
}

/** Users dbrefresh never rebuilds: the admin, RDS's own, and the server's internal accounts. */
function reservedUserProblem(name: string, context: CaptureContext): string | undefined {
  if (name === context.adminUser) {
    return `is the admin user, whose password every refresh replaces; remove it from preserve.users`;
  }
  if (/^rds/i.test(name) || /^mysql\./i.test(name)) {
    return 'is an account RDS or the server manages; remove it from preserve.users';
  }
  return undefined;
}

export const mysqlPreserve: PreserveDialect = {
  transactionalUsers: false,
  begin: 'START TRANSACTION',

  async startCapture(session) {
    for (const statement of MYSQL_SESSION) await session.run(statement);
    try {
      await session.run(HASHES_AS_HEX);
    } catch (error: unknown) {
      if ((error as { errno?: unknown }).errno !== UNKNOWN_SYSTEM_VARIABLE) throw error;
    }
    await session.run('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await session.run('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
  },

  async startReapply(session) {
    for (const statement of MYSQL_SESSION) await session.run(statement);
    // The rows are put back as they were, like a dump's restore: no check, no cascade to other tables.
    await session.run('SET SESSION foreign_key_checks = 0');
  },

  async captureTable(session, listed, name, context) {
    const found = await findTable(session, name.schema, name.table);
    if (found === undefined) {
      throw new GuardError(
        `Table ${listed}, listed in preserve.tables, does not exist on the target ${context.target}; write it as database.table, spelt as the server stores it, or remove it from preserve.tables`,
      );
    }
    if (found.type !== 'BASE TABLE') {
      throw new GuardError(
        `${listed}, listed in preserve.tables, is a ${found.type.toLowerCase()} on the target ${context.target}, not a table; only tables' rows can be preserved`,
      );
    }
    const { rows: columnRows } = await session.run(
      'SELECT COLUMN_NAME, DATA_TYPE, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [found.schema, found.table],
    );
    const columns = mysqlInsertableColumns(
      columnRows.map(([columnName, dataType, extra]) => ({
        name: columnName ?? '',
        dataType: dataType ?? '',
        extra: extra ?? '',
      })),
    );
    if (columns.length === 0) {
      throw new GuardError(`Table ${listed} on the target ${context.target} has no columns to preserve`);
    }
    const { rows } = await session.run(mysqlSelectRows(found.schema, found.table, columns));
    return preservedTable({
      listed,
      schema: found.schema,
      table: found.table,
      deleteStatement: `DELETE FROM ${mysqlIdentifier(found.schema)}.${mysqlIdentifier(found.table)}`,
      insertHeader: mysqlInsertHeader(found.schema, found.table, columns),
      rows,
    });
  },

  async captureUser(session, listed, context) {
    const { name, host } = splitUserName(listed);
    const reserved = reservedUserProblem(name, context);
    if (reserved) throw new GuardError(`User ${listed}, listed in preserve.users, ${reserved}`);
    const hosts = await accountHosts(session, name, host);
    if (hosts.length === 0) {
      throw new GuardError(
        `User ${listed}, listed in preserve.users, does not exist on the target ${context.target}; write it as name (every host) or name@host, as SELECT User, Host FROM mysql.user shows it, or remove it from preserve.users`,
      );
    }
    const users: PreservedUser[] = [];
    for (const accountHost of hosts) {
      const account = mysqlAccount(name, accountHost);
      const { rows: created } = await session.run(`SHOW CREATE USER ${account}`);
      const { rows: grants } = await session.run(`SHOW GRANTS FOR ${account}`);
      users.push({
        listed,
        account: `${name}@${accountHost}`,
        statements: mysqlUserStatements(
          account,
          created[0]?.[0] ?? '',
          grants.map(([grant]) => grant ?? ''),
        ),
      });
    }
    return users;
  },

  async tableExists(session, schema, table) {
    return (await findTable(session, schema, table))?.type === 'BASE TABLE';
  },
};

interface FoundTable {
  readonly schema: string;
  readonly table: string;
  readonly type: string;
}

/** The table as the server spells it: information_schema may compare names without regard to case. */
async function findTable(
  session: SqlSession,
  schema: string,
  table: string,
): Promise<FoundTable | undefined> {
  const { rows } = await session.run(
    'SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [schema, table],
  );
  const found = rows.map(([foundSchema, foundTable, type]) => ({
    schema: foundSchema ?? '',
    table: foundTable ?? '',
    type: type ?? '',
  }));
  return found.find((candidate) => candidate.schema === schema && candidate.table === table) ?? found[0];
}

async function accountHosts(session: SqlSession, name: string, host: string | undefined): Promise<string[]> {
  const { rows: version } = await session.run('SELECT VERSION()');
  // MariaDB lists its roles in mysql.user too; they are not users.
  const notRole = /mariadb/i.test(version[0]?.[0] ?? '') ? " AND is_role = 'N'" : '';
  const { rows } =
    host === undefined
      ? await session.run(`SELECT Host FROM mysql.user WHERE User = ?${notRole} ORDER BY Host`, [name])
      : await session.run(`SELECT Host FROM mysql.user WHERE User = ? AND Host = ?${notRole}`, [name, host]);
  return rows.map(([found]) => found ?? '');
}
