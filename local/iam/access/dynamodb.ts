import * as z from 'zod';
import { AwsError, type LocalRequest } from '../../endpoint/service';
import type { AccessRequest } from '../access';
import { jsonBody, jsonOperation, ownerIfOther, unknownOperation } from './requests';
import { type AccessSpec, describedAccesses } from './service-authorization';
import { requestTagKeys, tagKeysKey } from './tags';

/**
 * What IAM authorizes for each DynamoDB operation the local DynamoDB (dynalite) serves, as the Service
 * Authorization Reference lists it (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html):
 * the IAM action of the operation's name on the table's ARN, on `table/<name>/index/<index>` for a Query or Scan
 * of an index (a policy on the table alone does not cover its indexes), and on each table of a batch.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/iam-policy-specific-table-indexes.html
 */

/** The X-Amz-Target prefix of the DynamoDB API the SDK speaks. */
const TARGET_PREFIX = 'DynamoDB_20120810';
const TABLE_ARN = /^arn:aws[\w-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[^/]+$/;

const Name = z.string().min(1);
const Table = z.looseObject({ TableName: Name });
const OnIndex = z.looseObject({ TableName: Name, IndexName: Name.optional() });
const Batch = z.looseObject({ RequestItems: z.record(Name, z.unknown()) });
const OnResource = z.looseObject({ ResourceArn: Name });
const TagList = z.array(z.looseObject({ Key: z.string().optional(), Value: z.string().optional() }));

/** One operation: what it reads of the body, and the resources it is authorized on. */
interface Operation {
  readonly body: z.ZodType;
  accesses(body: never, request: LocalRequest): AccessSpec[];
}

function op<S extends z.ZodType>(
  body: S,
  accesses: (body: z.output<S>, request: LocalRequest) => AccessSpec[],
): Operation {
  return { body, accesses: accesses as Operation['accesses'] };
}

/** The operations dynalite implements (node_modules/dynalite/actions), by name. */
export const DYNAMODB_OPERATIONS: Readonly<Record<string, Operation>> = {
  BatchGetItem: op(Batch, (body, request) =>
    onTables('BatchGetItem', Object.keys(body.RequestItems), request),
  ),
  BatchWriteItem: op(Batch, (body, request) =>
    onTables('BatchWriteItem', Object.keys(body.RequestItems), request),
  ),
  CreateTable: op(z.looseObject({ TableName: Name, Tags: TagList.optional() }), (body, request) => [
    { ...onTable('CreateTable', body.TableName, request), request: requestTagKeys(body.Tags ?? []) },
  ]),
  DeleteItem: op(Table, (body, request) => [onTable('DeleteItem', body.TableName, request)]),
  DeleteTable: op(Table, (body, request) => [onTable('DeleteTable', body.TableName, request)]),
  DescribeTable: op(Table, (body, request) => [onTable('DescribeTable', body.TableName, request)]),
  DescribeTimeToLive: op(Table, (body, request) => [onTable('DescribeTimeToLive', body.TableName, request)]),
  GetItem: op(Table, (body, request) => [onTable('GetItem', body.TableName, request)]),
  ListTables: op(z.looseObject({}), () => [{ action: 'dynamodb:ListTables', resource: '*' }]),
  ListTagsOfResource: op(OnResource, (body, request) => [
    onTable('ListTagsOfResource', body.ResourceArn, request),
  ]),
  PutItem: op(Table, (body, request) => [onTable('PutItem', body.TableName, request)]),
  Query: op(OnIndex, (body, request) => [onTable('Query', body.TableName, request, body.IndexName)]),
  Scan: op(OnIndex, (body, request) => [onTable('Scan', body.TableName, request, body.IndexName)]),
  TagResource: op(z.looseObject({ ResourceArn: Name, Tags: TagList }), (body, request) => [
    { ...onTable('TagResource', body.ResourceArn, request), request: requestTagKeys(body.Tags) },
  ]),
  UntagResource: op(z.looseObject({ ResourceArn: Name, TagKeys: z.array(z.string()) }), (body, request) => [
    { ...onTable('UntagResource', body.ResourceArn, request), request: tagKeysKey(body.TagKeys) },
  ]),
  UpdateItem: op(Table, (body, request) => [onTable('UpdateItem', body.TableName, request)]),
  UpdateTable: op(Table, (body, request) => [onTable('UpdateTable', body.TableName, request)]),
};

/**
 * The accesses of a DynamoDB request. Every request the local DynamoDB forwards to dynalite is one of these:
 * nothing reaches it unauthorized.
 * @throws AwsError UnknownOperationException for another operation or API version, or a body DynamoDB refuses
 */
export async function dynamoDbAccessRequests(request: LocalRequest): Promise<AccessRequest[]> {
  const name = jsonOperation(request, TARGET_PREFIX) ?? '';
  const operation = Object.hasOwn(DYNAMODB_OPERATIONS, name) ? DYNAMODB_OPERATIONS[name] : undefined;
  if (!operation) throw unknownOperation('dynamodb', request.headers['x-amz-target'] ?? '');
  return describedAccesses(operation.accesses(jsonBody(request, name, operation.body) as never, request));
}

/**
 * `dynamodb:<action>` on the table (named, or by ARN), or on one of its indexes.
 * @throws AwsError ValidationException for an ARN that is no table's
 */
function onTable(action: string, table: string, request: LocalRequest, index?: string): AccessSpec {
  let arn = `arn:aws:dynamodb:${request.region}:${request.account}:table/${table}`;
  if (table.startsWith('arn:')) {
    if (!TABLE_ARN.test(table))
      throw new AwsError('ValidationException', `"${table}" is not the ARN of a table`);
    arn = table;
  }
  const resource = index === undefined ? arn : `${arn}/index/${index}`;
  return { action: `dynamodb:${action}`, resource, ...ownerIfOther(resource, request) };
}

/** `dynamodb:<action>` on each table a batch names. */
function onTables(action: string, tables: readonly string[], request: LocalRequest): AccessSpec[] {
  return tables.map((table) => onTable(action, table, request));
}
