import { readdirSync } from 'node:fs';
import path from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  TagResourceCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DYNAMODB_OPERATIONS, dynamoDbAccessRequests } from '../../../../local/iam/access/dynamodb';
import { ACCOUNT, capturing, OTHER_ACCOUNT, REGION, summary } from './sdk-requests';

const TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/dbrefresh-history`;

const { client, sdk } = capturing(DynamoDBClient);
const documents = DynamoDBDocumentClient.from(client);

async function accessesFor(
  command: unknown,
  through: { send(command: never): Promise<unknown> } = documents,
) {
  return dynamoDbAccessRequests(await sdk.localRequest(through, command));
}

describe('DynamoDB accesses', () => {
  it('authorizes the item operations the steps use on the table', async () => {
    const key = { target: 'app1-dev', runKey: '2026-01-01#r1' };

    const accesses = [
      ...(await accessesFor(new PutCommand({ TableName: 'dbrefresh-history', Item: key }))),
      ...(await accessesFor(new GetCommand({ TableName: 'dbrefresh-history', Key: key }))),
      ...(await accessesFor(
        new UpdateCommand({
          TableName: 'dbrefresh-history',
          Key: key,
          UpdateExpression: 'SET #s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': 'failed' },
        }),
      )),
      ...(await accessesFor(new DeleteCommand({ TableName: 'dbrefresh-history', Key: key }))),
    ];

    expect(accesses).toEqual(
      ['PutItem', 'GetItem', 'UpdateItem', 'DeleteItem'].map((action) => ({
        action: `dynamodb:${action}`,
        resource: TABLE,
        context: {},
      })),
    );
  });

  it('authorizes a Query of an index on the index’s ARN, of the table on the table’s', async () => {
    const byIndex = await accessesFor(
      new QueryCommand({
        TableName: 'dbrefresh-history',
        IndexName: 'bySource',
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'source' },
        ExpressionAttributeValues: { ':s': 'app1-prod' },
      }),
    );
    const byTable = await accessesFor(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: '#t = :t',
        ExpressionAttributeNames: { '#t': 'target' },
        ExpressionAttributeValues: { ':t': 'app1-dev' },
      }),
    );

    expect([...summary(byIndex), ...summary(byTable)]).toEqual([
      `dynamodb:Query ${TABLE}/index/bySource`,
      `dynamodb:Query ${TABLE}`,
    ]);
  });

  it('authorizes a batch on every table it names', async () => {
    const accesses = await accessesFor(
      new BatchWriteCommand({
        RequestItems: {
          'dbrefresh-history': [{ DeleteRequest: { Key: { target: 'a', runKey: 'b' } } }],
          locks: [{ DeleteRequest: { Key: { target: 'a' } } }],
        },
      }),
    );

    expect(summary(accesses)).toEqual([
      `dynamodb:BatchWriteItem ${TABLE}`,
      `dynamodb:BatchWriteItem arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/locks`,
    ]);
  });

  it('authorizes table operations with the tags they name', async () => {
    const create = await accessesFor(
      new CreateTableCommand({
        TableName: 'dbrefresh-history',
        AttributeDefinitions: [{ AttributeName: 'target', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'target', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        Tags: [{ Key: 'app', Value: 'dbrefresh' }],
      }),
      client,
    );
    const describe = await accessesFor(new DescribeTableCommand({ TableName: 'dbrefresh-history' }), client);
    const tag = await accessesFor(
      new TagResourceCommand({ ResourceArn: TABLE, Tags: [{ Key: 'k', Value: 'v' }] }),
      client,
    );
    const list = await accessesFor(new ListTablesCommand({}), client);

    expect([create, describe, tag, list].map(summary)).toEqual([
      [`dynamodb:CreateTable ${TABLE}`],
      [`dynamodb:DescribeTable ${TABLE}`],
      [`dynamodb:TagResource ${TABLE}`],
      ['dynamodb:ListTables *'],
    ]);
    expect(create[0]?.context).toEqual({ 'aws:RequestTag/app': 'dbrefresh', 'aws:TagKeys': ['app'] });
  });

  it('authorizes another account’s table by ARN with its owner', async () => {
    const other = `arn:aws:dynamodb:${REGION}:${OTHER_ACCOUNT}:table/shared`;

    const [access] = await accessesFor(new GetCommand({ TableName: other, Key: { id: '1' } }));

    expect(access).toMatchObject({ resource: other, resourceAccount: OTHER_ACCOUNT });
  });

  it('describes every operation dynalite implements, and only those', () => {
    const dynalite = path.dirname(require.resolve('dynalite/package.json'));
    const implemented = readdirSync(path.join(dynalite, 'actions')).map(
      (file) => file.charAt(0).toUpperCase() + file.slice(1).replace(/\.js$/, ''),
    );

    expect(Object.keys(DYNAMODB_OPERATIONS).sort()).toEqual(implemented.sort());
  });

  it('rejects an operation dynalite does not implement, so nothing reaches it unauthorized', async () => {
    await expect(
      accessesFor(
        new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: 't', Item: {} } }] }),
        client,
      ),
    ).rejects.toMatchObject({ code: 'UnknownOperationException' });
  });

  it('rejects a table ARN of another resource type', async () => {
    await expect(
      accessesFor(new GetCommand({ TableName: `${TABLE}/index/bySource`, Key: { id: '1' } })),
    ).rejects.toMatchObject({ code: 'ValidationException' });
  });
});
