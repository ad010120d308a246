import { isTransient } from '../shared/aws/transient';
import { ScriptError } from '../shared/errors';
import { logger } from '../shared/handler';
import type { RunState } from '../shared/run/run-state';
import { copyConnectionSettings, describeCopy } from '../shared/sql/database-login';
import { describeSqlError } from '../shared/sql/execute-script';
import type { PreserveDialect, PreservedTable, PreservedUser } from '../shared/sql/preserved-data';
import { type SqlSession, withSession } from '../shared/sql/sql-session';
import { type PreserveDependencies, preserveSettings } from './dependencies';
import { getPreservedData, markReapplied } from './storage';

/** What the reapply wrote, without the data: for the logs and the tests. */
export interface ReapplySummary {
  /** False when an earlier invocation had already reapplied the data (and deleted it). */
  readonly reapplied: boolean;
  readonly tables: readonly { readonly table: string; readonly rows: number }[];
  readonly users: readonly string[];
}

/**
 * Writes the preserved rows and users into the restored copy, before anyone can reach it under the
 * target's name: each table's rows replaced in one transaction, each user dropped and rebuilt. Running it
 * again gives the same copy. Once done, the stored data is deleted.
 * @throws ScriptError naming the table or user, and the fix, when the copy cannot take them
 */
export async function reapplyPreservedData(
  state: RunState,
  deps: PreserveDependencies,
): Promise<ReapplySummary> {
  const { plan } = state;
  const { dialect, sql } = preserveSettings(plan);
  const data = await getPreservedData(deps.s3, deps.bucket, plan.runId);
  if (data === undefined) {
    logger.info('The preserved data was already reapplied', { runId: plan.runId });
    return { reapplied: false, tables: [], users: [] };
  }
  const copy = await describeCopy(deps.rds, plan);
  const settings = await copyConnectionSettings(deps.secrets, plan, copy, dialect);
  const source = plan.source.id;

  await withSession(deps.openSession, dialect, settings, deps.tls, async (session) => {
    await sql.startReapply(session);
    for (const table of data.tables) await reapplyTable(session, sql, table, copy.id, source);
    for (const user of data.users) await reapplyUser(session, sql, user, copy.id);
  });
  await markReapplied(deps.s3, deps.bucket, plan.runId, deps.now());

  const summary: ReapplySummary = {
    reapplied: true,
    tables: data.tables.map((table) => ({ table: table.listed, rows: table.rowCount })),
    users: data.users.map((user) => user.account),
  };
  logger.info('Reapplied the preserved data', { ...summary });
  return summary;
}

/** Replaces the copy's rows of one table with the preserved ones, all or nothing (where the engine allows). */
async function reapplyTable(
  session: SqlSession,
  sql: PreserveDialect,
  table: PreservedTable,
  copyId: string,
  source: string,
): Promise<void> {
  if (!(await sql.tableExists(session, table.schema, table.table))) {
    throw new ScriptError(
      `Table ${table.listed} (preserve.tables) does not exist in the copy ${copyId}: the source ${source} has no such table, so its rows have nowhere to go. Create the table in the source, or remove it from preserve.tables`,
    );
  }
  await session.run(sql.begin);
  try {
    for (const statement of table.statements) await session.run(statement);
    await session.run('COMMIT');
  } catch (error: unknown) {
    await rollBack(session);
    if (isTransient(error)) throw error;
    // No cause: the driver's error holds the server's message unredacted, and it may quote row values.
    throw new ScriptError(
      `Writing the preserved rows of table ${table.listed} into the copy ${copyId} failed, and none were written: ${describeSqlError(error, table.insertHeader)}. The table's columns or constraints in the source ${source} probably differ from the target's; make them match, or remove the table from preserve.tables`,
    );
  }
}

/** Rebuilds one user or role on the copy (in one transaction where the engine allows DDL in one). */
async function reapplyUser(
  session: SqlSession,
  sql: PreserveDialect,
  user: PreservedUser,
  copyId: string,
): Promise<void> {
  if (sql.transactionalUsers) await session.run(sql.begin);
  for (const [index, statement] of user.statements.entries()) {
    try {
      await session.run(statement.sql);
    } catch (error: unknown) {
      if (sql.transactionalUsers) await rollBack(session);
      if (isTransient(error)) throw error;
      // Only the label is quoted: the statement itself may hold a password hash.
      throw new ScriptError(
        `Rebuilding user ${user.account} (preserve.users: ${user.listed}) in the copy ${copyId} failed at statement ${index + 1} of ${user.statements.length} (${statement.label}): ${describeSqlError(error, statement.label)}. A grant naming an object the source lacks fails this way; create the object in the source, or remove the user from preserve.users`,
      );
    }
  }
  if (sql.transactionalUsers) await session.run('COMMIT');
}

async function rollBack(session: SqlSession): Promise<void> {
  await session.run('ROLLBACK').catch((error: unknown) => {
    // The session is closed right after, which ends the transaction anyway.
    logger.warn('Rolling back failed', { errorName: error instanceof Error ? error.name : typeof error });
  });
}
