import { createHash } from 'node:crypto';
import { formatProblem, parseRefreshFile, type RefreshFile } from '../../lambdas/shared/refresh-model';
import { formatJson } from './format';
import type { Output } from './main';
import { readJsonFile } from './read-json-file';
import { formatReports, reportsAsJson, validateFiles } from './validate';

/**
 * Identical starts within this window get the same execution name, so an accidental second start of a
 * request is refused while the first runs.
 */
export const DUPLICATE_WINDOW_MINUTES = 15;

/** A refresh file that passed validation, as `plan` and `start` send it. */
export interface RefreshRequest {
  readonly file: string;
  /**
   * What the execution input carries: the concise form the file converts to, not its JSON as written, so a
   * per-step file's plain-text `temppwd` (which the plan ignores) never reaches the execution's input and history.
   */
  readonly refreshFile: RefreshFile;
  /** The concise model, for the target's name. */
  readonly model: RefreshFile;
  /** The target's DB instance or cluster identifier. */
  readonly target: string;
}

/**
 * Reads and validates a refresh file. An invalid one is reported as `dbrefresh validate` reports it (on
 * stdout as JSON with `json`, else on stderr) and gives undefined: the caller exits 1.
 */
export async function readRefreshRequest(
  file: string,
  output: Output,
  json: boolean,
  now: Date = new Date(),
): Promise<RefreshRequest | undefined> {
  const [report] = await validateFiles([file], { now });
  if (!report?.valid || report.skipped) {
    if (json) output.out(`${reportsAsJson(report ? [report] : [])}\n`);
    else output.err(`${report ? formatReports([report]) : `${file}: not checked`}\n`);
    return undefined;
  }
  if (!json) for (const warning of report.warnings) output.err(`${formatProblem(file, warning)}\n`);
  const read = await readJsonFile(file);
  const model = read.ok ? parseRefreshFile(read.json, { now }).refreshFile : undefined;
  // validateFiles just read and parsed the same file; only a file changed in between gets here.
  if (!read.ok || model === undefined) throw new Error(`${file} changed while it was read; try again`);
  const target = model.service === 'rds' ? model.target.instance : model.target.cluster;
  return { file, refreshFile: model, model, target };
}

/**
 * The execution name of a request: `<target>-<12 hex>`, a hash of the file's canonical JSON, the requester,
 * the DUPLICATE_WINDOW_MINUTES window of `now` and the attempt. Deterministic, so a second identical start
 * finds the first; `attempt` gives a fresh name once an identical run has ended.
 */
export function executionName(
  request: { readonly target: string; readonly refreshFile: unknown },
  requestedBy: string,
  now: Date,
  attempt = 1,
): string {
  const window = Math.floor(now.getTime() / (DUPLICATE_WINDOW_MINUTES * 60_000));
  const digest = createHash('sha256')
    .update([canonicalJson(request.refreshFile), requestedBy, String(window), String(attempt)].join('\n'))
    .digest('hex');
  // Execution names allow 80 characters of [A-Za-z0-9_-]; an RDS identifier has at most 63.
  return `${request.target.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 63)}-${digest.slice(0, 12)}`;
}

/** JSON with the keys of every object sorted, so key order and white space do not change the hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, child]) => child !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Prints `value` as `--json` does. */
export function printJson(output: Output, value: unknown): void {
  output.out(`${formatJson(value)}\n`);
}
