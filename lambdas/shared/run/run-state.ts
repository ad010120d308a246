import * as z from 'zod';
import { PlanSchema } from './plan';

/** What an execution is started with: the refresh file (either form) and who asked. */
export const RunInputSchema = z.object({
  refreshFile: z.unknown(),
  requestedBy: z.string().optional(),
});
export type RunInput = z.output<typeof RunInputSchema>;

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
});

/** A caught error, as Step Functions' Catch writes it (`Cause` is the Lambda error as a JSON string). */
export const CaughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });
export type CaughtError = z.output<typeof CaughtErrorSchema>;

/**
 * The execution state after the plan step: the input, the plan, one poll state per long step
 * (`polls.restore`, `polls.swap`, ...), and on the failure path the caught error and the failed step.
 */
export const RunStateSchema = RunInputSchema.extend({
  plan: PlanSchema,
  polls: z.record(z.string(), PollStateSchema),
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
