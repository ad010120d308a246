import {
  handleQueryRequest,
  parseQueryParameters,
  parseQueryRequest,
  QueryInput,
  queryErrorResponse,
  queryResponse,
  xmlList,
} from '../../../local/endpoint/query-protocol';
import { AwsError, type LocalRequest } from '../../../local/endpoint/service';

const NAMESPACE = 'http://rds.amazonaws.com/doc/2014-10-31/';

function request(body: string, query = ''): LocalRequest {
  return {
    method: 'POST',
    path: '/',
    query: new URLSearchParams(query),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: Buffer.from(body),
    service: 'rds',
    region: 'eu-west-1',
    account: '000000000000',
  };
}

describe('parseQueryParameters', () => {
  it('rebuilds lists with named and unnamed members, structures, and nested lists', () => {
    const parameters = parseQueryParameters([
      ['Tags.Tag.2.Key', 'b'],
      ['Tags.Tag.1.Key', 'a'],
      ['Tags.Tag.1.Value', '1'],
      ['VpcSecurityGroupIds.VpcSecurityGroupId.1', 'sg-1'],
      ['TagKeys.member.1', 'x'],
      ['ServerlessV2ScalingConfiguration.MinCapacity', '0.5'],
      ['Filters.Filter.1.Name', 'engine'],
      ['Filters.Filter.1.Values.Value.1', 'mysql'],
      ['Filters.Filter.1.Values.Value.2', 'postgres'],
      ['Attributes.entry.1.key', 'Policy'],
      ['Attributes.entry.1.value', '{}'],
    ]);

    expect(parameters).toEqual({
      Tags: [{ Key: 'a', Value: '1' }, { Key: 'b' }],
      VpcSecurityGroupIds: ['sg-1'],
      TagKeys: ['x'],
      ServerlessV2ScalingConfiguration: { MinCapacity: '0.5' },
      Filters: [{ Name: 'engine', Values: ['mysql', 'postgres'] }],
      Attributes: [{ key: 'Policy', value: '{}' }],
    });
  });

  it('keeps a structure whose only member is a list a structure', () => {
    const parameters = parseQueryParameters([
      ['CloudwatchLogsExportConfiguration.EnableLogTypes.member.1', 'error'],
    ]);

    expect(parameters).toEqual({ CloudwatchLogsExportConfiguration: { EnableLogTypes: ['error'] } });
  });
});

describe('parseQueryRequest', () => {
  it('reads the action and parameters from the body and the query string', () => {
    const { action, version, input } = parseQueryRequest(
      request('Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=a%20b', 'MaxRecords=20'),
    );

    expect([action, version]).toEqual(['DescribeDBInstances', '2014-10-31']);
    expect(input.string('DBInstanceIdentifier')).toBe('a b');
    expect(input.integer('MaxRecords')).toBe(20);
  });

  it('rejects a request without an action', () => {
    expect(() => parseQueryRequest(request('Version=2014-10-31'))).toThrow(
      expect.objectContaining({ code: 'MissingAction' }),
    );
  });
});

describe('QueryInput', () => {
  const input = new QueryInput(
    parseQueryParameters([
      ['Flag', 'true'],
      ['Count', '3'],
      ['Ratio', '0.5'],
      ['When', '2026-03-01T10:00:00.000Z'],
      ['Empty', ''],
      ['Bad', 'yes'],
      ['Scaling.MinCapacity', '1'],
      ['Tags.Tag.1.Key', 'k'],
    ]),
  );

  it('reads typed values, dotted paths and lists', () => {
    expect(input.boolean('Flag')).toBe(true);
    expect(input.integer('Count')).toBe(3);
    expect(input.number('Ratio')).toBe(0.5);
    expect(input.date('When')).toEqual(new Date('2026-03-01T10:00:00.000Z'));
    expect(input.strings('Empty')).toEqual([]);
    expect(input.number('Scaling.MinCapacity')).toBe(1);
    expect(input.structures('Tags')?.map((tag) => tag.string('Key'))).toEqual(['k']);
    expect(input.string('Missing')).toBeUndefined();
  });

  it('rejects wrong types with InvalidParameterValue and missing values with MissingParameter', () => {
    expect(() => input.boolean('Bad')).toThrow(expect.objectContaining({ code: 'InvalidParameterValue' }));
    expect(() => input.integer('Ratio')).toThrow('The parameter Ratio must be a whole number, not 0.5');
    expect(() => input.requiredString('Missing')).toThrow(
      expect.objectContaining({ code: 'MissingParameter' }),
    );
    expect(() => input.structures('Tags')?.[0]?.requiredString('Value')).toThrow(
      'The request must contain the parameter Tags.1.Value',
    );
  });
});

describe('queryResponse', () => {
  it('renders the result with list members, dates and booleans, leaving out undefined values', () => {
    const response = queryResponse(
      'DescribeDBInstances',
      NAMESPACE,
      {
        DBInstances: xmlList('DBInstance', [
          {
            DBInstanceIdentifier: 'a&b',
            DeletionProtection: false,
            Created: new Date(0),
            Port: 3306,
            Gone: undefined,
          },
        ]),
      },
      'req-1',
    );

    expect(response.status).toBe(200);
    expect(response.body).toContain(
      `<DescribeDBInstancesResponse xmlns="${NAMESPACE}"><DescribeDBInstancesResult><DBInstances><DBInstance>` +
        '<DBInstanceIdentifier>a&amp;b</DBInstanceIdentifier><DeletionProtection>false</DeletionProtection>' +
        '<Created>1970-01-01T00:00:00.000Z</Created><Port>3306</Port></DBInstance></DBInstances>' +
        '</DescribeDBInstancesResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>' +
        '</DescribeDBInstancesResponse>',
    );
  });

  it('renders no Result element for actions that return nothing', () => {
    expect(queryResponse('AddTagsToResource', NAMESPACE, undefined, 'req-2').body).toContain(
      `<AddTagsToResourceResponse xmlns="${NAMESPACE}"><ResponseMetadata>`,
    );
  });
});

describe('queryErrorResponse', () => {
  it('renders the error with its type, code, message and status', () => {
    const response = queryErrorResponse(
      new AwsError('DBInstanceNotFound', 'DBInstance x not found.', 404),
      NAMESPACE,
      'r',
    );

    expect(response.status).toBe(404);
    expect(response.body).toContain(
      `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>DBInstanceNotFound</Code>` +
        '<Message>DBInstance x not found.</Message></Error><RequestId>r</RequestId></ErrorResponse>',
    );
  });
});

describe('handleQueryRequest', () => {
  const options = {
    name: 'rds',
    namespace: NAMESPACE,
    actions: {
      Echo: (input: QueryInput) => ({ Value: input.requiredString('Value') }),
      Crash: () => {
        throw new Error('boom');
      },
    },
  };

  it('runs the action and renders its result', async () => {
    const response = await handleQueryRequest(options, request('Action=Echo&Value=hi'));

    expect(response.body).toContain('<EchoResult><Value>hi</Value></EchoResult>');
  });

  it('answers an unknown action with 400 InvalidAction and an AwsError with its status', async () => {
    const unknown = await handleQueryRequest(options, request('Action=Nope'));
    const missing = await handleQueryRequest(options, request('Action=Echo'));

    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain('<Code>InvalidAction</Code>');
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('<Code>MissingParameter</Code>');
  });

  it('lets other exceptions through to the endpoint (500 InternalFailure)', async () => {
    await expect(handleQueryRequest(options, request('Action=Crash'))).rejects.toThrow('boom');
  });
});
