import { benchmarkBundles, formatBundleReport } from './bundles';
import { benchmarkDemo, benchmarkRefresh100mb, formatDemoReport, formatRefreshReport } from './local-refresh';
import { benchmarkMasking, formatMaskingReport } from './masking';

/** What one benchmark hands back: a readable report, the same as JSON, and whether its targets were met. */
export interface BenchmarkOutcome {
  readonly text: string;
  readonly json: unknown;
  readonly pass: boolean;
}

/** Every benchmark by name, in the order `npm run bench` runs them. Progress goes to stderr. */
export const BENCHMARKS: Readonly<
  Record<string, (progress: (line: string) => void) => Promise<BenchmarkOutcome>>
> = {
  bundles: async (progress) => {
    const report = await benchmarkBundles(undefined, progress);
    return { text: formatBundleReport(report), json: report, pass: report.pass };
  },
  demo: async (progress) => {
    const report = await benchmarkDemo(progress);
    return { text: formatDemoReport(report), json: report, pass: report.pass };
  },
  refresh100mb: async (progress) => {
    const report = await benchmarkRefresh100mb(progress);
    return { text: formatRefreshReport(report), json: report, pass: report.pass };
  },
  masking: async (progress) => {
    const report = await benchmarkMasking(progress);
    return { text: formatMaskingReport(report), json: report, pass: report.pass };
  },
};

const USAGE = `Usage: npm run bench [-- [name...] [--json]]
Benchmarks: ${Object.keys(BENCHMARKS).join(', ')} (all when none is named).
Exit code: 0 when every target is met, 1 when one is missed, 2 on a usage error.`;

/** Runs the named benchmarks (all by default) and resolves to the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const json = args.includes('--json');
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const unknownFlags = args.filter((arg) => arg.startsWith('-') && arg !== '--json');
  const names = args.filter((arg) => !arg.startsWith('-'));
  const unknownNames = names.filter((name) => !(name in BENCHMARKS));
  if (unknownFlags.length > 0 || unknownNames.length > 0) {
    process.stderr.write(`Unknown argument: ${[...unknownFlags, ...unknownNames].join(' ')}\n${USAGE}\n`);
    return 2;
  }

  const selected = names.length > 0 ? names : Object.keys(BENCHMARKS);
  const results: Record<string, unknown> = {};
  let pass = true;
  for (const name of selected) {
    const run = BENCHMARKS[name];
    if (!run) continue;
    const outcome = await run((line) => process.stderr.write(`[${name}] ${line}\n`));
    results[name] = outcome.json;
    pass &&= outcome.pass;
    if (!json) process.stdout.write(`${outcome.text}\n\n`);
  }
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  return pass ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (exitCode) => {
      process.exitCode = exitCode;
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
