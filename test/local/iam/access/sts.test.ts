import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { stsAccessRequests } from '../../../../local/iam/access/sts';
import { capturing } from './sdk-requests';

const { requestOf } = capturing(STSClient);

describe('STS accesses', () => {
  it('authorizes nothing for GetCallerIdentity, which needs no permission', async () => {
    const request = await requestOf(new GetCallerIdentityCommand({}));

    expect(await stsAccessRequests(request)).toEqual([]);
  });

  it('rejects another STS action, which local mode does not serve', async () => {
    const request = await requestOf(
      new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::000000000000:role/x', RoleSessionName: 's' }),
    );

    await expect(stsAccessRequests(request)).rejects.toMatchObject({ code: 'InvalidAction' });
  });
});
