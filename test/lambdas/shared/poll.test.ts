import { PollTimeoutError } from '../../../lambdas/shared/errors';
import { continuePoll, startPoll } from '../../../lambdas/shared/poll';

const start = new Date('2026-11-21T03:00:00Z');
const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);

describe('startPoll', () => {
  it('schedules the first check at the expected completion and sets the deadline', () => {
    expect(startPoll(start, { expectedSeconds: 600, timeoutSeconds: 7200 })).toEqual({
      startedAt: '2026-11-21T03:00:00.000Z',
      deadline: '2026-11-21T05:00:00.000Z',
      waitSeconds: 600,
      attempt: 0,
      done: false,
    });
  });

  it('never waits past the deadline or less than a second', () => {
    expect(startPoll(start, { expectedSeconds: 9000, timeoutSeconds: 3600 }).waitSeconds).toBe(3600);
    expect(startPoll(start, { expectedSeconds: 0, timeoutSeconds: 3600 }).waitSeconds).toBe(1);
  });
});

describe('continuePoll', () => {
  const poll = startPoll(start, { expectedSeconds: 600, timeoutSeconds: 3600 });

  it('marks the loop done and counts the check', () => {
    expect(continuePoll(poll, at(600), true, 'Restore')).toMatchObject({ done: true, attempt: 1 });
  });

  it('waits the short interval while not done', () => {
    expect(continuePoll(poll, at(600), false, 'Restore', { intervalSeconds: 20 })).toMatchObject({
      done: false,
      attempt: 1,
      waitSeconds: 20,
    });
  });

  it('shortens the last wait so the final check lands on the deadline', () => {
    expect(continuePoll(poll, at(3590), false, 'Restore').waitSeconds).toBe(10);
  });

  it('fails when the operation is not done by the deadline', () => {
    expect(() => continuePoll(poll, at(3600), false, 'Restore temporary copy')).toThrow(PollTimeoutError);
    expect(() => continuePoll(poll, at(3600), false, 'Restore temporary copy')).toThrow(
      'Restore temporary copy did not finish by its deadline 2026-11-21T04:00:00.000Z',
    );
  });

  it('still reports done when the last check finds the operation finished at the deadline', () => {
    expect(continuePoll(poll, at(4000), true, 'Restore').done).toBe(true);
  });
});
