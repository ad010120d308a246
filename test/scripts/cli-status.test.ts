import {
  DescribeExecutionCommand,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type HistoryEventType,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { watchCommand } from '../../scripts/cli/run-actions';
import { app1DevFile, dbrefresh, executionArn, mockStack, STACK } from './cli-harness';

const stack = mockStack();
const sfn = mockClient(SFNClient);
const doc = mockClient(DynamoDBDocumentClient);

const RUN = 'app1-dev-0123456789ab';
const at = (second: number) => new Date(Date.UTC(2026, 4, 1, 10, 0, second));
const event = (id: number, type: HistoryEventType, name?: string): HistoryEvent => ({
  id,
  type,
  timestamp: at(id),
  ...(name && { stateEnteredEventDetails: { name } }),
});
const execution = (status: ExecutionStatus, extra: object = {}) => ({
  executionArn: executionArn(RUN),
  name: RUN,
  status,
  startDate: at(0),
  stateMachineArn: STACK.stateMachineArn,
  input: JSON.stringify({ refreshFile: app1DevFile(), requestedBy: 'arn:aws:iam::111122223333:user/ana' }),
  ...extra,
});

beforeEach(() => {
  stack.reset();
  sfn.reset();
  doc.reset();
  doc.on(QueryCommand).resolves({ Items: [] });
});

describe('dbrefresh status', () => {
  it('shows the status, the steps so far, the current step and the history record', async () => {
    sfn.on(DescribeExecutionCommand).resolves(execution('RUNNING'));
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        event(4, 'WaitStateEntered', 'Wait for restore temporary copy'),
        event(3, 'TaskStateEntered', 'Restore temporary copy'),
        event(2, 'TaskStateEntered', 'Plan refresh'),
        event(1, 'ExecutionStarted'),
      ],
    });
    doc.on(QueryCommand).resolves({
      Items: [
        {
          target: 'app1-dev',
          status: 'running',
          source: 'app1-prod',
          restoreType: 'latestpoint',
          restorePoint: '2026-05-01T09:58:00.000Z',
          executionArn: executionArn(RUN),
        },
      ],
    });

    const { code, stdout } = await dbrefresh('status', RUN);

    expect(code).toBe(0);
    expect(stdout).toContain(`Run           ${RUN} (run id `);
    expect(stdout).toMatch(/Status {8}RUNNING, running for .* \(started 2026-05-01 10:00:00Z\)/);
    expect(stdout).toMatch(/Current step {2}Restore temporary copy \(/);
    expect(stdout).toContain('Requested by  arn:aws:iam::111122223333:user/ana');
    expect(stdout).toContain('Aligned to    2026-05-01 09:58:00Z');
    expect(stdout).toMatch(/✓ Plan refresh +succeeded +1s/);
    expect(stdout).toMatch(/▸ Restore temporary copy +running/);
    expect(doc).toHaveReceivedCommandWith(QueryCommand, {
      TableName: STACK.historyTableName,
      ExpressionAttributeValues: {
        ':target': 'app1-dev',
        ':from': '2026-05-01T09:59:00.000Z',
        ':arn': executionArn(RUN),
      },
    });
  });

  it('accepts the execution ARN and prints JSON with --json', async () => {
    sfn.on(DescribeExecutionCommand).resolves(execution('SUCCEEDED', { stopDate: at(30) }));
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [event(1, 'ExecutionStarted')] });

    const { code, stdout } = await dbrefresh('status', '--json', executionArn(RUN));

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      run: RUN,
      executionArn: executionArn(RUN),
      status: 'SUCCEEDED',
      target: 'app1-dev',
      elapsedSeconds: 30,
      record: null,
    });
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: executionArn(RUN) });
  });

  it('fails with exit 1 when there is no such run', async () => {
    sfn.on(DescribeExecutionCommand).rejects(
      Object.assign(new Error('Execution Does Not Exist'), {
        name: 'ExecutionDoesNotExist',
        $metadata: {},
      }),
    );

    const { code, stdout, stderr } = await dbrefresh('status', 'app1-dev-nope');

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `error: no run "app1-dev-nope" (execution ${executionArn('app1-dev-nope')}); check the name, or list recent runs with \`dbrefresh history\`\n`,
    );
  });

  it('fails with exit 1 when the run is neither a name nor an execution ARN', async () => {
    const { code, stderr } = await dbrefresh('status', 'app1 dev');

    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: "app1 dev" is not an execution name \(1 to 80 letters, digits/);
    expect(sfn).not.toHaveReceivedAnyCommand();
  });
});

describe('dbrefresh watch', () => {
  function capture(isTTY = false) {
    let stdout = '';
    return {
      output: { out: (text: string) => (stdout += text), err: () => undefined, isTTY },
      stdout: () => stdout,
    };
  }

  it('reads the execution until it ends, each time only the new history events', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce(execution('RUNNING'))
      .resolves(execution('SUCCEEDED', { stopDate: at(5) }));
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({
        events: [event(2, 'TaskStateEntered', 'Plan refresh'), event(1, 'ExecutionStarted')],
      })
      .resolves({
        events: [
          event(4, 'ExecutionSucceeded'),
          event(3, 'TaskStateEntered', 'Fix tags'),
          event(2, 'TaskStateEntered', 'Plan refresh'),
        ],
        nextToken: 'more',
      });
    const run = capture();

    const code = await watchCommand(RUN, { region: STACK.region }, run.output, {
      sleep: async () => undefined,
    });

    expect(code).toBe(0);
    expect(sfn).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 2);
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { reverseOrder: true });
    expect(run.stdout().split('\n')).toEqual([
      `Run ${RUN} started 2026-05-01 10:00:00Z`,
      '2026-05-01 10:00:02Z  Plan refresh: started',
      '2026-05-01 10:00:03Z  Plan refresh: succeeded in 1s',
      '2026-05-01 10:00:03Z  Fix tags: started',
      '2026-05-01 10:00:04Z  Fix tags: succeeded in 1s',
      `Refresh SUCCEEDED in 5s (run ${RUN})`,
      '',
    ]);
  });

  it('redraws the steps in place on a terminal', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce(execution('RUNNING'))
      .resolves(execution('FAILED', { stopDate: at(5), error: 'GuardError', cause: 'Target is production' }));
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [event(2, 'TaskStateEntered', 'Plan refresh'), event(1, 'ExecutionStarted')],
    });
    const run = capture(true);

    const code = await watchCommand(RUN, { region: STACK.region }, run.output, {
      sleep: async () => undefined,
    });

    expect(code).toBe(1);
    // Two lines drawn (the run and its step), then moved up over and cleared before the second drawing.
    expect(run.stdout()).toContain('\x1b[2A\x1b[0J');
    expect(run.stdout()).toContain('Error: GuardError: Target is production');
  });
});
