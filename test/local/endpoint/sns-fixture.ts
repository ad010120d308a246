import { SNSClient } from '@aws-sdk/client-sns';
import { LocalSns, type LocalSnsOptions } from '../../../local/endpoint/services/sns';
import { clientConfig, startEndpoint } from './endpoint-fixture';

/** A local SNS behind its own endpoint, with an SDK client (region eu-west-1, account 000000000000). */
export interface SnsFixture {
  readonly local: LocalSns;
  readonly sns: SNSClient;
  close(): Promise<void>;
}

export async function startSns(options: LocalSnsOptions = {}): Promise<SnsFixture> {
  const local = new LocalSns({ scope: { region: 'eu-west-1', account: '000000000000' }, ...options });
  const endpoint = await startEndpoint({ services: [local] });
  const sns = new SNSClient(clientConfig(endpoint));
  return {
    local,
    sns,
    close: async () => {
      sns.destroy();
      await endpoint.close();
    },
  };
}
