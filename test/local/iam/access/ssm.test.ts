import {
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  SSMClient,
  StartSessionCommand,
} from '@aws-sdk/client-ssm';
import { LocalSsm } from '../../../../local/endpoint/services/ssm';
import { ACCOUNT, accessesThrough, REGION, summary } from './sdk-requests';

const ssm = new LocalSsm();

const accessesFor = accessesThrough(SSMClient, (request) => ssm.accessRequests(request));

describe('SSM accesses', () => {
  it('authorizes SendCommand on the AWS-owned document and on each instance', async () => {
    const accesses = await accessesFor(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: ['i-localrunner', 'mi-0123456789abcdef0'],
        Parameters: { commands: ['true'] },
      }),
    );

    expect(summary(accesses)).toEqual([
      `ssm:SendCommand arn:aws:ssm:${REGION}::document/AWS-RunShellScript`,
      `ssm:SendCommand arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-localrunner`,
      `ssm:SendCommand arn:aws:ssm:${REGION}:${ACCOUNT}:managed-instance/mi-0123456789abcdef0`,
    ]);
  });

  it('authorizes a document of the account on its ARN with the account', async () => {
    const [document] = await accessesFor(
      new SendCommandCommand({ DocumentName: 'RunMasking', InstanceIds: ['i-localrunner'] }),
    );

    expect(document?.resource).toBe(`arn:aws:ssm:${REGION}:${ACCOUNT}:document/RunMasking`);
  });

  it('authorizes reading invocations on "*"', async () => {
    const get = await accessesFor(
      new GetCommandInvocationCommand({ CommandId: 'c', InstanceId: 'i-localrunner' }),
    );
    const list = await accessesFor(new ListCommandInvocationsCommand({ CommandId: 'c' }));

    expect([...summary(get), ...summary(list)]).toEqual([
      'ssm:GetCommandInvocation *',
      'ssm:ListCommandInvocations *',
    ]);
  });

  it('rejects an instance id that is no instance’s or managed node’s', async () => {
    await expect(
      accessesFor(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: ['../etc'] })),
    ).rejects.toMatchObject({ code: 'InvalidInstanceId' });
  });

  it('rejects an operation the local SSM does not have', async () => {
    await expect(accessesFor(new StartSessionCommand({ Target: 'i-localrunner' }))).rejects.toMatchObject({
      code: 'UnknownOperationException',
    });
  });
});
