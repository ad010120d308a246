import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateDBSnapshotCommand } from '@aws-sdk/client-rds';
import { ENDPOINT_URL_ENV } from '../../scripts/cli/deployment';
import { main } from '../../scripts/cli/main';
import { openTestAccount, SHOP, seedShop, shopRefreshFile, type TestAccount } from './refresh-fixture';

/**
 * The operating commands (plan, start, status, watch, history, snapshots) against local mode, as a user runs
 * them: `main([...])` with --local. The test's account has no daemon, so DBREFRESH_ENDPOINT_URL gives the
 * commands its endpoint; its states service runs the executions in this process.
 */
let test: TestAccount;
let files: string;

beforeAll(async () => {
  test = await openTestAccount();
  await seedShop(test);
  process.env[ENDPOINT_URL_ENV] = test.account.url;
  files = mkdtempSync(path.join(tmpdir(), 'dbrefresh-cli-operate-'));
}, 120_000);

afterAll(async () => {
  delete process.env[ENDPOINT_URL_ENV];
  await test?.close();
}, 60_000);

/** Runs `dbrefresh <args> --local` and returns what a user sees. */
async function dbrefresh(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  // The account's administrator key is in its state directory; a test's own --state-dir comes later and wins.
  const [command = '', ...rest] = args;
  const code = await main(
    ['node', 'dbrefresh', command, '--state-dir', test.account.stateDir, ...rest, '--local'],
    {
      out: (text) => {
        stdout += text;
      },
      err: (text) => {
        stderr += text;
      },
    },
  );
  return { code, stdout, stderr };
}

function writeFile(name: string, content: unknown): string {
  const file = path.join(files, name);
  writeFileSync(file, JSON.stringify(content, null, 2));
  return file;
}

/** The run name `start` printed. */
function runNameIn(stdout: string): string {
  const name = /^Run +(shop-dev-[0-9a-f]{12}) /m.exec(stdout)?.[1];
  if (!name) throw new Error(`no run name in:\n${stdout}`);
  return name;
}

describe('the operating commands in local mode', () => {
  it('snapshots: shows the source restorable window and its snapshots', async () => {
    await test.clients.rds.send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: SHOP.source,
        DBSnapshotIdentifier: 'shop-prod-manual',
      }),
    );

    const { code, stdout } = await dbrefresh('snapshots', SHOP.source);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^Source {13}shop-prod \(DB instance, mariadb, available\)$/m);
    expect(stdout).toMatch(/^Restorable window {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ to \d{4}-\d\d-\d\d/m);
    // Its time shows once the copy is taken (a snapshot being created has none yet).
    expect(stdout).toMatch(
      /^shop-prod-manual +\S+( \S+)? +manual +\d+ GiB +not encrypted +(creating|available)$/m,
    );
  }, 60_000);

  it('plan: resolves the run without changing anything', async () => {
    const before = await test.instanceIds();

    const { code, stdout } = await dbrefresh('plan', writeFile('shop-dev.json', shopRefreshFile()));

    expect(code).toBe(0);
    expect(stdout).toMatch(/^Source +shop-prod \(mariadb /m);
    expect(stdout).toMatch(/^Restore +latestpoint: the source's latest restorable time, \d{4}-/m);
    expect(stdout).toContain('Target          shop-dev (DB instance, exists: replaced by the copy)');
    expect(stdout).toMatch(/^ {2}✓ Run scripts$/m);
    expect(stdout).toMatch(/^ {2}- Create replicas +skipped: no read replicas$/m);
    expect(stdout).toContain('Guards: all passed');
    expect(stdout).toContain('Expected duration: unknown (shop-dev has no successful run yet)');
    expect(await test.instanceIds()).toEqual(before);
    expect(await test.historyOf(SHOP.target)).toEqual([]);
  }, 60_000);

  it('plan: refuses a production target with exit 1 and the guard', async () => {
    const file = shopRefreshFile();
    file.source = { instance: SHOP.target };
    file.target = { instance: SHOP.source };

    const { code, stdout } = await dbrefresh('plan', writeFile('shop-prod.json', file));

    expect(code).toBe(1);
    expect(stdout).toMatch(/would be refused; nothing was changed\.\nGuardError: .*shop-prod.*production/);
  }, 60_000);

  it('start --wait: follows a failing run to its failed step and cause, exit 1', async () => {
    const file = shopRefreshFile();
    file.scripts.verify = ["SELECT id FROM customers WHERE email LIKE '%@example.invalid'"];

    const { code, stdout } = await dbrefresh('start', '--wait', writeFile('failing.json', file));

    expect(code).toBe(1);
    expect(stdout).toMatch(/^\S+ \S+ {2}Plan refresh: succeeded in /m);
    expect(stdout).toMatch(/^\S+ \S+ {2}Run scripts: failed after .*\(ScriptError: Verification query 1/m);
    expect(stdout).toMatch(/^\S+ \S+ {2}Roll back: succeeded in /m);
    expect(stdout).toMatch(/^Refresh FAILED after .* \(run shop-dev-[0-9a-f]{12}\)$/m);
    expect(stdout).toContain('Failed step: Run scripts');
    expect(stdout).toMatch(/^Error: ScriptError: Verification query 1 returned 300 row\(s\)/m);
    expect(stdout).toContain('The target kept its previous data (the refresh was rolled back).');
  }, 120_000);

  it('start: refuses a second identical start while the first runs; watch follows it to SUCCEEDED', async () => {
    const file = writeFile('shop-dev.json', shopRefreshFile());
    const started = await dbrefresh('start', file);
    const run = runNameIn(started.stdout);

    const again = await dbrefresh('start', file);
    const watched = await dbrefresh('watch', run);

    expect(started.code).toBe(0);
    expect(started.stdout).toContain(`Follow it with \`dbrefresh watch ${run} --local\``);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`is already running as ${run}`);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/^\S+ \S+ {2}Swap names: succeeded in /m);
    expect(watched.stdout).toMatch(
      new RegExp(
        `^Refresh SUCCEEDED in .*: shop-dev now holds shop-prod's data as of .* \\(run ${run}\\)$`,
        'm',
      ),
    );
    expect(await test.recordOf(SHOP.target, run)).toMatchObject({ status: 'succeeded' });
  }, 120_000);

  it('status: shows a finished run with its steps and history record; --json too', async () => {
    const [latest] = await test.historyOf(SHOP.target);
    const run = String(latest?.executionArn).split(':').at(-1) ?? '';

    const text = await dbrefresh('status', run);
    const json = await dbrefresh('status', '--json', run);

    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Status +SUCCEEDED, took /m);
    expect(text.stdout).toMatch(/^Source +shop-prod$/m);
    expect(text.stdout).toMatch(/^Aligned to +\d{4}-/m);
    expect(text.stdout).toMatch(/^ {2}✓ Restore temporary copy +succeeded/m);
    expect(JSON.parse(json.stdout)).toMatchObject({
      run,
      status: 'SUCCEEDED',
      target: SHOP.target,
      requestedBy: expect.stringMatching(/^local:/),
      record: { status: 'succeeded', source: SHOP.source },
    });
  }, 60_000);

  it('history: lists the runs, with filters, per target, and nothing for an unused status', async () => {
    const all = await dbrefresh('history', '--json');
    const target = await dbrefresh('history', '--target', SHOP.target);
    const failed = await dbrefresh(
      'history',
      '--application',
      'shop',
      '--environment',
      'development',
      '--status',
      'failed',
    );
    const running = await dbrefresh('history', '--status', 'running', '--since', '1h');
    const latest = await dbrefresh(
      'history',
      '--application',
      'shop',
      '--environment',
      'development',
      '--latest',
    );
    const stale = await dbrefresh(
      'history',
      '--application',
      'shop',
      '--environment',
      'development',
      '--stale',
      '1',
    );

    expect(JSON.parse(all.stdout).runs.map((run: { status: string }) => run.status)).toEqual([
      'succeeded',
      'failed',
    ]);
    expect(target.stdout).toMatch(
      /^shop-dev +succeeded +shop-prod +\S+ \S+ +\S+ \S+ +\S+( \S+)? +local:\S+ +- +shop-dev-/m,
    );
    expect(target.stdout).toMatch(/^shop-dev +failed +shop-prod .* +Run scripts +shop-dev-/m);
    expect(failed.stdout.trim().split('\n')).toHaveLength(2);
    expect(running.stdout).toMatch(/^No runs match \(status running, since .*\)\.$/m);
    expect(latest.stdout).toMatch(/^shop-dev +succeeded +\S+ \S+ +\S+ \S+ +\d+s ago +shop-prod +shop-dev-/m);
    expect(stale.stdout).toBe('No target (application shop/development) has data older than 1 days.\n');
  }, 60_000);

  it('fails with exit 1 and a clear message for an unknown run, source, filter or stack, and local mode down', async () => {
    const unknownRun = await dbrefresh('status', 'shop-dev-000000000000');
    const unknownSource = await dbrefresh('snapshots', 'shop-nowhere');
    const badFilter = await dbrefresh('history', '--status', 'finished');
    const noStack = await dbrefresh('history', '--stack', 'Elsewhere');
    delete process.env[ENDPOINT_URL_ENV];
    const stateDir = mkdtempSync(path.join(tmpdir(), 'dbrefresh-no-daemon-'));
    const down = await dbrefresh('history', '--state-dir', stateDir);
    process.env[ENDPOINT_URL_ENV] = test.account.url;

    expect(unknownRun).toMatchObject({ code: 1, stdout: '' });
    expect(unknownRun.stderr).toMatch(
      /^error: no run "shop-dev-000000000000" \(execution arn:aws:states:eu-west-1:/,
    );
    expect(unknownSource).toMatchObject({
      code: 1,
      stderr:
        'error: no DB cluster or DB instance named "shop-nowhere" in eu-west-1 (local mode); check the identifier (list them with `dbrefresh local status`)\n',
    });
    expect(badFilter.code).toBe(1);
    expect(badFilter.stderr).toContain("option '--status <status>' argument 'finished' is invalid");
    expect(noStack).toMatchObject({
      code: 1,
      stderr: 'error: stack Elsewhere not found in eu-west-1; deploy it (npx cdk deploy) or pass --stack\n',
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(
      `error: local mode is not running (no endpoint serves ${stateDir}); start it with \`dbrefresh local up --state-dir ${stateDir}\`\n`,
    );
  }, 60_000);
});
