import type { RDSClient } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DbRefreshError, GuardError } from '../shared/errors';
import { logger, type StepContext } from '../shared/handler';
import { continuePoll, type PollState, startPoll } from '../shared/poll';
import type { Plan } from '../shared/run/plan';
import type { RunState, ScriptResult } from '../shared/run/run-state';
import type { OpenConnection, TlsMode } from '../shared/sql/connect';
import { copyConnectionSettings, describeCopy } from '../shared/sql/database-login';
import {
  assertFitsOneTransaction,
  executeScript,
  type Script,
  type ScriptProgress,
  splitScript,
} from '../shared/sql/execute-script';
import { readScript, scriptKey, verifyNoRows, withConnection } from '../shared/sql/script-files';

/** The first check comes at once (the script runs in the start invocation); scripts get six hours in all. */
export const SCRIPTS_TIMING = { expectedSeconds: 1, timeoutSeconds: 6 * 3600 } as const;

/** The time kept back at the end of an invocation: no statement starts with less than this left. */
export const DEFAULT_RESERVE_MILLISECONDS = 60_000;

/**
 * A `per-file` file runs on into the reserve (it cannot pause), but is rolled back when less than this (or the
 * reserve, if smaller) remains: it then runs again, first, in the next invocation, or, if it already had an
 * invocation to itself, fails with a clear ScriptError rather than a Lambda timeout.
 */
export const PER_FILE_ABANDON_MILLISECONDS = 10_000;

/**
 * The reserve from the value of SCRIPTS_RESERVE_MILLISECONDS (unset: the default). Only tests change it, to
 * make a short script span several invocations.
 */
export function reserveMillisecondsFrom(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_RESERVE_MILLISECONDS;
  const milliseconds = Number(value);
  if (!Number.isInteger(milliseconds) || milliseconds < 0) {
    throw new DbRefreshError(
      `SCRIPTS_RESERVE_MILLISECONDS is "${value}"; it must be a whole number of milliseconds, 0 or more, or unset for the default ${DEFAULT_RESERVE_MILLISECONDS}`,
    );
  }
  return milliseconds;
}

export interface ScriptsDependencies {
  readonly rds: RDSClient;
  readonly secrets: SecretsManagerClient;
  readonly s3: S3Client;
  readonly openConnection: OpenConnection;
  readonly tls: TlsMode;
  readonly context: StepContext;
  /** The clock, read when the invocation ends as well as when it starts: an invocation can run for minutes. */
  readonly now: () => Date;
  /** @default DEFAULT_RESERVE_MILLISECONDS */
  readonly reserveMilliseconds?: number;
}

/** Starts the scripts on the restored copy and runs them for as long as this invocation allows. */
export async function startScripts(state: RunState, deps: ScriptsDependencies): Promise<PollState> {
  const poll = startPoll(deps.now(), SCRIPTS_TIMING);
  return runScripts(state.plan, { ...poll, position: 0 }, deps);
}

/** Runs the scripts on from `polls.scripts.position`, then the verification queries once all are done. */
export async function checkScripts(state: RunState, deps: ScriptsDependencies): Promise<PollState> {
  const poll = state.polls.scripts;
  if (poll === undefined) {
    throw new DbRefreshError('No poll state at polls.scripts: "Run scripts" must run before its check');
  }
  return runScripts(state.plan, poll, deps);
}

/**
 * Runs the statements of every script in order, skipping the first `poll.position` (run by earlier
 * invocations), until all are done or too little of the invocation remains. Each file runs in its own
 * session, as it would with the command-line client; with `scripts.transaction` "per-file", in one
 * transaction that never pauses. Every file is read and checked before anything runs. Returns the poll
 * state with the new position and each file's results so far (summed over the invocations it spanned).
 */
async function runScripts(plan: Plan, poll: PollState, deps: ScriptsDependencies): Promise<PollState> {
  const dialect = plan.dialect;
  if (dialect === null) throw new GuardError(`scripts are not supported for engine ${plan.engine}`);
  const scripts = plan.file.scripts;
  if (scripts === undefined) {
    throw new GuardError(`The refresh file of ${plan.target.id} has no scripts; this step should be skipped`);
  }
  const transaction = scripts.transaction ?? 'none';
  const what = `Scripts on ${plan.target.temporaryId}`;
  const reserve = deps.reserveMilliseconds ?? DEFAULT_RESERVE_MILLISECONDS;
  const abandon = Math.min(reserve, PER_FILE_ABANDON_MILLISECONDS);
  const copy = await describeCopy(deps.rds, plan);
  const settings = await copyConnectionSettings(deps.secrets, plan, copy, dialect);
  const files: Script[] = [];
  for (const key of scripts.keys) {
    const text = await readScript(deps.s3, scripts.bucket, scriptKey(scripts.prefix, key));
    files.push(splitScript(key, text, dialect));
  }
  if (transaction === 'per-file') assertFitsOneTransaction(files);

  const startPosition = poll.position ?? 0;
  const results: ScriptResult[] = [...(poll.results ?? [])];
  let skip = startPosition;
  let position = startPosition;
  const outOfTime = (executedInFile: number) =>
    position - startPosition + executedInFile > 0 && deps.context.remainingMilliseconds() < reserve;
  const timeIsUp = () => deps.context.remainingMilliseconds() < abandon;
  const pending = () =>
    continuePoll({ ...poll, position, results }, deps.now(), false, what, { intervalSeconds: 1 });

  for (const [index, script] of files.entries()) {
    const { key } = script;
    if (skip >= script.statements.length) {
      skip -= script.statements.length;
      results[index] ??= { file: key, statements: 0, rowsAffected: 0, seconds: 0 };
      continue;
    }
    if (skip === 0 && outOfTime(0)) return pending();
    const startedAt = deps.now();
    const progress = await withConnection(deps.openConnection(dialect, settings, deps.tls), (connection) =>
      executeScript(connection, script, {
        startIndex: skip,
        shouldStop: outOfTime,
        transaction,
        timeIsUp,
        clock: () => deps.now().getTime(),
      }),
    );
    skip = 0;
    position += progress.executed;
    results[index] = addResult(results[index], key, progress, secondsSince(startedAt, deps.now()));
    logger.info('Ran script', {
      key,
      transaction,
      statementsExecuted: progress.executed,
      rowsAffected: progress.rowsAffected,
      sessionSettingsReplayed: progress.replayed,
      statementsDone: progress.nextIndex,
      statementCount: script.statements.length,
    });
    if (!progress.finished) return pending();
  }

  const verify = scripts.verify ?? [];
  if (verify.length > 0) {
    if (outOfTime(0)) return pending();
    await withConnection(deps.openConnection(dialect, settings, deps.tls), (connection) =>
      verifyNoRows(connection, verify),
    );
    logger.info('Verification queries returned no rows', { queries: verify.length });
  }
  return continuePoll({ ...poll, position, results }, deps.now(), true, what);
}

/** A file's result with what one more invocation did added. */
function addResult(
  before: ScriptResult | undefined,
  file: string,
  progress: ScriptProgress,
  seconds: number,
): ScriptResult {
  return {
    file,
    statements: (before?.statements ?? 0) + progress.executed,
    rowsAffected: (before?.rowsAffected ?? 0) + progress.rowsAffected,
    seconds: Math.round(((before?.seconds ?? 0) + seconds) * 1000) / 1000,
  };
}

function secondsSince(start: Date, end: Date): number {
  return Math.max(0, end.getTime() - start.getTime()) / 1000;
}
