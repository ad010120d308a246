import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import type { HookPayload } from '../../lambdas/hook/invoke-hook';
import type { SeededDatabase } from '../../local/seed/seed-database';
import {
  acceptsPassword,
  exampleFile,
  fixtureScript,
  notificationsOf,
  rows,
  runScript,
  sampleData,
  secretLogin,
  uploadScripts,
} from './examples/example-helpers';
import { HOOK_SETTINGS, openTestAccount, type TestAccount } from './refresh-fixture';

/**
 * refresh-files/masking-with-verification.json run as shipped through the real state machine: RDS for
 * MariaDB, three masking scripts, verification queries, and an afterRefresh hook played by the local Lambda.
 */

const EXAMPLE = 'masking-with-verification';
const DATABASE = 'crm';
const SECRET = '/development/crm/crm-dev';
const HOOK_ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:crm-dev-reindex';
/** The hook is another account's function: its resource-based policy lets this account invoke it (lambda add-permission). */
const CROSS_ACCOUNT_HOOK = {
  ...HOOK_SETTINGS,
  policy: {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::000000000000:root' },
        Action: 'lambda:InvokeFunction',
        Resource: HOOK_ARN,
      },
    ],
  },
} as const;

let test: TestAccount;
let lambda: LambdaClient;
let source: SeededDatabase;
let oldTarget: SeededDatabase;

beforeAll(async () => {
  test = await openTestAccount();
  lambda = new LambdaClient({
    endpoint: test.account.url,
    region: test.account.region,
    credentials: test.account.credentials,
  });
  source = await test.seed({
    id: 'crm-prod',
    engine: 'mariadb',
    databaseName: DATABASE,
    customers: 240,
    tags: { environment: 'production' },
  });
  oldTarget = await test.seed({
    id: 'crm-dev',
    engine: 'mariadb',
    databaseName: DATABASE,
    customers: 6,
    tags: { 'dbrefresh:refreshable': 'true', team: 'crm' },
    secretName: SECRET,
  });
  const schema = fixtureScript(EXAMPLE, 'crm-schema.sql');
  await runScript('mysql', source.endpoint, source, DATABASE, schema);
  await runScript('mysql', oldTarget.endpoint, oldTarget, DATABASE, schema);
}, 60_000);

afterAll(async () => {
  lambda?.destroy();
  await test?.close();
}, 60_000);

describe('refresh-files/masking-with-verification.json', () => {
  it('replaces crm-dev with a masked copy of crm-prod that passes the verification queries, then calls its hook', async () => {
    const file = exampleFile(EXAMPLE);
    await uploadScripts(test, EXAMPLE, file.scripts);
    const hookCalls: { payload: HookPayload; unmasked: number }[] = [];
    // The hook is the team's reindex function: it reaches crm-dev as its applications do, through the secret.
    test.account.lambda.register(
      HOOK_ARN,
      async (event) => {
        const payload = event as HookPayload;
        const login = await secretLogin(test.clients.secrets, SECRET);
        const endpoint = { host: payload.endpoint, port: payload.port ?? 0 };
        const [row] = await rows(
          'mysql',
          endpoint,
          login,
          DATABASE,
          "SELECT COUNT(*) AS n FROM contacts WHERE email NOT LIKE '%@example.invalid'",
        );
        hookCalls.push({ payload, unmasked: Number(row?.n) });
        return { reindexed: true };
      },
      CROSS_ACCOUNT_HOOK,
    );
    const expected = await sampleData('mysql', source.endpoint, source, DATABASE);
    const sourceContacts = await rows(
      'mysql',
      source.endpoint,
      source,
      DATABASE,
      'SELECT * FROM contacts ORDER BY id',
    );

    const result = await test.refresh(file, 'masking-with-verification');

    expect(result.status).toBe('SUCCEEDED');
    const login = await secretLogin(test.clients.secrets, SECRET);
    const target = await test.endpointOf('crm-dev');
    const sql = (statement: string) => rows('mysql', target, login, DATABASE, statement);
    expect(await sampleData('mysql', target, login, DATABASE)).toEqual(expected);
    expect(await sql('SELECT * FROM contacts ORDER BY id')).toEqual(
      sourceContacts.map((contact) => ({
        ...contact,
        email: `contact${contact.id}@example.invalid`,
        phone: contact.phone === null ? null : `+00 ${String(contact.id).padStart(9, '0')}`,
      })),
    );
    for (const query of file.scripts.verify) expect(await sql(query)).toEqual([]);
    expect(await sql('SELECT COUNT(*) AS n FROM audit_log')).toEqual([{ n: 0 }]);
    expect(await sql('SELECT login, role FROM app_users ORDER BY login')).toEqual([
      { login: 'dev.one', role: 'admin' },
      { login: 'dev.two', role: 'admin' },
    ]);
    for (const password of [oldTarget.password, source.password]) {
      expect(await acceptsPassword('mysql', target, { ...login, password }, DATABASE)).toBe(false);
    }
    const [record] = await test.historyOf('crm-dev');
    expect(record).toMatchObject({
      status: 'succeeded',
      application: 'crm',
      environment: 'development',
      source: 'crm-prod',
      restoreType: 'latestpoint',
      engine: 'mariadb',
    });
    expect(hookCalls).toEqual([
      {
        payload: expect.objectContaining({
          hook: 'afterRefresh',
          target: 'crm-dev',
          source: 'crm-prod',
          endpoint: target.host,
          port: target.port,
          restorePoint: record?.restorePoint,
        }),
        unmasked: 0,
      },
    ]);
    expect(JSON.stringify(hookCalls)).not.toContain(login.password);
    expect(await test.tags('crm-dev')).toEqual({
      'dbrefresh:refreshable': 'true',
      team: 'crm',
      'data-classification': 'masked',
      'dbrefresh:source': 'crm-prod',
      'dbrefresh:restore-point': record?.restorePoint,
      'dbrefresh:run': record?.runId,
    });
    expect(await test.instanceIds()).toEqual(['crm-dev', 'crm-prod']);
    expect(await test.lockOf('crm-dev')).toBeUndefined();
    expect(notificationsOf(test, 'crm-dev').at(-1)?.subject).toBe(
      '[dbrefresh] crm/development crm-dev: SUCCEEDED',
    );
  }, 90_000);

  it('fails at its hook when the hook function throws: the refresh is recorded failed past the swap, not rolled back', async () => {
    test.account.lambda.register(
      HOOK_ARN,
      () => {
        throw new TypeError('search index crm-dev is read-only');
      },
      CROSS_ACCOUNT_HOOK,
    );
    const before = await secretLogin(test.clients.secrets, SECRET);

    const result = await test.refresh(exampleFile(EXAMPLE), 'masking-hook-fails');

    expect(result).toMatchObject({ status: 'FAILED', error: 'HookError' });
    // The swap is behind: crm-dev holds the new masked copy and its new password.
    const login = await secretLogin(test.clients.secrets, SECRET);
    expect(login.password).not.toBe(before.password);
    const target = await test.endpointOf('crm-dev');
    expect(
      await rows(
        'mysql',
        target,
        login,
        DATABASE,
        "SELECT COUNT(*) AS n FROM contacts WHERE email LIKE '%@example.invalid'",
      ),
    ).toEqual([{ n: 240 }]);
    const [record] = await test.historyOf('crm-dev');
    expect(record).toMatchObject({
      status: 'failed',
      failedStep: 'Run hook after refresh',
      error: 'HookError',
      rolledBack: false,
    });
    expect(String(record?.cause)).toContain(
      `Hook afterRefresh (${HOOK_ARN}) failed: TypeError: search index crm-dev is read-only`,
    );
    expect(await test.instanceIds()).toEqual(['crm-dev', 'crm-prod']);
    expect(await test.lockOf('crm-dev')).toBeUndefined();
    expect(notificationsOf(test, 'crm-dev').at(-1)?.subject).toBe(
      '[dbrefresh] crm/development crm-dev: FAILED',
    );
  }, 90_000);
});

describe('the local Lambda service', () => {
  const invoke = (functionName: string, payload: unknown) =>
    lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
  const decoded = (payload: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(payload));

  it('runs a function registered by name, invoked by name or by its ARN in the local account', async () => {
    const arn = test.account.lambda.register('echo', (event) => ({ echoed: event }));

    const byName = await invoke('echo', { n: 1 });
    const byArn = await invoke(arn, { n: 2 });

    expect(arn).toBe(`arn:aws:lambda:${test.account.region}:${test.account.account}:function:echo`);
    expect(byName).toMatchObject({ StatusCode: 200, ExecutedVersion: '$LATEST' });
    expect(byName.FunctionError).toBeUndefined();
    expect(decoded(byName.Payload)).toEqual({ echoed: { n: 1 } });
    expect(decoded(byArn.Payload)).toEqual({ echoed: { n: 2 } });
  });

  it('answers a throwing function with FunctionError Unhandled and its errorType and errorMessage', async () => {
    test.account.lambda.register('broken', async () => {
      throw new RangeError('no such index');
    });

    const out = await invoke('broken', {});

    expect(out).toMatchObject({ StatusCode: 200, FunctionError: 'Unhandled' });
    expect(decoded(out.Payload)).toMatchObject({ errorType: 'RangeError', errorMessage: 'no such index' });
  });

  it('rejects an unknown function with ResourceNotFoundException, and a function of another account that grants nothing with AccessDeniedException', async () => {
    test.account.lambda.register('echo', (event) => event);

    await expect(invoke('missing', {})).rejects.toBeInstanceOf(ResourceNotFoundException);
    // Another account's function is invoked only when its resource-based policy allows the caller, as on AWS.
    await expect(invoke('arn:aws:lambda:eu-west-1:111122223333:function:echo', {})).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining(
        'because no resource-based policy allows the lambda:InvokeFunction action',
      ),
    });
  });
});
