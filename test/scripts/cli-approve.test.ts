import {
  DescribeExecutionCommand,
  type ExecutionStatus,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { APPROVAL_REJECTED, rejectionOf } from '../../lambdas/shared/run/run-state';
import { app1DevFile, CALLER_ARN, dbrefresh, executionArn, mockStack, STACK } from './cli-harness';

const stack = mockStack();
const sfn = mockClient(SFNClient);
const doc = mockClient(DynamoDBDocumentClient);

const RUN = 'app1-dev-3f9a1c2b7d4e';
const ARN = executionArn(RUN);
const TOKEN = 'token-of-the-approval-task';
const STARTED = new Date('2026-11-21T03:00:00.000Z');

const awsError = (name: string, message = name) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

function execution(status: ExecutionStatus = 'RUNNING') {
  return {
    executionArn: ARN,
    name: RUN,
    status,
    startDate: STARTED,
    input: JSON.stringify({
      refreshFile: { ...app1DevFile(), protected: { approvers: ['dba@example.com'] } },
      requestedBy: 'scheduler',
    }),
  };
}

function record(approval?: Record<string, unknown>) {
  return {
    target: 'app1-dev',
    runKey: `${STARTED.toISOString()}#abcd1234`,
    executionArn: ARN,
    status: 'running',
    ...(approval && { approval }),
  };
}

const PENDING = {
  status: 'pending',
  approvers: ['dba@example.com'],
  requestedAt: '2026-11-21T03:00:10.000Z',
  expiresAt: '2026-11-22T03:00:10.000Z',
  taskToken: TOKEN,
};

beforeEach(() => {
  stack.reset();
  sfn.reset();
  doc.reset();
  sfn.on(DescribeExecutionCommand).resolves(execution());
  sfn.on(SendTaskSuccessCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});
  doc.on(QueryCommand).resolves({ Items: [record(PENDING)] });
  doc.on(UpdateCommand).resolves({});
});

describe('dbrefresh approve', () => {
  it("answers the run's task token with the decision, who made it and when", async () => {
    const { code, stdout } = await dbrefresh('approve', RUN, '--by', 'dba@example.com');

    expect(code).toBe(0);
    const output = JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output ?? '{}');
    expect(output).toEqual({ decision: 'approved', by: 'dba@example.com', at: expect.any(String) });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: TOKEN });
    expect(stdout).toContain(`Approved run ${RUN}: the refresh of app1-dev goes on.`);
    expect(stdout).toContain('Approved by  dba@example.com');
    expect(stdout).toContain(`Follow it: dbrefresh watch ${RUN}`);
  });

  it("finds the run's history record by its target and execution ARN", async () => {
    await dbrefresh('approve', RUN, '--by', 'dba@example.com');

    expect(doc).toHaveReceivedCommandWith(QueryCommand, {
      TableName: STACK.historyTableName,
      ExpressionAttributeValues: expect.objectContaining({ ':target': 'app1-dev', ':arn': ARN }),
    });
  });

  it('marks the request decided on the record and drops its token, only while it is still pending', async () => {
    await dbrefresh('approve', RUN, '--by', 'dba@example.com');

    expect(doc).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: STACK.historyTableName,
      Key: { target: 'app1-dev', runKey: `${STARTED.toISOString()}#abcd1234` },
      UpdateExpression: expect.stringContaining('REMOVE #approval.#token'),
      ConditionExpression: '#approval.#a0 = :pending AND #approval.#token = :token',
      ExpressionAttributeValues: expect.objectContaining({
        ':pending': 'pending',
        ':token': TOKEN,
        ':a0': 'approved',
        ':a1': 'dba@example.com',
      }),
    });
  });

  it('prints the decision as JSON with --json', async () => {
    const { code, stdout } = await dbrefresh('approve', RUN, '--by', 'dba@example.com', '--json');

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      run: RUN,
      executionArn: ARN,
      target: 'app1-dev',
      decision: 'approved',
      by: 'dba@example.com',
      at: expect.any(String),
    });
  });

  it('records the caller identity (STS) when --by is not given', async () => {
    await dbrefresh('approve', RUN);

    const output = JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output ?? '{}');
    expect(output.by).toBe(CALLER_ARN);
  });

  it('notes an approver the refresh file does not name, and still delivers the decision', async () => {
    const { code, stderr } = await dbrefresh('approve', RUN, '--by', 'intern@example.com');

    expect(code).toBe(0);
    expect(stderr).toContain(
      'intern@example.com is not among the approvers the refresh file names (dba@example.com)',
    );
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });

  it('succeeds when the record cannot be marked, saying the run records the decision when it ends', async () => {
    doc.on(UpdateCommand).rejects(awsError('AccessDeniedException'));

    const { code, stderr } = await dbrefresh('approve', RUN, '--by', 'dba@example.com');

    expect(code).toBe(0);
    expect(stderr).toContain('the decision was delivered, but the history record could not be marked');
  });

  it('rejects an unknown run, answering nothing', async () => {
    sfn.on(DescribeExecutionCommand).rejects(awsError('ExecutionDoesNotExist'));

    const { code, stderr } = await dbrefresh('approve', 'no-such-run');

    expect(code).toBe(1);
    expect(stderr).toContain('error: no run "no-such-run"');
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('rejects a run that has ended', async () => {
    sfn.on(DescribeExecutionCommand).resolves(execution('FAILED'));
    doc.on(QueryCommand).resolves({
      Items: [record({ status: 'expired', approvers: ['dba@example.com'] })],
    });

    const { code, stderr } = await dbrefresh('approve', RUN);

    expect(code).toBe(1);
    expect(stderr).toContain(`error: run ${RUN} has ended (FAILED), so it waits for no approval`);
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('rejects a run that does not wait for approval', async () => {
    doc.on(QueryCommand).resolves({ Items: [record()] });

    const { code, stderr } = await dbrefresh('approve', RUN);

    expect(code).toBe(1);
    expect(stderr).toContain(`error: run ${RUN} (target app1-dev) does not wait for approval`);
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('rejects a run whose history record is not written yet', async () => {
    doc.on(QueryCommand).resolves({ Items: [] });

    const { code, stderr } = await dbrefresh('approve', RUN);

    expect(code).toBe(1);
    expect(stderr).toContain('has no history record yet');
  });

  it('rejects a run already decided, naming who decided', async () => {
    doc.on(QueryCommand).resolves({
      Items: [
        record({
          status: 'approved',
          approvers: ['dba@example.com'],
          by: 'dba@example.com',
          at: '2026-11-21T03:05:00.000Z',
        }),
      ],
    });

    const { code, stderr } = await dbrefresh('approve', RUN);

    expect(code).toBe(1);
    expect(stderr).toContain(
      `error: run ${RUN} was already decided; it was approved by dba@example.com at 2026-11-21T03:05:00.000Z`,
    );
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('rejects a request that expired or was answered meanwhile, marking nothing', async () => {
    sfn
      .on(SendTaskSuccessCommand)
      .rejects(awsError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'"));

    const { code, stderr } = await dbrefresh('approve', RUN, '--by', 'dba@example.com');

    expect(code).toBe(1);
    expect(stderr).toContain(
      `error: the approval request of run ${RUN} is no longer open (TaskTimedOut): it was answered already, or it expired at 2026-11-22T03:00:10.000Z`,
    );
    expect(doc).not.toHaveReceivedCommand(UpdateCommand);
  });
});

describe('dbrefresh reject', () => {
  it('fails the task with ApprovalRejected, carrying who rejected it and why', async () => {
    const { code, stdout } = await dbrefresh(
      'reject',
      RUN,
      '--reason',
      'UAT demo today',
      '--by',
      'dba@example.com',
    );

    expect(code).toBe(0);
    const input = sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ taskToken: TOKEN, error: APPROVAL_REJECTED });
    expect(rejectionOf({ Error: input?.error ?? '', Cause: input?.cause })).toEqual({
      decision: 'rejected',
      by: 'dba@example.com',
      at: expect.any(String),
      reason: 'UAT demo today',
    });
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(stdout).toContain(`Rejected run ${RUN}: the refresh of app1-dev stops; nothing was changed.`);
    expect(stdout).toContain('Reason       UAT demo today');
  });

  it('rejects a rejection without a reason, answering nothing', async () => {
    const { code, stderr } = await dbrefresh('reject', RUN);

    expect(code).toBe(1);
    expect(stderr).toContain("required option '--reason <text>' not specified");
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it('rejects a blank reason, answering nothing', async () => {
    const { code, stderr } = await dbrefresh('reject', RUN, '--reason', '  ');

    expect(code).toBe(1);
    expect(stderr).toContain('give a reason');
    expect(sfn).not.toHaveReceivedAnyCommand();
  });
});
