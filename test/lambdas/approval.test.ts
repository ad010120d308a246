import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { approvalCommands, executionName } from '../../lambdas/approval/approval-message';
import { type ApprovalServices, requestApproval } from '../../lambdas/approval/request-approval';
import {
  APPROVAL_STEP,
  approvalOutcome,
  type FinishServices,
  recordFailure,
  recordSuccess,
} from '../../lambdas/finish/record-outcome';
import { DbRefreshError } from '../../lambdas/shared/errors';
import type { Plan } from '../../lambdas/shared/run/plan';
import { APPROVAL_REJECTED, rejectionCause, rejectionOf } from '../../lambdas/shared/run/run-state';
import { rdsPlan, runState } from '../fixtures/plans';

const TABLE = 'dbrefresh-history';
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:dbrefresh';
const FILE_TOPIC = 'arn:aws:sns:eu-west-1:111122223333:app1-dev-changes';
const NOW = new Date('2026-11-21T03:00:20.000Z');
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAb-secret-token';
const RUN = 'run-1';

const ddb = mockClient(DynamoDBDocumentClient);
const snsMock = mockClient(SNSClient);
const services: ApprovalServices & FinishServices = {
  doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  sns: new SNSClient({ region: 'eu-west-1' }),
  table: TABLE,
  topicArn: TOPIC,
};

/** The test plan of a target protected by `protected: { approvers, timeoutHours: 8 }`. */
function protectedPlan(approvers = ['dba@example.com', 'lead@example.com']): Plan {
  const plan = rdsPlan();
  return {
    ...plan,
    file: { ...plan.file, notification: { topicArn: FILE_TOPIC } },
    steps: { ...plan.steps, approval: true },
    approval: { approvers, timeoutSeconds: 8 * 3600 },
  };
}

const APPROVED = { decision: 'approved', by: 'dba@example.com', at: '2026-11-21T04:10:00.000Z' } as const;
const REJECTED = {
  decision: 'rejected',
  by: 'lead@example.com',
  at: '2026-11-21T04:12:00.000Z',
  reason: 'UAT demo this afternoon',
} as const;

/** The one message published to `topicArn`. */
function published(topicArn = TOPIC): PublishCommandInput {
  const call = snsMock.commandCalls(PublishCommand).find((c) => c.args[0].input.TopicArn === topicArn);
  return call?.args[0].input ?? { Message: undefined };
}

/** The values the finish step set on the history item, by attribute name. */
function recorded(): Record<string, unknown> {
  const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
  const names = input?.ExpressionAttributeNames ?? {};
  const values = input?.ExpressionAttributeValues ?? {};
  return Object.fromEntries(
    Object.entries(names).map(([placeholder, name]) => [name, values[`:${placeholder.slice(1)}`]]),
  );
}

beforeEach(() => {
  ddb.reset();
  snsMock.reset();
  ddb.resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('requestApproval', () => {
  it('stores the pending approval with its token on the running record of the run', async () => {
    const plan = protectedPlan();

    const result = await requestApproval(services, { taskToken: TOKEN, plan }, NOW);

    expect(result).toEqual({ status: 'pending', run: RUN, expiresAt: '2026-11-21T11:00:20.000Z' });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: { target: 'app1-dev', runKey: `${plan.startedAt}#${plan.runId}` },
      UpdateExpression: 'SET #approval = :approval',
      ConditionExpression: '#status = :running AND #runId = :runId',
      ExpressionAttributeValues: {
        ':approval': {
          status: 'pending',
          approvers: ['dba@example.com', 'lead@example.com'],
          requestedAt: NOW.toISOString(),
          expiresAt: '2026-11-21T11:00:20.000Z',
          taskToken: TOKEN,
        },
        ':running': 'running',
        ':runId': plan.runId,
      },
    });
  });

  it('tells the stack topic and the file topic which target waits, who may approve, the commands and until when', async () => {
    await requestApproval(services, { taskToken: TOKEN, plan: protectedPlan() }, NOW);

    const message = published();
    expect(message.Subject).toBe('[dbrefresh] app1/development app1-dev: APPROVAL NEEDED');
    expect(message.Message).toContain(
      'The refresh of app1-dev (app1/development) from app1-prod waits for approval',
    );
    expect(message.Message).toContain('Who may approve: dba@example.com, lead@example.com');
    expect(message.Message).toContain(`Approve:         dbrefresh approve ${RUN}`);
    expect(message.Message).toContain(`Reject:          dbrefresh reject ${RUN} --reason "..."`);
    expect(message.Message).toContain('Waits until:     2026-11-21T11:00:20.000Z (8 h)');
    expect(message.MessageAttributes?.status).toEqual({ DataType: 'String', StringValue: 'approval-needed' });
    expect(published(FILE_TOPIC)).toEqual({ ...message, TopicArn: FILE_TOPIC });
  });

  it('never puts the task token in the notification', async () => {
    await requestApproval(services, { taskToken: TOKEN, plan: protectedPlan() }, NOW);

    expect(JSON.stringify(published())).not.toContain(TOKEN);
  });

  it('says anyone allowed may approve when the file names nobody', async () => {
    await requestApproval(services, { taskToken: TOKEN, plan: protectedPlan([]) }, NOW);

    expect(published().Message).toContain('Who may approve: anyone allowed to answer for this state machine');
  });

  it('replaces the stored token when the task is retried with a new one', async () => {
    const plan = protectedPlan();
    await requestApproval(services, { taskToken: TOKEN, plan }, NOW);

    await requestApproval(services, { taskToken: `${TOKEN}-2`, plan }, NOW);

    const tokens = ddb
      .commandCalls(UpdateCommand)
      .map(
        (call) =>
          (call.args[0].input.ExpressionAttributeValues?.[':approval'] as { taskToken?: string } | undefined)
            ?.taskToken,
      );
    expect(tokens).toEqual([TOKEN, `${TOKEN}-2`]);
    expect(published().Message).toContain(`dbrefresh approve ${RUN}`);
  });

  it('fails when the plan has no approval settings, storing and sending nothing', async () => {
    const attempt = requestApproval(services, { taskToken: TOKEN, plan: rdsPlan() }, NOW);

    await expect(attempt).rejects.toThrow(/no approval settings; "Wait for approval" runs only when/);
    expect(ddb).not.toHaveReceivedAnyCommand();
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it('fails when the run has no running record, sending nothing', async () => {
    ddb
      .on(UpdateCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    const attempt = requestApproval(services, { taskToken: TOKEN, plan: protectedPlan() }, NOW);

    await expect(attempt).rejects.toThrow(DbRefreshError);
    await expect(attempt).rejects.toThrow(/has no running history item app1-dev .* start the refresh again/);
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it('fails when the stack topic cannot be reached, so nobody waits for a request never sent', async () => {
    snsMock
      .on(PublishCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AuthorizationErrorException' }));

    await expect(requestApproval(services, { taskToken: TOKEN, plan: protectedPlan() }, NOW)).rejects.toThrow(
      'denied',
    );
  });
});

describe('approval commands', () => {
  it('names the run by its execution name', () => {
    expect(executionName('arn:aws:states:eu-west-1:111122223333:execution:DbRefresh:uat-weekly-42')).toBe(
      'uat-weekly-42',
    );
    expect(approvalCommands('uat-weekly-42')).toEqual({
      approve: 'dbrefresh approve uat-weekly-42',
      reject: 'dbrefresh reject uat-weekly-42 --reason "..."',
    });
  });
});

describe('rejectionCause and rejectionOf', () => {
  it('carries the decision through the cause of the failed task, with a readable message', () => {
    const cause = rejectionCause(REJECTED);

    expect(JSON.parse(cause).errorMessage).toBe(
      'Rejected by lead@example.com at 2026-11-21T04:12:00.000Z: UAT demo this afternoon',
    );
    expect(rejectionOf({ Error: APPROVAL_REJECTED, Cause: cause })).toEqual(REJECTED);
  });

  it.each([
    ['another error', { Error: 'States.Timeout', Cause: rejectionCause(REJECTED) }],
    ['a cause that is no JSON', { Error: APPROVAL_REJECTED, Cause: 'rejected' }],
    ['a cause without a decision', { Error: APPROVAL_REJECTED, Cause: '{"errorMessage":"x"}' }],
    ['no error', undefined],
  ])('finds no rejection in %s', (_what, caught) => {
    expect(rejectionOf(caught)).toBeUndefined();
  });
});

describe('approvalOutcome', () => {
  const plan = protectedPlan();
  const approvers = ['dba@example.com', 'lead@example.com'];

  it.each([
    ['approved', { approval: APPROVED }, { status: 'approved', approvers, by: APPROVED.by, at: APPROVED.at }],
    [
      'rejected',
      { error: { Error: APPROVAL_REJECTED, Cause: rejectionCause(REJECTED) }, failedStep: APPROVAL_STEP },
      { status: 'rejected', approvers, by: REJECTED.by, at: REJECTED.at, reason: REJECTED.reason },
    ],
    [
      'expired',
      { error: { Error: 'States.Timeout' }, failedStep: APPROVAL_STEP },
      { status: 'expired', approvers },
    ],
    [
      'rejected by hand, without who or why',
      { error: { Error: APPROVAL_REJECTED, Cause: 'no' }, failedStep: APPROVAL_STEP },
      { status: 'rejected', approvers },
    ],
    [
      'undecided',
      { error: { Error: 'Lambda.Unknown', Cause: 'boom' }, failedStep: APPROVAL_STEP },
      { status: 'undecided', approvers },
    ],
  ])('records %s', (_status, event, expected) => {
    expect(approvalOutcome(plan, event)).toEqual(expected);
  });

  it('records nothing for a target that is not protected', () => {
    expect(approvalOutcome(rdsPlan(), { approval: APPROVED })).toBeUndefined();
  });
});

describe('finishing a protected target', () => {
  it('records who approved a successful refresh, replacing the pending request and its token', async () => {
    const plan = protectedPlan();

    await recordSuccess(services, { ...runState(plan), approval: APPROVED }, NOW);

    expect(recorded().approval).toEqual({
      status: 'approved',
      approvers: ['dba@example.com', 'lead@example.com'],
      by: 'dba@example.com',
      at: '2026-11-21T04:10:00.000Z',
    });
    expect(published().Message).toContain(
      'Approval:        approved by dba@example.com at 2026-11-21T04:10:00.000Z',
    );
  });

  it('records a rejection with who rejected it and why, and says nothing was changed', async () => {
    const event = {
      ...runState(protectedPlan()),
      failedStep: APPROVAL_STEP,
      error: { Error: APPROVAL_REJECTED, Cause: rejectionCause(REJECTED) },
    };

    const result = await recordFailure(services, event, NOW);

    expect(result).toEqual({
      status: 'failed',
      error: APPROVAL_REJECTED,
      cause: 'Rejected by lead@example.com at 2026-11-21T04:12:00.000Z: UAT demo this afternoon',
    });
    expect(recorded()).toMatchObject({
      status: 'failed',
      failedStep: APPROVAL_STEP,
      rolledBack: false,
      approval: { status: 'rejected', by: 'lead@example.com', reason: 'UAT demo this afternoon' },
    });
    expect(published().Message).toContain(
      'The refresh of app1-dev (app1/development) from app1-prod was rejected by lead@example.com; nothing was changed.',
    );
  });

  it('records a timed-out approval with the hours it waited', async () => {
    const event = {
      ...runState(protectedPlan()),
      failedStep: APPROVAL_STEP,
      error: { Error: 'States.Timeout', Cause: '' },
    };

    const result = await recordFailure(services, event, NOW);

    expect(result.cause).toBe(
      'No approval within 8 hours; nothing was changed. Start the refresh again to ask again',
    );
    expect(recorded()).toMatchObject({ error: 'States.Timeout', approval: { status: 'expired' } });
    expect(published().Message).toContain('was not approved in time; nothing was changed.');
  });
});

describe('approval handler', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the handler module is loaded once the environment is set
  let approval: any;

  beforeAll(async () => {
    process.env.HISTORY_TABLE_NAME = TABLE;
    process.env.NOTIFICATION_TOPIC_ARN = TOPIC;
    approval = await import('../../lambdas/approval/handler');
  });

  it('parses the token and the plan, and asks for the approval', async () => {
    const result = await approval.handler({ taskToken: TOKEN, plan: protectedPlan() });

    expect(result).toMatchObject({ status: 'pending', run: RUN });
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  it('rejects an event without a task token, storing nothing', async () => {
    await expect(approval.handler({ plan: protectedPlan() })).rejects.toThrow();
    expect(ddb).not.toHaveReceivedAnyCommand();
  });
});
