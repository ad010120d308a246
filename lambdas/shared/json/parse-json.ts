/**
 * JSON with bounded nesting. `JSON.parse` itself copes with deep nesting, but everything that walks the result
 * afterwards (`JSON.stringify`, zod, the SDK's serializers, our own recursive helpers) recurses once per level
 * and overflows Node's stack at a few thousand levels: a 5,000-deep document crashed `dbrefresh validate` and
 * left a local execution stuck. Every place dbrefresh parses input checks the depth first, with a loop, never
 * by recursion.
 */

/**
 * The deepest nesting of objects and arrays dbrefresh accepts. Refresh files nest about 6 levels and the state
 * machine's payloads about 10; a DynamoDB item at AWS's own limit of 32 nested attribute levels is about 70
 * JSON levels on the wire (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
 * 100 leaves room for all of them and stays far from the thousands of levels where recursion fails.
 */
export const MAX_JSON_DEPTH = 100;

/** JSON nested deeper than the limit: names the limit, the depth found and how to fix it. */
export class JsonTooDeepError extends Error {
  override readonly name = 'JsonTooDeepError';

  constructor(
    /** What held the JSON, for the message: `the refresh file`, `the execution input`, ... */
    readonly what: string,
    readonly depth: number,
    readonly limit: number,
  ) {
    super(
      `${what} nests objects and arrays ${depth} levels deep, deeper than the limit of ${limit}: ` +
        `flatten it to at most ${limit} levels`,
    );
  }
}

export interface JsonDepthOptions {
  /** @default MAX_JSON_DEPTH */
  readonly maxDepth?: number;
  /**
   * What holds the JSON, named in the error.
   * @default 'the JSON document'
   */
  readonly what?: string;
}

/**
 * How deeply `text` nests objects and arrays (`1` for `{}`, `0` for a scalar), read in one pass without
 * parsing or recursion; brackets inside strings do not count. The text need not be valid JSON.
 */
export function jsonTextDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === BACKSLASH) index += 1;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return deepest;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * `JSON.parse(text)`, after checking that the text nests at most `maxDepth` levels.
 * @throws JsonTooDeepError when it nests deeper
 * @throws SyntaxError when it is not JSON, as `JSON.parse` does
 */
export function parseJson(text: string, options: JsonDepthOptions = {}): unknown {
  const limit = options.maxDepth ?? MAX_JSON_DEPTH;
  const depth = jsonTextDepth(text);
  if (depth > limit) throw new JsonTooDeepError(options.what ?? 'the JSON document', depth, limit);
  return JSON.parse(text);
}

/** How deeply an already parsed value nests objects and arrays, walked with an explicit stack, not recursion. */
export function jsonValueDepth(value: unknown): number {
  let deepest = 0;
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.value === null || typeof next.value !== 'object') continue;
    const depth = next.depth + 1;
    if (depth > deepest) deepest = depth;
    const children = Array.isArray(next.value) ? next.value : Object.values(next.value);
    for (const child of children) pending.push({ value: child, depth });
  }
  return deepest;
}

/**
 * Checks that a parsed value nests at most `maxDepth` levels, before anything recursive walks it.
 * @throws JsonTooDeepError when it nests deeper
 */
export function assertJsonDepth(value: unknown, options: JsonDepthOptions = {}): void {
  const limit = options.maxDepth ?? MAX_JSON_DEPTH;
  const depth = jsonValueDepth(value);
  if (depth > limit) {
    throw new JsonTooDeepError(options.what ?? 'the JSON document', depth, limit);
  }
}
