import * as z from 'zod';

/**
 * The names `preserve` lists: tables as `database.table` (MySQL, MariaDB) or `schema.table` (PostgreSQL),
 * users as `name` or `name@host` (MySQL, MariaDB) or a role name (PostgreSQL). Names are written as the
 * server stores them, without quotes: keywords, spaces and quotes need no escaping, and everything after the
 * first dot is the table's name.
 */

/** A table named by `preserve.tables`: its database (MySQL) or schema (PostgreSQL), and its name. */
export interface PreservedTableName {
  readonly schema: string;
  readonly table: string;
}

/** A user named by `preserve.users`: `host` is undefined for "every host" (and always for PostgreSQL). */
export interface PreservedUserName {
  readonly name: string;
  readonly host?: string;
}

/** MySQL allows 64 characters in database and table names; PostgreSQL 63 bytes. */
const MAX_NAME_LENGTH = 64;
/** MariaDB allows 80 characters in user names (MySQL 32), 255 in host names. */
const MAX_USER_LENGTH = 80;
const MAX_HOST_LENGTH = 255;
/** A character below U+0020, or DEL: never part of a name someone means to write. */
const hasControlCharacter = (value: string) => [...value].some((char) => char < ' ' || char === '\u007f');

/** Splits `database.table` at its first dot. */
export function splitTableName(value: string): PreservedTableName {
  const dot = value.indexOf('.');
  return dot < 0
    ? { schema: '', table: value }
    : { schema: value.slice(0, dot), table: value.slice(dot + 1) };
}

/** Splits `name@host` at its last `@` (MySQL, MariaDB); a name without `@` means every host. */
export function splitUserName(value: string): PreservedUserName {
  const at = value.lastIndexOf('@');
  return at < 0 ? { name: value } : { name: value.slice(0, at), host: value.slice(at + 1) };
}

/** Why `value` cannot name a table, or undefined when it can. */
export function tableNameProblem(value: string): string | undefined {
  if (!value.includes('.')) return 'names no database or schema: write it as database.table or schema.table';
  const { schema, table } = splitTableName(value);
  if (schema === '') return 'has nothing before the dot: write it as database.table or schema.table';
  if (table === '') return 'has nothing after the dot: write it as database.table or schema.table';
  return (
    namePartProblem(schema, 'its database or schema', MAX_NAME_LENGTH) ??
    namePartProblem(table, 'its table', MAX_NAME_LENGTH)
  );
}

/** Why `value` cannot name a user or role, or undefined when it can. */
export function userNameProblem(value: string): string | undefined {
  if (value === '') return 'is empty';
  const { name, host } = splitUserName(value);
  if (name === '') return 'has nothing before the "@": write the user name first, as name or name@host';
  if (host === '') return 'ends with "@": give the host (name@host, "%" for any host) or leave out the "@"';
  return (
    namePartProblem(name, 'the user name', MAX_USER_LENGTH) ??
    (host === undefined ? undefined : namePartProblem(host, 'the host', MAX_HOST_LENGTH))
  );
}

function namePartProblem(part: string, what: string, maxLength: number): string | undefined {
  if (part.length > maxLength)
    return `${what} is ${part.length} characters long, more than the server allows (${maxLength})`;
  if (hasControlCharacter(part)) return `${what} contains a control character`;
  if (part.trim() !== part) return `${what} starts or ends with a space`;
  return undefined;
}

/** A list whose entries must each be valid (by `problemOf`) and appear once. */
function nameList(description: string, expected: string, problemOf: (value: string) => string | undefined) {
  const entry = z
    .string()
    .superRefine((value, ctx) => {
      const problem = problemOf(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, params: { expected } });
    })
    .describe(expected);
  return z
    .array(entry)
    .superRefine((values, ctx) => {
      for (const [index, value] of values.entries()) {
        if (values.indexOf(value) < index) {
          ctx.addIssue({
            code: 'custom',
            path: [index],
            message: `lists "${value}" a second time`,
            params: { expected: 'each name once; remove the repeated entry' },
          });
        }
      }
    })
    .describe(description);
}

export const preservedTables = nameList(
  "Tables whose rows the target keeps: read from the target before the restore, they replace the copy's rows of the same table before the swap. database.table for MySQL and MariaDB, schema.table (in the target's database) for PostgreSQL, written without quotes. The table must exist in the source too.",
  'a table as database.table (MySQL, MariaDB) or schema.table (PostgreSQL), for example "app1.settings"',
  tableNameProblem,
);

export const preservedUsers = nameList(
  'Users the target keeps, with their passwords and privileges: name (every host) or name@host for MySQL and MariaDB, a role name for PostgreSQL. Never the admin user, whose password every refresh replaces.',
  'a user as name or name@host (MySQL, MariaDB), or a role name (PostgreSQL), for example "app_dev" or "app_dev@%"',
  userNameProblem,
);

/** Reports a `preserve` section that lists nothing, which would make the refresh read the target for nothing. */
export function listsSomething(
  section: { tables?: readonly string[]; users?: readonly string[] },
  ctx: z.core.$RefinementCtx,
): void {
  if ((section.tables?.length ?? 0) + (section.users?.length ?? 0) > 0) return;
  ctx.addIssue({
    code: 'custom',
    message: 'lists no tables and no users',
    params: { expected: 'at least one entry in tables or users, or no preserve section' },
  });
}
