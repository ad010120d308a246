import { ListCommandInvocationsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { LOCAL_SCRIPT_RUNNER_ID } from '../../local/local-account';
import { expectRolledBack, refreshFailing } from './fault-outcomes';
import { openTestAccount, SHOP, seedShop, shopRefreshFile, type TestAccount } from './refresh-fixture';

let test: TestAccount;
let ssm: SSMClient;

beforeAll(async () => {
  test = await openTestAccount();
  await seedShop(test, { scripts: { '02-broken.sql': 'UPDATE no_such_table SET id = 1;\n' } });
  ssm = new SSMClient({
    endpoint: test.account.url,
    region: test.account.region,
    credentials: test.account.credentials,
  });
}, 120_000);

afterAll(async () => {
  ssm?.destroy();
  await test?.close();
}, 60_000);

/** The shop's customers as the target serves them, personal columns included (compared, never logged). */
function customersOfTarget(): Promise<Record<string, unknown>[]> {
  return test.queryTarget(
    SHOP.target,
    SHOP.secretName,
    SHOP.database,
    'SELECT id, first_name, last_name, email, phone, street FROM customers ORDER BY id',
  );
}

/** The commands the local runner instance received, oldest first. */
async function runnerCommands() {
  const out = await ssm.send(new ListCommandInvocationsCommand({ InstanceId: LOCAL_SCRIPT_RUNNER_ID }));
  return (out.CommandInvocations ?? []).map((invocation) => ({
    comment: invocation.Comment,
    status: invocation.Status,
  }));
}

describe('scripts.method "ec2": the scripts through SSM Run Command on the runner instance', () => {
  it('masks the data exactly as the Lambda method does, and records the same results', async () => {
    const lambdaRun = await test.refresh(shopRefreshFile(), 'scripts-lambda');
    expect(lambdaRun.status).toBe('SUCCEEDED');
    const maskedByLambda = await customersOfTarget();
    const file = shopRefreshFile();
    file.scripts.method = 'ec2';

    const ec2Run = await test.refresh(file, 'scripts-ec2');

    expect(ec2Run.status).toBe('SUCCEEDED');
    const maskedOnEc2 = await customersOfTarget();
    expect(maskedOnEc2).toHaveLength(300);
    expect(maskedOnEc2).toEqual(maskedByLambda);
    expect(maskedOnEc2.filter((row) => !String(row.email).endsWith('@example.invalid'))).toEqual([]);
    expect(await runnerCommands()).toEqual([
      { comment: expect.stringMatching(/^dbrefresh \w+: scripts on shop-dev-new-\w+$/), status: 'Success' },
    ]);
    const results = (name: string) => test.recordOf(SHOP.target, name).then((record) => record?.scripts);
    const expected = [
      { file: '01-mask-customers.sql', statements: 1, rowsAffected: 300, seconds: expect.any(Number) },
    ];
    expect(await results('scripts-lambda')).toEqual(expected);
    expect(await results('scripts-ec2')).toEqual(expected);
  }, 120_000);

  it('fails "Run scripts" with the failing statement and rolls back, leaving the target untouched', async () => {
    const file = shopRefreshFile();
    file.scripts.method = 'ec2';
    file.scripts.keys = ['01-mask-customers.sql', '02-broken.sql'];

    const outcome = await refreshFailing(test, 'scripts-ec2-fails', undefined, file);

    await expectRolledBack(test, outcome, {
      step: 'Run scripts',
      error: 'ScriptError',
      cause: '02-broken.sql: statement 1 (line 1) failed: ER_NO_SUCH_TABLE',
    });
    const record = await test.recordOf(SHOP.target, 'scripts-ec2-fails');
    expect(String(record?.cause)).toMatch(/SSM command [\w-]+ on i-localrunner\) ended Failed, exit code 1/);
    expect((await runnerCommands()).at(-1)).toMatchObject({ status: 'Failed' });
  }, 120_000);

  it("is refused at plan, changing nothing, when the runner's role may not read the file's admin secret", async () => {
    const before = await test.instanceIds();
    const commands = (await runnerCommands()).length;
    const file = shopRefreshFile();
    file.scripts.method = 'ec2';
    file.adminPassword.secretName = '/qa/shop/shop-dev';

    const result = await test.refresh(file, 'scripts-ec2-secret');

    expect(result.status).toBe('FAILED');
    expect(await test.recordOf(SHOP.target, 'scripts-ec2-secret')).toMatchObject({
      status: 'failed',
      failedStep: 'Plan refresh',
      cause: expect.stringContaining('not adminPassword.secretName "/qa/shop/shop-dev"'),
    });
    expect(await test.instanceIds()).toEqual(before);
    expect(await runnerCommands()).toHaveLength(commands);
  }, 120_000);
});
