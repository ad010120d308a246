import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { LocalEndpoint } from '../../../local/endpoint/server';
import { LocalLambda } from '../../../local/endpoint/services/lambda';
import { clientConfig, startEndpoint } from './endpoint-fixture';

describe('local Lambda', () => {
  let local: LocalLambda;
  let endpoint: LocalEndpoint;
  let lambda: LambdaClient;
  let events: unknown[];

  beforeAll(async () => {
    local = new LocalLambda({ scope: { region: 'eu-west-1', account: '000000000000' } });
    endpoint = await startEndpoint({ services: [local] });
    lambda = new LambdaClient(clientConfig(endpoint));
  });

  beforeEach(() => {
    events = [];
    local.register('hook', (event) => {
      events.push(event);
      return { ok: true };
    });
  });

  afterAll(async () => {
    lambda.destroy();
    await endpoint.close();
  });

  it('invokes a registered function with its JSON payload', async () => {
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: 'hook', Payload: Buffer.from('{"run":"r-1"}') }),
    );

    expect(JSON.parse(Buffer.from(out.Payload ?? []).toString())).toEqual({ ok: true });
    expect(events).toEqual([{ run: 'r-1' }]);
  });

  it('rejects a payload nested 5,000 levels deep as InvalidRequestContentException, never calling the function', async () => {
    const payload = `${'['.repeat(5000)}${']'.repeat(5000)}`;

    await expect(
      lambda.send(new InvokeCommand({ FunctionName: 'hook', Payload: Buffer.from(payload) })),
    ).rejects.toMatchObject({
      name: 'InvalidRequestContentException',
      message: expect.stringContaining(
        'nests objects and arrays 5000 levels deep, deeper than the limit of 100',
      ),
    });
    expect(events).toEqual([]);
  });
});
