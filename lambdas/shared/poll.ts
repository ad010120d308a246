import type * as z from 'zod';
import { PollTimeoutError } from './errors';
import type { PollStateSchema } from './run/run-state';

/** The progress of a wait/check loop, kept at `$.polls.<step>` in the execution state (see lib/constructs/poller.ts). */
export type PollState = z.output<typeof PollStateSchema>;

export interface PollTiming {
  /** How long the operation usually takes (past runs of the target, else a default); the first check comes then. */
  readonly expectedSeconds: number;
  /** After this long the loop fails with PollTimeoutError. */
  readonly timeoutSeconds: number;
  /**
   * Wait between checks once the expected time has passed.
   * @default 15
   */
  readonly intervalSeconds?: number;
}

const MIN_WAIT_SECONDS = 1;

/** The poll state right after an operation started: the first check near its expected completion. */
export function startPoll(now: Date, timing: PollTiming): PollState {
  const deadline = new Date(now.getTime() + timing.timeoutSeconds * 1000);
  const firstWait = clamp(timing.expectedSeconds, MIN_WAIT_SECONDS, timing.timeoutSeconds);
  return {
    startedAt: now.toISOString(),
    deadline: deadline.toISOString(),
    waitSeconds: Math.round(firstWait),
    attempt: 0,
    done: false,
  };
}

/**
 * The poll state after a check: done, or another short wait, never past the deadline.
 * @throws PollTimeoutError when the operation is not done by the deadline
 */
export function continuePoll(
  state: PollState,
  now: Date,
  done: boolean,
  what: string,
  timing: Pick<PollTiming, 'intervalSeconds'> = {},
): PollState {
  const attempt = state.attempt + 1;
  if (done) return { ...state, attempt, done: true, waitSeconds: 0, finishedAt: now.toISOString() };
  const secondsLeft = (new Date(state.deadline).getTime() - now.getTime()) / 1000;
  if (secondsLeft <= 0) {
    throw new PollTimeoutError(
      `${what} did not finish by its deadline ${state.deadline} (started ${state.startedAt}, ${attempt} checks)`,
    );
  }
  const waitSeconds = Math.round(
    clamp(timing.intervalSeconds ?? 15, MIN_WAIT_SECONDS, Math.ceil(secondsLeft)),
  );
  return { ...state, attempt, done: false, waitSeconds };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
