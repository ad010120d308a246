import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { LocalEndpoint } from '../../../local/endpoint/server';
import { LocalKms } from '../../../local/endpoint/services/kms';
import { clientConfig, startEndpoint } from './endpoint-fixture';

describe('local KMS', () => {
  let local: LocalKms;
  let endpoint: LocalEndpoint;
  let kms: KMSClient;

  beforeAll(async () => {
    local = new LocalKms({ scope: { region: 'eu-west-1', account: '000000000000' } });
    endpoint = await startEndpoint({ services: [local] });
    kms = new KMSClient(clientConfig(endpoint));
  });

  afterAll(async () => {
    kms.destroy();
    await endpoint.close();
  });

  it('describes a key by id, ARN and alias', async () => {
    const key = local.createKey({ aliases: ['alias/dbrefresh'] });

    for (const id of [
      key.KeyId,
      key.Arn,
      'alias/dbrefresh',
      'arn:aws:kms:eu-west-1:000000000000:alias/dbrefresh',
    ]) {
      const out = await kms.send(new DescribeKeyCommand({ KeyId: id }));
      expect(out.KeyMetadata).toMatchObject({
        KeyId: key.KeyId,
        Arn: key.Arn,
        KeyState: 'Enabled',
        Enabled: true,
      });
    }
  });

  it('reports the state a key was put in', async () => {
    const key = local.createKey({ state: 'PendingDeletion' });
    local.setKeyState(key.KeyId ?? '', 'Disabled');

    const out = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));

    expect(out.KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false });
    expect(out.KeyMetadata?.CreationDate).toBeInstanceOf(Date);
  });

  it('resolves an AWS managed alias to an AWS managed key', async () => {
    const out = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/rds' }));

    expect(out.KeyMetadata).toMatchObject({ KeyManager: 'AWS', KeyState: 'Enabled' });
  });

  it('rejects an unknown key, and a key of another account, with NotFoundException', async () => {
    const key = local.createKey();

    await expect(
      kms.send(new DescribeKeyCommand({ KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' })),
    ).rejects.toMatchObject({
      name: 'NotFoundException',
      message: expect.stringContaining('does not exist'),
    });
    await expect(
      kms.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:eu-west-1:111122223333:key/${key.KeyId}` })),
    ).rejects.toMatchObject({ name: 'NotFoundException' });
  });

  it("finds another account's key by its key ARN or alias ARN, never by its id or alias name", async () => {
    const scope = { region: 'eu-west-1', account: '111122223333' };
    const key = local.createKey({ scope, aliases: ['alias/shared-snapshots'] });

    for (const id of [key.Arn, 'arn:aws:kms:eu-west-1:111122223333:alias/shared-snapshots']) {
      const out = await kms.send(new DescribeKeyCommand({ KeyId: id }));
      expect(out.KeyMetadata).toMatchObject({ Arn: key.Arn, AWSAccountId: '111122223333' });
    }
    for (const id of [key.KeyId, 'alias/shared-snapshots']) {
      await expect(kms.send(new DescribeKeyCommand({ KeyId: id }))).rejects.toMatchObject({
        name: 'NotFoundException',
      });
    }
  });
});
