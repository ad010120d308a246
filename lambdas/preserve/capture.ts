import { isTransient } from '../shared/aws/transient';
import { DbRefreshError, GuardError, ScriptError } from '../shared/errors';
import { logger } from '../shared/handler';
import { splitTableName } from '../shared/refresh-model/preserved-names';
import type { RunState } from '../shared/run/run-state';
import { describeTarget, targetConnectionSettings } from '../shared/sql/database-login';
import { describeSqlError } from '../shared/sql/execute-script';
import type { PreservedData, PreservedTable, PreservedUser } from '../shared/sql/preserved-data';
import { withSession } from '../shared/sql/sql-session';
import { type PreserveDependencies, preserveSettings } from './dependencies';
import { preservedDataKey, putPreservedData } from './storage';

/**
 * The most statement text one run keeps: preserve is for settings, flags and users, not for bulk data,
 * and the reapply holds all of it in memory.
 */
export const MAX_PRESERVED_CHARACTERS = 100 * 1024 * 1024;

/** What the capture read, without the data: for the logs and the tests. */
export interface CaptureSummary {
  readonly key: string;
  readonly bytes: number;
  readonly tables: readonly { readonly table: string; readonly rows: number }[];
  /** The accounts (MySQL `name@host`) or roles read. */
  readonly users: readonly string[];
}

/**
 * Reads the listed tables' rows and users from the live target, in one read-only snapshot, as the
 * statements that rebuild them, and stores them in the preserved-data bucket. Changes nothing on the
 * target; a re-run reads and stores them again.
 * @throws GuardError naming the table or user when the target lacks it or it cannot be preserved
 */
export async function capturePreservedData(
  state: RunState,
  deps: PreserveDependencies,
): Promise<CaptureSummary> {
  const { plan } = state;
  const { dialect, sql, tables, users } = preserveSettings(plan);
  const target = await describeTarget(deps.rds, plan);
  const settings = await targetConnectionSettings(deps.secrets, plan, target, dialect);
  const context = { target: plan.target.id, adminUser: settings.user };

  const captured = await withSession(deps.openSession, dialect, settings, deps.tls, async (session) => {
    await reading(`Preparing to read from the target ${plan.target.id}`, '', () => sql.startCapture(session));
    const preservedTables: PreservedTable[] = [];
    let characters = 0;
    for (const listed of tables) {
      const table = await reading(`Reading table ${listed} on the target ${plan.target.id}`, listed, () =>
        sql.captureTable(session, listed, splitTableName(listed), context),
      );
      characters += table.statements.reduce((sum, statement) => sum + statement.length, 0);
      if (characters > MAX_PRESERVED_CHARACTERS) {
        throw new GuardError(
          `The preserved tables reach ${Math.round(characters / 1024 / 1024)} MiB at ${listed}, more than the ${MAX_PRESERVED_CHARACTERS / 1024 / 1024} MiB dbrefresh keeps; preserve is for settings and users: copy large tables with a hook or a script instead`,
        );
      }
      preservedTables.push(table);
    }
    const preservedUsers: PreservedUser[] = [];
    for (const listed of users) {
      preservedUsers.push(
        ...(await reading(`Reading user ${listed} on the target ${plan.target.id}`, listed, () =>
          sql.captureUser(session, listed, context),
        )),
      );
    }
    return { tables: preservedTables, users: preservedUsers };
  });

  const data: PreservedData = {
    version: 1,
    runId: plan.runId,
    target: plan.target.id,
    dialect,
    capturedAt: deps.now().toISOString(),
    ...captured,
  };
  const bytes = await putPreservedData(deps.s3, deps.bucket, data);
  const summary: CaptureSummary = {
    key: preservedDataKey(plan.runId),
    bytes,
    tables: data.tables.map((table) => ({ table: table.listed, rows: table.rowCount })),
    users: data.users.map((user) => user.account),
  };
  logger.info('Captured the data to preserve', { ...summary });
  return summary;
}

/**
 * Runs one read, turning a server error into a ScriptError that says what was being read; the server's
 * message has its quoted values redacted (only `names` may stay).
 */
async function reading<T>(what: string, names: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error: unknown) {
    if (error instanceof DbRefreshError || isTransient(error)) throw error;
    // No cause: the driver's error holds the unredacted server message.
    throw new ScriptError(`${what} failed: ${describeSqlError(error, names)}`);
  }
}
