import { type Command, InvalidArgumentError, Option } from 'commander';
import { addDeploymentOptions, type DeploymentOptions, runOperatingCommand } from './deployment';
import type { Output } from './main';

const HISTORY_HELP = `
Examples:
  $ dbrefresh history
  $ dbrefresh history --target app1-dev --limit 5
  $ dbrefresh history --application app1 --environment development --since 7d
  $ dbrefresh history --source app1-prod --status failed --since 2026-05-01
  $ dbrefresh history --application app1 --environment development --latest
  $ dbrefresh history --application app1 --environment development --stale 7

Lists runs newest first from the history table: target, status, source, the time its data is aligned to,
start, duration, who asked, the failed step, and the run name (for \`dbrefresh status\`).
--latest shows one line per target instead: its latest run and the age of its data (from its latest
successful refresh); --stale <days> shows only the targets whose data is older than that, or that never
had a successful refresh: "which of my application's databases are stale?".
Exit code: 0 (also when nothing matches), 1 when an option is wrong (the message names it and the fix).`;

export const RUN_STATUSES = ['running', 'succeeded', 'failed'] as const;
export type RunStatusFilter = (typeof RUN_STATUSES)[number];

export const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 1000;

export interface HistoryOptions extends DeploymentOptions {
  readonly target?: string;
  readonly application?: string;
  readonly environment?: string;
  readonly source?: string;
  readonly status?: RunStatusFilter;
  readonly since?: Date;
  readonly limit: number;
  readonly latest?: boolean;
  /** Days. */
  readonly stale?: number;
  readonly json?: boolean;
}

/** Adds `dbrefresh history`. */
export function addHistoryCommand(
  program: Command,
  output: Output,
  setExitCode: (code: number) => void,
): void {
  addDeploymentOptions(
    program
      .command('history')
      .description('List past and running refreshes')
      .option('--target <id>', 'only runs of this target (DB instance or cluster identifier)')
      .option('--application <name>', 'only runs of this application (with --environment)')
      .option('--environment <name>', 'only runs of this environment (with --application)')
      .option('--source <id>', 'only runs from this source')
      .addOption(new Option('--status <status>', 'only runs with this status').choices(RUN_STATUSES))
      .option(
        '--since <when>',
        'only runs started since an ISO date or time, or an age: 30m, 24h, 7d, 2w',
        parseSince,
      )
      .option('--limit <count>', `at most this many runs (1 to ${MAX_LIMIT})`, parseLimit, DEFAULT_LIMIT)
      .option('--latest', "one line per target: its latest run and its data's age")
      .option(
        '--stale <days>',
        'with --latest: only targets whose data is older than this many days',
        parseDays,
      )
      .option('--json', 'print the runs as JSON'),
  )
    .addHelpText('after', HISTORY_HELP)
    .action((options: HistoryOptions) =>
      runOperatingCommand(output, setExitCode, () => historyAction().historyCommand(options, output)),
    );
}

// require, not import(): the CLI runs through tsx's CommonJS hook; the SDK loads only when the command runs.
const historyAction = () => require('./history-action') as typeof import('./history-action');

const AGE_UNITS_MS: Readonly<Record<string, number>> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * `--since`: an ISO 8601 date (UTC midnight) or UTC time, or an age before `now` (30m, 24h, 7d, 2w).
 * @throws InvalidArgumentError naming what is accepted
 */
export function parseSince(value: string, now: Date = new Date()): Date {
  const age = /^(\d+)([mhdw])$/.exec(value.trim());
  if (age?.[1] && age[2]) return new Date(now.getTime() - Number(age[1]) * (AGE_UNITS_MS[age[2]] ?? 0));
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) {
    const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? `${value.trim()}T00:00:00Z` : value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new InvalidArgumentError(
    'Use an ISO 8601 date or UTC time (2026-05-01, 2026-05-01T08:00:00Z) or an age (30m, 24h, 7d, 2w).',
  );
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > MAX_LIMIT) {
    throw new InvalidArgumentError(`Use a whole number from 1 to ${MAX_LIMIT}.`);
  }
  return limit;
}

function parseDays(value: string): number {
  const days = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || days <= 0) {
    throw new InvalidArgumentError('Use a number of days greater than 0, such as 7 or 0.5.');
  }
  return days;
}
