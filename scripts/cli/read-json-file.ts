import { readFile } from 'node:fs/promises';
import { JsonTooDeepError, parseJson } from '../../lambdas/shared/json/parse-json';

export type ReadResult =
  | { readonly ok: true; readonly json: unknown }
  | { readonly ok: false; readonly error: string };

/**
 * Reads and parses a JSON file; a failure says what is wrong and, for bad JSON, where (line:column). JSON nested
 * deeper than MAX_JSON_DEPTH is refused before it is parsed, with the limit and the depth found.
 */
export async function readJsonFile(path: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e: unknown) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, error: 'file not found' };
    if (code === 'EISDIR') return { ok: false, error: 'is a directory, not a refresh file' };
    if (code === 'EACCES') return { ok: false, error: 'permission denied' };
    throw e;
  }
  try {
    return { ok: true, json: parseJson(text.replace(/^\uFEFF/, ''), { what: 'the file' }) };
  } catch (e: unknown) {
    if (e instanceof JsonTooDeepError) return { ok: false, error: e.message };
    if (!(e instanceof SyntaxError)) throw e;
    return { ok: false, error: `not valid JSON: ${describeSyntaxError(e.message, text)}` };
  }
}

function describeSyntaxError(message: string, text: string): string {
  const position = message.match(/at position (\d+)/);
  if (!position || /line \d+ column \d+/.test(message)) return message;
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message} (line ${line} column ${column})`;
}
