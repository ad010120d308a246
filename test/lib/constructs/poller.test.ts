import { App, Stack } from 'aws-cdk-lib';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { DefinitionBody, Fail, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Poller } from '../../../lib/constructs/poller';

// biome-ignore lint/suspicious/noExplicitAny: rendered ASL is plain JSON
type States = Record<string, Record<string, any>>;

/** The ASL of a state machine made of one poller between a start and an end state. */
function definition(maxAttempts?: number): { StartAt: string; States: States } {
  const stack = new Stack(new App(), 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
  const fn = (name: string) =>
    LambdaFunction.fromFunctionArn(stack, name, `arn:aws:lambda:eu-west-1:111122223333:function:${name}`);
  const poller = new Poller(stack, 'Restore', {
    stepName: 'Restore temporary copy',
    key: 'restore',
    start: fn('restore'),
    check: fn('check-restore'),
    failure: new Fail(stack, 'Failed', { stateName: 'Refresh failed' }),
    maxAttempts,
  });
  const machine = new StateMachine(stack, 'Machine', {
    definitionBody: DefinitionBody.fromChainable(
      poller.next(new Pass(stack, 'Next', { stateName: 'Swap names' })),
    ),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the L1 property holds a token until resolved
  const rendered = stack.resolve((machine.node.defaultChild as any).definitionString);
  const text =
    typeof rendered === 'string'
      ? rendered
      : rendered['Fn::Join'][1].map((part: unknown) => (typeof part === 'string' ? part : 'ARN')).join('');
  return JSON.parse(text);
}

describe('Poller', () => {
  it('starts, waits for the time the handler asks, checks, then decides', () => {
    const { StartAt, States } = definition();

    expect(StartAt).toBe('Restore temporary copy');
    expect(States['Restore temporary copy']).toMatchObject({
      Type: 'Task',
      ResultPath: '$.polls.restore',
      Next: 'Wait for restore temporary copy',
    });
    expect(States['Wait for restore temporary copy']).toEqual({
      Type: 'Wait',
      SecondsPath: '$.polls.restore.waitSeconds',
      Next: 'Check restore temporary copy',
    });
    expect(States['Check restore temporary copy']).toMatchObject({
      Type: 'Task',
      ResultPath: '$.polls.restore',
      Next: 'Restore temporary copy done?',
    });
  });

  it('goes on when done, waits again while checks are left, and gives up into the failure path after the last', () => {
    const { States } = definition(20);

    const choice = States['Restore temporary copy done?'];
    expect(choice?.Default).toBe('Swap names');
    expect(choice?.Choices).toEqual([
      {
        And: [
          { Variable: '$.polls.restore.done', BooleanEquals: false },
          { Variable: '$.polls.restore.attempt', NumericLessThan: 20 },
        ],
        Next: 'Wait for restore temporary copy',
      },
      {
        Variable: '$.polls.restore.done',
        BooleanEquals: false,
        Next: 'Restore temporary copy took too long',
      },
    ]);
    expect(States['Restore temporary copy took too long']).toEqual({
      Type: 'Pass',
      Result: { Error: 'PollTimeoutError', Cause: 'Restore temporary copy: not finished after 20 checks' },
      ResultPath: '$.error',
      Next: 'Refresh failed',
    });
  });

  it('retries transient AWS errors with backoff and jitter, and bounds each invocation', () => {
    const { States } = definition();

    for (const name of ['Restore temporary copy', 'Check restore temporary copy']) {
      expect(States[name]?.TimeoutSeconds).toBe(300);
      expect(States[name]?.Retry).toContainEqual({
        ErrorEquals: ['TransientAwsError', 'Lambda.TooManyRequestsException'],
        IntervalSeconds: 5,
        BackoffRate: 2,
        MaxAttempts: 4,
        JitterStrategy: 'FULL',
      });
    }
  });
});
