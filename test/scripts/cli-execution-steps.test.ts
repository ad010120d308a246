import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { currentStep, readableCause, stepsOf } from '../../scripts/cli/execution-steps';

const START = Date.parse('2026-05-01T10:00:00Z');

/** History events as Step Functions writes them, one second apart. */
function history(...events: object[]): HistoryEvent[] {
  return events.map((event, index) => ({
    ...event,
    id: index + 1,
    timestamp: new Date(START + index * 1000),
  })) as HistoryEvent[];
}

const entered = (type: string, name: string) => ({
  type: `${type}StateEntered`,
  stateEnteredEventDetails: { name },
});
const taskFailed = (error: string, cause: string) => ({
  type: 'TaskFailed',
  taskFailedEventDetails: { error, cause },
});

describe('stepsOf', () => {
  it('groups a polled step (start, wait, check, choice) into one step and ends each at the next', () => {
    const events = history(
      { type: 'ExecutionStarted' },
      entered('Task', 'Plan refresh'),
      { type: 'TaskSucceeded' },
      entered('Task', 'Restore temporary copy'),
      entered('Wait', 'Wait for restore temporary copy'),
      entered('Task', 'Check restore temporary copy'),
      entered('Choice', 'Restore temporary copy done?'),
      entered('Wait', 'Wait for restore temporary copy'),
      entered('Task', 'Check restore temporary copy'),
      entered('Choice', 'Restore temporary copy done?'),
      entered('Task', 'Set admin password'),
    );

    const steps = stepsOf(events);

    expect(steps).toEqual([
      {
        name: 'Plan refresh',
        status: 'succeeded',
        startedAt: new Date(START + 1000),
        endedAt: new Date(START + 3000),
      },
      {
        name: 'Restore temporary copy',
        status: 'succeeded',
        startedAt: new Date(START + 3000),
        endedAt: new Date(START + 10_000),
      },
      { name: 'Set admin password', status: 'running', startedAt: new Date(START + 10_000) },
    ]);
    expect(currentStep(steps)?.name).toBe('Set admin password');
  });

  it('marks the step whose failure path ran as failed with its error, then shows the rollback', () => {
    const events = history(
      entered('Task', 'Run scripts'),
      taskFailed(
        'ScriptError',
        JSON.stringify({
          errorType: 'ScriptError',
          errorMessage: 'Verification query 1 returned 300 row(s)',
        }),
      ),
      entered('Pass', 'Run scripts failed'),
      entered('Task', 'Roll back'),
      entered('Wait', 'Wait for roll back'),
      entered('Task', 'Check roll back'),
      entered('Choice', 'Roll back done?'),
      entered('Task', 'Record failure and notify'),
      { type: 'TaskSucceeded' },
      entered('Fail', 'Refresh failed'),
      { type: 'ExecutionFailed', executionFailedEventDetails: { error: 'ScriptError' } },
    );

    const steps = stepsOf(events);

    expect(steps.map(({ name, status }) => [name, status])).toEqual([
      ['Run scripts', 'failed'],
      ['Roll back', 'succeeded'],
      ['Record failure and notify', 'succeeded'],
    ]);
    expect(steps[0]).toMatchObject({
      error: 'ScriptError',
      cause: 'Verification query 1 returned 300 row(s)',
    });
    expect(currentStep(steps)).toBeUndefined();
  });

  it('does not fail a step whose task failed once and then succeeded on a retry', () => {
    const events = history(
      entered('Task', 'Swap names'),
      taskFailed('TransientAwsError', 'Throttling: Rate exceeded'),
      { type: 'TaskSucceeded' },
      entered('Task', 'Fix tags'),
    );

    expect(stepsOf(events)[0]).toMatchObject({ name: 'Swap names', status: 'succeeded' });
  });

  it('marks a step that took too long as failed with PollTimeoutError', () => {
    const events = history(
      entered('Task', 'Restore temporary copy'),
      entered('Choice', 'Restore temporary copy done?'),
      entered('Pass', 'Restore temporary copy took too long'),
      entered('Task', 'Roll back'),
    );

    expect(stepsOf(events)[0]).toMatchObject({
      status: 'failed',
      error: 'PollTimeoutError',
      cause: 'Restore temporary copy took too long',
    });
  });

  it('fails the running step of an aborted execution', () => {
    const events = history(entered('Task', 'Restore temporary copy'), { type: 'ExecutionAborted' });

    expect(stepsOf(events)[0]).toMatchObject({ status: 'failed', error: 'ExecutionAborted' });
  });

  it('reads events in id order, whatever order they come in', () => {
    const events = history(entered('Task', 'Plan refresh'), entered('Task', 'Restore temporary copy'));

    expect(stepsOf([...events].reverse()).map((step) => step.name)).toEqual([
      'Plan refresh',
      'Restore temporary copy',
    ]);
  });
});

describe('readableCause', () => {
  it('takes the message out of a Lambda error', () => {
    expect(readableCause('{"errorType":"GuardError","errorMessage":"Target is production"}')).toBe(
      'Target is production',
    );
  });

  it('keeps a plain cause as it is', () => {
    expect(readableCause('not finished after 360 checks')).toBe('not finished after 360 checks');
  });
});
