import type { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { isTransient } from '../shared/aws/transient';
import { logger } from '../shared/handler';
import { recordOutcome, recordRefusal, releaseLock } from '../shared/history/history-store';
import { PlanSchema } from '../shared/run/plan';
import { runIdOf } from '../shared/run/run-id';
import {
  type CaughtError,
  CaughtErrorSchema,
  PollStateSchema,
  RunInputSchema,
  type RunState,
} from '../shared/run/run-state';
import { type NotificationTopics, publishNotification } from './notification';
import { refreshFileNames } from './refresh-file-names';

/** The state name of the plan step: a failure there changed nothing, so nothing was rolled back. */
export const PLAN_STEP = 'Plan refresh';

/** What a notification says for a name the refresh file does not give. */
const UNKNOWN = 'unknown';

/** History and notifications keep at most this much of an error's cause. */
const MAX_CAUSE_LENGTH = 1000;

/**
 * The execution state on the failure path. The plan (and the polls) are missing when the plan step
 * itself failed; the state machine then notes the execution, so the run can still be recorded and linked.
 */
export const FailedRunSchema = RunInputSchema.extend({
  plan: PlanSchema.optional(),
  polls: z.record(z.string(), PollStateSchema).optional(),
  error: CaughtErrorSchema.optional(),
  failedStep: z.string().optional(),
  execution: z.object({ arn: z.string(), startTime: z.string() }).optional(),
  /** Set when the rollback itself failed: the target may need a look. */
  rollbackError: CaughtErrorSchema.optional(),
});
export type FailedRun = z.output<typeof FailedRunSchema>;

/** The clients and settings the finish step works with. */
export interface FinishServices {
  readonly doc: DynamoDBDocumentClient;
  readonly sns: SNSClient;
  readonly table: string;
  readonly topicArn: string;
}

export interface FailedResult {
  readonly status: 'failed';
  readonly error: string;
  readonly cause: string;
}

export interface SucceededResult {
  readonly status: 'succeeded';
  /** False when the success is recorded but its notification could not be published. */
  readonly notified: boolean;
}

/**
 * Records the run as succeeded, releases the target's lock and notifies.
 *
 * Once the success is recorded the target holds the refreshed data, so a notification that cannot be
 * published is logged, not thrown: thrown, it would send the run down the failure path, which would
 * record it as failed. Throttling and passing trouble are still thrown, for the state machine to retry.
 */
export async function recordSuccess(
  services: FinishServices,
  event: RunState,
  now: Date,
): Promise<SucceededResult> {
  const { plan } = event;
  const finishedAt = now.toISOString();
  const durations = stepDurations(event.polls);
  await recordOutcome(services.doc, services.table, { plan, status: 'succeeded', finishedAt, durations });
  await releaseLock(services.doc, services.table, plan.target.id, plan.runId);
  try {
    await publishNotification(services.sns, topicsOf(services, plan.file.notification?.topicArn), {
      ...planNames(event.plan),
      status: 'succeeded',
      plan,
      finishedAt,
      durations,
    });
  } catch (error: unknown) {
    if (isTransient(error)) throw error;
    logger.error('The success is recorded, but its notification could not be published; check the topic', {
      topicArn: services.topicArn,
      errorName: error instanceof Error ? error.name : typeof error,
      errorMessage: error instanceof Error ? error.message : String(error),
    });
    return { status: 'succeeded', notified: false };
  }
  return { status: 'succeeded', notified: true };
}

/**
 * Records the run as failed, releases the target's lock and notifies, after the rollback.
 *
 * Without a plan the plan step failed: see recordPlanFailure.
 */
export async function recordFailure(
  services: FinishServices,
  event: FailedRun,
  now: Date,
): Promise<FailedResult> {
  const { plan, failedStep } = event;
  if (!plan) return recordPlanFailure(services, event, now);
  const { error, cause } = describeError(event.error);
  const finishedAt = now.toISOString();
  const durations = stepDurations(event.polls ?? {});
  // Rolled back means the rollback ran to its end; steps after the point of no return (retiring the
  // old target, the after-refresh hook) skip it, and a failed rollback is reported in the cause.
  const rolledBack = event.polls?.rollback?.done === true;
  const rollbackFailure = event.rollbackError ? describeError(event.rollbackError) : undefined;
  const outcome = {
    failedStep,
    error,
    cause: rollbackFailure
      ? `${cause} | Rollback failed too (${rollbackFailure.error}): ${rollbackFailure.cause}`.slice(
          0,
          MAX_CAUSE_LENGTH,
        )
      : cause,
    rolledBack,
  };
  await recordOutcome(services.doc, services.table, {
    plan,
    status: 'failed',
    finishedAt,
    durations,
    ...outcome,
  });
  await releaseLock(services.doc, services.table, plan.target.id, plan.runId);
  await publishNotification(services.sns, topicsOf(services, plan.file.notification?.topicArn), {
    ...planNames(plan),
    status: 'failed',
    plan,
    finishedAt,
    durations,
    ...outcome,
  });
  return { status: 'failed', error, cause };
}

/**
 * Records a run the plan step refused (invalid file, guard, target locked by another run) and notifies.
 *
 * Nothing changed, so nothing is released: the target's lock may be another run's. The run gets a
 * `failed` record of its own when the state machine noted the execution and the refresh file names a
 * target; the record is never written over an existing one.
 */
async function recordPlanFailure(
  services: FinishServices,
  event: FailedRun,
  now: Date,
): Promise<FailedResult> {
  const { error, cause } = describeError(event.error);
  const finishedAt = now.toISOString();
  const failedStep = event.failedStep ?? PLAN_STEP;
  const { execution } = event;
  const startedAt = execution && isoTime(execution.startTime);
  const names = refreshFileNames(event.refreshFile, startedAt ? new Date(startedAt) : now);
  if (execution && startedAt && names.target) {
    await recordRefusal(services.doc, services.table, {
      target: names.target,
      runId: runIdOf(execution.arn),
      executionArn: execution.arn,
      startedAt,
      finishedAt,
      application: names.application,
      environment: names.environment,
      source: names.source,
      requestedBy: event.requestedBy ?? 'unknown',
      failedStep,
      error,
      cause,
    });
  } else {
    logger.warn('The plan step failed and the run cannot be recorded', {
      errorName: error,
      reason: !names.target
        ? 'the refresh file names no target'
        : !execution
          ? 'the state machine passed no execution'
          : `the execution start time ${JSON.stringify(execution.startTime)} is not a time`,
    });
  }
  await publishNotification(services.sns, topicsOf(services), {
    application: names.application ?? UNKNOWN,
    environment: names.environment ?? UNKNOWN,
    target: names.target ?? UNKNOWN,
    status: 'failed',
    finishedAt,
    durations: {},
    requestedBy: event.requestedBy,
    executionArn: execution?.arn,
    failedStep,
    error,
    cause,
  });
  return { status: 'failed', error, cause };
}

/** Seconds each finished long step took, keyed like `$.polls`. */
export function stepDurations(polls: RunState['polls']): Record<string, number> {
  const durations: Record<string, number> = {};
  for (const [key, poll] of Object.entries(polls)) {
    if (poll.finishedAt === undefined) continue;
    const seconds = (Date.parse(poll.finishedAt) - Date.parse(poll.startedAt)) / 1000;
    if (Number.isFinite(seconds)) durations[key] = Math.max(0, Math.round(seconds));
  }
  return durations;
}

/**
 * The error name and a readable cause from a Catch's output. A Lambda error arrives as the JSON string
 * `{errorType, errorMessage, trace}`: only its message is kept.
 */
export function describeError(caught: CaughtError | undefined): { error: string; cause: string } {
  const error = caught?.Error ?? 'UnknownError';
  const raw = caught?.Cause;
  if (raw === undefined || raw === '') return { error, cause: 'No cause was reported' };
  return { error, cause: truncate(lambdaErrorMessage(raw) ?? raw, MAX_CAUSE_LENGTH) };
}

function planNames(plan: NonNullable<FailedRun['plan']>) {
  return { application: plan.file.application, environment: plan.file.environment, target: plan.target.id };
}

function topicsOf(services: FinishServices, extra?: string): NotificationTopics {
  return { main: services.topicArn, extra };
}

function lambdaErrorMessage(cause: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch (error: unknown) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  const message = asRecord(parsed)?.errorMessage;
  return typeof message === 'string' ? message : undefined;
}

/** The start time as the plan step writes it (so the run key is the same), or undefined if it is no time. */
function isoTime(value: string): string | undefined {
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

function truncate(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 3)}...`;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}
