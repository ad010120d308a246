import type { LocalScheduleDefinition } from '../../../local/schedules/local-schedules';
import { ScheduleRunner, type StartExecution } from '../../../local/schedules/schedule-runner';
import { ScheduleStore } from '../../../local/schedules/schedule-store';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:000000000000:stateMachine:DbRefresh';
const INPUT = JSON.stringify({
  refreshFile: { target: { instance: 'shop-dev' } },
  requestedBy: 'schedule shop-dev',
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function definition(changes: Partial<LocalScheduleDefinition> = {}): LocalScheduleDefinition {
  return {
    name: 'shop-dev',
    groupName: 'dbrefresh',
    expression: 'cron(* * * * ? *)',
    timezone: 'Europe/Paris',
    state: 'ENABLED',
    target: {
      arn: STATE_MACHINE,
      roleArn: 'arn:aws:iam::000000000000:role/dbrefresh-scheduler',
      input: INPUT,
      deadLetterArn: 'arn:aws:sqs:eu-west-1:000000000000:dead-letters',
      maximumEventAgeSeconds: 3600,
      maximumRetryAttempts: 3,
    },
    ...changes,
  };
}

function throttled(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
}

let runner: ScheduleRunner | undefined;
let started: { stateMachineArn: string; name: string; input: string; at: string }[];
let skewMs: number;

/** A runner over one schedule, its store, and the executions it starts (or the errors `fail` throws first). */
function run(changes: Partial<LocalScheduleDefinition> = {}, failures: Error[] = [], random = 0) {
  const store = new ScheduleStore({ groupNames: ['dbrefresh'], schedules: [definition(changes)] }, undefined);
  const startExecution: StartExecution = async (request) => {
    const failure = failures.shift();
    if (failure) throw failure;
    started.push({ ...request, at: new Date().toISOString() });
    return { executionArn: `${STATE_MACHINE.replace('stateMachine', 'execution')}:${request.name}` };
  };
  runner = new ScheduleRunner({
    store,
    startExecution,
    now: () => Date.now() + skewMs,
    random: () => random,
    retryDelayMilliseconds: 1,
  });
  runner.start();
  return { store, runner };
}

beforeEach(() => {
  jest.useFakeTimers({ now: new Date('2025-06-02T10:00:30Z'), doNotFake: ['nextTick', 'setImmediate'] });
  started = [];
  skewMs = 0;
});

afterEach(async () => {
  await runner?.stop();
  runner = undefined;
  jest.useRealTimers();
});

describe('ScheduleRunner', () => {
  it('starts the target at the next time with the schedule input and a UUID name, and records the fire', async () => {
    const { store } = run();

    await jest.advanceTimersByTimeAsync(29_000);
    expect(started).toEqual([]);
    await jest.advanceTimersByTimeAsync(1_000);

    expect(started).toEqual([
      {
        stateMachineArn: STATE_MACHINE,
        name: expect.stringMatching(UUID),
        input: INPUT,
        at: '2025-06-02T10:01:00.000Z',
      },
    ]);
    expect(store.get('dbrefresh', 'shop-dev')?.lastFire).toEqual({
      scheduledTime: '2025-06-02T10:01:00.000Z',
      firedAt: '2025-06-02T10:01:00.000Z',
      executionArn: `arn:aws:states:eu-west-1:000000000000:execution:DbRefresh:${started[0]?.name}`,
    });
  });

  it('keeps firing at each time, never at a time that passed before it started', async () => {
    run();

    await jest.advanceTimersByTimeAsync(3 * 60_000);

    expect(started.map((execution) => execution.at)).toEqual([
      '2025-06-02T10:01:00.000Z',
      '2025-06-02T10:02:00.000Z',
      '2025-06-02T10:03:00.000Z',
    ]);
    expect(new Set(started.map((execution) => execution.name)).size).toBe(3);
  });

  it('reads the cron in the schedule time zone', async () => {
    const { runner: scheduled } = run({ expression: 'cron(30 12 * * ? *)', timezone: 'Europe/Paris' });

    expect(scheduled.nextTimes()).toEqual(
      new Map([['dbrefresh/shop-dev', new Date('2025-06-02T10:30:00Z')]]),
    );
    await jest.advanceTimersByTimeAsync(30 * 60_000);

    expect(started.map((execution) => execution.at)).toEqual(['2025-06-02T10:30:00.000Z']);
  });

  it('starts within the flexible window, where the random draw puts it', async () => {
    run({ flexibleWindowMinutes: 30 }, [], 0.5);

    await jest.advanceTimersByTimeAsync(15 * 60_000 + 29_000);
    expect(started).toEqual([]);
    await jest.advanceTimersByTimeAsync(1_000);

    expect(started.map((execution) => execution.at)).toEqual(['2025-06-02T10:16:00.000Z']);
  });

  it('never fires a disabled schedule', async () => {
    const { runner: disabled } = run({ state: 'DISABLED' });

    await jest.advanceTimersByTimeAsync(5 * 60_000);

    expect(started).toEqual([]);
    expect(disabled.nextTimes().size).toBe(0);
  });

  it('retries a throttled start and records the execution that started', async () => {
    const { store } = run({}, [throttled(), throttled()]);

    await jest.advanceTimersByTimeAsync(31_000);

    expect(started).toHaveLength(1);
    expect(store.get('dbrefresh', 'shop-dev')?.lastFire?.executionArn).toContain(started[0]?.name);
  });

  it('records a start that failed after every retry, naming the dead-letter queue Scheduler would use', async () => {
    const { store } = run({}, [throttled(), throttled(), throttled(), throttled()]);

    await jest.advanceTimersByTimeAsync(31_000);

    expect(started).toEqual([]);
    expect(store.get('dbrefresh', 'shop-dev')?.lastFire).toEqual({
      scheduledTime: '2025-06-02T10:01:00.000Z',
      firedAt: '2025-06-02T10:01:00.000Z',
      error:
        'not started after 4 attempt(s): ThrottlingException: Rate exceeded; ' +
        'Scheduler would send it to the dead-letter queue arn:aws:sqs:eu-west-1:000000000000:dead-letters',
    });
  });

  it('records a start refused for good at once, without retrying it', async () => {
    const refused = Object.assign(new Error('State machine does not exist'), {
      name: 'StateMachineDoesNotExist',
    });
    const { store } = run({}, [refused]);

    await jest.advanceTimersByTimeAsync(30_000);

    expect(store.get('dbrefresh', 'shop-dev')?.lastFire?.error).toMatch(
      /^not started after 1 attempt\(s\): StateMachineDoesNotExist: State machine does not exist/,
    );
  });

  it('records a time it reached too late to deliver (a computer waking from sleep) and plans from now', async () => {
    const { store, runner: late } = run();
    skewMs = 2 * 3600_000;

    await jest.advanceTimersByTimeAsync(30_000);

    expect(started).toEqual([]);
    expect(store.get('dbrefresh', 'shop-dev')?.lastFire?.error).toMatch(
      /^not started: its time 2025-06-02T10:01:00.000Z is older than the maximum event age \(3600 s\)/,
    );
    expect(late.nextTimes().get('dbrefresh/shop-dev')).toEqual(new Date('2025-06-02T12:02:00Z'));
  });

  it('fires no more once stopped', async () => {
    const { runner: stopped } = run();

    await stopped.stop();
    await jest.advanceTimersByTimeAsync(5 * 60_000);

    expect(started).toEqual([]);
  });

  it('runs a rate schedule when it is created, then every interval', async () => {
    run({ expression: 'rate(10 minutes)' });

    await jest.advanceTimersByTimeAsync(20 * 60_000);

    expect(started.map((execution) => execution.at)).toEqual([
      '2025-06-02T10:00:30.000Z',
      '2025-06-02T10:10:30.000Z',
      '2025-06-02T10:20:30.000Z',
    ]);
  });
});
