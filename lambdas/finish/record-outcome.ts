import type { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { logger } from '../shared/handler';
import { recordOutcome, releaseLock } from '../shared/history/history-store';
import { PlanSchema } from '../shared/run/plan';
import {
  type CaughtError,
  CaughtErrorSchema,
  PollStateSchema,
  RunInputSchema,
  type RunState,
} from '../shared/run/run-state';
import { type NotificationTopics, publishNotification, type RunReport } from './notification';

/** The state name of the plan step: a failure there changed nothing, so nothing was rolled back. */
export const PLAN_STEP = 'Plan refresh';

/** History and notifications keep at most this much of an error's cause. */
const MAX_CAUSE_LENGTH = 1000;

/**
 * The execution state on the failure path. The plan (and the polls) are missing when the plan step
 * itself failed; `executionArn` lets that notification link the execution when the state machine passes it.
 */
export const FailedRunSchema = RunInputSchema.extend({
  plan: PlanSchema.optional(),
  polls: z.record(z.string(), PollStateSchema).optional(),
  error: CaughtErrorSchema.optional(),
  failedStep: z.string().optional(),
  executionArn: z.string().optional(),
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

/** Records the run as succeeded, releases the target's lock and notifies. */
export async function recordSuccess(
  services: FinishServices,
  event: RunState,
  now: Date,
): Promise<{ status: 'succeeded' }> {
  const { plan } = event;
  const finishedAt = now.toISOString();
  const durations = stepDurations(event.polls);
  await recordOutcome(services.doc, services.table, { plan, status: 'succeeded', finishedAt, durations });
  await releaseLock(services.doc, services.table, plan.target.id, plan.runId);
  await publishNotification(services.sns, topicsOf(services, plan.file.notification?.topicArn), {
    ...planNames(event.plan),
    status: 'succeeded',
    plan,
    finishedAt,
    durations,
  });
  return { status: 'succeeded' };
}

/**
 * Records the run as failed, releases the target's lock and notifies, after the rollback.
 *
 * Without a plan the plan step failed (invalid file, guard, target locked by another run): nothing
 * changed and the lock may be another run's, so it only notifies.
 */
export async function recordFailure(
  services: FinishServices,
  event: FailedRun,
  now: Date,
): Promise<FailedResult> {
  const { error, cause } = describeError(event.error);
  const finishedAt = now.toISOString();
  const durations = stepDurations(event.polls ?? {});
  const { plan, failedStep } = event;
  if (!plan) {
    logger.info('The plan step failed: nothing to record or release', { errorName: error });
    await publishNotification(services.sns, topicsOf(services), {
      ...refreshFileNames(event.refreshFile),
      status: 'failed',
      finishedAt,
      durations,
      requestedBy: event.requestedBy,
      executionArn: event.executionArn,
      failedStep: failedStep ?? PLAN_STEP,
      error,
      cause,
    });
    return { status: 'failed', error, cause };
  }
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

/** Application, environment and target as the refresh file gives them, when the plan step could not resolve them. */
export function refreshFileNames(
  refreshFile: unknown,
): Pick<RunReport, 'application' | 'environment' | 'target'> {
  const file = asRecord(refreshFile);
  const target = asRecord(file?.target);
  return {
    application: stringOr(file?.application),
    environment: stringOr(file?.environment),
    target: stringOr(target?.instance, stringOr(target?.cluster)),
  };
}

function planNames(
  plan: NonNullable<FailedRun['plan']>,
): Pick<RunReport, 'application' | 'environment' | 'target'> {
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

function truncate(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 3)}...`;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

function stringOr(value: unknown, fallback = 'unknown'): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}
