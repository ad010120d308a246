import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { TargetLockedError } from '../../../../lambdas/shared/errors';
import {
  acquireLock,
  expectedDurations,
  putRunningRecord,
  type RunRefusal,
  recordOutcome,
  recordRefusal,
  releaseLock,
} from '../../../../lambdas/shared/history/history-store';
import { rdsPlan } from '../../../fixtures/plans';

const TABLE = 'dbrefresh-history';
const ddb = mockClient(DynamoDBDocumentClient);
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));

const lock = {
  target: 'app1-dev',
  runId: 'ab12cd34',
  executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:dbrefresh:run-1',
  acquiredAt: '2026-11-21T03:00:01.000Z',
};

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

beforeEach(() => {
  ddb.reset();
});

describe('acquireLock', () => {
  it('takes the lock when no run holds it', async () => {
    ddb.on(PutCommand).resolves({});

    await acquireLock(doc, TABLE, lock);

    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: {
        target: 'lock#app1-dev',
        runKey: 'lock',
        runId: 'ab12cd34',
        executionArn: lock.executionArn,
        acquiredAt: lock.acquiredAt,
      },
      ConditionExpression: 'attribute_not_exists(#target) OR #runId = :runId',
      ExpressionAttributeValues: { ':runId': 'ab12cd34' },
    });
  });

  it('takes the lock again for the same run (the condition admits its own run id)', async () => {
    ddb.on(PutCommand).resolves({});

    await acquireLock(doc, TABLE, lock);
    await acquireLock(doc, TABLE, lock);

    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 2);
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
  });

  it('rejects another run with the holder, since when, and how to clear a stale lock', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({
      Item: {
        target: 'lock#app1-dev',
        runKey: 'lock',
        runId: 'zz99yy88',
        executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:dbrefresh:run-0',
        acquiredAt: '2026-11-21T02:00:00.000Z',
      },
    });

    const attempt = acquireLock(doc, TABLE, lock);

    await expect(attempt).rejects.toThrow(TargetLockedError);
    await expect(attempt).rejects.toThrow(
      'Target app1-dev is being refreshed by run zz99yy88 ' +
        '(arn:aws:states:eu-west-1:111122223333:execution:dbrefresh:run-0) since 2026-11-21T02:00:00.000Z; ' +
        'wait for it to finish or, if that execution has ended without releasing the lock, ' +
        'delete the item {target: "lock#app1-dev", runKey: "lock"} from table dbrefresh-history',
    );
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      Key: { target: 'lock#app1-dev', runKey: 'lock' },
      ConsistentRead: true,
    });
  });

  it('takes the lock on a second attempt when the holder released it meanwhile', async () => {
    ddb.on(PutCommand).rejectsOnce(conditionFailed()).resolves({});
    ddb.on(GetCommand).resolves({});

    await acquireLock(doc, TABLE, lock);

    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 2);
  });

  it('fails when DynamoDB fails otherwise, without reading the lock', async () => {
    ddb.on(PutCommand).rejects(new Error('AccessDeniedException: not allowed'));

    await expect(acquireLock(doc, TABLE, lock)).rejects.toThrow('AccessDeniedException: not allowed');
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
  });
});

describe('releaseLock', () => {
  it('deletes the lock only if this run holds it', async () => {
    ddb.on(DeleteCommand).resolves({});

    await releaseLock(doc, TABLE, 'app1-dev', 'ab12cd34');

    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
      TableName: TABLE,
      Key: { target: 'lock#app1-dev', runKey: 'lock' },
      ConditionExpression: '#runId = :runId',
      ExpressionAttributeNames: { '#runId': 'runId' },
      ExpressionAttributeValues: { ':runId': 'ab12cd34' },
    });
  });

  it('leaves a lock that is gone or held by another run, without failing', async () => {
    ddb.on(DeleteCommand).rejects(conditionFailed());

    await expect(releaseLock(doc, TABLE, 'app1-dev', 'ab12cd34')).resolves.toBeUndefined();
    expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 1);
  });

  it('fails when DynamoDB fails otherwise', async () => {
    ddb.on(DeleteCommand).rejects(new Error('ResourceNotFoundException: no table'));

    await expect(releaseLock(doc, TABLE, 'app1-dev', 'ab12cd34')).rejects.toThrow(
      'ResourceNotFoundException: no table',
    );
  });
});

describe('putRunningRecord', () => {
  it('writes one running item per run, never over another run', async () => {
    ddb.on(PutCommand).resolves({});

    await putRunningRecord(doc, TABLE, rdsPlan());

    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: {
        target: 'app1-dev',
        runKey: '2026-11-21T03:00:00.000Z#ab12cd34',
        runId: 'ab12cd34',
        application: 'app1',
        environment: 'development',
        applicationEnvironment: 'app1#development',
        service: 'rds',
        engine: 'mysql',
        source: 'app1-prod',
        restoreType: 'latestpoint',
        restorePoint: '2026-11-21T02:55:00.000Z',
        status: 'running',
        executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:dbrefresh:run-1',
        requestedBy: 'scheduler',
        startedAt: '2026-11-21T03:00:00.000Z',
      },
      ConditionExpression: 'attribute_not_exists(#runKey) OR #runId = :runId',
      ExpressionAttributeNames: { '#runKey': 'runKey', '#runId': 'runId' },
      ExpressionAttributeValues: { ':runId': 'ab12cd34' },
    });
  });

  it('records the snapshot restored', async () => {
    ddb.on(PutCommand).resolves({});

    await putRunningRecord(doc, TABLE, rdsPlan({ snapshot: 'rds:app1-prod-2026-11-20-23-10' }));

    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ snapshot: 'rds:app1-prod-2026-11-20-23-10' }),
    });
  });

  it('fails when the item belongs to another run', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());

    await expect(putRunningRecord(doc, TABLE, rdsPlan())).rejects.toThrow(
      'History item app1-dev / 2026-11-21T03:00:00.000Z#ab12cd34 in table dbrefresh-history belongs to another run',
    );
  });
});

describe('recordOutcome', () => {
  it('sets the outcome on the run item, keyed by target and start time + run id', async () => {
    ddb.on(UpdateCommand).resolves({});

    await recordOutcome(doc, TABLE, {
      plan: rdsPlan(),
      status: 'failed',
      finishedAt: '2026-11-21T03:40:00.000Z',
      durations: { restore: 1200 },
      failedStep: 'Swap target',
      error: 'TerminalStateError',
      cause: 'app1-dev-new-ab12cd34 is in terminal state "failed"',
      rolledBack: true,
    });

    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.Key).toEqual({ target: 'app1-dev', runKey: '2026-11-21T03:00:00.000Z#ab12cd34' });
    expect(input?.ConditionExpression).toBeUndefined();
    const written = Object.fromEntries(
      Object.entries(input?.ExpressionAttributeNames ?? {}).map(([alias, name]) => [
        name,
        input?.ExpressionAttributeValues?.[alias.replace('#', ':')],
      ]),
    );
    expect(written).toMatchObject({
      status: 'failed',
      finishedAt: '2026-11-21T03:40:00.000Z',
      durations: { restore: 1200 },
      failedStep: 'Swap target',
      error: 'TerminalStateError',
      cause: 'app1-dev-new-ab12cd34 is in terminal state "failed"',
      rolledBack: true,
      source: 'app1-prod',
      restorePoint: '2026-11-21T02:55:00.000Z',
    });
    expect(written).not.toHaveProperty('target');
    expect(written).not.toHaveProperty('runKey');
  });

  it('writes no failure attributes for a success', async () => {
    ddb.on(UpdateCommand).resolves({});

    await recordOutcome(doc, TABLE, {
      plan: rdsPlan(),
      status: 'succeeded',
      finishedAt: '2026-11-21T03:40:00.000Z',
      durations: {},
    });

    const names = Object.values(
      ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeNames ?? {},
    );
    expect(names).toEqual(expect.arrayContaining(['status', 'finishedAt', 'durations']));
    expect(names).not.toEqual(expect.arrayContaining(['failedStep']));
    expect(names).not.toEqual(expect.arrayContaining(['error']));
  });
});

describe('recordRefusal', () => {
  const refusal: RunRefusal = {
    target: 'app1-dev',
    runId: 'zz99yy88',
    executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:dbrefresh:run-2',
    startedAt: '2026-11-21T03:05:00.000Z',
    finishedAt: '2026-11-21T03:05:02.000Z',
    application: 'app1',
    environment: 'development',
    source: 'app1-prod',
    requestedBy: 'alice',
    failedStep: 'Plan refresh',
    error: 'TargetLockedError',
    cause: 'Target app1-dev is being refreshed by run ab12cd34',
  };

  it('writes a failed item for the refused run only, never over an existing item', async () => {
    ddb.on(PutCommand).resolves({});

    await recordRefusal(doc, TABLE, refusal);

    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: {
        target: 'app1-dev',
        runKey: '2026-11-21T03:05:00.000Z#zz99yy88',
        runId: 'zz99yy88',
        application: 'app1',
        environment: 'development',
        applicationEnvironment: 'app1#development',
        source: 'app1-prod',
        status: 'failed',
        failedStep: 'Plan refresh',
        error: 'TargetLockedError',
        cause: 'Target app1-dev is being refreshed by run ab12cd34',
        rolledBack: false,
        executionArn: refusal.executionArn,
        requestedBy: 'alice',
        startedAt: '2026-11-21T03:05:00.000Z',
        finishedAt: '2026-11-21T03:05:02.000Z',
      },
      ConditionExpression: 'attribute_not_exists(#runKey)',
      ExpressionAttributeNames: { '#runKey': 'runKey' },
    });
  });

  it('touches no lock', async () => {
    ddb.on(PutCommand).resolves({});

    await recordRefusal(doc, TABLE, refusal);

    expect(ddb).not.toHaveReceivedCommand(DeleteCommand);
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
    expect(ddb).not.toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ target: 'lock#app1-dev' }),
    });
  });

  it('leaves out the index attributes the refresh file does not give', async () => {
    ddb.on(PutCommand).resolves({});
    const { environment: _environment, source: _source, ...named } = refusal;

    await recordRefusal(doc, TABLE, named);

    const item = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item ?? {};
    expect(item).toMatchObject({ application: 'app1', status: 'failed' });
    expect(item).not.toHaveProperty('environment');
    expect(item).not.toHaveProperty('applicationEnvironment');
    expect(item).not.toHaveProperty('source');
  });

  it('leaves an existing item as it is, without failing (a retried finish step)', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());

    await expect(recordRefusal(doc, TABLE, refusal)).resolves.toBeUndefined();
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
  });

  it('fails when DynamoDB fails otherwise', async () => {
    ddb.on(PutCommand).rejects(new Error('AccessDeniedException: not allowed'));

    await expect(recordRefusal(doc, TABLE, refusal)).rejects.toThrow('AccessDeniedException: not allowed');
  });
});

describe('expectedDurations', () => {
  it('is the median per step over the latest successful runs', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        { durations: { restore: 600, swap: 120 } },
        { durations: { restore: 900, swap: 100 } },
        { durations: { restore: 700 } },
        { durations: { restore: 650, swap: 140, scripts: 30 } },
      ],
    });

    const expected = await expectedDurations(doc, TABLE, 'app1-dev');

    expect(expected).toEqual({ restore: 675, swap: 120, scripts: 30 });
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: '#target = :target',
      FilterExpression: '#status = :succeeded',
      ExpressionAttributeValues: { ':target': 'app1-dev', ':succeeded': 'succeeded' },
      ScanIndexForward: false,
    });
  });

  it('uses only the latest `limit` successful runs, across pages', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ durations: { restore: 100 } }], LastEvaluatedKey: { runKey: 'x' } })
      .resolvesOnce({ Items: [{ durations: { restore: 300 } }, { durations: { restore: 9000 } }] });

    const expected = await expectedDurations(doc, TABLE, 'app1-dev', 2);

    expect(expected).toEqual({ restore: 200 });
    expect(ddb).toHaveReceivedNthCommandWith(2, QueryCommand, { ExclusiveStartKey: { runKey: 'x' } });
  });

  it('is empty when the target has no successful run', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });

    await expect(expectedDurations(doc, TABLE, 'app1-dev')).resolves.toEqual({});
  });
});
