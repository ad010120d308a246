import {
  errorsOf,
  formatPath,
  formatProblem,
  type Problem,
  parseRefreshFile,
  type RefreshFileForm,
} from '../../lambdas/shared/refresh-model';
import { readJsonFile } from './read-json-file';

export interface FileReport {
  readonly file: string;
  readonly valid: boolean;
  /** True for a JSON Schema document (refresh-file.schema.json matched by a glob), which is not checked. */
  readonly skipped?: boolean;
  /** Absent when the file could not be read as JSON. */
  readonly form?: RefreshFileForm;
  readonly errors: readonly Problem[];
  readonly warnings: readonly Problem[];
}

export interface ValidateOptions {
  readonly now?: Date;
}

/** Validates each file and reports every problem of every file. */
export async function validateFiles(
  files: readonly string[],
  options: ValidateOptions = {},
): Promise<FileReport[]> {
  return Promise.all(files.map((file) => validateFile(file, options)));
}

async function validateFile(file: string, options: ValidateOptions): Promise<FileReport> {
  const read = await readJsonFile(file);
  if (!read.ok) {
    const problem: Problem = {
      severity: 'error',
      path: [],
      message: read.error,
      got: 'nothing',
      expected: 'a readable JSON refresh file',
    };
    return { file, valid: false, errors: [problem], warnings: [] };
  }
  if (isJsonSchema(read.json)) return { file, valid: true, skipped: true, errors: [], warnings: [] };
  const result = parseRefreshFile(read.json, { now: options.now });
  const errors = errorsOf(result);
  const warnings = result.problems.filter((problem) => problem.severity === 'warning');
  return { file, valid: errors.length === 0, form: result.form, errors, warnings };
}

/** The text `dbrefresh validate` prints: one line per problem, then a summary. */
export function formatReports(reports: readonly FileReport[]): string {
  const lines: string[] = [];
  for (const report of reports) {
    for (const problem of [...report.errors, ...report.warnings])
      lines.push(formatProblem(report.file, problem));
    if (report.skipped) {
      lines.push(`${report.file}: skipped (a JSON Schema, not a refresh file)`);
    } else if (report.valid) {
      const hint = report.form === 'per-step' ? '; `dbrefresh convert` prints its concise form' : '';
      lines.push(`${report.file}: valid (${report.form} form${hint})`);
    }
  }
  const checked = reports.filter((report) => !report.skipped);
  const invalid = checked.filter((report) => !report.valid).length;
  const warnings = reports.reduce((count, report) => count + report.warnings.length, 0);
  const errors = reports.reduce((count, report) => count + report.errors.length, 0);
  lines.push(
    `${checked.length} ${plural(checked.length, 'file')} checked: ${checked.length - invalid} valid, ${invalid} invalid ` +
      `(${errors} ${plural(errors, 'error')}, ${warnings} ${plural(warnings, 'warning')})`,
  );
  return lines.join('\n');
}

/** The JSON `dbrefresh validate --json` prints. */
export function reportsAsJson(reports: readonly FileReport[]): string {
  const json = reports.map(({ file, valid, skipped, form, errors, warnings }) => ({
    file,
    valid,
    skipped: skipped ?? false,
    form: form ?? null,
    errors: errors.map(toJson),
    warnings: warnings.map(toJson),
  }));
  return JSON.stringify({ valid: reports.every((report) => report.valid), files: json }, null, 2);
}

function toJson(problem: Problem) {
  const { path, message, got, expected } = problem;
  return { path: formatPath(path), message, got, expected };
}

function isJsonSchema(json: unknown): boolean {
  const schema = (json as { $schema?: unknown } | null)?.$schema;
  return typeof schema === 'string' && /^https?:\/\/json-schema\.org\//.test(schema);
}

function plural(count: number, word: string): string {
  return count === 1 ? word : `${word}s`;
}
