import { StateMachine } from 'aws-local-stepfunctions';
import {
  enforceStateDataLimit,
  MAX_STATE_DATA_BYTES,
  StatesDataLimitExceededError,
} from '../../../local/endpoint/services/states-limits';
// The runner's Promise.withResolvers polyfill, which aws-local-stepfunctions needs on Node 20.
import '../../../local/runner/run-refresh';

/** A JSON value whose serialization is exactly `bytes` bytes of UTF-8. */
function payloadOf(bytes: number): { rows: string } {
  return { rows: 'x'.repeat(bytes - JSON.stringify({ rows: '' }).length) };
}

describe('enforceStateDataLimit', () => {
  it('takes exactly 256 KiB of UTF-8 JSON and returns its size', () => {
    expect(enforceStateDataLimit(payloadOf(MAX_STATE_DATA_BYTES), 'Run scripts', 'output')).toBe(262_144);
  });

  it('rejects 256 KiB and one byte as States.DataLimitExceeded, naming the state', () => {
    expect(() => enforceStateDataLimit(payloadOf(MAX_STATE_DATA_BYTES + 1), 'Run scripts', 'result')).toThrow(
      expect.objectContaining({
        name: 'States.DataLimitExceeded',
        message: expect.stringContaining(
          "The state/task 'Run scripts' returned a result with a size exceeding the maximum number of bytes service limit",
        ),
      }),
    );
  });

  it('counts multi-byte characters in bytes', () => {
    expect(() => enforceStateDataLimit({ rows: 'é'.repeat(131_070) }, 'Plan refresh', 'input')).toThrow(
      StatesDataLimitExceededError,
    );
  });

  it('fails the execution in aws-local-stepfunctions: neither retried nor caught by States.ALL', async () => {
    // given
    const handler = jest.fn(async () => {
      const result = payloadOf(MAX_STATE_DATA_BYTES + 1);
      enforceStateDataLimit(result, 'Read rows', 'result');
      return result;
    });
    const machine = new StateMachine(
      {
        StartAt: 'Read rows',
        States: {
          'Read rows': {
            Type: 'Task',
            Resource: 'arn:aws:lambda:eu-west-1:000000000000:function:read-rows',
            Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 3 }],
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
            End: true,
          },
          Caught: { Type: 'Pass', End: true },
        },
      },
      { validationOptions: { checkArn: false } },
    );

    // when
    const execution = machine.run(
      {},
      {
        overrides: {
          taskResourceLocalHandlers: { 'Read rows': handler },
          retryIntervalOverrides: { 'Read rows': 0 },
        },
      },
    );

    // then
    await expect(execution.result).rejects.toMatchObject({
      cause: { name: 'States.DataLimitExceeded' },
    });
    expect(handler).toHaveBeenCalledTimes(1);
  });
});
