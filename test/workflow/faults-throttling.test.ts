import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { openTestAccount, SHOP, seedShop, shopRefreshFile, type TestAccount } from './refresh-fixture';

let test: TestAccount;

beforeAll(async () => {
  test = await openTestAccount();
  await seedShop(test);
}, 120_000);

afterAll(async () => {
  await test?.close();
}, 60_000);

/** How many of `calls` single-attempt RDS calls the endpoint answers with Throttling. */
async function throttledOf(calls: number): Promise<number> {
  const rds = new RDSClient({
    endpoint: test.account.url,
    region: test.account.region,
    credentials: test.account.credentials,
    maxAttempts: 1,
  });
  let throttled = 0;
  for (let call = 0; call < calls; call++) {
    try {
      await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: SHOP.target }));
    } catch (error: unknown) {
      if (!(error instanceof Error && error.name === 'Throttling')) throw error;
      throttled += 1;
    }
  }
  rds.destroy();
  return throttled;
}

describe('a refresh while RDS throttles', () => {
  it('succeeds when 30% of RDS calls are throttled: the SDK and then the state machine retry them', async () => {
    test.setFaults({ throttle: [{ service: 'rds', fraction: 0.3 }] });
    // 0.7^50 (no call throttled) is about 2e-8.
    expect(await throttledOf(50)).toBeGreaterThan(0);

    const run = await test.refreshWithFault(shopRefreshFile(), 'throttled-refresh');

    expect(run.result.status).toBe('SUCCEEDED');
    const rows = (sql: string) => test.queryTarget(SHOP.target, SHOP.secretName, SHOP.database, sql);
    expect(await rows('SELECT COUNT(*) AS n FROM customers')).toEqual([{ n: 300 }]);
    expect(
      await rows("SELECT COUNT(*) AS n FROM customers WHERE email NOT LIKE '%@example.invalid'"),
    ).toEqual([{ n: 0 }]);
    expect(await test.instanceIds()).toEqual([SHOP.target, SHOP.source]);
    expect(await test.lockOf(SHOP.target)).toBeUndefined();
    expect(await test.recordOf(SHOP.target, 'throttled-refresh')).toMatchObject({ status: 'succeeded' });
    expect(run.notifications.map((message) => message.subject)).toEqual([
      '[dbrefresh] shop/development shop-dev: SUCCEEDED',
    ]);
  }, 110_000);
});
