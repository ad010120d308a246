import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LocalIdentities } from '../../../local/iam/identities';
import {
  FunctionHost,
  FunctionInvocationError,
  type LocalFunction,
} from '../../../local/runner/function-host';

const ENTRY = path.join(__dirname, 'fixtures', 'functions.ts');

function fn(handlerName: string, overrides: Partial<LocalFunction> = {}): LocalFunction {
  return {
    name: `Test${handlerName}`,
    entry: ENTRY,
    handlerName,
    timeoutSeconds: 10,
    memorySize: 256,
    environment: { TABLE_NAME: 'history' },
    role: { name: `Test${handlerName}Role`, policies: [] },
    ...overrides,
  };
}

describe('FunctionHost', () => {
  let stateDir: string;
  let identities: LocalIdentities;
  let host: FunctionHost;

  beforeAll(() => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'function-host-'));
    identities = LocalIdentities.open(stateDir, '000000000000');
    host = new FunctionHost({
      endpointUrl: 'http://127.0.0.1:1',
      region: 'eu-west-1',
      account: '000000000000',
      identities,
    });
  });

  afterAll(async () => {
    await host.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("gives a function its own variables and its role's credentials, and none of the caller's", async () => {
    process.env.AWS_PROFILE = 'someone-elses';
    try {
      const out = (await host.invoke(fn('environment'), {})) as {
        variables: Record<string, string>;
        functionName: string;
      };

      expect(out.functionName).toBe('Testenvironment');
      expect(out.variables.TABLE_NAME).toBe('history');
      expect(out.variables.AWS_ENDPOINT_URL).toBe('http://127.0.0.1:1');
      expect(out.variables.AWS_PROFILE).toBeUndefined();
      const identity = identities.lookup(out.variables.AWS_ACCESS_KEY_ID ?? '');
      expect(identity?.principal.arn).toBe(
        'arn:aws:sts::000000000000:assumed-role/TestenvironmentRole/Testenvironment',
      );
      expect(out.variables.AWS_SESSION_TOKEN).toBe(identity?.credentials.sessionToken);
    } finally {
      delete process.env.AWS_PROFILE;
    }
  });

  it('gives two functions two different role sessions', async () => {
    const first = (await host.invoke(fn('environment'), {})) as { variables: Record<string, string> };
    const second = (await host.invoke(
      fn('environment', { name: 'Other', role: { name: 'OtherRole', policies: [] } }),
      {},
    )) as {
      variables: Record<string, string>;
    };

    expect(first.variables.AWS_ACCESS_KEY_ID).not.toBe(second.variables.AWS_ACCESS_KEY_ID);
    expect(identities.lookup(second.variables.AWS_ACCESS_KEY_ID ?? '')?.principal.identityArn).toBe(
      'arn:aws:iam::000000000000:role/OtherRole',
    );
  });

  it('counts the remaining time down from the timeout of the invocation', async () => {
    const out = (await host.invoke(fn('environment'), {}, 5)) as { remainingMilliseconds: number };

    expect(out.remainingMilliseconds).toBeGreaterThan(3000);
    expect(out.remainingMilliseconds).toBeLessThanOrEqual(5000);
  });

  it('keeps an environment warm between invocations and runs concurrent ones in separate environments', async () => {
    const counter = fn('count');
    const warm1 = (await host.invoke(counter, {})) as { seen: number };
    const warm2 = (await host.invoke(counter, {})) as { seen: number };
    const concurrent = (await Promise.all([
      host.invoke(counter, { waitMilliseconds: 300 }),
      host.invoke(counter, { waitMilliseconds: 300 }),
    ])) as { seen: number }[];

    expect(warm2.seen).toBe(warm1.seen + 1);
    expect(concurrent.map((out) => out.seen).sort()).toEqual([1, warm2.seen + 1].sort());
  });

  it('returns what JSON carries of the result, as Lambda serializes it', async () => {
    await expect(host.invoke(fn('notJson'), {})).resolves.toEqual({ at: '2026-01-02T03:04:05.000Z' });
  });

  it("reports a function error by its type, with Lambda's error document as the cause", async () => {
    expect.assertions(3);
    try {
      await host.invoke(fn('fails'), {});
    } catch (error: unknown) {
      expect(error).toBeInstanceOf(FunctionInvocationError);
      expect((error as Error).name).toBe('ScriptError');
      expect(JSON.parse((error as Error).message)).toMatchObject({
        errorType: 'ScriptError',
        errorMessage: 'Statement 3 of 01-mask.sql failed',
        trace: expect.arrayContaining([expect.stringContaining('ScriptError')]),
      });
    }
  });

  it('stops a function at its timeout as Lambda.Unknown and starts a fresh environment for the next call', async () => {
    const hanging = fn('hangs', { timeoutSeconds: 1 });
    const started = Date.now();

    const error = (await host.invoke(hanging, {}).catch((caught: unknown) => caught)) as Error;

    expect(Date.now() - started).toBeLessThan(5000);
    expect(error.name).toBe('Lambda.Unknown');
    expect(JSON.parse(error.message)).toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringContaining('Task timed out after 1.00 seconds'),
    });
    await expect(host.invoke(hanging, {}, 1)).rejects.toThrow('Sandbox.Timedout');
  });

  it('rejects a result larger than the 6 MB Lambda returns', async () => {
    await expect(host.invoke(fn('tooLarge'), {})).rejects.toMatchObject({
      name: 'Lambda.Unknown',
      message: expect.stringContaining('Function.ResponseSizeTooLarge'),
    });
  });

  it('rejects an event larger than the 6 MB Lambda accepts, without starting the function', async () => {
    await expect(host.invoke(fn('environment'), { blob: 'x'.repeat(7 * 1024 * 1024) })).rejects.toMatchObject(
      {
        name: 'Lambda.RequestTooLargeException',
      },
    );
  });
});
