import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  applicationEnvironment,
  HISTORY_INDEXES,
  HISTORY_KEYS,
} from '../../lambdas/shared/history/history-keys';
import { CliError, findDeployment } from './deployment';
import { formatAge, formatDuration, formatJson, formatTable, formatTime, secondsBetween } from './format';
import { type HistoryOptions, RUN_STATUSES, type RunStatusFilter } from './history';
import type { Output } from './main';

/** Pages read at most for one query, so a huge table cannot keep the command busy for long. */
const MAX_PAGES = 50;

/** One run, as the history lists it. */
export interface RunRow {
  readonly target: string;
  readonly status: string;
  readonly source?: string;
  readonly restorePoint?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly seconds?: number;
  readonly requestedBy?: string;
  readonly failedStep?: string;
  readonly error?: string;
  /** The execution name, for `dbrefresh status`. */
  readonly run?: string;
  readonly application?: string;
  readonly environment?: string;
}

/** One target with its latest run and its last successful refresh. */
export interface TargetRow {
  readonly target: string;
  readonly latest: RunRow;
  readonly lastSuccess?: RunRow;
  /** Seconds since the data of the last successful refresh was current; absent when there is none. */
  readonly dataAgeSeconds?: number;
  readonly stale: boolean;
}

/** A query of the table or of one index: the partition to read, and the filters its key does not cover. */
interface HistoryQuery {
  readonly indexName?: string;
  readonly partitionKey: string;
  readonly partitionValue: string;
  readonly filters: Readonly<Record<string, string>>;
}

/** `dbrefresh history`. */
export async function historyCommand(
  options: HistoryOptions,
  output: Output,
  now: Date = new Date(),
): Promise<number> {
  checkCombinations(options);
  const deployment = await findDeployment(options);
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(deployment.clientConfig));
  try {
    const perTarget = options.latest === true || options.stale !== undefined;
    const items = await readRuns(
      doc,
      deployment.historyTableName,
      options,
      perTarget ? undefined : options.limit,
    );
    const runs = items.map(runRowOf);
    if (!perTarget) {
      output.out(`${options.json ? formatJson({ runs }) : formatRuns(runs, options, now)}\n`);
      return 0;
    }
    const targets = latestPerTarget(runs, now, options.stale).filter(
      (row) => options.stale === undefined || row.stale,
    );
    output.out(`${options.json ? formatJson({ targets }) : formatTargets(targets, options, now)}\n`);
    return 0;
  } finally {
    doc.destroy();
  }
}

/** Filter combinations the history cannot answer, refused before anything is read. */
export function checkCombinations(options: HistoryOptions): void {
  if ((options.application === undefined) !== (options.environment === undefined)) {
    const given = options.application === undefined ? '--environment' : '--application';
    throw new CliError(
      `${given} needs ${given === '--application' ? '--environment' : '--application'}: runs are indexed by application and environment together; pass both, for example --application shop --environment development`,
    );
  }
  const perTarget = options.latest === true || options.stale !== undefined;
  if (perTarget && options.status !== undefined) {
    throw new CliError(
      `--status ${options.status} cannot be combined with --latest or --stale, which look at every run of each target; leave out --status`,
    );
  }
  if (perTarget && options.since !== undefined) {
    throw new CliError(
      "--since cannot be combined with --latest or --stale: a target's last successful refresh may be older; leave out --since",
    );
  }
}

/**
 * The queries that answer the filters, with the most selective key: the target (table), else the
 * application/environment, the source or the status (indexes); without any, one query per status.
 */
export function queriesFor(options: HistoryOptions, table: string): (HistoryQuery & { table: string })[] {
  const filters: Record<string, string> = {};
  if (options.target !== undefined) filters[HISTORY_KEYS.partitionKey] = options.target;
  if (options.application !== undefined && options.environment !== undefined) {
    filters[HISTORY_INDEXES.byApplication.partitionKey] = applicationEnvironment(
      options.application,
      options.environment,
    );
  }
  if (options.source !== undefined) filters[HISTORY_INDEXES.bySource.partitionKey] = options.source;
  if (options.status !== undefined) filters[HISTORY_INDEXES.byStatus.partitionKey] = options.status;

  const keyed = (partitionKey: string, indexName?: string): HistoryQuery & { table: string } => {
    const { [partitionKey]: partitionValue, ...rest } = filters;
    return { table, indexName, partitionKey, partitionValue: partitionValue ?? '', filters: rest };
  };
  if (options.target !== undefined) return [keyed(HISTORY_KEYS.partitionKey)];
  for (const index of [HISTORY_INDEXES.byApplication, HISTORY_INDEXES.bySource, HISTORY_INDEXES.byStatus]) {
    if (filters[index.partitionKey] !== undefined) return [keyed(index.partitionKey, index.indexName)];
  }
  return RUN_STATUSES.map((status: RunStatusFilter) => ({
    table,
    indexName: HISTORY_INDEXES.byStatus.indexName,
    partitionKey: HISTORY_INDEXES.byStatus.partitionKey,
    partitionValue: status,
    filters,
  }));
}

/** The runs matching the options, newest first; at most `limit` (all, up to MAX_PAGES a query, without). */
async function readRuns(
  doc: DynamoDBDocumentClient,
  table: string,
  options: HistoryOptions,
  limit: number | undefined,
): Promise<Record<string, unknown>[]> {
  const results = await Promise.all(
    queriesFor(options, table).map((query) => runQuery(doc, query, options.since, limit)),
  );
  const runs = results
    .flat()
    .sort((a, b) => String(b[HISTORY_KEYS.sortKey]).localeCompare(String(a[HISTORY_KEYS.sortKey])));
  return limit === undefined ? runs : runs.slice(0, limit);
}

async function runQuery(
  doc: DynamoDBDocumentClient,
  query: HistoryQuery & { table: string },
  since: Date | undefined,
  limit: number | undefined,
): Promise<Record<string, unknown>[]> {
  const names: Record<string, string> = { '#pk': query.partitionKey };
  const values: Record<string, unknown> = { ':pk': query.partitionValue };
  let keyCondition = '#pk = :pk';
  if (since !== undefined) {
    names['#runKey'] = HISTORY_KEYS.sortKey;
    values[':since'] = since.toISOString();
    keyCondition += ' AND #runKey >= :since';
  }
  const filters = Object.entries(query.filters).map(([attribute, value], index) => {
    names[`#f${index}`] = attribute;
    values[`:f${index}`] = value;
    return `#f${index} = :f${index}`;
  });
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  for (let page = 0; page < MAX_PAGES && (limit === undefined || items.length < limit); page++) {
    const out = await doc.send(
      new QueryCommand({
        TableName: query.table,
        IndexName: query.indexName,
        KeyConditionExpression: keyCondition,
        FilterExpression: filters.length > 0 ? filters.join(' AND ') : undefined,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
    if (!startKey) break;
  }
  return limit === undefined ? items : items.slice(0, limit);
}

function runRowOf(item: Record<string, unknown>): RunRow {
  const text = (key: string) => (typeof item[key] === 'string' ? (item[key] as string) : undefined);
  const startedAt = text('startedAt');
  const finishedAt = text('finishedAt');
  return {
    target: text(HISTORY_KEYS.partitionKey) ?? '?',
    status: text('status') ?? '?',
    source: text('source'),
    restorePoint: text('restorePoint'),
    startedAt,
    finishedAt,
    seconds: startedAt && finishedAt ? Math.round(secondsBetween(startedAt, finishedAt)) : undefined,
    requestedBy: text('requestedBy'),
    failedStep: text('failedStep'),
    error: text('error'),
    run: text('executionArn')?.split(':').at(-1),
    application: text('application'),
    environment: text('environment'),
  };
}

/** The latest run of each target (runs come newest first) and its last successful refresh. */
export function latestPerTarget(runs: readonly RunRow[], now: Date, staleDays?: number): TargetRow[] {
  const byTarget = new Map<string, RunRow[]>();
  for (const run of runs) byTarget.set(run.target, [...(byTarget.get(run.target) ?? []), run]);
  return [...byTarget].map(([target, targetRuns]) => {
    const latest = targetRuns[0] as RunRow;
    const lastSuccess = targetRuns.find((run) => run.status === 'succeeded');
    const alignedTo = lastSuccess?.restorePoint ?? lastSuccess?.finishedAt;
    const dataAgeSeconds = alignedTo ? Math.round(secondsBetween(alignedTo, now)) : undefined;
    const stale =
      staleDays !== undefined && (dataAgeSeconds === undefined || dataAgeSeconds > staleDays * 86_400);
    return { target, latest, lastSuccess, dataAgeSeconds, stale };
  });
}

function formatRuns(runs: readonly RunRow[], options: HistoryOptions, now: Date): string {
  if (runs.length === 0) return `No runs match${describeFilters(options)}.`;
  const rows = runs.map((run) => [
    run.target,
    run.status,
    run.source ?? '-',
    formatTime(run.restorePoint),
    formatTime(run.startedAt),
    run.seconds !== undefined
      ? formatDuration(run.seconds)
      : run.status === 'running' && run.startedAt
        ? `${formatDuration(secondsBetween(run.startedAt, now))} so far`
        : '-',
    run.requestedBy ?? '-',
    run.failedStep ?? '-',
    run.run ?? '-',
  ]);
  const table = formatTable(
    ['TARGET', 'STATUS', 'SOURCE', 'ALIGNED TO', 'STARTED', 'DURATION', 'REQUESTED BY', 'FAILED STEP', 'RUN'],
    rows,
  );
  const more = runs.length === options.limit ? `\n(the latest ${runs.length}; --limit shows more)` : '';
  return `${table}${more}`;
}

function formatTargets(targets: readonly TargetRow[], options: HistoryOptions, now: Date): string {
  if (targets.length === 0) {
    return options.stale !== undefined
      ? `No target${describeFilters(options)} has data older than ${options.stale} days.`
      : `No runs match${describeFilters(options)}.`;
  }
  const rows = targets.map((row) => [
    row.target,
    row.latest.status,
    formatTime(row.latest.startedAt),
    row.lastSuccess ? formatTime(row.lastSuccess.restorePoint) : 'never refreshed',
    row.dataAgeSeconds !== undefined
      ? formatAge(new Date(now.getTime() - row.dataAgeSeconds * 1000), now)
      : '-',
    row.lastSuccess?.source ?? row.latest.source ?? '-',
    row.latest.run ?? '-',
  ]);
  return formatTable(
    ['TARGET', 'LATEST RUN', 'STARTED', 'DATA ALIGNED TO', 'DATA AGE', 'SOURCE', 'RUN'],
    rows,
  );
}

function describeFilters(options: HistoryOptions): string {
  const parts = [
    options.target !== undefined ? `target ${options.target}` : undefined,
    options.application !== undefined
      ? `application ${options.application}/${options.environment}`
      : undefined,
    options.source !== undefined ? `source ${options.source}` : undefined,
    options.status !== undefined ? `status ${options.status}` : undefined,
    options.since !== undefined ? `since ${formatTime(options.since)}` : undefined,
  ].filter((part) => part !== undefined);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}
