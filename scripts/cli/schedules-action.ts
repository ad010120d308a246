import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetScheduleCommand,
  type GetScheduleOutput,
  paginateListSchedules,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { HISTORY_KEYS } from '../../lambdas/shared/history/history-keys';
import { parseRefreshFile } from '../../lambdas/shared/refresh-model';
import { nextRunTimes } from '../../local/schedules/schedule-times';
import { CliError, type Deployment, findDeployment } from './deployment';
import { formatAge, formatFacts, formatJson, formatTime } from './format';
import type { Output } from './main';
import { NEXT_RUNS, type SchedulesOptions } from './schedules';

/** What a scheduled execution's `requestedBy` says (SCHEDULE_REQUESTER_PREFIX of the construct). */
const REQUESTED_BY_PREFIX = 'schedule ';
/** A schedule's description names its refresh file: `dbrefresh: <file>`. */
const DESCRIPTION_FILE = /^dbrefresh: (.+)$/;
/** Runs of a target read at most to find the latest scheduled one. */
const HISTORY_SCAN = 50;

/** One schedule as `dbrefresh schedules` shows it. */
export interface ScheduleRow {
  readonly name: string;
  readonly group: string;
  readonly state: string;
  readonly expression: string;
  readonly timezone: string;
  /** Minutes Scheduler may start late; null when the window is off. */
  readonly flexibleWindowMinutes: number | null;
  /** The refresh file the schedule was deployed from. */
  readonly refreshFile?: string;
  /** The DB instance or cluster the schedule refreshes. */
  readonly target?: string;
  readonly application?: string;
  readonly environment?: string;
  /** The next run times (ISO, UTC); none when disabled or past its end. */
  readonly nextRuns: readonly string[];
  /** Why there are no next run times, when the expression is not one this CLI computes. */
  readonly nextRunsProblem?: string;
  /** The latest run this schedule started, from the history. */
  readonly lastRun?: LastRun;
  readonly arn?: string;
}

export interface LastRun {
  readonly status: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** The execution name, for `dbrefresh status`. */
  readonly run?: string;
}

/** `dbrefresh schedules`. */
export async function schedulesCommand(
  options: SchedulesOptions,
  output: Output,
  now: Date = new Date(),
): Promise<number> {
  const deployment = await findDeployment(options);
  const scheduler = new SchedulerClient(deployment.clientConfig);
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(deployment.clientConfig));
  try {
    const schedules = await readSchedules(scheduler, options.group);
    const rows: ScheduleRow[] = [];
    for (const schedule of schedules) {
      const row = scheduleRow(schedule, now);
      rows.push({ ...row, lastRun: row.target ? await lastRunOf(doc, deployment, row) : undefined });
    }
    output.out(
      `${options.json ? formatJson({ group: options.group, schedules: rows }) : formatSchedules(rows, options.group, now)}\n`,
    );
    return 0;
  } finally {
    scheduler.destroy();
    doc.destroy();
  }
}

async function readSchedules(scheduler: SchedulerClient, group: string): Promise<GetScheduleOutput[]> {
  const schedules: GetScheduleOutput[] = [];
  try {
    for await (const page of paginateListSchedules({ client: scheduler }, { GroupName: group })) {
      for (const summary of page.Schedules ?? []) {
        schedules.push(
          await scheduler.send(new GetScheduleCommand({ Name: summary.Name, GroupName: group })),
        );
      }
    }
  } catch (error: unknown) {
    if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
    throw new CliError(
      `schedule group ${group} not found (${error.message}); deploy this version of dbrefresh (npx cdk deploy), or pass --group`,
      { cause: error },
    );
  }
  return schedules.sort((a, b) => (a.Name ?? '').localeCompare(b.Name ?? ''));
}

/** What a schedule says about itself, with its next run times from `now`. */
export function scheduleRow(schedule: GetScheduleOutput, now: Date): ScheduleRow {
  const expression = schedule.ScheduleExpression ?? '';
  const timezone = schedule.ScheduleExpressionTimezone ?? 'UTC';
  const { nextRuns, problem } =
    schedule.State === 'DISABLED' ? { nextRuns: [], problem: undefined } : upcoming(schedule, now);
  return {
    name: schedule.Name ?? '?',
    group: schedule.GroupName ?? 'default',
    state: schedule.State ?? '?',
    expression,
    timezone,
    flexibleWindowMinutes:
      schedule.FlexibleTimeWindow?.Mode === 'FLEXIBLE'
        ? (schedule.FlexibleTimeWindow.MaximumWindowInMinutes ?? null)
        : null,
    refreshFile: DESCRIPTION_FILE.exec(schedule.Description ?? '')?.[1],
    ...refreshOf(schedule.Target?.Input),
    nextRuns: nextRuns.map((time) => time.toISOString()),
    nextRunsProblem: problem,
    arn: schedule.Arn,
  };
}

/** The next run times within the schedule's start and end dates. */
function upcoming(schedule: GetScheduleOutput, now: Date): { nextRuns: Date[]; problem?: string } {
  const expression = schedule.ScheduleExpression ?? '';
  const end = schedule.EndDate?.getTime() ?? Number.POSITIVE_INFINITY;
  const start = schedule.StartDate ?? schedule.LastModificationDate ?? schedule.CreationDate ?? now;
  const after =
    schedule.StartDate && schedule.StartDate > now ? new Date(schedule.StartDate.getTime() - 1) : now;
  try {
    const times = nextRunTimes(
      { expression, timezone: schedule.ScheduleExpressionTimezone },
      after,
      NEXT_RUNS,
      start,
    ).filter((time) => time.getTime() < end);
    return { nextRuns: times };
  } catch (error: unknown) {
    if (!(error instanceof Error && error.message.startsWith('Schedule expression'))) throw error;
    return { nextRuns: [], problem: error.message };
  }
}

/** The target, application and environment of the refresh file a schedule starts, from its input. */
function refreshOf(input: string | undefined): Pick<ScheduleRow, 'target' | 'application' | 'environment'> {
  let refreshFile: unknown;
  try {
    refreshFile = (JSON.parse(input ?? '{}') as { refreshFile?: unknown }).refreshFile;
  } catch (error: unknown) {
    if (error instanceof SyntaxError) return {};
    throw error;
  }
  const parsed = parseRefreshFile(refreshFile).refreshFile;
  const raw = (refreshFile ?? {}) as Record<string, { instance?: unknown; cluster?: unknown } | unknown>;
  const target = (parsed?.target ?? raw.target) as { instance?: unknown; cluster?: unknown } | undefined;
  const id = target?.instance ?? target?.cluster;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    target: text(id),
    application: text(parsed?.application ?? raw.application),
    environment: text(parsed?.environment ?? raw.environment),
  };
}

/** The latest run of the schedule's target that the schedule started, newest first in the history. */
async function lastRunOf(
  doc: DynamoDBDocumentClient,
  deployment: Deployment,
  row: ScheduleRow,
): Promise<LastRun | undefined> {
  const out = await doc.send(
    new QueryCommand({
      TableName: deployment.historyTableName,
      KeyConditionExpression: '#target = :target',
      FilterExpression: '#requestedBy = :requestedBy',
      ExpressionAttributeNames: { '#target': HISTORY_KEYS.partitionKey, '#requestedBy': 'requestedBy' },
      ExpressionAttributeValues: {
        ':target': row.target,
        ':requestedBy': `${REQUESTED_BY_PREFIX}${row.name}`,
      },
      ScanIndexForward: false,
      Limit: HISTORY_SCAN,
    }),
  );
  const item = out.Items?.[0];
  if (!item) return undefined;
  const text = (key: string) => (typeof item[key] === 'string' ? (item[key] as string) : undefined);
  return {
    status: text('status') ?? '?',
    startedAt: text('startedAt'),
    finishedAt: text('finishedAt'),
    run: text('executionArn')?.split(':').at(-1),
  };
}

/** One block per schedule: what it refreshes, when, its next runs and its last one. */
export function formatSchedules(rows: readonly ScheduleRow[], group: string, now: Date): string {
  if (rows.length === 0) {
    return (
      `No schedules in group ${group}. A refresh file that declares "schedule" becomes one when deployed with ` +
      '`npx cdk deploy -c refreshFiles=<folder>` (locally: `dbrefresh local up --refresh-files <folder>`).'
    );
  }
  return rows
    .map((row) => {
      const scope = row.application && row.environment ? ` (${row.application}/${row.environment})` : '';
      const refresh = [row.refreshFile, row.target && `target ${row.target}${scope}`]
        .filter(Boolean)
        .join(', ');
      const window =
        row.flexibleWindowMinutes === null
          ? 'flexible window off'
          : `flexible window ${row.flexibleWindowMinutes} min`;
      const next =
        row.nextRuns.length > 0
          ? row.nextRuns
              .map((time) => `${wallTime(time, row.timezone)} (${formatTime(time)}, ${formatAge(time, now)})`)
              .join('\n')
          : (row.nextRunsProblem ?? (row.state === 'DISABLED' ? 'none (disabled)' : 'none'));
      const last = row.lastRun
        ? `${row.lastRun.status}, started ${formatTime(row.lastRun.startedAt)}` +
          (row.lastRun.startedAt ? ` (${formatAge(row.lastRun.startedAt, now)})` : '') +
          (row.lastRun.run ? `, run ${row.lastRun.run}` : '')
        : 'none in the history';
      return `${row.name}  ${row.state}\n${indent(
        formatFacts([
          ['refresh', refresh || undefined],
          ['schedule', `${row.expression} in ${row.timezone}, ${window}`],
          ['next runs', next],
          ['last run', last],
        ]),
      )}`;
    })
    .join('\n\n');
}

/** "2026-05-04 05:30 Europe/Paris": the time as the schedule's time zone shows it. */
function wallTime(time: string, timezone: string): string {
  const text = new Intl.DateTimeFormat('sv-SE', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(time));
  return `${text} ${timezone}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
