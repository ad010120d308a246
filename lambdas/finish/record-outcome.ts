import type { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { isTransient } from '../shared/aws/transient';
import { logger } from '../shared/handler';
import {
  type ApprovalOutcome,
  recordOutcome,
  recordRefusal,
  releaseLock,
} from '../shared/history/history-store';
import { type NotificationTopics, publishNotification } from '../shared/notification';
import { type Plan, PlanSchema } from '../shared/run/plan';
import { runIdOf } from '../shared/run/run-id';
import {
  APPROVAL_REJECTED,
  ApprovalDecisionSchema,
  type CaughtError,
  CaughtErrorSchema,
  PollStateSchema,
  RunInputSchema,
  RunStateSchema,
  rejectionOf,
} from '../shared/run/run-state';
import {
  ROTATION_STEP,
  RotationFailureSchema,
  type RunWarning,
  UNDO_ROTATION_STEP,
} from '../shared/run/run-warnings';
import { refreshFileNames } from './refresh-file-names';

/** The state name of the plan step: a failure there changed nothing, so nothing was rolled back. */
export const PLAN_STEP = 'Plan refresh';

/** The state name of the approval step: a failure there (rejected, timed out) changed nothing either. */
export const APPROVAL_STEP = 'Wait for approval';

/** The error Step Functions fails a task with when its timeout passes. */
const TASK_TIMEOUT_ERROR = 'States.Timeout';

/** What a notification says for a name the refresh file does not give. */
const UNKNOWN = 'unknown';

/** History and notifications keep at most this much of an error's cause. */
const MAX_CAUSE_LENGTH = 1000;

/**
 * The execution state on the failure path. The plan (and the polls) are missing when the plan step
 * itself failed; the state machine then notes the execution, so the run can still be recorded and linked.
 */
export const FailedRunSchema = RunInputSchema.extend({
  ...RotationFailureSchema.shape,
  plan: PlanSchema.optional(),
  polls: z.record(z.string(), PollStateSchema).optional(),
  error: CaughtErrorSchema.optional(),
  failedStep: z.string().optional(),
  approval: ApprovalDecisionSchema.optional(),
  execution: z.object({ arn: z.string(), startTime: z.string() }).optional(),
  /** Set when the rollback itself failed: the target may need a look. */
  rollbackError: CaughtErrorSchema.optional(),
});
export type FailedRun = z.output<typeof FailedRunSchema>;

/**
 * The execution state on the success path. A rotation that failed after the swap is not a failure of the
 * refresh: its error (and that of the undo that followed, if any) is there, and the run succeeds with warnings.
 */
export const SucceededRunSchema = RunStateSchema.extend(RotationFailureSchema.shape);
export type SucceededRun = z.output<typeof SucceededRunSchema>;

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
  /** The steps that failed without undoing the refresh (recorded and notified as warnings); none when absent. */
  readonly warnings?: readonly string[];
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
  event: SucceededRun,
  now: Date,
): Promise<SucceededResult> {
  const { plan } = event;
  const finishedAt = now.toISOString();
  const durations = stepDurations(event.polls);
  const scripts = event.polls.scripts?.results;
  const approval = approvalOutcome(plan, event);
  const warnings = rotationWarnings(plan, event);
  await recordOutcome(services.doc, services.table, {
    plan,
    status: 'succeeded',
    finishedAt,
    durations,
    approval,
    scripts,
    warnings,
  });
  await releaseLock(services.doc, services.table, plan.target.id, plan.runId);
  try {
    await publishNotification(services.sns, topicsOf(services, plan.file.notification?.topicArn), {
      ...planNames(event.plan),
      status: 'succeeded',
      plan,
      finishedAt,
      durations,
      approval,
      scripts,
      warnings,
    });
  } catch (error: unknown) {
    if (isTransient(error)) throw error;
    logger.error('The success is recorded, but its notification could not be published; check the topic', {
      topicArn: services.topicArn,
      errorName: error instanceof Error ? error.name : typeof error,
      errorMessage: error instanceof Error ? error.message : String(error),
    });
    return { status: 'succeeded', notified: false, ...warnedSteps(warnings) };
  }
  return { status: 'succeeded', notified: true, ...warnedSteps(warnings) };
}

function warnedSteps(warnings: readonly RunWarning[]): Pick<SucceededResult, 'warnings'> {
  return warnings.length > 0 ? { warnings: warnings.map((warning) => warning.step) } : {};
}

/**
 * The warnings of a run whose rotation failed after the swap: the refresh stands, the target serves the
 * refreshed data with the password the refresh set (its secret's current version), unless the undo failed too.
 * A run that fails later (retiring the old target, say) carries them in its failure record too.
 */
export function rotationWarnings(plan: Plan, event: z.output<typeof RotationFailureSchema>): RunWarning[] {
  const secret = plan.adminPassword.managed
    ? `the RDS-managed secret of ${plan.target.id}`
    : `secret ${plan.adminPassword.secretName}`;
  const warnings: RunWarning[] = [];
  if (event.rotationError) {
    warnings.push({
      step: ROTATION_STEP,
      ...describeError(event.rotationError),
      outcome:
        `The refresh is kept: ${plan.target.id} serves the refreshed data, with the password of the current version of ` +
        `${secret}, which the rotation did not replace. Fix the cause, then rotate ${secret} again.`,
    });
  }
  if (event.rotationUndoError) {
    warnings.push({
      step: UNDO_ROTATION_STEP,
      ...describeError(event.rotationUndoError),
      outcome:
        `The password of ${plan.target.id} may not be the one the current version of ${secret} holds: set it to that ` +
        'password by hand (modify-db-instance or modify-db-cluster --master-user-password), and remove AWSPENDING from ' +
        'any version that is not current (update-secret-version-stage), or the next rotation is refused.',
    });
  }
  return warnings;
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
  const approval = approvalOutcome(plan, event);
  const { error, cause } =
    approval?.status === 'expired' ? expiredApproval(plan, event.error) : describeError(event.error);
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
    approval,
    scripts: event.polls?.scripts?.results,
    warnings: rotationWarnings(plan, event),
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

/**
 * What became of a protected target's approval: the decision (an approval from `$.approval`, a
 * rejection from the caught error), or that nobody decided in time; undefined when not protected.
 */
export function approvalOutcome(
  plan: Plan,
  event: Pick<FailedRun, 'approval' | 'error' | 'failedStep'>,
): ApprovalOutcome | undefined {
  if (!plan.approval) return undefined;
  const { approvers } = plan.approval;
  const decision = event.approval ?? rejectionOf(event.error);
  if (decision) {
    const { decision: status, by, at, reason } = decision;
    return { status, approvers, by, at, ...(reason !== undefined && { reason }) };
  }
  // Rejected by hand (SendTaskFailure without dbrefresh reject): who and why are unknown.
  if (event.error?.Error === APPROVAL_REJECTED) return { status: 'rejected', approvers };
  const timedOut = event.failedStep === APPROVAL_STEP && event.error?.Error === TASK_TIMEOUT_ERROR;
  return { status: timedOut ? 'expired' : 'undecided', approvers };
}

/** The approval task timed out: Step Functions gives no cause, so say what happened. */
function expiredApproval(plan: Plan, caught: CaughtError | undefined): { error: string; cause: string } {
  const hours = Math.round((plan.approval?.timeoutSeconds ?? 0) / 3600);
  return {
    error: caught?.Error ?? TASK_TIMEOUT_ERROR,
    cause: `No approval within ${hours} hours; nothing was changed. Start the refresh again to ask again`,
  };
}

/** Seconds each finished long step took, keyed like `$.polls`. */
export function stepDurations(polls: SucceededRun['polls']): Record<string, number> {
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
