import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { isAlive } from '../../local/engines/server-process';

const root = path.join(__dirname, '..', '..');

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `dbrefresh` CLI as a user does, from the project root. */
async function dbrefresh(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      'node',
      [path.join(root, 'scripts', 'dbrefresh.js'), ...args],
      { cwd: root, timeout: 150_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (e: unknown) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let stateDir: string;
/** `dbrefresh local <command> --state-dir <the test's directory> ...args`. */
const local = (command: string, ...args: string[]) =>
  dbrefresh('local', command, '--state-dir', stateDir, ...args);

beforeAll(() => {
  // The state directory itself: `up` lets the engines' accounts through it, not through a private parent.
  stateDir = mkdtempSync(path.join(tmpdir(), 'dbrefresh-cli-local-'));
});

afterAll(async () => {
  // Whatever happened above: no daemon, no database server and no files may outlive the test.
  if (existsSync(stateDir)) await local('reset', '--yes');
  rmSync(stateDir, { recursive: true, force: true });
}, 120_000);

describe('dbrefresh local', () => {
  it('refuses to seed, naming the fix, while the endpoint is down', async () => {
    const { code, stderr } = await local('seed');

    expect(code).toBe(1);
    expect(stderr).toContain(
      `error: The local endpoint of ${stateDir} is not running: start it with \`dbrefresh local up --state-dir ${stateDir}\``,
    );
  });

  it('rejects an unknown engine and a malformed port, naming the value and what is allowed', async () => {
    const engine = await local('seed', '--engine', 'oracle');
    const port = await local('up', '--port', '99999');

    expect(engine.code).toBe(1);
    expect(engine.stderr).toContain("argument 'oracle' is invalid. Allowed choices are mariadb, postgres.");
    expect(port.code).toBe(1);
    expect(port.stderr).toContain('"99999" is not a port: use a whole number from 1 to 65535.');
  });

  it('starts the endpoint in the background, records it and prints the export line', async () => {
    const { code, stdout } = await local('up');

    expect(code).toBe(0);
    const record = JSON.parse(readFileSync(path.join(stateDir, 'endpoint.json'), 'utf8'));
    expect(record).toEqual({
      pid: expect.any(Number),
      port: expect.any(Number),
      url: `http://127.0.0.1:${record.port}`,
      startedAt: expect.any(String),
    });
    expect(isAlive(record.pid)).toBe(true);
    expect(stdout).toContain(`Local AWS endpoint up at ${record.url} (pid ${record.pid}`);
    expect(stdout).toContain(`export AWS_ENDPOINT_URL=${record.url}\n`);
  }, 150_000);

  it('says so and exits 0 when the endpoint already runs', async () => {
    const { code, stdout } = await local('up');

    expect(code).toBe(0);
    expect(stdout).toMatch(/^The local endpoint is already up at http:\/\/127\.0\.0\.1:\d+ \(pid \d+\)/);
  });

  it('fails naming the port and the fix when --port is taken', async () => {
    const { port } = JSON.parse(readFileSync(path.join(stateDir, 'endpoint.json'), 'utf8'));
    const otherStateDir = mkdtempSync(path.join(tmpdir(), 'dbrefresh-cli-local-other-'));

    const { code, stderr } = await dbrefresh(
      'local',
      'up',
      '--state-dir',
      otherStateDir,
      '--port',
      String(port),
    );
    rmSync(otherStateDir, { recursive: true, force: true });

    expect(code).toBe(1);
    expect(stderr).toContain(`error: Port ${port} is in use on 127.0.0.1: choose another with --port`);
  });

  it('shows the endpoint up and no instances yet', async () => {
    const { code, stdout } = await local('status');

    expect(code).toBe(0);
    expect(stdout).toMatch(/Endpoint: up at http:\/\/127\.0\.0\.1:\d+ \(pid \d+, since /);
    expect(stdout).toContain('No DB instances or clusters yet');
  });

  it('seeds a source and a refreshable target and names their secrets, never a password', async () => {
    const { code, stdout } = await local(
      'seed',
      '--customers',
      '200',
      '--source',
      'app1-prod',
      '--target',
      'app1-dev',
    );

    expect(code).toBe(0);
    expect(stdout).toMatch(/source app1-prod \(mariadb\) at 127\.0\.0\.1:\d+, database shop: 200 customers/);
    expect(stdout).toMatch(/target app1-dev \(mariadb\) at 127\.0\.0\.1:\d+, database shop: 25 customers/);
    expect(stdout).toContain('tags: environment=development, application=shop, dbrefresh:refreshable=true');
    expect(stdout).toContain('admin credentials: secret /development/shop/app1-dev');
    expect(stdout).not.toMatch(/password"?\s*[:=]/i);
  }, 150_000);

  it('refuses to seed over an existing instance, naming it and the fix', async () => {
    const { code, stderr } = await local('seed', '--source', 'app1-prod', '--target', 'app1-test');

    expect(code).toBe(1);
    expect(stderr).toContain(
      `error: DB instance "app1-prod" already exists in the local account: name another with --source/--target, ` +
        `or start over with \`dbrefresh local reset --yes --state-dir ${stateDir}\``,
    );
  });

  it('lists the instances with status, engine and endpoint through the RDS API, also as JSON', async () => {
    const text = await local('status');
    const json = await local('status', '--json');

    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/app1-dev +instance +mariadb +available +127\.0\.0\.1:\d+/);
    expect(text.stdout).toMatch(/app1-prod +instance +mariadb +available +127\.0\.0\.1:\d+/);
    expect(JSON.parse(json.stdout)).toMatchObject({
      stateDir,
      endpoint: { state: 'up' },
      source: 'rds-api',
      resources: [
        { kind: 'instance', id: 'app1-dev', engine: 'mariadb', status: 'available' },
        { kind: 'instance', id: 'app1-prod', engine: 'mariadb', status: 'available' },
      ],
    });
    // Two CLI processes: each starts in about 2 s on a loaded machine.
  }, 30_000);

  it('stops the endpoint and every database server, keeping the data', async () => {
    const { pid } = JSON.parse(readFileSync(path.join(stateDir, 'endpoint.json'), 'utf8'));

    const { code, stdout } = await local('down');

    expect(code).toBe(0);
    expect(stdout).toContain(
      `Stopped the local endpoint (pid ${pid}) and 2 database servers; the data stays in`,
    );
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(path.join(stateDir, 'endpoint.json'))).toBe(false);
    expect(existsSync(path.join(stateDir, 'rds.json'))).toBe(true);
  }, 90_000);

  it('says the endpoint is down and lists the stopped servers from the engine store', async () => {
    const { code, stdout } = await local('status');

    expect(code).toBe(0);
    expect(stdout).toContain(`Endpoint: down (start it with \`dbrefresh local up --state-dir ${stateDir}\`)`);
    expect(stdout).toMatch(/app1-prod +instance +mariadb +server stopped +127\.0\.0\.1:\d+/);
  });

  it('says the account is already down when nothing runs', async () => {
    const { code, stdout } = await local('down');

    expect(code).toBe(0);
    expect(stdout).toContain(`The local account in ${stateDir} is already down.`);
  });

  it('brings the instances back when started again', async () => {
    const up = await local('up');
    const status = await local('status', '--json');

    expect(up.code).toBe(0);
    expect(JSON.parse(status.stdout).resources).toEqual([
      expect.objectContaining({ id: 'app1-dev', status: 'available' }),
      expect.objectContaining({ id: 'app1-prod', status: 'available' }),
    ]);
    const servers = await local('down');
    expect(servers.stdout).toContain('and 2 database servers');
  }, 150_000);

  it('refuses to reset without --yes and keeps the state directory', async () => {
    const { code, stderr } = await local('reset');

    expect(code).toBe(1);
    expect(stderr).toContain(`Run \`dbrefresh local reset --yes --state-dir ${stateDir}\` to confirm.`);
    expect(existsSync(stateDir)).toBe(true);
  });

  it('deletes the state directory with reset --yes', async () => {
    const { code, stdout } = await local('reset', '--yes');

    expect(code).toBe(0);
    expect(stdout).toContain(`Deleted ${stateDir}.`);
    expect(existsSync(stateDir)).toBe(false);
  }, 90_000);
});
