import { readFile } from 'node:fs/promises';

export type ReadResult =
  | { readonly ok: true; readonly json: unknown }
  | { readonly ok: false; readonly error: string };

/** Reads and parses a JSON file; a failure says what is wrong and, for bad JSON, where (line:column). */
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
    return { ok: true, json: JSON.parse(text.replace(/^\uFEFF/, '')) };
  } catch (e: unknown) {
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
