import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DbRefreshError, TargetLockedError } from '../errors';
import { logger } from '../handler';
import type { Plan } from '../run/plan';
import type { ScriptResult } from '../run/run-state';
import type { RunWarning } from '../run/run-warnings';
import { applicationEnvironment, HISTORY_KEYS, lockPartition, runKey } from './history-keys';

/** The sort key of the lock item, alone in its `lock#<target>` partition. */
const LOCK_RUN_KEY = 'lock';

/** How many items one query page reads while looking for past successful runs. */
const QUERY_PAGE_SIZE = 20;
/** Pages read at most, so a target with a long run of failures cannot make the plan step slow. */
const MAX_QUERY_PAGES = 5;

/** The per-target lock a run takes, stored under `lock#<target>`; names who holds it, and since when. */
export interface RunLock {
  readonly target: string;
  readonly runId: string;
  readonly executionArn: string;
  /** ISO time the run took the lock. */
  readonly acquiredAt: string;
}

export type RunStatus = 'running' | 'succeeded' | 'failed';

/** How a run ended, written over its `running` record by the finish step. */
export interface RunOutcome {
  readonly plan: Plan;
  readonly status: 'succeeded' | 'failed';
  readonly finishedAt: string;
  /** Seconds per long step, keyed like `$.polls` (restore, swap, ...). */
  readonly durations: Record<string, number>;
  readonly failedStep?: string;
  /** The error name, as the state machine's Catch saw it. */
  readonly error?: string;
  readonly cause?: string;
  /** Whether the rollback ran, so the target kept its previous data. */
  readonly rolledBack?: boolean;
  /** What each SQL script did (statements, rows affected, seconds), for the files that ran. */
  readonly scripts?: readonly ScriptResult[];
  /** A protected target's approval: who decided, or that nobody did; replaces the pending request. */
  readonly approval?: ApprovalOutcome;
  /** What failed after the refresh was done without undoing it (a rotation), on a succeeded run. */
  readonly warnings?: readonly RunWarning[];
}

/** A protected target's request for approval, kept on the run's `running` record until the run ends. */
export interface PendingApproval {
  readonly status: 'pending';
  /** Who may approve, as the refresh file names them; empty when it names nobody. */
  readonly approvers: readonly string[];
  readonly requestedAt: string;
  /** When the approval task times out and the run fails. */
  readonly expiresAt: string;
  /**
   * The approval task's token. With states:SendTaskSuccess or SendTaskFailure it answers the request,
   * so it lives only in the encrypted table, only while the request is pending: the finish step drops it.
   */
  readonly taskToken: string;
}

/** How a protected target's approval ended, as the finish step records it (without the token). */
export interface ApprovalOutcome {
  /** `expired`: nobody decided before the timeout; `undecided`: the run failed while asking. */
  readonly status: 'approved' | 'rejected' | 'expired' | 'undecided';
  readonly approvers: readonly string[];
  readonly by?: string;
  readonly at?: string;
  readonly reason?: string;
}

/**
 * A run the plan step refused (invalid file, guard, target locked by another run): only what the
 * refresh file and the execution tell, since there is no plan.
 */
export interface RunRefusal {
  /** The target the refresh file names (the partition of the record). */
  readonly target: string;
  readonly runId: string;
  readonly executionArn: string;
  /** ISO start time of the execution, the same the plan step would have used. */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly application?: string;
  readonly environment?: string;
  readonly source?: string;
  readonly requestedBy: string;
  readonly failedStep: string;
  /** The error name, as the state machine's Catch saw it. */
  readonly error: string;
  readonly cause: string;
}

/**
 * Takes the per-target lock for a run, so two refreshes of one target never overlap.
 *
 * Taking it again for the same run succeeds (the plan step may run twice).
 * @throws TargetLockedError when another run holds the lock, naming it and how to clear a stale lock
 */
export async function acquireLock(doc: DynamoDBDocumentClient, table: string, lock: RunLock): Promise<void> {
  // A second attempt covers the holder releasing the lock between our write and our read.
  for (let attempt = 1; ; attempt++) {
    try {
      await putLock(doc, table, lock);
      return;
    } catch (error: unknown) {
      if (!isConditionalCheckFailed(error)) throw error;
      const holder = await readLock(doc, table, lock.target);
      if (holder || attempt >= 2) {
        throw new TargetLockedError(lockedMessage(table, lock.target, holder), { cause: error });
      }
    }
  }
}

/**
 * Releases the per-target lock if this run holds it.
 *
 * A lock already gone or held by another run is left alone: a retried finish step must not fail,
 * and must never free another run's lock.
 */
export async function releaseLock(
  doc: DynamoDBDocumentClient,
  table: string,
  target: string,
  runId: string,
): Promise<void> {
  try {
    await doc.send(
      new DeleteCommand({
        TableName: table,
        Key: lockKey(target),
        ConditionExpression: '#runId = :runId',
        ExpressionAttributeNames: { '#runId': 'runId' },
        ExpressionAttributeValues: { ':runId': runId },
      }),
    );
    logger.info('Lock released', { target, runId });
  } catch (error: unknown) {
    if (!isConditionalCheckFailed(error)) throw error;
    logger.warn('Lock not held by this run; left as it is', { target, runId });
  }
}

/**
 * Writes the `running` history record of a run, keyed by target and start time + run id.
 * @throws DbRefreshError when the key belongs to another run (re-runs never overwrite another run)
 */
export async function putRunningRecord(
  doc: DynamoDBDocumentClient,
  table: string,
  plan: Plan,
): Promise<void> {
  const item = { ...runAttributes(plan), status: 'running' satisfies RunStatus };
  try {
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#runKey) OR #runId = :runId',
        ExpressionAttributeNames: { '#runKey': HISTORY_KEYS.sortKey, '#runId': 'runId' },
        ExpressionAttributeValues: { ':runId': plan.runId },
      }),
    );
  } catch (error: unknown) {
    if (!isConditionalCheckFailed(error)) throw error;
    throw new DbRefreshError(
      `History item ${plan.target.id} / ${item.runKey} in table ${table} belongs to another run than ${plan.runId}; ` +
        'start the refresh again to get a new run id',
      { cause: error },
    );
  }
}

/**
 * Stores a pending approval, with its task token, on the run's `running` record; a retried request
 * replaces it (each attempt of the task has its own token).
 * @throws DbRefreshError when the run has no `running` record (it ended, or was never recorded)
 */
export async function storeApprovalRequest(
  doc: DynamoDBDocumentClient,
  table: string,
  plan: Plan,
  approval: PendingApproval,
): Promise<void> {
  const key = runKey(plan.startedAt, plan.runId);
  try {
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { [HISTORY_KEYS.partitionKey]: plan.target.id, [HISTORY_KEYS.sortKey]: key },
        UpdateExpression: 'SET #approval = :approval',
        ConditionExpression: '#status = :running AND #runId = :runId',
        ExpressionAttributeNames: { '#approval': 'approval', '#status': 'status', '#runId': 'runId' },
        ExpressionAttributeValues: {
          ':approval': approval,
          ':running': 'running' satisfies RunStatus,
          ':runId': plan.runId,
        },
      }),
    );
  } catch (error: unknown) {
    if (!isConditionalCheckFailed(error)) throw error;
    throw new DbRefreshError(
      `Run ${plan.runId} has no running history item ${plan.target.id} / ${key} in table ${table}, ` +
        'so its approval cannot be asked for; start the refresh again',
      { cause: error },
    );
  }
}

/**
 * Records how a run ended on its history item.
 *
 * The run's own attributes are written again with the outcome, so the item is complete even if the
 * `running` record is missing; the key holds the run id, so no other run's item can be touched.
 */
export async function recordOutcome(
  doc: DynamoDBDocumentClient,
  table: string,
  outcome: RunOutcome,
): Promise<void> {
  const {
    [HISTORY_KEYS.partitionKey]: target,
    [HISTORY_KEYS.sortKey]: key,
    ...attributes
  } = runAttributes(outcome.plan);
  const values: Record<string, unknown> = {
    ...attributes,
    status: outcome.status satisfies RunStatus,
    finishedAt: outcome.finishedAt,
    durations: outcome.durations,
    ...(outcome.failedStep !== undefined && { failedStep: outcome.failedStep }),
    ...(outcome.error !== undefined && { error: outcome.error }),
    ...(outcome.cause !== undefined && { cause: outcome.cause }),
    ...(outcome.rolledBack !== undefined && { rolledBack: outcome.rolledBack }),
    ...(outcome.scripts !== undefined && { scripts: outcome.scripts }),
    ...(outcome.approval !== undefined && { approval: outcome.approval }),
    ...(outcome.warnings !== undefined && outcome.warnings.length > 0 && { warnings: outcome.warnings }),
  };
  const names = Object.keys(values);
  await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: { [HISTORY_KEYS.partitionKey]: target, [HISTORY_KEYS.sortKey]: key },
      UpdateExpression: `SET ${names.map((_, i) => `#a${i} = :a${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#a${i}`, name])),
      ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:a${i}`, values[name]])),
    }),
  );
}

/**
 * Records a run the plan step refused as `failed`, under its own key (target, start time + run id).
 *
 * Written only where no item exists: a retried finish step finds its own record, and a record the
 * plan step wrote is never overwritten. It touches no lock: the target's lock may be another run's.
 */
export async function recordRefusal(
  doc: DynamoDBDocumentClient,
  table: string,
  refusal: RunRefusal,
): Promise<void> {
  const { application, environment } = refusal;
  const item = {
    [HISTORY_KEYS.partitionKey]: refusal.target,
    [HISTORY_KEYS.sortKey]: runKey(refusal.startedAt, refusal.runId),
    runId: refusal.runId,
    ...(application !== undefined && { application }),
    ...(environment !== undefined && { environment }),
    ...(application !== undefined &&
      environment !== undefined && {
        applicationEnvironment: applicationEnvironment(application, environment),
      }),
    ...(refusal.source !== undefined && { source: refusal.source }),
    status: 'failed' satisfies RunStatus,
    failedStep: refusal.failedStep,
    error: refusal.error,
    cause: refusal.cause,
    rolledBack: false,
    executionArn: refusal.executionArn,
    requestedBy: refusal.requestedBy,
    startedAt: refusal.startedAt,
    finishedAt: refusal.finishedAt,
  };
  try {
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#runKey)',
        ExpressionAttributeNames: { '#runKey': HISTORY_KEYS.sortKey },
      }),
    );
    logger.info('Refused run recorded', { target: refusal.target, runId: refusal.runId });
  } catch (error: unknown) {
    if (!isConditionalCheckFailed(error)) throw error;
    logger.warn('The run already has a history record; left as it is', {
      target: refusal.target,
      runId: refusal.runId,
    });
  }
}

/**
 * The usual duration of each long step of a target: the median over its latest successful runs.
 *
 * Seeds the first wait of each poll; `{}` when the target has no successful run yet.
 */
export async function expectedDurations(
  doc: DynamoDBDocumentClient,
  table: string,
  target: string,
  limit = 5,
): Promise<Record<string, number>> {
  const runs: Record<string, number>[] = [];
  let startKey: Record<string, unknown> | undefined;
  for (let page = 0; page < MAX_QUERY_PAGES && runs.length < limit; page++) {
    const out = await doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: '#target = :target',
        FilterExpression: '#status = :succeeded',
        ProjectionExpression: '#durations',
        ExpressionAttributeNames: {
          '#target': HISTORY_KEYS.partitionKey,
          '#status': 'status',
          '#durations': 'durations',
        },
        ExpressionAttributeValues: { ':target': target, ':succeeded': 'succeeded' satisfies RunStatus },
        ScanIndexForward: false,
        Limit: QUERY_PAGE_SIZE,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of out.Items ?? []) {
      if (runs.length < limit) runs.push(numbersOf(item.durations));
    }
    startKey = out.LastEvaluatedKey;
    if (!startKey) break;
  }
  return medianPerKey(runs);
}

/** The attributes that describe a run, from its plan (no password: the plan has none). */
function runAttributes(plan: Plan) {
  return {
    [HISTORY_KEYS.partitionKey]: plan.target.id,
    [HISTORY_KEYS.sortKey]: runKey(plan.startedAt, plan.runId),
    runId: plan.runId,
    application: plan.file.application,
    environment: plan.file.environment,
    applicationEnvironment: applicationEnvironment(plan.file.application, plan.file.environment),
    service: plan.file.service,
    engine: plan.engine,
    source: plan.source.id,
    restoreType: plan.file.restore.type,
    restorePoint: plan.restorePoint,
    ...(plan.snapshot !== null && { snapshot: plan.snapshot }),
    executionArn: plan.executionArn,
    requestedBy: plan.requestedBy,
    startedAt: plan.startedAt,
  } as const;
}

async function putLock(doc: DynamoDBDocumentClient, table: string, lock: RunLock): Promise<void> {
  await doc.send(
    new PutCommand({
      TableName: table,
      Item: {
        ...lockKey(lock.target),
        runId: lock.runId,
        executionArn: lock.executionArn,
        acquiredAt: lock.acquiredAt,
      },
      ConditionExpression: 'attribute_not_exists(#target) OR #runId = :runId',
      ExpressionAttributeNames: { '#target': HISTORY_KEYS.partitionKey, '#runId': 'runId' },
      ExpressionAttributeValues: { ':runId': lock.runId },
    }),
  );
}

async function readLock(
  doc: DynamoDBDocumentClient,
  table: string,
  target: string,
): Promise<Partial<Omit<RunLock, 'target'>> | undefined> {
  const out = await doc.send(
    new GetCommand({ TableName: table, Key: lockKey(target), ConsistentRead: true }),
  );
  return out.Item as Partial<Omit<RunLock, 'target'>> | undefined;
}

function lockedMessage(
  table: string,
  target: string,
  holder: Partial<Omit<RunLock, 'target'>> | undefined,
): string {
  return (
    `Target ${target} is being refreshed by run ${holder?.runId ?? 'unknown'} ` +
    `(${holder?.executionArn ?? 'unknown execution'}) since ${holder?.acquiredAt ?? 'an unknown time'}; ` +
    'wait for it to finish or, if that execution has ended without releasing the lock, delete the item ' +
    `{${HISTORY_KEYS.partitionKey}: "${lockPartition(target)}", ${HISTORY_KEYS.sortKey}: "${LOCK_RUN_KEY}"} ` +
    `from table ${table}`
  );
}

function lockKey(target: string) {
  return { [HISTORY_KEYS.partitionKey]: lockPartition(target), [HISTORY_KEYS.sortKey]: LOCK_RUN_KEY };
}

function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

function numbersOf(value: unknown): Record<string, number> {
  if (value === null || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, number] => typeof entry[1] === 'number'),
  );
}

function medianPerKey(runs: readonly Record<string, number>[]): Record<string, number> {
  const samples = new Map<string, number[]>();
  for (const run of runs) {
    for (const [key, seconds] of Object.entries(run))
      samples.set(key, [...(samples.get(key) ?? []), seconds]);
  }
  return Object.fromEntries([...samples].map(([key, values]) => [key, median(values)]));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? 0;
  if (sorted.length % 2 === 1) return upper;
  return ((sorted[middle - 1] ?? upper) + upper) / 2;
}
