import { GuardError } from '../errors';
import {
  type CaptureContext,
  grantLabel,
  type LabelledStatement,
  type PreserveDialect,
  preservedTable,
} from './preserved-data';
import type { SqlSession, SqlText } from './sql-session';

/**
 * PostgreSQL: rows read as quote_nullable() literals, roles as their attributes, password hash,
 * memberships and the privileges the ACLs of the copy's database, schemas, tables and sequences give them.
 */

export function postgresIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A string literal; the sessions set standard_conforming_strings, so a backslash is just a backslash. */
export function postgresLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Text forms that read back identically, as pg_dump sets them. */
export const POSTGRES_SESSION = [
  "SET TimeZone = 'UTC'",
  "SET DateStyle = 'ISO, YMD'",
  "SET IntervalStyle = 'postgres'",
  'SET extra_float_digits = 3',
  "SET bytea_output = 'hex'",
  'SET standard_conforming_strings = on',
] as const;

/** Disables triggers, foreign key ones included, so rows go back as they were (needs superuser or rds_superuser). */
const WITHOUT_TRIGGERS = 'SET session_replication_role = replica';
const INSUFFICIENT_PRIVILEGE = '42501';

/** The dollar-quote tag of the DO blocks; a role name holding it is refused. */
const DO_TAG = '$dbrefresh$';

export interface PostgresColumn {
  readonly name: string;
  /** information_schema.columns.is_generated: "ALWAYS" for a generated column. */
  readonly generated: boolean;
  /** "ALWAYS" for GENERATED ALWAYS AS IDENTITY, which needs OVERRIDING SYSTEM VALUE. */
  readonly identityAlways: boolean;
  /** Whether a sequence feeds the column (serial or identity), to be moved past the preserved values. */
  readonly hasSequence: boolean;
}

function qualified(schema: string, table: string): string {
  return `${postgresIdentifier(schema)}.${postgresIdentifier(table)}`;
}

/** The SELECT that reads each row of a table as one text: its values as SQL literals, comma-separated. */
export function postgresSelectRows(
  schema: string,
  table: string,
  columns: readonly PostgresColumn[],
): string {
  // `||`, not concat_ws: a function takes at most 100 arguments, a table up to 1600 columns.
  const literals = columns.map((column) => `pg_catalog.quote_nullable(${postgresIdentifier(column.name)})`);
  return `SELECT ${literals.join(" || ',' || ")} FROM ${qualified(schema, table)}`;
}

export function postgresInsertHeader(
  schema: string,
  table: string,
  columns: readonly PostgresColumn[],
): string {
  const names = columns.map((column) => postgresIdentifier(column.name)).join(', ');
  const overriding = columns.some((column) => column.identityAlways) ? ' OVERRIDING SYSTEM VALUE' : '';
  return `INSERT INTO ${qualified(schema, table)} (${names})${overriding} VALUES `;
}

/**
 * Moves each sequence of the table past the largest preserved value, so the next insert does not collide;
 * the sequence is looked up on the copy, where it runs.
 */
export function postgresSequenceStatements(
  schema: string,
  table: string,
  columns: readonly PostgresColumn[],
): string[] {
  return columns
    .filter((column) => column.hasSequence)
    .map((column) => {
      const name = postgresIdentifier(column.name);
      const sequence = `pg_catalog.pg_get_serial_sequence(${postgresLiteral(qualified(schema, table))}, ${postgresLiteral(column.name)})`;
      return `SELECT pg_catalog.setval(${sequence}::regclass, max(${name})) FROM ${qualified(schema, table)} HAVING max(${name}) IS NOT NULL`;
    });
}

/** A role as the target has it, everything needed to rebuild it. */
export interface PostgresRole {
  readonly name: string;
  readonly superuser: boolean;
  readonly inherit: boolean;
  readonly createRole: boolean;
  readonly createDb: boolean;
  readonly login: boolean;
  readonly replication: boolean;
  readonly bypassRls: boolean;
  readonly connectionLimit: number;
  /** The password's expiry in UTC text, or null for none. */
  readonly validUntil: string | null;
  /** The stored hash (SCRAM-SHA-256$… or md5…), or null for no password. */
  readonly passwordHash: string | null;
  readonly memberOf: readonly { readonly role: string; readonly admin: boolean }[];
  readonly privileges: readonly PostgresPrivilege[];
}

export interface PostgresPrivilege {
  readonly on: 'DATABASE' | 'SCHEMA' | 'TABLE' | 'SEQUENCE';
  /** The object's name, quoted (schema-qualified for tables and sequences). */
  readonly object: string;
  /** As aclexplode() names it: SELECT, INSERT, USAGE, CREATE, CONNECT, TEMPORARY... */
  readonly privilege: string;
  readonly grantable: boolean;
}

/**
 * The statements that rebuild a role on the copy, whatever the copy has under that name: create it if
 * missing, set its attributes and password hash, take away the memberships and privileges it has there
 * (the source's), then grant the target's. Running them twice gives the same role.
 */
export function postgresRoleStatements(role: PostgresRole): LabelledStatement[] {
  if (role.name.includes(DO_TAG)) {
    throw new GuardError(`Role ${role.name} cannot be preserved: its name contains ${DO_TAG}`);
  }
  const name = postgresIdentifier(role.name);
  const literal = postgresLiteral(role.name);
  // SUPERUSER, REPLICATION and BYPASSRLS may only be named by a superuser, even to turn them off.
  const attributes = [
    role.superuser ? 'SUPERUSER' : undefined,
    role.inherit ? 'INHERIT' : 'NOINHERIT',
    role.createRole ? 'CREATEROLE' : 'NOCREATEROLE',
    role.createDb ? 'CREATEDB' : 'NOCREATEDB',
    role.login ? 'LOGIN' : 'NOLOGIN',
    role.replication ? 'REPLICATION' : undefined,
    role.bypassRls ? 'BYPASSRLS' : undefined,
    `CONNECTION LIMIT ${role.connectionLimit}`,
    `VALID UNTIL ${postgresLiteral(role.validUntil ?? 'infinity')}`,
    `PASSWORD ${role.passwordHash === null ? 'NULL' : postgresLiteral(role.passwordHash)}`,
  ].filter((attribute) => attribute !== undefined);
  const revokeEarlier = [
    `DO ${DO_TAG}DECLARE granted text; BEGIN`,
    `FOR granted IN SELECT g.rolname FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid JOIN pg_catalog.pg_roles r ON r.oid = m.member WHERE r.rolname = ${literal} LOOP`,
    `EXECUTE pg_catalog.format('REVOKE %I FROM %I', granted, ${literal}); END LOOP;`,
    "FOR granted IN SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP",
    `EXECUTE pg_catalog.format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', granted, ${literal});`,
    `EXECUTE pg_catalog.format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', granted, ${literal});`,
    `EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA %I FROM %I', granted, ${literal}); END LOOP;`,
    `EXECUTE pg_catalog.format('REVOKE ALL ON DATABASE %I FROM %I', pg_catalog.current_database(), ${literal});`,
    `END${DO_TAG}`,
  ].join('\n');
  const memberships = role.memberOf.map((membership) => {
    const sql = `GRANT ${postgresIdentifier(membership.role)} TO ${name}${membership.admin ? ' WITH ADMIN OPTION' : ''}`;
    return { sql, label: grantLabel(sql) };
  });
  const privileges = role.privileges.map((grant): LabelledStatement => {
    const option = grant.grantable ? ' WITH GRANT OPTION' : '';
    if (grant.on !== 'DATABASE') {
      const sql = `GRANT ${grant.privilege} ON ${grant.on} ${grant.object} TO ${name}${option}`;
      return { sql, label: grantLabel(sql) };
    }
    // The copy's database is the source's, whose name may differ from the target's.
    return {
      sql: `DO ${DO_TAG}BEGIN EXECUTE pg_catalog.format('GRANT ${grant.privilege} ON DATABASE %I TO %I${option}', pg_catalog.current_database(), ${literal}); END${DO_TAG}`,
      label: `GRANT ${grant.privilege} ON DATABASE (the copy's)`,
    };
  });
  return [
    {
      sql: `DO ${DO_TAG}BEGIN CREATE ROLE ${name}; EXCEPTION WHEN duplicate_object THEN NULL; END${DO_TAG}`,
      label: 'CREATE ROLE',
    },
    { sql: `ALTER ROLE ${name} WITH ${attributes.join(' ')}`, label: 'ALTER ROLE (attributes and password)' },
    { sql: revokeEarlier, label: 'REVOKE the memberships and privileges the role has in the copy' },
    ...memberships,
    ...privileges,
  ];
}

/** Roles dbrefresh never rebuilds: the admin, and those PostgreSQL or RDS manage. */
function reservedRoleProblem(name: string, context: CaptureContext): string | undefined {
  if (name === context.adminUser) {
    return 'is the admin user, whose password every refresh replaces; remove it from preserve.users';
  }
  if (/^(pg_|rds)/i.test(name)) return 'is a role PostgreSQL or RDS manages; remove it from preserve.users';
  return undefined;
}

const PRIVILEGE = /^[A-Z ]+$/;

export const postgresPreserve: PreserveDialect = {
  transactionalUsers: true,
  begin: 'BEGIN',

  async startCapture(session) {
    for (const statement of POSTGRES_SESSION) await session.run(statement);
    await session.run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  },

  async startReapply(session) {
    for (const statement of POSTGRES_SESSION) await session.run(statement);
    try {
      await session.run(WITHOUT_TRIGGERS);
    } catch (error: unknown) {
      // Without the privilege, foreign keys are checked as usual: a referenced row must come back.
      if ((error as { code?: unknown }).code !== INSUFFICIENT_PRIVILEGE) throw error;
    }
  },

  async captureTable(session, listed, name, context) {
    const { rows: kinds } = await session.run(
      'SELECT c.relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2',
      [name.schema, name.table],
    );
    const kind = kinds[0]?.[0];
    if (kind === undefined) {
      throw new GuardError(
        `Table ${listed}, listed in preserve.tables, does not exist in database ${await currentDatabase(session)} of the target ${context.target}; write it as schema.table, spelt as the server stores it (usually lowercase), or remove it from preserve.tables`,
      );
    }
    if (kind !== 'r' && kind !== 'p') {
      throw new GuardError(
        `${listed}, listed in preserve.tables, is not a table on the target ${context.target} (pg_class.relkind "${kind}"); only tables' rows can be preserved`,
      );
    }
    const { rows: columnRows } = await session.run(
      `SELECT column_name, is_generated, identity_generation,
         pg_catalog.pg_get_serial_sequence(pg_catalog.format('%I.%I', table_schema, table_name), column_name) IS NOT NULL
       FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
      [name.schema, name.table],
    );
    const columns: PostgresColumn[] = columnRows
      .map(([column, generated, identity, sequence]) => ({
        name: column ?? '',
        generated: generated === 'ALWAYS',
        identityAlways: identity === 'ALWAYS',
        hasSequence: isTrue(sequence),
      }))
      .filter((column) => !column.generated);
    if (columns.length === 0) {
      throw new GuardError(`Table ${listed} on the target ${context.target} has no columns to preserve`);
    }
    const { rows } = await session.run(postgresSelectRows(name.schema, name.table, columns));
    return preservedTable({
      listed,
      schema: name.schema,
      table: name.table,
      deleteStatement: `DELETE FROM ${qualified(name.schema, name.table)}`,
      insertHeader: postgresInsertHeader(name.schema, name.table, columns),
      rows,
      after: postgresSequenceStatements(name.schema, name.table, columns),
    });
  },

  async captureUser(session, listed, context) {
    const reserved = reservedRoleProblem(listed, context);
    if (reserved) throw new GuardError(`Role ${listed}, listed in preserve.users, ${reserved}`);
    const role = await readRole(session, listed, context);
    return [{ listed, account: listed, statements: postgresRoleStatements(role) }];
  },

  async tableExists(session, schema, table) {
    const { rows } = await session.run(
      "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')",
      [schema, table],
    );
    return rows.length > 0;
  },
};

async function currentDatabase(session: SqlSession): Promise<string> {
  const { rows } = await session.run('SELECT pg_catalog.current_database()');
  return rows[0]?.[0] ?? '(unknown)';
}

function isTrue(value: SqlText | undefined): boolean {
  return value === 't' || value === 'true';
}

async function readRole(session: SqlSession, name: string, context: CaptureContext): Promise<PostgresRole> {
  const { rows } = await session.run(
    `SELECT rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls,
       rolconnlimit, rolvaliduntil FROM pg_catalog.pg_roles WHERE rolname = $1`,
    [name],
  );
  const row = rows[0];
  if (row === undefined) {
    throw new GuardError(
      `Role ${name}, listed in preserve.users, does not exist on the target ${context.target}; write the role name as \\du shows it, or remove it from preserve.users`,
    );
  }
  const [
    superuser,
    inherit,
    createRole,
    createDb,
    login,
    replication,
    bypassRls,
    connectionLimit,
    validUntil,
  ] = row;
  return {
    name,
    superuser: isTrue(superuser),
    inherit: isTrue(inherit),
    createRole: isTrue(createRole),
    createDb: isTrue(createDb),
    login: isTrue(login),
    replication: isTrue(replication),
    bypassRls: isTrue(bypassRls),
    connectionLimit: Number.parseInt(connectionLimit ?? '-1', 10),
    validUntil: validUntil ?? null,
    // A role that cannot log in has no use for a password: its hash is not read.
    passwordHash: isTrue(login) ? await readPasswordHash(session, name, context) : null,
    memberOf: await readMemberships(session, name),
    privileges: await readPrivileges(session, name),
  };
}

async function readPasswordHash(
  session: SqlSession,
  name: string,
  context: CaptureContext,
): Promise<string | null> {
  try {
    const { rows } = await session.run('SELECT rolpassword FROM pg_catalog.pg_authid WHERE rolname = $1', [
      name,
    ]);
    return rows[0]?.[0] ?? null;
  } catch (error: unknown) {
    if ((error as { code?: unknown }).code !== INSUFFICIENT_PRIVILEGE) throw error;
    throw new GuardError(
      `Cannot read the password of role ${name} (preserve.users) on the target ${context.target}: password hashes are in pg_authid, which only a superuser may read, and the admin user ${context.adminUser} is not one (on RDS and Aurora no user is). Remove ${name} from preserve.users and set its password on the copy with a script (scripts.keys), or keep only roles that cannot log in (NOLOGIN), which have no password`,
    );
  }
}

async function readMemberships(session: SqlSession, name: string): Promise<PostgresRole['memberOf']> {
  const { rows } = await session.run(
    `SELECT g.rolname, m.admin_option FROM pg_catalog.pg_auth_members m
       JOIN pg_catalog.pg_roles g ON g.oid = m.roleid JOIN pg_catalog.pg_roles r ON r.oid = m.member
     WHERE r.rolname = $1 ORDER BY g.rolname`,
    [name],
  );
  return rows.map(([role, admin]) => ({ role: role ?? '', admin: isTrue(admin) }));
}

/** The role's privileges in the current database, from the ACLs (what GRANT gave it, not what it owns). */
async function readPrivileges(session: SqlSession, name: string): Promise<PostgresPrivilege[]> {
  const { rows } = await session.run(
    `WITH grantee AS (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1)
     SELECT 'DATABASE', pg_catalog.quote_ident(d.datname), a.privilege_type, a.is_grantable, 1 AS sort
       FROM pg_catalog.pg_database d, pg_catalog.aclexplode(d.datacl) a, grantee
      WHERE d.datname = pg_catalog.current_database() AND a.grantee = grantee.oid
     UNION ALL
     SELECT 'SCHEMA', pg_catalog.quote_ident(n.nspname), a.privilege_type, a.is_grantable, 2
       FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a, grantee
      WHERE a.grantee = grantee.oid AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
     UNION ALL
     SELECT CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
            pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),
            a.privilege_type, a.is_grantable, 3
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace,
            pg_catalog.aclexplode(c.relacl) a, grantee
      WHERE a.grantee = grantee.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
        AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
     ORDER BY 5, 2, 3`,
    [name],
  );
  return rows.map(([on, object, privilege, grantable]) => {
    if (!PRIVILEGE.test(privilege ?? ''))
      throw new Error(`Unexpected privilege type from aclexplode: ${privilege}`);
    return {
      on: on as PostgresPrivilege['on'],
      object: object ?? '',
      privilege: privilege ?? '',
      grantable: isTrue(grantable),
    };
  });
}
