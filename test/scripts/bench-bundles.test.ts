import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildBundle,
  checkTargets,
  findStepEntries,
  formatBundleReport,
  INIT_LIMIT_MS,
  measureInit,
  median,
  resolveTarget,
  SIZE_LIMIT_BYTES,
  taskBuildOptions,
} from '../../scripts/bench/bundles';

const envModule = join(__dirname, '..', '..', 'lambdas', 'shared', 'env');

const tempDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dbrefresh-bench-test-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** Writes a fixture entry in its own temp dir and returns its path. */
function writeEntry(source: string): string {
  const entry = join(tempDir(), 'handler.ts');
  writeFileSync(entry, source);
  return entry;
}

describe('median', () => {
  it('returns the middle value of an odd count, whatever the order', () => {
    expect(median([30, 10, 50, 20, 40])).toBe(30);
  });

  it('returns the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('does not reorder the values it is given', () => {
    const values = [3, 1, 2];

    median(values);

    expect(values).toEqual([3, 1, 2]);
  });

  it('rejects an empty list', () => {
    expect(() => median([])).toThrow(/median of no values/);
  });
});

describe('findStepEntries', () => {
  it('lists step folders with a handler.ts, sorted, skipping shared and folders without one', () => {
    const lambdas = tempDir();
    for (const folder of ['tags', 'plan', 'shared', 'half-written']) mkdirSync(join(lambdas, folder));
    for (const folder of ['tags', 'plan', 'shared']) writeFileSync(join(lambdas, folder, 'handler.ts'), '');

    expect(findStepEntries(lambdas)).toEqual([
      { step: 'plan', entry: join(lambdas, 'plan', 'handler.ts') },
      { step: 'tags', entry: join(lambdas, 'tags', 'handler.ts') },
    ]);
  });
});

describe('taskBuildOptions', () => {
  it('builds as TASK_BUNDLING deploys: node platform, minified CJS, names kept, AWS SDK bundled', () => {
    expect(taskBuildOptions('node24')).toMatchObject({
      bundle: true,
      platform: 'node',
      minify: true,
      keepNames: true,
      target: 'node24',
      format: 'cjs',
      external: [],
    });
  });
});

describe('resolveTarget', () => {
  it('keeps a target the installed esbuild accepts', async () => {
    await expect(resolveTarget('node20')).resolves.toEqual({ target: 'node20' });
  });

  it('rejects a target that is not nodeN when esbuild does not know it', async () => {
    await expect(resolveTarget('not-a-target')).rejects.toThrow(/accepts neither target not-a-target/);
  });
});

describe('buildBundle', () => {
  it('writes a minified index.js with the AWS SDK bundled, without its default credential chain, and reports its size', async () => {
    const entry = writeEntry(
      "import { SNSClient } from '@aws-sdk/client-sns';\nexport const client = new SNSClient({});\n",
    );
    const outDir = tempDir();

    const bundle = await buildBundle(entry, outDir);

    const code = readFileSync(bundle.path, 'utf8');
    expect(bundle.path).toBe(join(outDir, 'index.js'));
    expect(bundle.sizeBytes).toBe(Buffer.byteLength(code));
    expect(bundle.sizeBytes).toBeGreaterThan(0);
    expect(code).not.toContain('require("@aws-sdk/client-sns")');
    // Lambda's credentials are in the environment: the SSO and instance-metadata providers are not bundled.
    expect(code).not.toMatch(/fromSSO|fromInstanceMetadata/);
  });

  it('rejects an entry that does not compile', async () => {
    const entry = writeEntry('export const broken = ;\n');

    await expect(buildBundle(entry, tempDir())).rejects.toThrow(/Build failed/);
  });
});

describe('measureInit', () => {
  it('times fresh loads of a bundle with the AWS SDK in it', async () => {
    const entry = writeEntry(
      "import { SNSClient } from '@aws-sdk/client-sns';\nexport const client = new SNSClient({});\n",
    );
    const bundle = await buildBundle(entry, tempDir());

    const init = await measureInit(bundle.path, 3);

    expect(init.samplesMs).toHaveLength(3);
    expect(init.medianMs).toBeGreaterThan(0);
    expect(init.medianMs).toBe(median(init.samplesMs));
    expect(init.placeholderEnv).toEqual([]);
  });

  it('gives each environment variable the handler requires at load a placeholder', async () => {
    const entry = writeEntry(
      `import { requireEnv } from ${JSON.stringify(envModule)};\n` +
        "export const table = requireEnv('TABLE_NAME');\nexport const topic = requireEnv('TOPIC_ARN');\n",
    );
    const bundle = await buildBundle(entry, tempDir());

    const init = await measureInit(bundle.path, 1);

    expect(init.placeholderEnv).toEqual(['TABLE_NAME', 'TOPIC_ARN']);
    expect(init.medianMs).toBeGreaterThan(0);
  });

  it('rejects a bundle that throws at load, with the error it printed', async () => {
    const entry = writeEntry("throw new Error('boom at load');\n");
    const bundle = await buildBundle(entry, tempDir());

    await expect(measureInit(bundle.path, 1)).rejects.toThrow(/boom at load/);
  });
});

describe('checkTargets', () => {
  it('accepts a bundle at both limits', () => {
    expect(checkTargets(SIZE_LIMIT_BYTES, INIT_LIMIT_MS)).toEqual([]);
  });

  it('names each missed target', () => {
    expect(checkTargets(SIZE_LIMIT_BYTES + 1, INIT_LIMIT_MS + 0.5)).toEqual([
      '1024.0 KiB is over the 1024.0 KiB size limit',
      '200.5 ms cold init is over the 200 ms limit',
    ]);
  });
});

describe('formatBundleReport', () => {
  it('prints a row per step with its ratio to the baseline, then the summary and each failure', () => {
    const text = formatBundleReport({
      target: 'node24',
      limits: { sizeBytes: SIZE_LIMIT_BYTES, initMs: INIT_LIMIT_MS, runs: 5 },
      baseline: { sizeBytes: 53, initMs: 2 },
      bundles: [
        { step: 'plan', sizeBytes: 2048, initMs: 50, initRatio: 25, problems: [], pass: true },
        {
          step: 'restore',
          sizeBytes: 4096,
          initMs: 250,
          initRatio: 125,
          problems: ['250.0 ms cold init is over the 200 ms limit'],
          pass: false,
        },
        { step: 'tags', error: 'build failed: no such file', problems: ['does not build'], pass: false },
      ],
      pass: false,
    });

    expect(text).toMatch(/^plan +2\.0 +50\.0 +25\.0× +PASS$/m);
    expect(text).toMatch(/^restore +4\.0 +250\.0 +125\.0× +FAIL$/m);
    expect(text).toMatch(/^tags +- +- +- +FAIL$/m);
    expect(text).toContain('3 bundles: 1 pass, 2 fail; largest restore 4.0 KiB; slowest restore 250.0 ms.');
    expect(text).toContain('  tags: does not build; build failed: no such file');
  });
});
