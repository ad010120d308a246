import { errorsOf, formatProblem, parseRefreshFile } from '../../lambdas/shared/refresh-model';
import { readJsonFile } from './read-json-file';

export interface ConvertResult {
  readonly exitCode: number;
  /** The concise refresh file, when the conversion succeeded. */
  readonly output?: string;
  /** Errors, warnings and notes, one per line. */
  readonly messages: readonly string[];
}

const DEFAULT_SCHEMA = './refresh-file.schema.json';

/** The concise equivalent of a refresh file (normally one in the blog's per-step form). */
export async function convertFile(file: string, options: { now?: Date } = {}): Promise<ConvertResult> {
  const read = await readJsonFile(file);
  if (!read.ok) return { exitCode: 1, messages: [`${file}: ${read.error}`] };

  const result = parseRefreshFile(read.json, { now: options.now });
  const messages = result.problems.map((problem) => formatProblem(file, problem));
  if (!result.refreshFile || errorsOf(result).length > 0) {
    return { exitCode: 1, messages: [...messages, `${file}: not converted: fix the errors above`] };
  }
  if (result.form === 'concise')
    messages.push(`${file}: already in the concise form; printed as dbrefresh reads it`);

  const given = read.json as { $schema?: unknown; comment?: unknown };
  const { $schema: _, comment, ...model } = result.refreshFile;
  const concise = {
    $schema: typeof given.$schema === 'string' ? given.$schema : DEFAULT_SCHEMA,
    comment: comment ?? `Converted from the per-step form of ${file} by dbrefresh convert`,
    ...model,
  };
  return { exitCode: 0, output: `${JSON.stringify(concise, null, 2)}\n`, messages };
}
