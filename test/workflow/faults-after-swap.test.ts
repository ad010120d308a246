import { DeleteDBInstanceCommand } from '@aws-sdk/client-rds';
import { expectRefreshedWithoutRollback, expectRolledBack, refreshFailing, refused } from './fault-outcomes';
import {
  HOOK_SETTINGS,
  openTestAccount,
  query,
  SHOP,
  seedShop,
  shopRefreshFile,
  type TestAccount,
} from './refresh-fixture';

const AFTER_REFRESH_HOOK = 'arn:aws:lambda:eu-west-1:000000000000:function:shop-after-refresh';

let test: TestAccount;

beforeAll(async () => {
  test = await openTestAccount();
  await seedShop(test);
}, 120_000);

beforeEach(() => {
  test.setFaults({});
});

afterAll(async () => {
  await test?.close();
}, 60_000);

describe('a refresh that fails from the swap on', () => {
  it('undoes a partial swap when the second rename in "Swap names" is refused', async () => {
    // The start of the swap renames the old target away; the checks rename the copy to the target's name.
    let atFailure: Promise<string[]> | undefined;
    const outcome = await refreshFailing(
      test,
      'second-rename-refused',
      { state: 'Swap names', on: 'succeeded', faults: refused('rds', 'ModifyDBInstance') },
      shopRefreshFile(),
      (event) => {
        // Read as the failure is caught, before the rollback's first request.
        if (event.type === 'caught') atFailure ??= test.instanceIds();
      },
    );

    const caught = outcome.run.events
      .filter((event) => event.type === 'caught')
      .map((event) => event.stateName);
    expect(caught).toEqual(['Check swap names']);
    const record = await test.recordOf(SHOP.target, 'second-rename-refused');
    expect(await atFailure).toEqual([
      `${SHOP.target}-new-${record?.runId}`,
      `${SHOP.target}-old-${record?.runId}`,
      'shop-prod',
    ]);
    await expectRolledBack(test, outcome, {
      step: 'Swap names',
      error: 'InvalidParameterCombination',
      cause: 'Injected failure of rds ModifyDBInstance',
    });
  }, 60_000);

  it('rolls back when RDS refuses a read replica in "Create replicas"', async () => {
    const file = shopRefreshFile();
    file.replicas = [{ instance: 'shop-dev-replica' }];

    const outcome = await refreshFailing(
      test,
      'replica-refused',
      { state: 'Create replicas', faults: refused('rds', 'CreateDBInstanceReadReplica') },
      file,
    );

    await expectRolledBack(test, outcome, {
      step: 'Create replicas',
      error: 'InvalidParameterCombination',
      cause: 'Injected failure of rds CreateDBInstanceReadReplica',
    });
  }, 60_000);

  it('rolls back when RDS refuses to list the tags in "Fix tags"', async () => {
    const outcome = await refreshFailing(test, 'tags-refused', {
      state: 'Fix tags',
      faults: refused('rds', 'ListTagsForResource'),
    });

    await expectRolledBack(test, outcome, {
      step: 'Fix tags',
      error: 'InvalidParameterCombination',
      cause: 'Injected failure of rds ListTagsForResource',
    });
  }, 60_000);

  // A rotation refused after the swap does not roll back: see admin-password.test.ts.

  it('records a failure in "Retire old target" without rollback: the target keeps the refreshed data, the old one stays under its retired name', async () => {
    const outcome = await refreshFailing(test, 'retire-refused', {
      state: 'Retire old target',
      faults: refused('rds', 'DeleteDBInstance'),
    });

    const record = await expectRefreshedWithoutRollback(test, outcome, {
      step: 'Retire old target',
      error: 'InvalidParameterCombination',
      cause: 'Injected failure of rds DeleteDBInstance',
    });
    const retired = `${SHOP.target}-old-${record?.runId}`;
    expect(await test.instanceIds()).toEqual([SHOP.target, retired, SHOP.source]);
    const oldCredentials = { username: 'dbadmin', password: outcome.before.password };
    expect(
      await query(outcome.before.endpoint, oldCredentials, 'shop', 'SELECT COUNT(*) AS n FROM customers'),
    ).toEqual([{ n: 7 }]);
    await test.clients.rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: retired, SkipFinalSnapshot: true }),
    );
    await waitUntilGone(retired);
  }, 90_000);

  it('records a failure in "Run hook after refresh" without rollback: the target keeps the refreshed data', async () => {
    test.account.lambda.register(
      AFTER_REFRESH_HOOK,
      () => {
        throw new Error('The search index could not be rebuilt');
      },
      HOOK_SETTINGS,
    );
    const file = shopRefreshFile();
    file.hooks = { afterRefresh: AFTER_REFRESH_HOOK };

    const outcome = await refreshFailing(test, 'after-hook-fails', undefined, file);

    await expectRefreshedWithoutRollback(test, outcome, {
      step: 'Run hook after refresh',
      error: 'HookError',
      cause: 'The search index could not be rebuilt',
    });
    expect(await test.instanceIds()).toEqual([SHOP.target, SHOP.source]);
  }, 60_000);

  it('records a failure in "Record success and notify" without rollback: the target keeps the refreshed data, the old one is gone', async () => {
    const outcome = await refreshFailing(test, 'record-refused', {
      state: 'Record success and notify',
      faults: refused('dynamodb', 'UpdateItem', 'ValidationException'),
    });

    await expectRefreshedWithoutRollback(test, outcome, {
      step: 'Record success and notify',
      error: 'ValidationException',
      cause: 'Injected failure of dynamodb UpdateItem',
    });
    expect(await test.instanceIds()).toEqual([SHOP.target, SHOP.source]);
  }, 60_000);
});

async function waitUntilGone(id: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await test.instanceIds()).includes(id)) {
    if (Date.now() > deadline) throw new Error(`${id} was not deleted within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
