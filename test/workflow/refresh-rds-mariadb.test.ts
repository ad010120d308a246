import type { SeededDatabase } from '../../local/seed/seed-database';
import {
  accepts,
  openTestAccount,
  query,
  SHOP,
  seedShop,
  shopRefreshFile,
  type TestAccount,
} from './refresh-fixture';

let test: TestAccount;
let source: SeededDatabase;
let oldTarget: SeededDatabase;

beforeAll(async () => {
  test = await openTestAccount();
  ({ source, target: oldTarget } = await seedShop(test));
}, 120_000);

afterAll(async () => {
  await test?.close();
}, 60_000);

describe('a refresh of an RDS MariaDB target through the real state machine', () => {
  it('rolls back when a verification query finds unmasked rows: the target keeps its data and password', async () => {
    const file = shopRefreshFile();
    file.scripts.verify = ["SELECT id FROM customers WHERE email LIKE '%@example.invalid'"];

    const result = await test.refresh(file, 'failing-verification');

    expect(result).toMatchObject({ status: 'FAILED', error: 'ScriptError' });
    const target = await test.secretCredentials(SHOP.secretName);
    expect(target.password).toBe(oldTarget.password);
    expect(await query(oldTarget.endpoint, target, 'shop', 'SELECT COUNT(*) AS n FROM customers')).toEqual([
      { n: 7 },
    ]);
    expect(await test.instanceIds()).toEqual(['shop-dev', 'shop-prod']);
    expect(await test.lockOf('shop-dev')).toBeUndefined();
    const [record] = await test.historyOf('shop-dev');
    expect(record).toMatchObject({
      status: 'failed',
      failedStep: 'Run scripts',
      error: 'ScriptError',
      rolledBack: true,
    });
    expect(String(record?.cause)).toContain('Verification query 1 returned 300 row(s)');
    expect(test.notifications().at(-1)?.subject).toBe('[dbrefresh] shop/development shop-dev: FAILED');
  }, 120_000);

  it('replaces the target with a masked copy of the source, a new password, its tags, a record and a notification', async () => {
    const result = await test.refresh(shopRefreshFile(), 'demo-refresh');

    expect(result.status).toBe('SUCCEEDED');
    const credentials = await test.secretCredentials(SHOP.secretName);
    expect(credentials.password).not.toBe(oldTarget.password);
    expect(credentials.password).not.toBe(source.password);
    const endpoint = await test.endpointOf('shop-dev');
    const rows = (sql: string) => query(endpoint, credentials, 'shop', sql);
    expect(await rows('SELECT COUNT(*) AS n FROM customers')).toEqual([{ n: 300 }]);
    expect(await rows('SELECT COUNT(*) AS n FROM orders')).toEqual([{ n: 900 }]);
    expect(
      await rows("SELECT COUNT(*) AS n FROM customers WHERE email NOT LIKE '%@example.invalid'"),
    ).toEqual([{ n: 0 }]);
    expect(await rows('SELECT first_name, email FROM customers WHERE id = 2')).toEqual([
      { first_name: 'First2', email: 'customer2@example.invalid' },
    ]);
    expect(await accepts(endpoint, { username: credentials.username, password: oldTarget.password })).toBe(
      false,
    );
    expect(await accepts(endpoint, { username: credentials.username, password: source.password })).toBe(
      false,
    );
    const [record] = await test.historyOf('shop-dev');
    expect(record).toMatchObject({
      status: 'succeeded',
      source: 'shop-prod',
      restoreType: 'latestpoint',
      application: 'shop',
      environment: 'development',
    });
    expect(await test.instanceIds()).toEqual(['shop-dev', 'shop-prod']);
    expect(await test.lockOf('shop-dev')).toBeUndefined();
    const tags = await test.tags('shop-dev');
    expect(tags).toMatchObject({
      'dbrefresh:refreshable': 'true',
      'dbrefresh:source': 'shop-prod',
      'dbrefresh:restore-point': record?.restorePoint,
      team: 'checkout',
      'data-classification': 'masked',
    });
    expect(test.notifications().at(-1)?.subject).toBe('[dbrefresh] shop/development shop-dev: SUCCEEDED');
  }, 120_000);
});
