import { InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { LocalLambda } from '../../../../local/endpoint/services/lambda';
import type { PolicyDocument } from '../../../../local/iam/access';
import { ACCOUNT, capturing, OTHER_ACCOUNT, REGION } from './sdk-requests';

const lambda = new LocalLambda({ scope: { region: REGION, account: ACCOUNT } });
const { requestOf } = capturing(LambdaClient);
const hookArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:before-swap-hook`;
const otherHookArn = `arn:aws:lambda:${REGION}:${OTHER_ACCOUNT}:function:audit-hook`;
const otherPolicy: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'lambda:InvokeFunction',
      Resource: otherHookArn,
    },
  ],
};

beforeAll(() => {
  lambda.register('before-swap-hook', () => ({}), { tags: { 'dbrefresh:hook': 'true' } });
  lambda.register(otherHookArn, () => ({}), { policy: otherPolicy });
  lambda.register('untagged', () => ({}));
});

async function accessesFor(command: unknown) {
  return lambda.accessRequests(await requestOf(command));
}

describe('Lambda accesses', () => {
  it('authorizes Invoke of a registered function on its ARN with its tags', async () => {
    const accesses = await accessesFor(
      new InvokeCommand({ FunctionName: 'before-swap-hook', Payload: '{}' }),
    );

    expect(accesses).toEqual([
      {
        action: 'lambda:InvokeFunction',
        resource: hookArn,
        context: { 'aws:ResourceTag/dbrefresh:hook': 'true' },
      },
    ]);
  });

  it('authorizes an untagged function with no tag keys, so a tag guard refuses it', async () => {
    const [access] = await accessesFor(new InvokeCommand({ FunctionName: 'untagged' }));

    expect(access?.context).toEqual({});
  });

  it('authorizes a qualified invocation on the qualified ARN', async () => {
    const accesses = await accessesFor(new InvokeCommand({ FunctionName: hookArn, Qualifier: 'live' }));

    expect(accesses[0]?.resource).toBe(`${hookArn}:live`);
    expect(accesses[0]?.context).toEqual({ 'aws:ResourceTag/dbrefresh:hook': 'true' });
  });

  it('authorizes another account’s function with its owner and its resource-based policy', async () => {
    const [access] = await accessesFor(new InvokeCommand({ FunctionName: otherHookArn }));

    expect(access).toMatchObject({
      resource: otherHookArn,
      resourceAccount: OTHER_ACCOUNT,
      resourcePolicy: otherPolicy,
    });
  });

  it('rejects a request the local Lambda does not implement', async () => {
    await expect(accessesFor(new ListFunctionsCommand({}))).rejects.toMatchObject({
      code: 'UnknownOperationException',
    });
  });

  it('rejects a function name that names no function', async () => {
    const request = await requestOf(new InvokeCommand({ FunctionName: 'before-swap-hook' }));

    await expect(
      lambda.accessRequests({ ...request, path: '/2015-03-31/functions/not%20a%20name/invocations' }),
    ).rejects.toMatchObject({ code: 'ValidationException' });
  });
});
