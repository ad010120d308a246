import type { TerminalStatusHook } from '../../local/endpoint/rds/dependencies';
import { expectRolledBack, refreshFailing, refused, servedByShop } from './fault-outcomes';
import {
  HOOK_SETTINGS,
  notificationFacts,
  openTestAccount,
  SHOP,
  seedShop,
  shopRefreshFile,
  type TestAccount,
} from './refresh-fixture';

const BEFORE_SWAP_HOOK = 'arn:aws:lambda:eu-west-1:000000000000:function:shop-before-swap';

let test: TestAccount;
/** The RDS emulator's terminal-status hook for the test under way. */
let terminalStatus: TerminalStatusHook | undefined;

beforeAll(async () => {
  test = await openTestAccount({ terminalStatus: (action, id) => terminalStatus?.(action, id) });
  await seedShop(test, { scripts: { '02-broken.sql': 'UPDATE no_such_table SET id = 1;\n' } });
}, 120_000);

beforeEach(() => {
  test.setFaults({});
  terminalStatus = undefined;
});

afterAll(async () => {
  await test?.close();
}, 60_000);

describe('a refresh that fails before the swap', () => {
  it('fails at "Plan refresh" without touching anything: a failed record of its own, no lock', async () => {
    const { before, run } = await refreshFailing(test, 'plan-refused', {
      state: 'Plan refresh',
      faults: refused('rds', 'DescribeDBInstances'),
    });

    expect(run.result).toMatchObject({ status: 'FAILED', error: 'InvalidParameterCombination' });
    expect(run.entered).not.toContain('Roll back');
    expect(run.entered).not.toContain('Restore temporary copy');
    expect(await servedByShop(test)).toEqual(before);
    expect(await test.instanceIds()).toEqual([SHOP.target, SHOP.source]);
    expect(await test.lockOf(SHOP.target)).toBeUndefined();
    const record = await test.recordOf(SHOP.target, 'plan-refused');
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
    // A run refused by the plan step has nothing to roll back: its notification has no rolledBack fact.
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
    const outcome = await refreshFailing(test, 'restore-refused', {
      state: 'Restore temporary copy',
      faults: refused('rds', 'RestoreDBInstanceToPointInTime'),
    });

    await expectRolledBack(test, outcome, {
      step: 'Restore temporary copy',
      error: 'InvalidParameterCombination',
      cause: 'Injected failure of rds RestoreDBInstanceToPointInTime',
    });
  }, 60_000);

  it('rolls back and deletes the copy when the restore ends in "incompatible-restore"', async () => {
    terminalStatus = (action, id) =>
      action === 'RestoreDBInstanceToPointInTime' && id.startsWith(`${SHOP.target}-new-`)
        ? 'incompatible-restore'
        : undefined;

    const outcome = await refreshFailing(test, 'restore-incompatible');

    await expectRolledBack(test, outcome, {
      step: 'Restore temporary copy',
      error: 'TerminalStateError',
      cause: 'terminal state "incompatible-restore"',
    });
  }, 60_000);

  it('rolls back, secret included, when RDS refuses the new password in "Set admin password"', async () => {
    const outcome = await refreshFailing(test, 'password-refused', {
      state: 'Set admin password',
      faults: refused('rds', 'ModifyDBInstance'),
    });

    await expectRolledBack(test, outcome, {
      step: 'Set admin password',
      error: 'InvalidParameterCombination',
      cause: 'Injected failure of rds ModifyDBInstance',
    });
  }, 60_000);

  it('rolls back when a SQL script fails in "Run scripts"', async () => {
    const file = shopRefreshFile();
    file.scripts.keys = ['01-mask-customers.sql', '02-broken.sql'];

    const outcome = await refreshFailing(test, 'script-fails', undefined, file);

    await expectRolledBack(test, outcome, {
      step: 'Run scripts',
      error: 'ScriptError',
      cause: '02-broken.sql: statement 1 (line 1) failed: ER_NO_SUCH_TABLE',
    });
  }, 60_000);

  it('rolls back when the hook function fails in "Run hook before swap"', async () => {
    test.account.lambda.register(
      BEFORE_SWAP_HOOK,
      () => {
        throw new Error('The search index of the copy cannot be reached');
      },
      HOOK_SETTINGS,
    );
    const file = shopRefreshFile();
    file.hooks = { beforeSwap: BEFORE_SWAP_HOOK };

    const outcome = await refreshFailing(test, 'hook-fails', undefined, file);

    await expectRolledBack(test, outcome, {
      step: 'Run hook before swap',
      error: 'HookError',
      cause: 'The search index of the copy cannot be reached',
    });
  }, 60_000);
});
