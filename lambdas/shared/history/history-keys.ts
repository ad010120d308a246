/**
 * Key design of the history table, shared by the construct that creates it and the handlers that
 * read and write it, so the two cannot drift.
 *
 * One item per run: partition `target`, sort `runKey` = `<startedAt ISO>#<runId>`, so re-runs never
 * overwrite and a descending query returns the latest run first. The per-target lock lives in the same
 * table under partition `lock#<target>`, a value no RDS identifier can take.
 */
export const HISTORY_KEYS = {
  partitionKey: 'target',
  sortKey: 'runKey',
} as const;

/** Indexes answering: all targets of an application/environment, all refreshes from a source, runs by status. */
export const HISTORY_INDEXES = {
  byApplication: { indexName: 'byApplication', partitionKey: 'applicationEnvironment' },
  bySource: { indexName: 'bySource', partitionKey: 'source' },
  byStatus: { indexName: 'byStatus', partitionKey: 'status' },
} as const;

export function runKey(startedAt: string, runId: string): string {
  return `${startedAt}#${runId}`;
}

export function applicationEnvironment(application: string, environment: string): string {
  return `${application}#${environment}`;
}

export function lockPartition(target: string): string {
  return `lock#${target}`;
}
