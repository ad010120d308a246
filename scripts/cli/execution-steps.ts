import type { HistoryEvent } from '@aws-sdk/client-sfn';

export type StepStatus = 'running' | 'succeeded' | 'failed';

/** One step of a run as a user sees it: a step's start, wait and check states together. */
export interface StepView {
  readonly name: string;
  readonly status: StepStatus;
  readonly startedAt: Date;
  readonly endedAt?: Date;
  readonly error?: string;
  readonly cause?: string;
}

interface Failure {
  readonly error?: string;
  readonly cause?: string;
}

/**
 * The steps of an execution, in order, from its history events. The state machine's naming makes this
 * mechanical: a long step "Restore temporary copy" is polled by "Wait for restore temporary copy" and
 * "Check restore temporary copy", a failed step goes through the Pass state "<step> failed" (or "<step> took
 * too long"); Choices, Succeed and Fail states and other Pass states are plumbing, not steps.
 */
export function stepsOf(events: readonly HistoryEvent[]): StepView[] {
  const steps: Mutable<StepView>[] = [];
  let failure: Failure | undefined;
  const current = () => steps.at(-1);
  const finishCurrent = (status: StepStatus, at: Date, why?: Failure) => {
    const step = current();
    if (step?.status !== 'running') return;
    Object.assign(step, { status, endedAt: at, ...(status === 'failed' && why) });
  };

  for (const event of [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0))) {
    const at = event.timestamp ?? new Date(0);
    const type = event.type ?? '';
    if (type.endsWith('StateEntered')) {
      const meaning = meaningOf(event.stateEnteredEventDetails?.name ?? '', type.replace('StateEntered', ''));
      if (meaning.kind === 'step') {
        const step = current();
        if (step?.name === meaning.step && step.status === 'running') continue;
        finishCurrent('succeeded', at);
        failure = undefined;
        steps.push({ name: meaning.step, status: 'running', startedAt: at });
      } else if (meaning.kind === 'failed') {
        const step = [...steps].reverse().find((candidate) => candidate.name === meaning.step);
        if (step) {
          Object.assign(step, {
            status: 'failed',
            endedAt: step.endedAt ?? at,
            ...(meaning.timedOut
              ? { error: 'PollTimeoutError', cause: `${meaning.step} took too long` }
              : failure),
          });
        }
      }
      continue;
    }
    const failed = failureOf(event);
    if (failed) {
      failure = failed;
    } else if (type === 'TaskSucceeded' || type === 'LambdaFunctionSucceeded') {
      failure = undefined;
    } else if (type === 'ExecutionSucceeded') {
      finishCurrent('succeeded', at);
    } else if (type === 'ExecutionFailed') {
      // The failure path ends in a Fail state after recording: the last step then succeeded.
      if (failure) finishCurrent('failed', at, failure);
      else finishCurrent('succeeded', at);
    } else if (type === 'ExecutionAborted' || type === 'ExecutionTimedOut') {
      finishCurrent('failed', at, {
        error: type === 'ExecutionAborted' ? 'ExecutionAborted' : 'ExecutionTimedOut',
        cause:
          type === 'ExecutionAborted' ? 'the execution was stopped' : 'the execution ran past its time limit',
      });
    }
  }
  return steps;
}

/** The step running now, if any. */
export function currentStep(steps: readonly StepView[]): StepView | undefined {
  const last = steps.at(-1);
  return last?.status === 'running' ? last : undefined;
}

type Meaning =
  | { readonly kind: 'step'; readonly step: string }
  | { readonly kind: 'failed'; readonly step: string; readonly timedOut: boolean }
  | { readonly kind: 'plumbing' };

function meaningOf(stateName: string, stateType: string): Meaning {
  if (stateType === 'Choice' || stateType === 'Succeed' || stateType === 'Fail') return { kind: 'plumbing' };
  if (stateType === 'Pass') {
    const failed = /^(.+) failed$/.exec(stateName);
    if (failed?.[1]) return { kind: 'failed', step: failed[1], timedOut: false };
    const tooLong = /^(.+) took too long$/.exec(stateName);
    if (tooLong?.[1]) return { kind: 'failed', step: tooLong[1], timedOut: true };
    return { kind: 'plumbing' };
  }
  const polled =
    stateType === 'Task'
      ? /^Check (.+)$/.exec(stateName)
      : stateType === 'Wait'
        ? /^Wait for (.+)$/.exec(stateName)
        : null;
  if (polled?.[1]) return { kind: 'step', step: capitalize(polled[1]) };
  return { kind: 'step', step: stateName };
}

function failureOf(event: HistoryEvent): Failure | undefined {
  const details =
    event.taskFailedEventDetails ??
    event.lambdaFunctionFailedEventDetails ??
    event.taskTimedOutEventDetails ??
    event.lambdaFunctionTimedOutEventDetails ??
    event.taskStartFailedEventDetails ??
    event.taskSubmitFailedEventDetails;
  if (!details) return undefined;
  return { error: details.error, cause: readableCause(details.cause) };
}

/** Lambda failures carry `{"errorType","errorMessage","trace"}` as the cause; the message is what a user reads. */
export function readableCause(cause: string | undefined): string | undefined {
  if (cause === undefined) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: a plain message.
  }
  return cause;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
