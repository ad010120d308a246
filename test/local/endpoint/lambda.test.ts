import { InvokeCommand, type InvokeCommandInput, LambdaClient } from '@aws-sdk/client-lambda';
import type { LocalEndpoint } from '../../../local/endpoint/server';
import {
  LocalLambda,
  MAX_ASYNC_PAYLOAD_BYTES,
  MAX_SYNC_PAYLOAD_BYTES,
} from '../../../local/endpoint/services/lambda';
import { clientConfig, startEndpoint } from './endpoint-fixture';

const HOOK = 'arn:aws:lambda:eu-west-1:000000000000:function:shop-after-refresh';
const OTHER_ACCOUNT_HOOK = 'arn:aws:lambda:eu-west-1:111122223333:function:crm-reindex';

let lambda: LocalLambda;
let endpoint: LocalEndpoint;
let client: LambdaClient;

beforeAll(async () => {
  lambda = new LocalLambda({ scope: { region: 'eu-west-1', account: '000000000000' } });
  endpoint = await startEndpoint({ services: [lambda] });
  client = new LambdaClient(clientConfig(endpoint));
});

afterAll(async () => {
  client.destroy();
  await endpoint.close();
});

function invoke(input: Omit<InvokeCommandInput, 'FunctionName'> & { FunctionName?: string }) {
  return client.send(new InvokeCommand({ FunctionName: HOOK, ...input }));
}

/** JSON text of exactly `bytes` bytes. */
function jsonOfSize(bytes: number): string {
  return JSON.stringify({ data: 'x'.repeat(bytes - JSON.stringify({ data: '' }).length) });
}

function decode(payload: Uint8Array | undefined): unknown {
  return JSON.parse(new TextDecoder().decode(payload));
}

describe('local Lambda Invoke', () => {
  it('runs the registered function with the payload and returns its result', async () => {
    lambda.register(HOOK, (event) => ({ echoed: event }));

    const out = await invoke({ Payload: new TextEncoder().encode('{"runId":"ab12cd34"}') });

    expect(out).toMatchObject({ StatusCode: 200, ExecutedVersion: '$LATEST' });
    expect(out.FunctionError).toBeUndefined();
    expect(decode(out.Payload)).toEqual({ echoed: { runId: 'ab12cd34' } });
  });

  it('answers a function that throws as Lambda does: 200, FunctionError Unhandled, the error as payload', async () => {
    lambda.register(HOOK, () => {
      throw new TypeError('index is locked');
    });

    const out = await invoke({});

    expect(out).toMatchObject({ StatusCode: 200, FunctionError: 'Unhandled' });
    expect(decode(out.Payload)).toMatchObject({ errorType: 'TypeError', errorMessage: 'index is locked' });
  });

  it('takes a synchronous payload of exactly 6 MB', async () => {
    const handler = jest.fn(() => 'ok');
    lambda.register(HOOK, handler);

    await invoke({ Payload: new TextEncoder().encode(jsonOfSize(MAX_SYNC_PAYLOAD_BYTES)) });

    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('rejects a synchronous payload over 6 MB without running the function (RequestTooLargeException)', async () => {
    const handler = jest.fn(() => 'ok');
    lambda.register(HOOK, handler);

    await expect(
      invoke({ Payload: new TextEncoder().encode(jsonOfSize(MAX_SYNC_PAYLOAD_BYTES + 1)) }),
    ).rejects.toMatchObject({
      name: 'RequestTooLargeException',
      message: expect.stringContaining(
        'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
      ),
      $metadata: { httpStatusCode: 413 },
    });
    expect(handler).not.toHaveBeenCalled();
  });

  it('rejects an asynchronous payload over 1 MB (RequestTooLargeException)', async () => {
    lambda.register(HOOK, () => 'ok');

    await expect(
      invoke({
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(jsonOfSize(MAX_ASYNC_PAYLOAD_BYTES + 1)),
      }),
    ).rejects.toMatchObject({ name: 'RequestTooLargeException' });
  });

  it('answers a response over 6 MB as the function error Function.ResponseSizeTooLarge', async () => {
    lambda.register(HOOK, () => JSON.parse(jsonOfSize(MAX_SYNC_PAYLOAD_BYTES + 1)));

    const out = await invoke({});

    expect(out.FunctionError).toBe('Unhandled');
    expect(decode(out.Payload)).toMatchObject({
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage: expect.stringContaining('exceeded maximum allowed payload size (6291456 bytes)'),
    });
  });

  it('rejects a function of another Region (ResourceNotFoundException)', async () => {
    lambda.register('arn:aws:lambda:us-east-1:000000000000:function:shop-after-refresh', () => 'ok');

    await expect(
      invoke({ FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:shop-after-refresh' }),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: "Functions from 'us-east-1' are not reachable in this region ('eu-west-1')",
    });
  });

  it('rejects a name that is not a function name or ARN (ValidationException)', async () => {
    await expect(invoke({ FunctionName: 'arn:aws:s3:::bucket' })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("at 'functionName' failed to satisfy constraint"),
    });
  });

  it('rejects a version or alias, which local functions do not have (ResourceNotFoundException)', async () => {
    lambda.register(HOOK, () => 'ok');

    await expect(invoke({ Qualifier: 'prod' })).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(invoke({ FunctionName: `${HOOK}:$LATEST` })).resolves.toMatchObject({ StatusCode: 200 });
  });

  it('rejects a qualifier that contradicts the one in the name (InvalidParameterValueException)', async () => {
    await expect(invoke({ FunctionName: `${HOOK}:prod`, Qualifier: 'dev' })).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
    });
  });

  it('rejects an unknown InvocationType (ValidationException)', async () => {
    await expect(invoke({ InvocationType: 'Sync' as never })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('enum value set'),
    });
  });
});

describe('LocalLambda tags', () => {
  it('keeps the tags a function is registered with, found by name, partial ARN or ARN', () => {
    lambda.register(HOOK, () => 'ok', { tags: { 'dbrefresh:hook': 'true', team: 'shop' } });

    expect(lambda.tagsOf('shop-after-refresh')).toEqual({ 'dbrefresh:hook': 'true', team: 'shop' });
    expect(lambda.tagsOf('000000000000:function:shop-after-refresh')).toEqual(lambda.tagsOf(HOOK));
    expect(lambda.functionArnOf('shop-after-refresh')).toBe(HOOK);
  });

  it("keeps another account's function under its own ARN", () => {
    lambda.register(OTHER_ACCOUNT_HOOK, () => 'ok', { tags: { 'dbrefresh:hook': 'true' } });

    expect(lambda.tagsOf(OTHER_ACCOUNT_HOOK)).toEqual({ 'dbrefresh:hook': 'true' });
    expect(lambda.tagsOf('crm-reindex')).toBeUndefined();
  });

  it('answers undefined for a function that is not registered', () => {
    expect([lambda.tagsOf('nothing'), lambda.functionArnOf('nothing')]).toEqual([undefined, undefined]);
  });
});

describe('local Lambda payload depth', () => {
  it('rejects a payload nested 5,000 levels deep as InvalidRequestContentException, never calling the function', async () => {
    const events: unknown[] = [];
    lambda.register(HOOK, (event) => {
      events.push(event);
      return { ok: true };
    });
    const payload = `${'['.repeat(5000)}${']'.repeat(5000)}`;

    await expect(invoke({ Payload: Buffer.from(payload) })).rejects.toMatchObject({
      name: 'InvalidRequestContentException',
      message: expect.stringContaining(
        'nests objects and arrays 5000 levels deep, deeper than the limit of 100',
      ),
    });
    expect(events).toEqual([]);
  });
});
