import type { Transition } from './state';

/**
 * How statuses change over time, as in RDS: a restore shows `creating`, then `backing-up`, then
 * `available`; a rename `renaming`, then `available`.
 *
 * The first phase lasts until the engine work has finished AND the phase's minimum time has passed; each
 * later phase lasts its minimum time from then on; then the resource reaches the outcome. With a phase
 * time of 0 the outcome follows the engine work at once. A failed engine work shows `failedStatus` at once.
 */

/** Minimum time of one phase at delayScale 1: transitions take ~1-3 s even when the engine is faster. */
export const PHASE_MILLISECONDS = 1000;

export interface TransitionStart {
  readonly action: string;
  readonly phases: readonly string[];
  readonly outcome: string;
  readonly failedStatus?: string;
  /** False for changes that are only bookkeeping (a rename, a new Aurora member): no engine work to wait for. */
  readonly hasWork: boolean;
}

export function startTransition(start: TransitionStart, now: Date, phaseMilliseconds: number): Transition {
  return {
    action: start.action,
    phases: [...start.phases],
    outcome: start.outcome,
    failedStatus: start.failedStatus ?? 'failed',
    startedAt: now.toISOString(),
    phaseMilliseconds,
    work: start.hasWork ? 'running' : 'done',
    workFinishedAt: start.hasWork ? undefined : now.toISOString(),
  };
}

/** Where a transition stands at `now`: the status to show, and whether it is over (showing its outcome). */
export function transitionStatus(transition: Transition, now: Date): { status: string; over: boolean } {
  if (transition.work === 'failed') return { status: transition.failedStatus, over: true };
  const first = transition.phases[0] as string;
  if (transition.work === 'running' || transition.workFinishedAt === undefined) {
    return { status: first, over: false };
  }
  const phase = transition.phaseMilliseconds;
  const firstPhaseEnds = Math.max(
    Date.parse(transition.workFinishedAt),
    Date.parse(transition.startedAt) + phase,
  );
  const elapsed = now.getTime() - firstPhaseEnds;
  if (elapsed < 0) return { status: first, over: false };
  const later = phase === 0 ? transition.phases.length : 1 + Math.floor(elapsed / phase);
  if (later >= transition.phases.length) return { status: transition.outcome, over: true };
  return { status: transition.phases[later] as string, over: false };
}
