import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build, type Format, transform } from 'esbuild';
import { LAMBDAS_DIR, TASK_BUNDLING } from '../../lib/constructs/task-function';

/** The largest deployed bundle we accept: past 1 MiB, cold starts and deploys slow down noticeably. */
export const SIZE_LIMIT_BYTES = 1_048_576;
/** The slowest module load we accept for one bundle in a fresh Node.js process. */
export const INIT_LIMIT_MS = 200;
/** Measured loads per bundle; the median is reported so one slow disk read does not decide. */
export const INIT_RUNS = 5;

/** The project's packages: where bundles resolve their imports from, and their externals at load. */
const NODE_MODULES = join(__dirname, '..', '..', 'node_modules');
const LOAD_TIMEOUT_MS = 30_000;
const MISSING_ENV = /Environment variable (\w+) is not set/;
/** Bounds the env var discovery loop in `measureInit` (a handler reads a handful, not dozens). */
const MAX_DISCOVERED_ENV = 25;

/** One step Lambda: its folder name and its `handler.ts`. */
export interface StepEntry {
  readonly step: string;
  readonly entry: string;
}

/** A built bundle: the minified `.js` on disk (its source map beside it is not counted). */
export interface Bundle {
  readonly path: string;
  readonly sizeBytes: number;
}

/** How long `require(bundle)` took in fresh Node.js processes. */
export interface InitTiming {
  readonly medianMs: number;
  readonly samplesMs: readonly number[];
  /** Environment variables the bundle required at load; each was given a placeholder value. */
  readonly placeholderEnv: readonly string[];
}

export interface BundleResult {
  readonly step: string;
  readonly sizeBytes?: number;
  readonly initMs?: number;
  readonly initSamplesMs?: readonly number[];
  /** `initMs` divided by the empty bundle's, measured in the same run. */
  readonly initRatio?: number;
  readonly placeholderEnv?: readonly string[];
  /** Why the step could not be built or loaded. */
  readonly error?: string;
  /** Each missed target, as a sentence. */
  readonly problems: readonly string[];
  readonly pass: boolean;
}

export interface BundleReport {
  readonly target: string;
  /** Set when the installed esbuild rejected the deployed target and an older one was used. */
  readonly targetNote?: string;
  readonly limits: { readonly sizeBytes: number; readonly initMs: number; readonly runs: number };
  readonly baseline: { readonly sizeBytes: number; readonly initMs: number };
  readonly bundles: readonly BundleResult[];
  readonly pass: boolean;
}

/** The step folders under `lambdasDir` that have a `handler.ts`, sorted; `shared` is not a step. */
export function findStepEntries(lambdasDir: string = LAMBDAS_DIR): StepEntry[] {
  return readdirSync(lambdasDir, { withFileTypes: true })
    .filter((dirent) => dirent.isDirectory() && dirent.name !== 'shared')
    .map((dirent) => ({ step: dirent.name, entry: join(lambdasDir, dirent.name, 'handler.ts') }))
    .filter(({ entry }) => existsSync(entry))
    .sort((a, b) => a.step.localeCompare(b.step));
}

/**
 * The target esbuild builds for: `requested` when the installed esbuild knows it, otherwise the highest
 * older `nodeN` it accepts, with a note saying so.
 */
export async function resolveTarget(requested: string): Promise<{ target: string; note?: string }> {
  if (await acceptsTarget(requested)) return { target: requested };
  const major = /^node(\d+)$/.exec(requested)?.[1];
  for (let version = Number(major ?? 0) - 1; version >= 12; version--) {
    const target = `node${version}`;
    if (await acceptsTarget(target)) {
      return { target, note: `the installed esbuild rejects target ${requested}; built for ${target}` };
    }
  }
  throw new Error(
    `The installed esbuild accepts neither target ${requested} nor any older nodeN; update esbuild`,
  );
}

async function acceptsTarget(target: string): Promise<boolean> {
  try {
    await transform('', { target });
    return true;
  } catch {
    return false;
  }
}

/** The esbuild options CDK uses for every step (lib/constructs/task-function.ts `TASK_BUNDLING`). */
export function taskBuildOptions(target: string = TASK_BUNDLING.target): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    minify: TASK_BUNDLING.minify,
    keepNames: TASK_BUNDLING.keepNames,
    sourcemap: TASK_BUNDLING.sourceMap,
    target,
    format: TASK_BUNDLING.format as Format,
    external: [...TASK_BUNDLING.externalModules],
    mainFields: [...TASK_BUNDLING.mainFields],
    alias: aliasesOf(TASK_BUNDLING.esbuildArgs),
    // Entries outside the project (the tests') resolve packages from the project, as the steps do.
    nodePaths: [NODE_MODULES],
    logLevel: 'silent',
  };
}

/** The `--alias:<module>` arguments CDK passes to esbuild, as the JS API's `alias` option. */
function aliasesOf(args: Readonly<Record<string, string | boolean>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(args)
      .filter(([flag, value]) => flag.startsWith('--alias:') && typeof value === 'string')
      .map(([flag, value]) => [flag.slice('--alias:'.length), String(value)]),
  );
}

/** Bundles `entry` to `outDir/index.js` (and its source map), as CDK's local bundling does. */
export async function buildBundle(
  entry: string,
  outDir: string,
  options: BuildOptions = taskBuildOptions(),
): Promise<Bundle> {
  const outfile = join(outDir, 'index.js');
  const result = await build({ ...options, entryPoints: [entry], outfile, write: false });
  let sizeBytes: number | undefined;
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.contents);
    if (file.path === outfile) sizeBytes = file.contents.byteLength;
  }
  if (sizeBytes === undefined) throw new Error(`esbuild wrote no ${basename(outfile)} for ${entry}`);
  return { path: outfile, sizeBytes };
}

/** The middle value of `values` (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values: measure at least once');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

/** Measures only the `require`, not Node.js's own start-up, which is the same for every bundle. */
const LOAD_SCRIPT = `
const started = process.hrtime.bigint();
require(process.env.BENCH_BUNDLE);
const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(JSON.stringify({ elapsedMs }));
process.exit(0);
`;

type LoadOutcome = { elapsedMs: number } | { missingEnv: string };

async function loadOnce(bundlePath: string, env: Record<string, string>): Promise<LoadOutcome> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', LOAD_SCRIPT], {
      cwd: dirname(bundlePath),
      timeout: LOAD_TIMEOUT_MS,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_PATH: NODE_MODULES,
        AWS_REGION: 'us-east-1',
        POWERTOOLS_SERVICE_NAME: 'dbrefresh',
        ...env,
        BENCH_BUNDLE: bundlePath,
      },
    });
    return JSON.parse(stdout) as { elapsedMs: number };
  } catch (e: unknown) {
    const stderr = (e as { stderr?: unknown }).stderr;
    const missing = typeof stderr === 'string' ? MISSING_ENV.exec(stderr)?.[1] : undefined;
    if (missing) return { missingEnv: missing };
    const detail = typeof stderr === 'string' && stderr.trim() ? stderr.trim() : String(e);
    throw new Error(`Loading ${bundlePath} in a fresh Node.js process failed:\n${detail}`, { cause: e });
  }
}

/**
 * Times `require(bundlePath)` in `runs` fresh Node.js processes and takes the median.
 *
 * Handlers read their environment at load (requireEnv), so a first, unmeasured load discovers each
 * variable the stack would set and gives it a placeholder; it also warms the file system cache.
 */
export async function measureInit(bundlePath: string, runs: number = INIT_RUNS): Promise<InitTiming> {
  const env: Record<string, string> = {};
  for (;;) {
    const outcome = await loadOnce(bundlePath, env);
    if ('elapsedMs' in outcome) break;
    if (outcome.missingEnv in env || Object.keys(env).length >= MAX_DISCOVERED_ENV) {
      throw new Error(`${bundlePath} still fails on environment variable ${outcome.missingEnv} at load`);
    }
    env[outcome.missingEnv] = `bench-placeholder-${outcome.missingEnv.toLowerCase()}`;
  }
  const samplesMs: number[] = [];
  for (let run = 0; run < runs; run++) {
    const outcome = await loadOnce(bundlePath, env);
    if (!('elapsedMs' in outcome)) throw new Error(`${bundlePath} failed on ${outcome.missingEnv} at load`);
    samplesMs.push(outcome.elapsedMs);
  }
  return { medianMs: median(samplesMs), samplesMs, placeholderEnv: Object.keys(env) };
}

/** The missed targets of one bundle, as sentences; empty when it meets both. */
export function checkTargets(sizeBytes: number, initMs: number): string[] {
  const problems: string[] = [];
  if (sizeBytes > SIZE_LIMIT_BYTES) {
    problems.push(`${kib(sizeBytes)} KiB is over the ${kib(SIZE_LIMIT_BYTES)} KiB size limit`);
  }
  if (initMs > INIT_LIMIT_MS) {
    problems.push(`${initMs.toFixed(1)} ms cold init is over the ${INIT_LIMIT_MS} ms limit`);
  }
  return problems;
}

/** Builds every step as CDK deploys it and measures each bundle against an empty one. */
export async function benchmarkBundles(
  steps: readonly StepEntry[] = findStepEntries(),
  progress: (line: string) => void = () => {},
): Promise<BundleReport> {
  const { target, note } = await resolveTarget(TASK_BUNDLING.target);
  if (note) progress(`note: ${note}`);
  const options = taskBuildOptions(target);
  const workDir = mkdtempSync(join(tmpdir(), 'dbrefresh-bench-'));
  try {
    progress('baseline: empty bundle');
    const emptyEntry = join(workDir, 'empty-entry.js');
    writeFileSync(emptyEntry, 'module.exports = {};\n');
    const empty = await buildBundle(emptyEntry, join(workDir, 'empty'), options);
    const emptyInit = await measureInit(empty.path);

    const bundles: BundleResult[] = [];
    for (const { step, entry } of steps) {
      progress(`${step}: building and loading ${INIT_RUNS} times`);
      bundles.push(await benchmarkStep(step, entry, join(workDir, step), options, emptyInit.medianMs));
    }
    return {
      target,
      ...(note && { targetNote: note }),
      limits: { sizeBytes: SIZE_LIMIT_BYTES, initMs: INIT_LIMIT_MS, runs: INIT_RUNS },
      baseline: { sizeBytes: empty.sizeBytes, initMs: emptyInit.medianMs },
      bundles,
      pass: bundles.every((bundle) => bundle.pass),
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

async function benchmarkStep(
  step: string,
  entry: string,
  outDir: string,
  options: BuildOptions,
  baselineMs: number,
): Promise<BundleResult> {
  let bundle: Bundle;
  try {
    bundle = await buildBundle(entry, outDir, options);
  } catch (e: unknown) {
    return { step, error: `build failed: ${messageOf(e)}`, problems: ['does not build'], pass: false };
  }
  try {
    const init = await measureInit(bundle.path);
    const problems = checkTargets(bundle.sizeBytes, init.medianMs);
    return {
      step,
      sizeBytes: bundle.sizeBytes,
      initMs: init.medianMs,
      initSamplesMs: init.samplesMs,
      initRatio: init.medianMs / baselineMs,
      placeholderEnv: init.placeholderEnv,
      problems,
      pass: problems.length === 0,
    };
  } catch (e: unknown) {
    const problems = [...checkTargets(bundle.sizeBytes, 0), 'does not load'];
    return {
      step,
      sizeBytes: bundle.sizeBytes,
      error: `load failed: ${messageOf(e)}`,
      problems,
      pass: false,
    };
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function kib(bytes: number): string {
  return (bytes / 1024).toFixed(1);
}

/** The report as a table, one row per step, then a summary line and any failure details. */
export function formatBundleReport(report: BundleReport): string {
  const header = ['step', 'size KiB', 'init ms', '× baseline', 'result'];
  const rows = report.bundles.map((bundle) => [
    bundle.step,
    bundle.sizeBytes === undefined ? '-' : kib(bundle.sizeBytes),
    bundle.initMs === undefined ? '-' : bundle.initMs.toFixed(1),
    bundle.initRatio === undefined ? '-' : `${bundle.initRatio.toFixed(1)}×`,
    bundle.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');

  const failed = report.bundles.filter((bundle) => !bundle.pass);
  const lines = [
    `Step bundles (esbuild ${report.target}, minified CJS, AWS SDK bundled; init = median of ${report.limits.runs} fresh loads)`,
    ...(report.targetNote ? [`Note: ${report.targetNote}`] : []),
    `Targets: ≤ ${kib(report.limits.sizeBytes)} KiB and ≤ ${report.limits.initMs} ms init per bundle`,
    `Baseline (empty bundle): ${report.baseline.sizeBytes} B, ${report.baseline.initMs.toFixed(2)} ms init`,
    '',
    line(header),
    ...rows.map(line),
    '',
    summaryOf(report),
    ...failed.map(
      (bundle) =>
        `  ${bundle.step}: ${[...bundle.problems, ...(bundle.error ? [bundle.error] : [])].join('; ')}`,
    ),
  ];
  return lines.join('\n');
}

function summaryOf(report: BundleReport): string {
  const { bundles } = report;
  if (bundles.length === 0) return 'No step bundles found (no lambdas/<step>/handler.ts).';
  const passed = bundles.filter((bundle) => bundle.pass).length;
  const sized = bundles.filter((bundle) => bundle.sizeBytes !== undefined);
  const timed = bundles.filter((bundle) => bundle.initMs !== undefined);
  const largest = sized.reduce<BundleResult | undefined>(
    (max, bundle) => (max && (max.sizeBytes ?? 0) >= (bundle.sizeBytes ?? 0) ? max : bundle),
    undefined,
  );
  const slowest = timed.reduce<BundleResult | undefined>(
    (max, bundle) => (max && (max.initMs ?? 0) >= (bundle.initMs ?? 0) ? max : bundle),
    undefined,
  );
  const parts = [`${bundles.length} bundles: ${passed} pass, ${bundles.length - passed} fail`];
  if (largest?.sizeBytes !== undefined) parts.push(`largest ${largest.step} ${kib(largest.sizeBytes)} KiB`);
  if (slowest?.initMs !== undefined) parts.push(`slowest ${slowest.step} ${slowest.initMs.toFixed(1)} ms`);
  return `${parts.join('; ')}.`;
}
