import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { LocalCloudFormation } from '../../../../local/endpoint/services/cloudformation';
import { ACCOUNT, accessesThrough, REGION, summary } from './sdk-requests';

const cloudformation = new LocalCloudFormation({ stacks: [], scope: { region: REGION, account: ACCOUNT } });

const accessesFor = accessesThrough(CloudFormationClient, (request) =>
  cloudformation.accessRequests(request),
);

describe('CloudFormation accesses', () => {
  it('authorizes DescribeStacks by name on every stack of that name, by ARN on the stack, else on "*"', async () => {
    const arn = cloudformation.stackId('DbRefresh');

    const byName = await accessesFor(new DescribeStacksCommand({ StackName: 'DbRefresh' }));
    const byArn = await accessesFor(new DescribeStacksCommand({ StackName: arn }));
    const all = await accessesFor(new DescribeStacksCommand({}));

    expect([byName, byArn, all].map(summary)).toEqual([
      [`cloudformation:DescribeStacks arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/DbRefresh/*`],
      [`cloudformation:DescribeStacks ${arn}`],
      ['cloudformation:DescribeStacks *'],
    ]);
  });

  it('rejects an action the local CloudFormation does not have', async () => {
    await expect(accessesFor(new ListStacksCommand({}))).rejects.toMatchObject({ code: 'InvalidAction' });
  });
});
