import * as z from 'zod';
import { PlanSchema } from './plan';

/** What an execution is started with: the refresh file (either form) and who asked. */
export const RunInputSchema = z.object({
  refreshFile: z.unknown(),
  requestedBy: z.string().optional(),
});
export type RunInput = z.output<typeof RunInputSchema>;

/** What one script file did, summed over the invocations it spanned: counts only, never row data. */
export const ScriptResultSchema = z.object({
  /** The file's key as the refresh file lists it. */
  file: z.string(),
  /** Statements executed (session settings replayed on resume not counted). */
  statements: z.number().int(),
  rowsAffected: z.number().int(),
  seconds: z.number(),
});
export type ScriptResult = z.output<typeof ScriptResultSchema>;

export const PollStateSchema = z.object({
  startedAt: z.string(),
  deadline: z.string(),
  waitSeconds: z.number(),
  attempt: z.number().int(),
  done: z.boolean(),
  /** When the check saw the operation finished; with startedAt, the step's duration in the history. */
  finishedAt: z.string().optional(),
  /** Where a multi-phase operation is (the swap's next rename, the script's next statement, ...). */
  position: z.number().int().optional(),
  /** The scripts step: one result per file started so far, in the order of `scripts.keys`. */
  results: z.array(ScriptResultSchema).optional(),
  /** The SSM Run Command running the scripts on the runner instance (`scripts.method` "ec2"). */
  commandId: z.string().optional(),
});

/** A caught error, as Step Functions' Catch writes it (`Cause` is the Lambda error as a JSON string). */
export const CaughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });
export type CaughtError = z.output<typeof CaughtErrorSchema>;

/**
 * Who approved or rejected the refresh of a protected target, and when. An approval is the result of
 * the approval task (SendTaskSuccess, at `$.approval`); a rejection fails the task (see rejectionCause).
 */
export const ApprovalDecisionSchema = z.object({
  decision: z.enum(['approved', 'rejected']),
  by: z.string(),
  at: z.string(),
  reason: z.string().optional(),
});
export type ApprovalDecision = z.output<typeof ApprovalDecisionSchema>;

/** The error a rejection fails the approval task with (SendTaskFailure). */
export const APPROVAL_REJECTED = 'ApprovalRejected';

/**
 * The cause a rejection fails the approval task with: JSON shaped like a Lambda error, whose
 * `errorMessage` is what people read (console, history, notification), carrying the decision itself.
 */
export function rejectionCause(decision: ApprovalDecision): string {
  const message = `Rejected by ${decision.by} at ${decision.at}: ${decision.reason ?? 'no reason given'}`;
  return JSON.stringify({ errorMessage: message, approval: decision });
}

/** The decision a caught rejection carries; undefined for any other error. */
export function rejectionOf(caught: CaughtError | undefined): ApprovalDecision | undefined {
  if (caught?.Error !== APPROVAL_REJECTED || !caught.Cause) return undefined;
  let cause: unknown;
  try {
    cause = JSON.parse(caught.Cause);
  } catch (error: unknown) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  const parsed = z.object({ approval: ApprovalDecisionSchema }).safeParse(cause);
  return parsed.success ? parsed.data.approval : undefined;
}

/**
 * The execution state after the plan step: the input, the plan, one poll state per long step
 * (`polls.restore`, `polls.swap`, ...), and on the failure path the caught error and the failed step.
 */
export const RunStateSchema = RunInputSchema.extend({
  plan: PlanSchema,
  polls: z.record(z.string(), PollStateSchema),
  /** A protected target's approval, once given. */
  approval: ApprovalDecisionSchema.optional(),
  error: CaughtErrorSchema.optional(),
  failedStep: z.string().optional(),
});
export type RunState = z.output<typeof RunStateSchema>;

/** The poll state of step `key`, which its start task wrote; a check without one was wired wrongly. */
export function requirePoll(polls: RunState['polls'], key: string): z.output<typeof PollStateSchema> {
  const poll = polls[key];
  if (!poll) throw new Error(`No poll state at $.polls.${key}: the check ran before its start task`);
  return poll;
}
