import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { openTestAccount, type TestAccount } from './refresh-fixture';

const DEMO = path.join(__dirname, '..', '..', 'local', 'demo');
const TARGET = 'shop-dev';
const SECRET = '/development/shop/shop-dev';
const demoFile = () => JSON.parse(readFileSync(path.join(DEMO, 'shop-dev.json'), 'utf8'));

let test: TestAccount;

beforeAll(async () => {
  test = await openTestAccount();
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
  await new Promise((resolve) => setTimeout(resolve, 1100));
}, 120_000);

afterAll(async () => {
  await test?.close();
}, 60_000);

/** How many of `calls` single-attempt RDS calls the endpoint answers with Throttling. */
async function throttledOf(calls: number): Promise<number> {
  const rds = new RDSClient({
    endpoint: test.account.url,
    region: test.account.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  let throttled = 0;
  for (let call = 0; call < calls; call++) {
    try {
      await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: TARGET }));
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

    const run = await test.refreshWithFault(demoFile(), 'throttled-refresh');

    expect(run.result.status).toBe('SUCCEEDED');
    const rows = (sql: string) => test.queryTarget(TARGET, SECRET, 'shop', sql);
    expect(await rows('SELECT COUNT(*) AS n FROM customers')).toEqual([{ n: 300 }]);
    expect(
      await rows("SELECT COUNT(*) AS n FROM customers WHERE email NOT LIKE '%@example.invalid'"),
    ).toEqual([{ n: 0 }]);
    expect(await test.instanceIds()).toEqual([TARGET, 'shop-prod']);
    expect(await test.lockOf(TARGET)).toBeUndefined();
    expect(await test.recordOf(TARGET, 'throttled-refresh')).toMatchObject({ status: 'succeeded' });
    expect(run.notifications.map((message) => message.subject)).toEqual([
      '[dbrefresh] shop/development shop-dev: SUCCEEDED',
    ]);
  }, 110_000);
});
