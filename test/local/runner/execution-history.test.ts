import { ExecutionHistoryEvents, executionEnded } from '../../../local/runner/execution-history';
import type { RunEvent } from '../../../local/runner/run-refresh';

const AT = new Date('2025-01-01T10:00:00Z');
const FUNCTION = 'arn:aws:lambda:eu-west-1:111122223333:function:StepsPlan';
const WAIT_FOR_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

function event(type: RunEvent['type'], extra: Partial<RunEvent> = {}): RunEvent {
  return { type, stateName: 'Plan refresh', stateType: 'Task', at: AT, resource: FUNCTION, ...extra };
}

const types = (events: readonly { type: string }[]) => events.map((e) => e.type);

/** The events of one step of a run that reported nothing before it. */
const historyEventsOf = (event: RunEvent, region: string) => new ExecutionHistoryEvents(region).of(event);

describe('ExecutionHistoryEvents', () => {
  it('enters a Task state that calls a function and schedules the function', () => {
    const events = historyEventsOf(event('entered', { input: { a: 1 } }), 'eu-west-1');

    expect(types(events)).toEqual(['TaskStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionStarted']);
    expect(events[0]?.details).toEqual({
      stateEnteredEventDetails: { name: 'Plan refresh', input: '{"a":1}' },
    });
    expect(events[1]?.details).toEqual({ lambdaFunctionScheduledEventDetails: { resource: FUNCTION } });
  });

  it('schedules a service integration as a task of its resource type', () => {
    const events = historyEventsOf(event('entered', { input: {}, resource: WAIT_FOR_TOKEN }), 'eu-west-1');

    expect(types(events)).toEqual(['TaskStateEntered', 'TaskScheduled', 'TaskStarted']);
    expect(events[1]?.details).toEqual({
      taskScheduledEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke.waitForTaskToken',
        region: 'eu-west-1',
      },
    });
  });

  it('records the success of a task before the exit of its state', () => {
    const events = historyEventsOf(event('succeeded', { output: { b: 2 } }), 'eu-west-1');

    expect(types(events)).toEqual(['LambdaFunctionSucceeded', 'TaskStateExited']);
    expect(events[1]?.details).toEqual({
      stateExitedEventDetails: { name: 'Plan refresh', output: '{"b":2}' },
    });
  });

  it('records a failed function with its error and cause', () => {
    const events = historyEventsOf(
      event('failed', { error: 'GuardError', cause: 'not refreshable' }),
      'eu-west-1',
    );

    expect(events).toEqual([
      {
        type: 'LambdaFunctionFailed',
        timestamp: AT,
        details: { lambdaFunctionFailedEventDetails: { error: 'GuardError', cause: 'not refreshable' } },
      },
    ]);
  });

  it('records a task that timed out as TimedOut', () => {
    const events = historyEventsOf(
      event('failed', { error: 'States.Timeout', cause: '', resource: WAIT_FOR_TOKEN }),
      'eu-west-1',
    );

    expect(types(events)).toEqual(['TaskTimedOut']);
    expect(events[0]?.details?.taskTimedOutEventDetails).toMatchObject({
      resourceType: 'lambda',
      error: 'States.Timeout',
    });
  });

  it('exits a state whose error a Catch caught without a success of its task', () => {
    const history = new ExecutionHistoryEvents('eu-west-1');

    const events = [
      event('entered', { input: {} }),
      event('failed', { error: 'GuardError', cause: 'no' }),
      event('caught'),
      event('succeeded', { output: { error: { Error: 'GuardError' } } }),
      event('entered', { input: {} }),
      event('succeeded', { output: {} }),
    ].flatMap((step) => history.of(step));

    expect(types(events)).toEqual([
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'TaskStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
    ]);
  });

  it('schedules a retried task again without entering its state again', () => {
    expect(types(historyEventsOf(event('retried'), 'eu-west-1'))).toEqual([
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
    ]);
  });

  it('names entries and exits of other states by their type', () => {
    const choice = { stateName: 'Approval needed?', stateType: 'Choice', resource: undefined };

    expect(types(historyEventsOf(event('entered', { ...choice, input: {} }), 'eu-west-1'))).toEqual([
      'ChoiceStateEntered',
    ]);
    expect(types(historyEventsOf(event('succeeded', { ...choice, output: {} }), 'eu-west-1'))).toEqual([
      'ChoiceStateExited',
    ]);
    expect(
      historyEventsOf(event('failed', { ...choice, error: 'States.NoChoiceMatched' }), 'eu-west-1'),
    ).toEqual([]);
  });
});

describe('executionEnded', () => {
  it.each([
    [{ status: 'SUCCEEDED', output: '{}' } as const, 'ExecutionSucceeded'],
    [{ status: 'FAILED', error: 'GuardError', cause: 'no' } as const, 'ExecutionFailed'],
    [{ status: 'ABORTED', cause: 'stopped' } as const, 'ExecutionAborted'],
  ])('ends a history with the event of its outcome (%o)', (outcome, type) => {
    expect(executionEnded(outcome, AT).type).toBe(type);
  });
});
