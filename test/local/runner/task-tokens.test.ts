import { DEFAULT_TASK_ERROR, TaskTokens } from '../../../local/runner/task-tokens';

const RUN_1 = 'arn:aws:states:eu-west-1:000000000000:execution:DbRefresh:run-1';
const RUN_2 = 'arn:aws:states:eu-west-1:000000000000:execution:DbRefresh:run-2';

describe('TaskTokens', () => {
  let tokens: TaskTokens;

  beforeEach(() => {
    tokens = new TaskTokens();
  });

  it('issues a different opaque token each time', () => {
    const first = tokens.issue(RUN_1);
    const second = tokens.issue(RUN_1);

    expect(first).toMatch(/^[A-Za-z0-9_-]{128}$/);
    expect(second).not.toBe(first);
  });

  it('claims the token a task carries in its parameters and lists the task as waiting', () => {
    const token = tokens.issue(RUN_1);

    const claimed = tokens.claim(RUN_1, 'Wait for approval', { approval: { taskToken: token } });
    void tokens.wait(claimed);

    expect(claimed).toBe(token);
    expect(tokens.waiting()).toEqual([{ token, executionArn: RUN_1, stateName: 'Wait for approval' }]);
    expect(tokens.waiting(RUN_2)).toEqual([]);
  });

  it('closes tokens of the execution that were read but never sent', () => {
    const unsent = tokens.issue(RUN_1);
    const sent = tokens.issue(RUN_1);

    tokens.claim(RUN_1, 'Wait for approval', { taskToken: sent });

    expect(() => tokens.succeed(unsent, {})).toThrow(expect.objectContaining({ code: 'TaskTimedOut' }));
  });

  it('gives a task whose parameters carry no token a fresh one', () => {
    const token = tokens.claim(RUN_1, 'Wait for approval', { target: 'db-1' });

    expect(token).toMatch(/^[A-Za-z0-9_-]{128}$/);
  });

  it('keeps an answer sent before the task waits', async () => {
    const token = tokens.claim(RUN_1, 'Wait for approval', {});
    tokens.succeed(token, { decision: 'approved' });

    await expect(tokens.wait(token)).resolves.toEqual({ decision: 'approved' });
  });

  it('fails a task with States.TaskFailed when the failure names no error', async () => {
    const token = tokens.claim(RUN_1, 'Wait for approval', {});
    const answer = tokens.wait(token);

    tokens.fail(token, undefined, 'no reason given');

    await expect(answer).rejects.toMatchObject({ name: DEFAULT_TASK_ERROR, message: 'no reason given' });
  });

  it('refuses answers once the deadline has passed', () => {
    const token = tokens.claim(RUN_1, 'Wait for approval', {});
    void tokens.wait(token, Date.now() - 1);

    expect(() => tokens.heartbeat(token)).toThrow(expect.objectContaining({ code: 'TaskTimedOut' }));
    expect(tokens.waiting()).toEqual([]);
  });

  it('closes only the tasks of the execution that ended', () => {
    const ended = tokens.claim(RUN_1, 'Wait for approval', {});
    const other = tokens.claim(RUN_2, 'Wait for approval', {});
    void tokens.wait(ended);
    void tokens.wait(other);

    tokens.closeExecution(RUN_1);

    expect(() => tokens.heartbeat(ended)).toThrow(expect.objectContaining({ code: 'TaskTimedOut' }));
    expect(() => tokens.heartbeat(other)).not.toThrow();
  });

  it('rejects a malformed token as InvalidToken and an unknown one as TaskDoesNotExist', () => {
    expect(() => tokens.succeed('abc', {})).toThrow(expect.objectContaining({ code: 'InvalidToken' }));
    expect(() => tokens.succeed('A'.repeat(128), {})).toThrow(
      expect.objectContaining({ code: 'TaskDoesNotExist' }),
    );
  });
});
