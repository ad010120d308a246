import { randomUUID } from 'node:crypto';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { isTransient } from '../../lambdas/shared/aws/transient';
import type { LocalSchedule, ScheduleFire, ScheduleStore } from './schedule-store';
import { nextRunTimes } from './schedule-times';

export interface StartExecutionRequest {
  readonly stateMachineArn: string;
  readonly name: string;
  /** The execution input, a JSON string. */
  readonly input: string;
}

/** Starts one execution of a state machine (Step Functions StartExecution). */
export type StartExecution = (request: StartExecutionRequest) => Promise<{ executionArn: string }>;

/** StartExecution through a Step Functions client (the local endpoint's, in local mode). */
export function startExecutionWith(client: SFNClient): StartExecution {
  return async (request) => {
    const out = await client.send(new StartExecutionCommand(request));
    if (!out.executionArn)
      throw new Error(`StartExecution of ${request.stateMachineArn} returned no executionArn`);
    return { executionArn: out.executionArn };
  };
}

export interface ScheduleRunnerOptions {
  readonly store: ScheduleStore;
  readonly startExecution: StartExecution;
  /** Told what the runner does, one line at a time (the daemon's log). */
  readonly log?: (line: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
  /** Where in a flexible window a run starts, from 0 (its beginning) to 1. @default Math.random */
  readonly random?: () => number;
  /**
   * The first wait between attempts to start an execution, doubled after each failure (at most a minute).
   * @default 1000
   */
  readonly retryDelayMilliseconds?: number;
  /**
   * The longest the runner sleeps before looking at the clock again, so a computer waking from sleep or a
   * changed clock is noticed.
   * @default 30_000
   */
  readonly maxSleepMilliseconds?: number;
}

/** The next time a schedule comes due, and when within its flexible window it will start. */
interface Due {
  readonly schedule: LocalSchedule;
  readonly scheduled: number;
  readonly startAt: number;
}

const MAX_RETRY_DELAY_MS = 60_000;

/**
 * Local EventBridge Scheduler: starts an execution of each enabled schedule's target at its times (with
 * the schedule's input, time zone and flexible window, retried as its retry policy says) and records each
 * fire in the store. Times that passed while it was not running are not replayed, as Scheduler does not
 * deliver a schedule's past times; a fire that could not start within the schedule's maximum event age is
 * recorded as failed, where Scheduler would send it to the dead-letter queue.
 */
export class ScheduleRunner {
  private readonly due = new Map<string, Due>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly options: ScheduleRunnerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Plans every enabled schedule from now on. */
  start(): void {
    // A schedule created now runs now if its expression says so (a rate schedule runs at its creation).
    const now = this.now() - 1;
    for (const schedule of this.options.store.list()) {
      if (schedule.state === 'ENABLED') this.plan(schedule, now);
    }
    this.arm();
  }

  /** The time each enabled schedule comes due next, by `<group>/<name>`. */
  nextTimes(): Map<string, Date> {
    return new Map([...this.due].map(([key, due]) => [key, new Date(due.scheduled)]));
  }

  /** Stops planning and waits for the starts under way (their retries are cut short). */
  async stop(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.timer);
    await Promise.all(this.inFlight);
  }

  private plan(schedule: LocalSchedule, after: number): void {
    const key = `${schedule.groupName}/${schedule.name}`;
    const [next] = nextRunTimes(
      { expression: schedule.expression, timezone: schedule.timezone },
      new Date(after),
      1,
      schedule.lastModificationDate,
    );
    if (next === undefined) {
      this.due.delete(key);
      this.log(`Schedule ${key} (${schedule.expression}) has no further run time`);
      return;
    }
    const windowMs = (schedule.flexibleWindowMinutes ?? 0) * 60_000;
    const scheduled = next.getTime();
    this.due.set(key, {
      schedule,
      scheduled,
      startAt: scheduled + Math.floor((this.options.random ?? Math.random)() * windowMs),
    });
  }

  private arm(): void {
    if (this.stopping.signal.aborted) return;
    clearTimeout(this.timer);
    const starts = [...this.due.values()].map((due) => due.startAt);
    if (starts.length === 0) return;
    const wait = Math.min(
      Math.max(Math.min(...starts) - this.now(), 0),
      this.options.maxSleepMilliseconds ?? 30_000,
    );
    this.timer = setTimeout(() => this.tick(), wait);
    // The endpoint keeps the daemon alive; the runner alone must not keep a process (a test) from exiting.
    this.timer.unref();
  }

  private tick(): void {
    const now = this.now();
    for (const due of [...this.due.values()]) {
      if (due.startAt > now) continue;
      // Planned from now: times missed while the computer slept are not replayed.
      this.plan(due.schedule, Math.max(due.scheduled, now));
      const fire = this.fire(due, now).finally(() => this.inFlight.delete(fire));
      this.inFlight.add(fire);
    }
    this.arm();
  }

  private async fire(due: Due, firedAt: number): Promise<void> {
    const { schedule } = due;
    const { target } = schedule;
    const key = `${schedule.groupName}/${schedule.name}`;
    const maxAgeMs = target.maximumEventAgeSeconds * 1000;
    const record = (outcome: Pick<ScheduleFire, 'executionArn' | 'error'>) =>
      this.options.store.recordFire(schedule.groupName, schedule.name, {
        scheduledTime: new Date(due.scheduled).toISOString(),
        firedAt: new Date(firedAt).toISOString(),
        ...outcome,
      });
    const deadLetter = target.deadLetterArn
      ? `; Scheduler would send it to the dead-letter queue ${target.deadLetterArn}`
      : '';
    if (firedAt - due.scheduled > maxAgeMs) {
      const error = `not started: its time ${new Date(due.scheduled).toISOString()} is older than the maximum event age (${target.maximumEventAgeSeconds} s)${deadLetter}`;
      record({ error });
      this.log(`Schedule ${key} ${error}`);
      return;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const { executionArn } = await this.options.startExecution({
          stateMachineArn: target.arn,
          // Step Functions names an execution Scheduler starts with a UUID.
          name: randomUUID(),
          input: target.input,
        });
        record({ executionArn });
        this.log(`Schedule ${key} started ${executionArn} (due ${new Date(due.scheduled).toISOString()})`);
        return;
      } catch (error: unknown) {
        const delay = Math.min(
          (this.options.retryDelayMilliseconds ?? 1000) * 2 ** (attempt - 1),
          MAX_RETRY_DELAY_MS,
        );
        const retry =
          isTransient(error) &&
          attempt <= target.maximumRetryAttempts &&
          this.now() + delay - due.scheduled <= maxAgeMs &&
          !this.stopping.signal.aborted;
        if (!retry) {
          const reason = `not started after ${attempt} attempt(s): ${describe(error)}${deadLetter}`;
          record({ error: reason });
          this.log(`Schedule ${key} ${reason}`);
          return;
        }
        await this.pause(delay);
      }
    }
  }

  /** Waits `ms`, or less when the runner stops. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.stopping.signal;
      signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
