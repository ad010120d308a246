import { DescribeKeyCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { LocalKms } from '../../../../local/endpoint/services/kms';
import { ACCOUNT, accessesThrough, OTHER_ACCOUNT, REGION } from './sdk-requests';

const kms = new LocalKms({ scope: { region: REGION, account: ACCOUNT } });
const key = kms.createKey({ keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', aliases: ['alias/app1'] });

const accessesFor = accessesThrough(KMSClient, (request) => kms.accessRequests(request));

describe('KMS accesses', () => {
  it('authorizes DescribeKey on the key an alias names, with the alias asked for and the key’s aliases', async () => {
    const accesses = await accessesFor(new DescribeKeyCommand({ KeyId: 'alias/app1' }));

    expect(accesses).toEqual([
      {
        action: 'kms:DescribeKey',
        resource: key.Arn,
        context: {
          'kms:CallerAccount': ACCOUNT,
          'kms:RequestAlias': 'alias/app1',
          'kms:ResourceAliases': ['alias/app1'],
        },
      },
    ]);
  });

  it('authorizes DescribeKey by key id on the key ARN, and resolves an AWS managed alias to its key', async () => {
    const [byId] = await accessesFor(new DescribeKeyCommand({ KeyId: key.KeyId }));
    const [managed] = await accessesFor(new DescribeKeyCommand({ KeyId: 'alias/aws/rds' }));

    expect(byId?.resource).toBe(key.Arn);
    expect(managed?.resource).toMatch(new RegExp(`^arn:aws:kms:${REGION}:${ACCOUNT}:key/`));
    expect(kms.resolveKey('alias/aws/rds')).toMatchObject({ arn: managed?.resource, awsManaged: true });
  });

  it('authorizes another account’s key with its owner', async () => {
    const other = `arn:aws:kms:${REGION}:${OTHER_ACCOUNT}:key/0987dcba-09ab-87cd-65ef-ba0987654321`;

    const [access] = await accessesFor(new DescribeKeyCommand({ KeyId: other }));

    expect(access).toMatchObject({ resource: other, resourceAccount: OTHER_ACCOUNT });
  });

  it('rejects an alias the local KMS does not have with NotFoundException', async () => {
    await expect(accessesFor(new DescribeKeyCommand({ KeyId: 'alias/none' }))).rejects.toMatchObject({
      code: 'NotFoundException',
    });
  });

  it('rejects an operation the local KMS does not have', async () => {
    await expect(accessesFor(new ListKeysCommand({}))).rejects.toMatchObject({
      code: 'UnknownOperationException',
    });
  });
});
