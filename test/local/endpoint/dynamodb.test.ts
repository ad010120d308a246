import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { HISTORY_INDEXES } from '../../../lambdas/shared/history/history-keys';
import type { LocalEndpoint } from '../../../local/endpoint/server';
import { LocalDynamoDb } from '../../../local/endpoint/services/dynamodb';
import {
  clientConfig,
  removeDirectory,
  sendSigned,
  startEndpoint,
  temporaryDirectory,
} from './endpoint-fixture';

const TABLE = 'dbrefresh-history';

describe('local DynamoDB', () => {
  let local: LocalDynamoDb;
  let endpoint: LocalEndpoint;
  let dynamo: DynamoDBClient;
  let documents: DynamoDBDocumentClient;

  beforeAll(async () => {
    local = await LocalDynamoDb.start();
    await local.ensureHistoryTable(TABLE);
    endpoint = await startEndpoint({ services: [local] });
    dynamo = new DynamoDBClient(clientConfig(endpoint));
    documents = DynamoDBDocumentClient.from(dynamo);
  });

  afterAll(async () => {
    dynamo.destroy();
    await endpoint.close();
  });

  it('creates the history table with its key schema and indexes, and a second call is fine', async () => {
    await local.ensureHistoryTable(TABLE);

    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: TABLE }));

    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'target', KeyType: 'HASH' },
      { AttributeName: 'runKey', KeyType: 'RANGE' },
    ]);
    expect(
      Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.KeySchema?.map((k) => k.AttributeName)]),
    ).toEqual(
      expect.arrayContaining([
        ['byApplication', ['applicationEnvironment', 'runKey']],
        ['bySource', ['source', 'runKey']],
        ['byStatus', ['status', 'runKey']],
      ]),
    );
  });

  it('puts, gets and queries items through the endpoint, including a GSI query', async () => {
    const run = (target: string, runKey: string, status: string) => ({
      target,
      runKey,
      status,
      source: 'prod-db',
      applicationEnvironment: 'shop#staging',
    });
    await documents.send(
      new PutCommand({ TableName: TABLE, Item: run('stg-db', '2026-11-20T10:00:00Z#aaaa1111', 'SUCCEEDED') }),
    );
    await documents.send(
      new PutCommand({ TableName: TABLE, Item: run('stg-db', '2026-11-21T10:00:00Z#bbbb2222', 'FAILED') }),
    );
    await documents.send(
      new PutCommand({ TableName: TABLE, Item: run('qa-db', '2026-11-21T11:00:00Z#cccc3333', 'FAILED') }),
    );

    const got = await documents.send(
      new GetCommand({
        TableName: TABLE,
        Key: { target: 'stg-db', runKey: '2026-11-20T10:00:00Z#aaaa1111' },
      }),
    );
    const latest = await documents.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: '#t = :t',
        ExpressionAttributeNames: { '#t': 'target' },
        ExpressionAttributeValues: { ':t': 'stg-db' },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const failed = await documents.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: HISTORY_INDEXES.byStatus.indexName,
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': 'FAILED' },
      }),
    );

    expect(got.Item).toMatchObject({ status: 'SUCCEEDED' });
    expect(latest.Items?.map((i) => i.runKey)).toEqual(['2026-11-21T10:00:00Z#bbbb2222']);
    expect(failed.Items?.map((i) => i.target).sort()).toEqual(['qa-db', 'stg-db']);
  });

  it('rejects a failed condition with the DynamoDB error', async () => {
    const item = { target: 'lock#stg-db', runKey: 'lock' };
    await documents.send(new PutCommand({ TableName: TABLE, Item: item }));

    await expect(
      documents.send(
        new PutCommand({
          TableName: TABLE,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#t)',
          ExpressionAttributeNames: { '#t': 'target' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  });

  it('rejects an item nested 5,000 levels deep with ValidationException before dynalite walks it', async () => {
    let deep: unknown = 'x';
    for (let level = 0; level < 5000; level += 1) deep = { M: { a: deep } };
    const body = `{"TableName":"${TABLE}","Item":{"target":{"S":"deep"},"runKey":{"S":"k"},"data":${stringifyDeep(deep)}}}`;

    const response = await sendSigned(endpoint, 'dynamodb', {
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.PutItem' },
      body,
    });

    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toMatchObject({
      __type: 'ValidationException',
      message: expect.stringContaining('Nesting Levels have exceeded supported limits'),
    });
  });
});

/** JSON.stringify without recursion, for a value nested deeper than the stack allows. */
function stringifyDeep(value: unknown): string {
  let opening = '';
  let closing = '';
  let current = value;
  while (current !== null && typeof current === 'object') {
    const [key, child] = Object.entries(current)[0] ?? [];
    opening += `{"${key}":`;
    closing = `}${closing}`;
    current = child;
  }
  return `${opening}${JSON.stringify(current)}${closing}`;
}

describe('local DynamoDB with a state directory', () => {
  it('keeps tables and items between starts', async () => {
    const stateDir = temporaryDirectory('dynamodb-');
    try {
      const first = await LocalDynamoDb.start({ stateDir });
      await first.ensureHistoryTable(TABLE);
      const firstEndpoint = await startEndpoint({ services: [first] });
      const firstClient = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(firstEndpoint)));
      await firstClient.send(new PutCommand({ TableName: TABLE, Item: { target: 'db', runKey: 'k' } }));
      firstClient.destroy();
      await firstEndpoint.close();

      const second = await LocalDynamoDb.start({ stateDir });
      const secondEndpoint = await startEndpoint({ services: [second] });
      const secondClient = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(secondEndpoint)));
      const got = await secondClient.send(
        new GetCommand({ TableName: TABLE, Key: { target: 'db', runKey: 'k' } }),
      );
      secondClient.destroy();
      await secondEndpoint.close();

      expect(got.Item).toEqual({ target: 'db', runKey: 'k' });
    } finally {
      removeDirectory(stateDir);
    }
  });
});
