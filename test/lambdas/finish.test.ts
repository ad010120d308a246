import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  describeError,
  type FinishServices,
  recordFailure,
  recordSuccess,
  stepDurations,
} from '../../lambdas/finish/record-outcome';
import { refreshFileNames } from '../../lambdas/finish/refresh-file-names';
import {
  executionConsoleUrl,
  notificationAttributes,
  notificationMessage,
  notificationSubject,
  type RunReport,
} from '../../lambdas/shared/notification';
import { runIdOf } from '../../lambdas/shared/run/run-id';
import { awsError } from '../fixtures/aws-errors';
import { auroraPlan, rdsPlan, runState } from '../fixtures/plans';

const TABLE = 'dbrefresh-history';
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:dbrefresh';
const FILE_TOPIC = 'arn:aws:sns:eu-west-1:444455556666:app1-team';
const NOW = new Date('2026-11-21T03:42:05.000Z');
const CONSOLE_URL =
  'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/' +
  'arn:aws:states:eu-west-1:111122223333:execution:dbrefresh:run-1';

const ddb = mockClient(DynamoDBDocumentClient);
const snsMock = mockClient(SNSClient);
const services: FinishServices = {
  doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  sns: new SNSClient({ region: 'eu-west-1' }),
  table: TABLE,
  topicArn: TOPIC,
};

/** What the scripts step left in its poll state: counts per file, never rows. */
const SCRIPT_RESULTS = [
  { file: '01-mask.sql', statements: 40, rowsAffected: 1200, seconds: 812.4 },
  { file: '02-clean.sql', statements: 2, rowsAffected: 35, seconds: 1.2 },
];
const scriptsPoll = {
  startedAt: '2026-11-21T03:22:00.000Z',
  deadline: '2026-11-21T09:22:00.000Z',
  waitSeconds: 0,
  attempt: 3,
  done: true,
  finishedAt: '2026-11-21T03:36:00.000Z',
  position: 42,
  results: SCRIPT_RESULTS,
};

const polls = {
  restore: {
    startedAt: '2026-11-21T03:01:00.000Z',
    deadline: '2026-11-21T05:01:00.000Z',
    waitSeconds: 0,
    attempt: 4,
    done: true,
    finishedAt: '2026-11-21T03:21:30.000Z',
  },
  swap: {
    startedAt: '2026-11-21T03:30:00.000Z',
    deadline: '2026-11-21T04:30:00.000Z',
    waitSeconds: 15,
    attempt: 1,
    done: false,
  },
};

/** A refresh file that passes validation: what the plan step refuses it for is elsewhere (guard, lock). */
const VALID_FILE = {
  application: 'app1',
  environment: 'development',
  service: 'rds',
  source: { instance: 'app1-prod' },
  target: { instance: 'App1-Dev' },
  restore: { type: 'latestpoint' },
};
const EXECUTION = {
  arn: 'arn:aws:states:eu-west-1:111122223333:execution:dbrefresh:run-1',
  startTime: '2026-11-21T03:00:00.000Z',
};
const RUN_ID = runIdOf(EXECUTION.arn);

function lambdaCause(message: string): string {
  return JSON.stringify({ errorType: 'TerminalStateError', errorMessage: message, trace: ['at check'] });
}

function publishedMessage(call = 0): { Subject?: string; Message?: string; TopicArn?: string } {
  return snsMock.commandCalls(PublishCommand)[call]?.args[0].input ?? {};
}

beforeEach(() => {
  ddb.reset();
  snsMock.reset();
  ddb.on(UpdateCommand).resolves({});
  ddb.on(DeleteCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('stepDurations', () => {
  it('is the seconds each finished poll took, keyed by poll', () => {
    expect(stepDurations(polls)).toEqual({ restore: 1230 });
  });
});

describe('describeError', () => {
  it('keeps the message of a Lambda error', () => {
    expect(
      describeError({ Error: 'TerminalStateError', Cause: lambdaCause('x is in terminal state') }),
    ).toEqual({
      error: 'TerminalStateError',
      cause: 'x is in terminal state',
    });
  });

  it('keeps a cause that is not a Lambda error as it is', () => {
    expect(describeError({ Error: 'States.Timeout', Cause: 'The task timed out' })).toEqual({
      error: 'States.Timeout',
      cause: 'The task timed out',
    });
  });

  it('cuts a long cause to 1000 characters', () => {
    const { cause } = describeError({ Error: 'ScriptError', Cause: lambdaCause('y'.repeat(5000)) });

    expect(cause).toHaveLength(1000);
    expect(cause.endsWith('...')).toBe(true);
  });

  it('names an unknown error when the state machine caught none', () => {
    expect(describeError(undefined)).toEqual({ error: 'UnknownError', cause: 'No cause was reported' });
  });
});

describe('refreshFileNames', () => {
  it('reads a valid file through the refresh model, with the target as the plan names it', () => {
    expect(refreshFileNames(VALID_FILE, NOW)).toEqual({
      application: 'app1',
      environment: 'development',
      target: 'app1-dev',
      source: 'app1-prod',
    });
  });

  it('reads a valid per-step file through the refresh model', () => {
    const perStep = JSON.parse(
      readFileSync(join(__dirname, '../../refresh-files/blog-per-step-rds-mysql.json'), 'utf8'),
    );

    expect(refreshFileNames(perStep, NOW)).toEqual({
      application: 'app1',
      environment: 'development',
      target: 'mysqlinstd',
      source: 'mysqlinstp',
    });
  });

  it('reads the strings of an invalid concise file', () => {
    expect(
      refreshFileNames(
        { application: 'app2', environment: 'test', target: { cluster: 'App2-Test' }, restore: 'soon' },
        NOW,
      ),
    ).toEqual({ application: 'app2', environment: 'test', target: 'app2-test', source: undefined });
  });

  it('reads the strings of an invalid per-step file', () => {
    const file = {
      restore: {
        dbservice: 'aurora',
        sourcecluster: 'app2-prod',
        targetcluster: 'app2-test',
        application: 'app2',
        environment: 'test',
        restoretype: 'sometime',
      },
    };

    expect(refreshFileNames(file, NOW)).toEqual({
      application: 'app2',
      environment: 'test',
      target: 'app2-test',
      source: 'app2-prod',
    });
  });

  it.each([undefined, 'not a file', ['app1-dev'], { application: 3, target: 'app1-dev' }])(
    'names nothing that %p does not give',
    (refreshFile) => {
      expect(refreshFileNames(refreshFile, NOW)).toEqual({
        application: undefined,
        environment: undefined,
        target: undefined,
        source: undefined,
      });
    },
  );
});

describe('notificationSubject', () => {
  it('names the application, environment, target and outcome', () => {
    const report: RunReport = {
      status: 'succeeded',
      application: 'app1',
      environment: 'development',
      target: 'app1-dev',
      finishedAt: NOW.toISOString(),
      durations: {},
    };

    expect(notificationSubject(report)).toBe('[dbrefresh] app1/development app1-dev: SUCCEEDED');
  });

  it('cuts a long subject to 99 ASCII characters (SNS wants fewer than 100), keeping the outcome', () => {
    const report: RunReport = {
      status: 'failed',
      application: 'app1',
      environment: 'développement',
      target: `app1-${'x'.repeat(120)}`,
      finishedAt: NOW.toISOString(),
      durations: {},
    };

    const subject = notificationSubject(report);

    expect(subject).toHaveLength(99);
    expect(subject).toMatch(/^\[dbrefresh\] app1\/d\?veloppement app1-x+\.\.\.: FAILED$/);
  });
});

describe('notificationMessage', () => {
  it('tells a success in words, then the same facts as JSON after ---', () => {
    const plan = rdsPlan();
    const report: RunReport = {
      status: 'succeeded',
      application: 'app1',
      environment: 'development',
      target: 'app1-dev',
      plan,
      finishedAt: NOW.toISOString(),
      durations: { restore: 1230 },
    };

    const [body, json] = notificationMessage(report).split('\n---\n');

    expect(body).toContain('app1-dev (app1/development) was refreshed from app1-prod.');
    expect(body).toContain('Data aligned to: 2026-11-21T02:55:00.000Z (latestpoint)');
    expect(body).toContain('Duration:        42 min 5 s');
    expect(body).toContain('Step durations:  restore 20 min 30 s');
    expect(body).toContain(`Execution:       ${CONSOLE_URL}`);
    expect(JSON.parse(json ?? '')).toMatchObject({
      status: 'succeeded',
      target: 'app1-dev',
      source: 'app1-prod',
      restorePoint: '2026-11-21T02:55:00.000Z',
      durationSeconds: 2525,
      durations: { restore: 1230 },
      runId: 'ab12cd34',
      consoleUrl: CONSOLE_URL,
    });
  });

  it('tells which step failed, why, and that the target was rolled back', () => {
    const report: RunReport = {
      status: 'failed',
      application: 'app2',
      environment: 'test',
      target: 'app2-test',
      plan: auroraPlan(),
      finishedAt: NOW.toISOString(),
      durations: {},
      failedStep: 'Restore temporary copy',
      error: 'TerminalStateError',
      cause: 'app2-test-new-ab12cd34 is in terminal state "incompatible-restore"',
      rolledBack: true,
    };

    const message = notificationMessage(report);

    expect(message).toContain('The refresh of app2-test (app2/test) from app2-prod failed.');
    expect(message).toContain('Failed step:     Restore temporary copy');
    expect(message).toContain('Error:           TerminalStateError');
    expect(message).toContain(
      'Cause:           app2-test-new-ab12cd34 is in terminal state "incompatible-restore"',
    );
    expect(message).toContain('Rolled back:     yes, the target keeps its previous data');
  });

  it('carries nothing about the admin password', () => {
    const message = notificationMessage({
      status: 'succeeded',
      application: 'app1',
      environment: 'development',
      target: 'app1-dev',
      plan: rdsPlan(),
      finishedAt: NOW.toISOString(),
      durations: {},
    });

    expect(message).not.toMatch(/password/i);
  });
});

describe('notificationAttributes', () => {
  it('gives application, environment, target and status for subscription filters', () => {
    const attributes = notificationAttributes({
      status: 'failed',
      application: 'app1',
      environment: 'development',
      target: 'app1-dev',
      finishedAt: NOW.toISOString(),
      durations: {},
    });

    expect(attributes).toEqual({
      application: { DataType: 'String', StringValue: 'app1' },
      environment: { DataType: 'String', StringValue: 'development' },
      target: { DataType: 'String', StringValue: 'app1-dev' },
      status: { DataType: 'String', StringValue: 'failed' },
    });
  });
});

describe('executionConsoleUrl', () => {
  it('links the execution in its own region', () => {
    expect(executionConsoleUrl('arn:aws:states:eu-west-1:111122223333:execution:dbrefresh:run-1')).toBe(
      CONSOLE_URL,
    );
  });

  it('is undefined for a value that is not an ARN', () => {
    expect(executionConsoleUrl('run-1')).toBeUndefined();
  });
});

describe('recordSuccess', () => {
  it('records the durations, releases the lock and notifies', async () => {
    const event = runState(rdsPlan(), { polls });

    const result = await recordSuccess(services, event, NOW);

    expect(result).toEqual({ status: 'succeeded', notified: true });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: { target: 'app1-dev', runKey: '2026-11-21T03:00:00.000Z#ab12cd34' },
    });
    const values = Object.values(
      ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {},
    );
    expect(values).toEqual(expect.arrayContaining(['succeeded', NOW.toISOString(), { restore: 1230 }]));
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { target: 'lock#app1-dev', runKey: 'lock' },
      ExpressionAttributeValues: { ':runId': 'ab12cd34' },
    });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: '[dbrefresh] app1/development app1-dev: SUCCEEDED',
      MessageAttributes: expect.objectContaining({
        status: { DataType: 'String', StringValue: 'succeeded' },
      }),
    });
  });

  it('records and notifies a run whose rotation failed after the swap as succeeded, with the rotation error as a warning', async () => {
    // given the rotation timed out after the swap, and the undo set the password back
    const event = {
      ...runState(rdsPlan(), { polls }),
      rotationError: {
        Error: 'PollTimeoutError',
        Cause: JSON.stringify({
          errorType: 'PollTimeoutError',
          errorMessage: 'Rotation of secret x did not finish',
        }),
      },
    };

    // when
    const result = await recordSuccess(services, event, NOW);

    // then
    expect(result).toEqual({ status: 'succeeded', notified: true, warnings: ['Rotate secret'] });
    const values = ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {};
    expect(Object.values(values)).toContain('succeeded');
    expect(Object.values(values)).toContainEqual([
      {
        step: 'Rotate secret',
        error: 'PollTimeoutError',
        cause: 'Rotation of secret x did not finish',
        outcome: expect.stringContaining(
          'The refresh is kept: app1-dev serves the refreshed data, with the password of the current version of secret /development/app1/app1-dev',
        ),
      },
    ]);
    const published = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(published).toMatchObject({
      Subject: '[dbrefresh] app1/development app1-dev: SUCCEEDED',
      MessageAttributes: expect.objectContaining({
        status: { DataType: 'String', StringValue: 'succeeded' },
      }),
    });
    expect(published?.Message).toContain(
      'app1-dev (app1/development) was refreshed from app1-prod, with a warning.',
    );
    expect(published?.Message).toContain(
      'Warning:         Rotate secret failed (PollTimeoutError): Rotation of secret x did not finish The refresh is kept',
    );
    expect(published?.Message).toContain('"warnings": [');
  });

  it('warns that the password may not match its secret when the undo of a failed rotation failed too', async () => {
    const event = {
      ...runState(rdsPlan()),
      rotationError: { Error: 'GuardError', Cause: 'refused' },
      rotationUndoError: { Error: 'States.Timeout', Cause: '' },
    };

    const result = await recordSuccess(services, event, NOW);

    expect(result.warnings).toEqual(['Rotate secret', 'Undo failed rotation']);
    const published = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(published?.Message).toContain('with 2 warnings.');
    expect(published?.Message).toContain(
      'Undo failed rotation failed (States.Timeout): No cause was reported The password of app1-dev may not be the one',
    );
  });

  it("names the RDS-managed secret in a managed password's rotation warning", async () => {
    const plan = rdsPlan({ adminPassword: { ...rdsPlan().adminPassword, managed: true } });

    await recordSuccess(
      services,
      { ...runState(plan), rotationError: { Error: 'GuardError', Cause: 'x' } },
      NOW,
    );

    expect(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message).toContain(
      'with the password of the current version of the RDS-managed secret of app1-dev',
    );
  });

  it("also notifies the refresh file's topic", async () => {
    const plan = rdsPlan();
    const event = runState(rdsPlan({ file: { ...plan.file, notification: { topicArn: FILE_TOPIC } } }));

    await recordSuccess(services, event, NOW);

    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC });
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { TopicArn: FILE_TOPIC });
  });

  it("still succeeds when the refresh file's topic cannot be reached", async () => {
    const plan = rdsPlan();
    const event = runState(rdsPlan({ file: { ...plan.file, notification: { topicArn: FILE_TOPIC } } }));
    snsMock
      .on(PublishCommand, { TopicArn: FILE_TOPIC })
      .rejects(new Error('AuthorizationError: not allowed'));

    await expect(recordSuccess(services, event, NOW)).resolves.toEqual({
      status: 'succeeded',
      notified: true,
    });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 2);
  });

  it('stays a success, not notified, when the main topic refuses the notification after recording and releasing', async () => {
    snsMock
      .on(PublishCommand)
      .rejects(awsError('KMSAccessDeniedException', 'no access to the key of the topic'));

    const result = await recordSuccess(services, runState(rdsPlan()), NOW);

    expect(result).toEqual({ status: 'succeeded', notified: false });
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    const values = Object.values(
      ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {},
    );
    expect(values).toContain('succeeded');
    expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 1);
  });

  it('fails when publishing is throttled, so the state machine retries the step', async () => {
    snsMock.on(PublishCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));

    await expect(recordSuccess(services, runState(rdsPlan()), NOW)).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 1);
  });

  it('records and releases again without failing when the step is retried', async () => {
    const event = runState(rdsPlan(), { polls });
    ddb.on(DeleteCommand).rejects(new ConditionalCheckFailedException({ message: 'gone', $metadata: {} }));

    const result = await recordSuccess(services, event, NOW);

    expect(result).toEqual({ status: 'succeeded', notified: true });
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  it('records what each script did as scripts, and tells it in the notification', async () => {
    const event = runState(rdsPlan(), { polls: { ...polls, scripts: scriptsPoll } });

    await recordSuccess(services, event, NOW);

    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    const names = Object.entries(input?.ExpressionAttributeNames ?? {});
    const placeholder = names.find(([, name]) => name === 'scripts')?.[0].replace('#', ':') ?? '';
    expect(input?.ExpressionAttributeValues?.[placeholder]).toEqual(SCRIPT_RESULTS);
    const [body, json] = (publishedMessage().Message ?? '').split('\n---\n');
    expect(body).toContain('Scripts:         2 file(s), 42 statement(s), 1235 row(s) changed');
    expect(JSON.parse(json ?? '')).toMatchObject({ scripts: SCRIPT_RESULTS });
  });

  it('records no scripts attribute for a run without scripts', async () => {
    await recordSuccess(services, runState(rdsPlan(), { polls }), NOW);

    const names = Object.values(
      ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeNames ?? {},
    );
    expect(names).not.toContain('scripts');
    expect(publishedMessage().Message).not.toContain('Scripts:');
  });
});

describe('recordFailure', () => {
  it('records the results of the scripts that ran before the failure', async () => {
    const scripts = {
      ...scriptsPoll,
      done: false,
      finishedAt: undefined,
      results: SCRIPT_RESULTS.slice(0, 1),
    };
    const event = {
      ...runState(rdsPlan(), { polls: { ...polls, scripts } }),
      failedStep: 'Run scripts',
      error: { Error: 'ScriptError', Cause: lambdaCause('02-clean.sql: statement 1 (line 1) failed') },
    };

    await recordFailure(services, event, NOW);

    const values = Object.values(
      ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {},
    );
    expect(values).toContainEqual(SCRIPT_RESULTS.slice(0, 1));
  });

  it('keeps the warning of a rotation that failed before a later step failed', async () => {
    const event = {
      ...runState(rdsPlan()),
      rotationError: { Error: 'PollTimeoutError', Cause: 'Rotation of secret x did not finish' },
      failedStep: 'Retire old target',
      error: { Error: 'InvalidParameterCombination', Cause: 'refused' },
    };

    await recordFailure(services, event, NOW);

    const values = Object.values(
      ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {},
    );
    expect(values).toContainEqual([
      expect.objectContaining({ step: 'Rotate secret', error: 'PollTimeoutError' }),
    ]);
    expect(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message).toContain(
      'Warning:         Rotate secret failed (PollTimeoutError): Rotation of secret x did not finish',
    );
  });

  it('records the failed step, error and rollback, releases the lock and notifies', async () => {
    const rollback = { ...polls.restore, done: true };
    const event = {
      ...runState(rdsPlan(), { polls: { ...polls, rollback } }),
      failedStep: 'Swap target',
      error: {
        Error: 'TerminalStateError',
        Cause: lambdaCause('app1-dev-old-ab12cd34 is in terminal state "failed"'),
      },
    };

    const result = await recordFailure(services, event, NOW);

    expect(result).toEqual({
      status: 'failed',
      error: 'TerminalStateError',
      cause: 'app1-dev-old-ab12cd34 is in terminal state "failed"',
    });
    const values = Object.values(
      ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {},
    );
    expect(values).toEqual(
      expect.arrayContaining([
        'failed',
        'Swap target',
        'TerminalStateError',
        'app1-dev-old-ab12cd34 is in terminal state "failed"',
        true,
      ]),
    );
    expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 1);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: '[dbrefresh] app1/development app1-dev: FAILED',
    });
    expect(publishedMessage().Message).toContain('Failed step:     Swap target');
  });

  it('reports a failed rollback in the cause and does not claim the target was rolled back', async () => {
    const event = {
      ...runState(rdsPlan(), { polls }),
      failedStep: 'Swap names',
      error: { Error: 'TerminalStateError', Cause: lambdaCause('swap failed') },
      rollbackError: { Error: 'PollTimeoutError', Cause: lambdaCause('Roll back did not finish') },
    };

    await recordFailure(services, event, NOW);

    const values = Object.values(
      ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {},
    );
    expect(values).toEqual(
      expect.arrayContaining([
        'swap failed | Rollback failed too (PollTimeoutError): Roll back did not finish',
        false,
      ]),
    );
  });

  it('marks a failure of the plan step as not rolled back', async () => {
    const event = { ...runState(rdsPlan()), failedStep: 'Plan refresh', error: { Error: 'GuardError' } };

    await recordFailure(services, event, NOW);

    const values = Object.values(
      ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {},
    );
    expect(values).toContain(false);
    expect(values).not.toContain(true);
  });

  it('records a failed plan as a failed run of its own, leaves the lock alone and links the execution', async () => {
    const event = {
      refreshFile: VALID_FILE,
      requestedBy: 'alice',
      failedStep: 'Plan refresh',
      execution: EXECUTION,
      error: {
        Error: 'TargetLockedError',
        Cause: JSON.stringify({
          errorType: 'TargetLockedError',
          errorMessage: 'Target app1-dev is being refreshed',
        }),
      },
    };

    const result = await recordFailure(services, event, NOW);

    expect(result).toEqual({
      status: 'failed',
      error: 'TargetLockedError',
      cause: 'Target app1-dev is being refreshed',
    });
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: {
        target: 'app1-dev',
        runKey: `2026-11-21T03:00:00.000Z#${RUN_ID}`,
        runId: RUN_ID,
        application: 'app1',
        environment: 'development',
        applicationEnvironment: 'app1#development',
        source: 'app1-prod',
        status: 'failed',
        failedStep: 'Plan refresh',
        error: 'TargetLockedError',
        cause: 'Target app1-dev is being refreshed',
        rolledBack: false,
        executionArn: EXECUTION.arn,
        requestedBy: 'alice',
        startedAt: '2026-11-21T03:00:00.000Z',
        finishedAt: NOW.toISOString(),
      },
      ConditionExpression: 'attribute_not_exists(#runKey)',
    });
    expect(ddb).not.toHaveReceivedCommand(DeleteCommand);
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: '[dbrefresh] app1/development app1-dev: FAILED',
    });
    const message = publishedMessage().Message ?? '';
    expect(message).toContain(
      'The refresh of app1-dev (app1/development) failed before it started; nothing was changed.',
    );
    expect(message).toContain('Cause:           Target app1-dev is being refreshed');
    expect(message).toContain('Requested by:    alice');
    expect(message).toContain(`Execution:       ${CONSOLE_URL}`);
  });

  it('keys the record by the start time as the plan step writes it', async () => {
    const event = {
      refreshFile: VALID_FILE,
      execution: { ...EXECUTION, startTime: '2026-11-21T04:00:00+01:00' },
      error: { Error: 'GuardError', Cause: 'protected' },
    };

    await recordFailure(services, event, NOW);

    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        runKey: `2026-11-21T03:00:00.000Z#${RUN_ID}`,
        startedAt: '2026-11-21T03:00:00.000Z',
        requestedBy: 'unknown',
        failedStep: 'Plan refresh',
      }),
    });
  });

  it('records an invalid file under the target it names, without what it does not name', async () => {
    const event = {
      refreshFile: { application: 'app1', target: { instance: 'app1-dev' } },
      execution: EXECUTION,
      error: { Error: 'RefreshFileError', Cause: 'The refresh file has 3 problem(s)' },
    };

    await recordFailure(services, event, NOW);

    const item = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item ?? {};
    expect(item).toMatchObject({
      target: 'app1-dev',
      application: 'app1',
      status: 'failed',
      error: 'RefreshFileError',
    });
    for (const unnamed of ['environment', 'applicationEnvironment', 'source']) {
      expect(item).not.toHaveProperty(unnamed);
    }
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: '[dbrefresh] app1/unknown app1-dev: FAILED',
    });
  });

  it('does not fail when the run already has a record (a retried finish step), and still notifies', async () => {
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    const event = { refreshFile: VALID_FILE, execution: EXECUTION, error: { Error: 'GuardError' } };

    await expect(recordFailure(services, event, NOW)).resolves.toMatchObject({ status: 'failed' });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('fails when DynamoDB fails otherwise, without notifying', async () => {
    ddb.on(PutCommand).rejects(awsError('AccessDeniedException', 'not allowed'));
    const event = { refreshFile: VALID_FILE, execution: EXECUTION, error: { Error: 'GuardError' } };

    await expect(recordFailure(services, event, NOW)).rejects.toThrow('not allowed');
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it.each([
    ['the refresh file names no target', { refreshFile: 'not a file', execution: EXECUTION }],
    ['the state machine passed no execution', { refreshFile: VALID_FILE }],
    [
      'the execution start is no time',
      { refreshFile: VALID_FILE, execution: { ...EXECUTION, startTime: 'soon' } },
    ],
  ])('only notifies when %s', async (_reason, state) => {
    const event = { ...state, error: { Error: 'RefreshFileError', Cause: 'bad' } };

    const result = await recordFailure(services, event, NOW);

    expect(result).toEqual({ status: 'failed', error: 'RefreshFileError', cause: 'bad' });
    expect(ddb).not.toHaveReceivedAnyCommand();
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
  });
});

describe('finish handlers', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the handlers module is loaded once the environment is set
  let handlers: any;

  beforeAll(async () => {
    process.env.HISTORY_TABLE_NAME = TABLE;
    process.env.NOTIFICATION_TOPIC_ARN = TOPIC;
    handlers = await import('../../lambdas/finish/handler');
  });

  it('succeeded parses the run state and records the success', async () => {
    await expect(handlers.succeeded(runState(rdsPlan()))).resolves.toEqual({
      status: 'succeeded',
      notified: true,
    });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, { TableName: TABLE });
  });

  it('succeeded reads a failed rotation from the run state and records it as a warning', async () => {
    const state = { ...runState(rdsPlan()), rotationError: { Error: 'GuardError', Cause: 'denied' } };

    await expect(handlers.succeeded(state)).resolves.toEqual({
      status: 'succeeded',
      notified: true,
      warnings: ['Rotate secret'],
    });
  });

  it('succeeded turns throttled publishing into TransientAwsError, the name the state machine retries', async () => {
    snsMock.on(PublishCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));

    await expect(handlers.succeeded(runState(rdsPlan()))).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
  });

  it('failed accepts a state without a plan', async () => {
    const result = await handlers.failed({
      refreshFile: 'not json',
      execution: EXECUTION,
      error: { Error: 'RefreshFileError', Cause: 'bad' },
    });

    expect(result).toEqual({ status: 'failed', error: 'RefreshFileError', cause: 'bad' });
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: '[dbrefresh] unknown/unknown unknown: FAILED',
    });
  });

  it('rejects a success without a plan', async () => {
    await expect(handlers.succeeded({ refreshFile: {}, polls: {} })).rejects.toThrow();
    expect(ddb).not.toHaveReceivedAnyCommand();
  });
});
