import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ENDPOINT_URL_ENV } from '../../scripts/cli/deployment';
import { main } from '../../scripts/cli/main';
import { openTestAccount, SHOP, seedShop, shopRefreshFile, type TestAccount } from './refresh-fixture';

let test: TestAccount;
let refreshFilesDir: string;

/** Runs the CLI in this process against the test's account and returns what it printed. */
async function dbrefresh(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const printed = { out: '', err: '' };
  // The CLI signs with the administrator key of the account's state directory.
  const [command = '', ...rest] = args;
  const code = await main(['node', 'dbrefresh', command, '--state-dir', test.account.stateDir, ...rest], {
    out: (text) => {
      printed.out += text;
    },
    err: (text) => {
      printed.err += text;
    },
  });
  return { code, ...printed };
}

/** Resolves with the first execution the schedule starts (polling the local Scheduler's record of its fires). */
async function firstScheduledExecution(timeoutMilliseconds: number): Promise<string> {
  const deadline = Date.now() + timeoutMilliseconds;
  for (;;) {
    const fire = test.account.schedules.scheduler.store.get('dbrefresh', 'shop-dev')?.lastFire;
    if (fire?.executionArn) return fire.executionArn;
    if (fire?.error) throw new Error(`The schedule fired but started nothing: ${fire.error}`);
    if (Date.now() > deadline) throw new Error(`The schedule did not fire within ${timeoutMilliseconds} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  refreshFilesDir = mkdtempSync(path.join(tmpdir(), 'dbrefresh-schedules-'));
  const file = shopRefreshFile();
  file.schedule = { expression: 'cron(* * * * ? *)', timezone: 'Europe/Paris' };
  writeFileSync(path.join(refreshFilesDir, 'shop-dev.json'), JSON.stringify(file, null, 2));
  test = await openTestAccount({ refreshFilesDir });
  // As on AWS, where the databases exist before the schedules are deployed: no fire while seeding.
  await test.account.schedules.stop();
  await seedShop(test);
  test.account.schedules.restart();
  process.env[ENDPOINT_URL_ENV] = test.account.url;
}, 120_000);

afterAll(async () => {
  delete process.env[ENDPOINT_URL_ENV];
  await test?.close();
  rmSync(refreshFilesDir, { recursive: true, force: true });
}, 60_000);

describe('refresh schedules in local mode', () => {
  it('fires the schedule at its next minute: the refresh succeeds and the history and the CLI show it', async () => {
    const executionArn = await firstScheduledExecution(70_000);
    // One scheduled run is enough: no other starts while this one finishes.
    await test.account.schedules.stop();
    const execution = await test.account.states.waitForExecution(executionArn);
    const fire = test.account.schedules.scheduler.store.get('dbrefresh', 'shop-dev')?.lastFire;
    const run = executionArn.split(':').at(-1);

    expect(execution.status).toBe('SUCCEEDED');
    expect(new Date(fire?.scheduledTime ?? '').getUTCSeconds()).toBe(0);
    expect(Date.parse(fire?.firedAt ?? '') - Date.parse(fire?.scheduledTime ?? '')).toBeLessThan(5_000);
    expect(run).toMatch(/^[0-9a-f-]{36}$/);

    const history = await dbrefresh('history', '--local', '--target', SHOP.target, '--json');
    expect(history).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(history.out).runs).toEqual([
      expect.objectContaining({
        target: SHOP.target,
        status: 'succeeded',
        source: SHOP.source,
        requestedBy: 'schedule shop-dev',
        run,
      }),
    ]);

    const now = Date.now();
    const schedules = await dbrefresh('schedules', '--local', '--json');
    expect(schedules).toMatchObject({ code: 0, err: '' });
    const [schedule] = JSON.parse(schedules.out).schedules;
    expect(schedule).toMatchObject({
      name: 'shop-dev',
      state: 'ENABLED',
      expression: 'cron(* * * * ? *)',
      timezone: 'Europe/Paris',
      flexibleWindowMinutes: null,
      refreshFile: 'shop-dev.json',
      target: SHOP.target,
      lastRun: { status: 'succeeded', run },
    });
    expect(schedule.nextRuns).toHaveLength(3);
    expect(Date.parse(schedule.nextRuns[0])).toBeGreaterThan(now);
    expect(Date.parse(schedule.nextRuns[0])).toBeLessThanOrEqual(now + 60_000);
  }, 110_000);
});
