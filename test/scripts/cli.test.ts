import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { errorsOf, parseRefreshFile } from '../../lambdas/shared/refresh-model';

const root = join(__dirname, '..', '..');
const examples = join(root, 'refresh-files');

/** Runs the `dbrefresh` binary as a user does after `npm ci`, from the project root. */
async function dbrefresh(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      'node',
      [join(root, 'scripts', 'dbrefresh.js'), ...args],
      { cwd: root },
    );
    return { code: 0, stdout, stderr };
  } catch (e: unknown) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function writeJson(name: string, content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'dbrefresh-cli-')), name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const invalidFile = {
  application: 'app1',
  environment: 'development',
  service: 'rds',
  source: { instance: 'app1-prod' },
  target: { instance: 'app1-prod', instanceclass: 'db.t4g.medium' },
  restore: { type: 'restorepoint', time: '20/11/2026' },
};

describe('dbrefresh validate', () => {
  it('exits 0 for the example refresh files and says each is valid', async () => {
    const { code, stdout } = await dbrefresh(
      'validate',
      join(examples, 'rds-mysql-latestpoint.json'),
      join(examples, 'blog-per-step-rds-mysql.json'),
    );

    expect(code).toBe(0);
    expect(stdout).toMatch(/rds-mysql-latestpoint\.json: valid \(concise form\)/);
    expect(stdout).toMatch(
      /blog-per-step-rds-mysql\.json: valid \(per-step form; `dbrefresh convert` prints its concise form\)/,
    );
    expect(stdout).toMatch(/2 files checked: 2 valid, 0 invalid \(0 errors, 4 warnings\)/);
  });

  it('prints warnings without failing and never prints the plain-text password', async () => {
    const { code, stdout } = await dbrefresh('validate', join(examples, 'blog-per-step-rds-mysql.json'));

    expect(code).toBe(0);
    expect(stdout).toContain('$.changeadminpwd.temppwd: warning: is a plain-text password');
    expect(stdout).toContain('got: <redacted>');
    expect(stdout).not.toContain('temppwd123');
  });

  it('fails with exit 1 and prints every problem as file: path: message (got; expected)', async () => {
    const file = writeJson('app1-dev.json', invalidFile);

    const { code, stdout } = await dbrefresh('validate', file);

    expect(code).toBe(1);
    const lines = stdout.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `^${escapeRegExp(file)}: \\$\\.target\\.instanceclass: is not a known field \\(got: "db\\.t4g\\.medium"; expected: did you mean "instanceClass"\\?`,
          ),
        ),
        expect.stringMatching(
          new RegExp(
            `^${escapeRegExp(file)}: \\$\\.restore\\.time: is not a valid UTC time in ISO 8601 \\(got: "20/11/2026"; expected: a UTC time such as "2026-11-20T03:00:00Z"\\)$`,
          ),
        ),
        expect.stringMatching(
          new RegExp(`^${escapeRegExp(file)}: \\$\\.target\\.instance: is the same database as the source`),
        ),
        '1 file checked: 0 valid, 1 invalid (3 errors, 0 warnings)',
      ]),
    );
  });

  it('reports an unreadable file and bad JSON with the position, and checks the other files', async () => {
    const broken = writeJson('broken.json', '{\n  "service": "rds",\n}');

    const { code, stdout } = await dbrefresh(
      'validate',
      broken,
      join(root, 'no-such-file.json'),
      join(examples, 'rds-mysql-latestpoint.json'),
    );

    expect(code).toBe(1);
    expect(stdout).toMatch(/broken\.json: \$: not valid JSON: .*line 3 column 1/);
    expect(stdout).toContain('no-such-file.json: $: file not found');
    expect(stdout).toContain('rds-mysql-latestpoint.json: valid');
  });

  it('prints machine-readable results with --json', async () => {
    const file = writeJson('app1-dev.json', invalidFile);

    const { code, stdout } = await dbrefresh(
      'validate',
      '--json',
      file,
      join(examples, 'blog-per-step-rds-mysql.json'),
    );

    expect(code).toBe(1);
    const result = JSON.parse(stdout);
    expect(result.valid).toBe(false);
    expect(result.files[0]).toMatchObject({ file, valid: false, form: 'concise' });
    expect(result.files[0].errors).toContainEqual({
      path: '$.restore.time',
      message: 'is not a valid UTC time in ISO 8601',
      got: '"20/11/2026"',
      expected: 'a UTC time such as "2026-11-20T03:00:00Z"',
    });
    expect(result.files[1]).toMatchObject({ valid: true, form: 'per-step' });
    expect(result.files[1].warnings.length).toBeGreaterThan(0);
  });

  it('skips the JSON Schema when a glob matches it', async () => {
    const { code, stdout } = await dbrefresh('validate', join(examples, 'refresh-file.schema.json'));

    expect(code).toBe(0);
    expect(stdout).toContain('skipped (a JSON Schema, not a refresh file)');
  });

  it('fails cleanly on JSON nested 5,000 levels deep, naming the limit and the depth found', async () => {
    const file = writeJson('deep.json', `{"service":"rds","comment":${'['.repeat(5000)}${']'.repeat(5000)}}`);

    const { code, stdout, stderr } = await dbrefresh('validate', file);

    expect(code).toBe(1);
    expect(stdout).toContain('nests objects and arrays 5001 levels deep, deeper than the limit of 100');
    expect(stderr).not.toContain('Maximum call stack size exceeded');
  });

  it('fails with usage help when no file is given', async () => {
    const { code, stderr } = await dbrefresh('validate');

    expect(code).toBe(1);
    expect(stderr).toContain("missing required argument 'file'");
  });
});

describe('dbrefresh convert', () => {
  it('prints the concise equivalent of a per-step file, which validates, with warnings on stderr', async () => {
    const { code, stdout, stderr } = await dbrefresh(
      'convert',
      join(examples, 'blog-per-step-rds-mysql.json'),
    );

    expect(code).toBe(0);
    const concise = JSON.parse(stdout);
    expect(concise).toMatchObject({
      $schema: './refresh-file.schema.json',
      service: 'rds',
      target: { instance: 'mysqlinstd' },
    });
    expect(errorsOf(parseRefreshFile(concise))).toEqual([]);
    expect(parseRefreshFile(concise).form).toBe('concise');
    expect(stderr).toContain('$.updatedynamodb.tablename: warning: is ignored');
    expect(stdout + stderr).not.toContain('temppwd123');
  });

  it('refuses an invalid file with exit 1 and prints nothing on stdout', async () => {
    const { code, stdout, stderr } = await dbrefresh(
      'convert',
      writeJson('bad.json', { restore: { dbservice: 'rds', restoretype: 'pitr' } }),
    );

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/\$\.restore\.restoretype: is not an allowed value/);
    expect(stderr).toContain('not converted: fix the errors above');
  });
});

describe('dbrefresh', () => {
  it('rejects an unknown command', async () => {
    const { code, stderr } = await dbrefresh('refresh');

    expect(code).toBe(1);
    expect(stderr).toContain("unknown command 'refresh'");
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
