import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { FaultConfig } from '../../local/endpoint/faults';
import type { TerminalStatusHook } from '../../local/endpoint/rds/dependencies';
import {
  type ArmedFault,
  notificationFacts,
  type ObservedRun,
  openTestAccount,
  type ServedData,
  type TestAccount,
} from './refresh-fixture';

const DEMO = path.join(__dirname, '..', '..', 'local', 'demo');
const TARGET = 'shop-dev';
const SECRET = '/development/shop/shop-dev';
const BEFORE_SWAP_HOOK = 'arn:aws:lambda:eu-west-1:000000000000:function:shop-before-swap';
const demoFile = () => JSON.parse(readFileSync(path.join(DEMO, 'shop-dev.json'), 'utf8'));

/** A failure RDS would not retry: the request itself is refused. */
const refused = (service: string, action: string): FaultConfig => ({
  failOnce: [{ service, action, code: 'InvalidParameterCombination' }],
});

let test: TestAccount;
/** The RDS emulator's terminal-status hook for the test under way. */
let terminalStatus: TerminalStatusHook | undefined;

beforeAll(async () => {
  test = await openTestAccount({ terminalStatus: (action, id) => terminalStatus?.(action, id) });
  await test.seed({
    id: 'shop-prod',
    engine: 'mariadb',
    databaseName: 'shop',
    customers: 300,
    tags: { environment: 'production' },
  });
  await test.seed({
    id: TARGET,
    engine: 'mariadb',
    databaseName: 'shop',
    customers: 7,
    tags: { 'dbrefresh:refreshable': 'true', team: 'checkout' },
    secretName: SECRET,
  });
  await test.upload(
    'shop-refresh-scripts',
    'shop-dev/01-mask-customers.sql',
    readFileSync(path.join(DEMO, '01-mask-customers.sql'), 'utf8'),
  );
  await test.upload('shop-refresh-scripts', 'shop-dev/02-broken.sql', 'UPDATE no_such_table SET id = 1;\n');
  await new Promise((resolve) => setTimeout(resolve, 1100));
}, 120_000);

beforeEach(() => {
  test.setFaults({});
  terminalStatus = undefined;
});

afterAll(async () => {
  await test?.close();
}, 60_000);

const served = () => test.served(TARGET, SECRET, 'shop');

/** Every staging label on the target's secret: a rolled-back run leaves no pending password behind. */
async function secretStages(): Promise<string[]> {
  const secret = await test.clients.secrets.send(new DescribeSecretCommand({ SecretId: SECRET }));
  return Object.values(secret.VersionIdsToStages ?? {}).flat();
}

/** Leaves a row in the target that only the target has, then runs the refresh with the fault armed. */
async function refreshFailing(executionName: string, fault?: ArmedFault, file: unknown = demoFile()) {
  await test.markTarget(TARGET, SECRET, 'shop', executionName);
  const before = await served();
  const run = await test.refreshWithFault(file, executionName, fault);
  return { before, run };
}

/** Before the point of no return: the copy is gone, the target serves what it served before, all recorded. */
async function expectRolledBack(
  executionName: string,
  { before, run }: { before: ServedData; run: ObservedRun },
  failure: { step: string; error: string; cause: string },
) {
  expect(run.result).toMatchObject({ status: 'FAILED', error: failure.error });
  expect(run.entered).toContain('Roll back');
  expect(await served()).toEqual(before);
  expect(await test.instanceIds()).toEqual([TARGET, 'shop-prod']);
  expect(await secretStages()).not.toContain('AWSPENDING');
  expect(await test.lockOf(TARGET)).toBeUndefined();
  const record = await test.recordOf(TARGET, executionName);
  expect(record).toMatchObject({
    status: 'failed',
    failedStep: failure.step,
    error: failure.error,
    rolledBack: true,
  });
  expect(String(record?.cause)).toContain(failure.cause);
  expect(run.notifications.map((message) => message.subject)).toEqual([
    '[dbrefresh] shop/development shop-dev: FAILED',
  ]);
  expect(run.notifications.map(notificationFacts)).toMatchObject([
    { status: 'failed', failedStep: failure.step, error: failure.error, rolledBack: true },
  ]);
}

describe('a refresh that fails before the swap', () => {
  it('fails at "Plan refresh" without touching anything: a failed record of its own, no lock', async () => {
    const { before, run } = await refreshFailing('plan-refused', {
      state: 'Plan refresh',
      faults: refused('rds', 'DescribeDBInstances'),
    });

    expect(run.result).toMatchObject({ status: 'FAILED', error: 'InvalidParameterCombination' });
    expect(run.entered).not.toContain('Roll back');
    expect(run.entered).not.toContain('Restore temporary copy');
    expect(await served()).toEqual(before);
    expect(await test.instanceIds()).toEqual([TARGET, 'shop-prod']);
    expect(await test.lockOf(TARGET)).toBeUndefined();
    const record = await test.recordOf(TARGET, 'plan-refused');
    expect(record).toMatchObject({
      status: 'failed',
      failedStep: 'Plan refresh',
      error: 'InvalidParameterCombination',
      rolledBack: false,
      application: 'shop',
      environment: 'development',
      executionArn: run.result.executionArn,
    });
    expect(String(record?.cause)).toContain('Injected failure of rds DescribeDBInstances');
    expect(run.notifications.map((message) => message.subject)).toEqual([
      '[dbrefresh] shop/development shop-dev: FAILED',
    ]);
    expect(run.notifications.map(notificationFacts)).toMatchObject([
      {
        status: 'failed',
        failedStep: 'Plan refresh',
        error: 'InvalidParameterCombination',
        cause: expect.stringContaining('Injected failure of rds DescribeDBInstances'),
        executionArn: run.result.executionArn,
      },
    ]);
  }, 60_000);

  it('rolls back when RDS refuses the restore request in "Restore temporary copy"', async () => {
    const outcome = await refreshFailing('restore-refused', {
      state: 'Restore temporary copy',
      faults: refused('rds', 'RestoreDBInstanceToPointInTime'),
    });

    await expectRolledBack('restore-refused', outcome, {
      step: 'Restore temporary copy',
      error: 'InvalidParameterCombination',
      cause: 'Injected failure of rds RestoreDBInstanceToPointInTime',
    });
  }, 60_000);

  it('rolls back and deletes the copy when the restore ends in "incompatible-restore"', async () => {
    terminalStatus = (action, id) =>
      action === 'RestoreDBInstanceToPointInTime' && id.startsWith(`${TARGET}-new-`)
        ? 'incompatible-restore'
        : undefined;

    const outcome = await refreshFailing('restore-incompatible');

    await expectRolledBack('restore-incompatible', outcome, {
      step: 'Restore temporary copy',
      error: 'TerminalStateError',
      cause: 'terminal state "incompatible-restore"',
    });
  }, 60_000);

  it('rolls back, secret included, when RDS refuses the new password in "Set admin password"', async () => {
    const outcome = await refreshFailing('password-refused', {
      state: 'Set admin password',
      faults: refused('rds', 'ModifyDBInstance'),
    });

    await expectRolledBack('password-refused', outcome, {
      step: 'Set admin password',
      error: 'InvalidParameterCombination',
      cause: 'Injected failure of rds ModifyDBInstance',
    });
  }, 60_000);

  it('rolls back when a SQL script fails in "Run scripts"', async () => {
    const file = demoFile();
    file.scripts.keys = ['01-mask-customers.sql', '02-broken.sql'];

    const outcome = await refreshFailing('script-fails', undefined, file);

    await expectRolledBack('script-fails', outcome, {
      step: 'Run scripts',
      error: 'ScriptError',
      cause: '02-broken.sql: statement 1 (line 1) failed: ER_NO_SUCH_TABLE',
    });
  }, 60_000);

  it('rolls back when the hook function fails in "Run hook before swap"', async () => {
    test.account.lambda.register(BEFORE_SWAP_HOOK, () => {
      throw new Error('The search index of the copy cannot be reached');
    });
    const file = demoFile();
    file.hooks = { beforeSwap: BEFORE_SWAP_HOOK };

    const outcome = await refreshFailing('hook-fails', undefined, file);

    await expectRolledBack('hook-fails', outcome, {
      step: 'Run hook before swap',
      error: 'HookError',
      cause: 'The search index of the copy cannot be reached',
    });
  }, 60_000);
});
