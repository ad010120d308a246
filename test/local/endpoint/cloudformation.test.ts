import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import type { LocalEndpoint } from '../../../local/endpoint/server';
import { LocalCloudFormation } from '../../../local/endpoint/services/cloudformation';
import { clientConfig, startEndpoint } from './endpoint-fixture';

const CREATED = new Date('2025-01-01T10:00:00Z');

describe('local CloudFormation', () => {
  let local: LocalCloudFormation;
  let endpoint: LocalEndpoint;
  let cloudformation: CloudFormationClient;

  beforeAll(async () => {
    local = new LocalCloudFormation({
      scope: { region: 'eu-west-1', account: '000000000000' },
      createdAt: CREATED,
      stacks: [
        {
          name: 'DbRefresh',
          outputs: [
            { key: 'StateMachineArn', value: 'arn:aws:states:eu-west-1:000000000000:stateMachine:DbRefresh' },
            { key: 'HistoryTableName', value: 'dbrefresh-history', description: 'Run history (DynamoDB)' },
          ],
        },
      ],
    });
    endpoint = await startEndpoint({ services: [local] });
    cloudformation = new CloudFormationClient(clientConfig(endpoint));
  });

  afterAll(async () => {
    cloudformation.destroy();
    await endpoint.close();
  });

  it('describes a stack by name: CREATE_COMPLETE with its outputs', async () => {
    const out = await cloudformation.send(new DescribeStacksCommand({ StackName: 'DbRefresh' }));

    expect(out.Stacks).toEqual([
      expect.objectContaining({
        StackName: 'DbRefresh',
        StackId: local.stackId('DbRefresh'),
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: CREATED,
        Outputs: [
          {
            OutputKey: 'StateMachineArn',
            OutputValue: 'arn:aws:states:eu-west-1:000000000000:stateMachine:DbRefresh',
          },
          {
            OutputKey: 'HistoryTableName',
            OutputValue: 'dbrefresh-history',
            Description: 'Run history (DynamoDB)',
          },
        ],
      }),
    ]);
  });

  it('describes a stack by its ARN', async () => {
    const stackId = local.stackId('DbRefresh');

    const out = await cloudformation.send(new DescribeStacksCommand({ StackName: stackId }));

    expect(stackId).toMatch(
      /^arn:aws:cloudformation:eu-west-1:000000000000:stack\/DbRefresh\/[0-9a-f-]{36}$/,
    );
    expect(out.Stacks?.map((stack) => stack.StackName)).toEqual(['DbRefresh']);
  });

  it('describes every stack when no name is given', async () => {
    const out = await cloudformation.send(new DescribeStacksCommand({}));

    expect(out.Stacks?.map((stack) => stack.StackName)).toEqual(['DbRefresh']);
  });

  it('rejects an unknown stack with the ValidationError CloudFormation answers', async () => {
    const rejected = cloudformation.send(new DescribeStacksCommand({ StackName: 'Other' }));

    await expect(rejected).rejects.toBeInstanceOf(CloudFormationServiceException);
    await expect(rejected).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Stack with id Other does not exist',
      $metadata: expect.objectContaining({ httpStatusCode: 400 }),
    });
  });
});
