/**
 * A policy string (a Resource ARN, a condition value) as the evaluator matches it: literal text and the
 * wildcards `*` and `?`, with policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, `${*}`)
 * replaced by literal text from the request context, so a value never acts as a wildcard.
 */
export type PolicyToken = { readonly literal: string } | '*' | '?';

/** A context key's single value, or undefined when the request has none (or several: no variable can hold a list). */
export type VariableLookup = (key: string) => string | undefined;

export interface ExpandOptions {
  /**
   * Resolves `${key}` variables.
   * @default - variables are literal text, as in policies without `"Version": "2012-10-17"`
   */
  readonly lookup?: VariableLookup;
  /** Whether `*` and `?` are wildcards (StringLike, ArnLike, Resource) or literal characters (StringEquals). */
  readonly wildcards: boolean;
  /**
   * Variables count only after this many colons of literal text (the resource part of an ARN).
   * @default 0
   */
  readonly variablesAfterColons?: number;
}

/** What `${*}`, `${?}` and `${$}` stand for: the character itself, never a wildcard. */
const SPECIAL_CHARACTERS: Readonly<Record<string, string>> = { '*': '*', '?': '?', $: '$' };

/** `key` or `key, 'default'` inside `${…}`. */
const VARIABLE = /^\s*([^\s,'}]+)\s*(?:,\s*'([^']*)'\s*)?$/;

/**
 * The tokens of a policy string, or undefined when it names a variable the request cannot resolve and gives no
 * default: AWS then treats the statement as not valid for the request
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html, "Specifying default
 * values" and "Special characters"). Variables are read only in policies of version 2012-10-17, and in a Resource
 * only after the fifth colon (the resource part of the ARN); elsewhere `${…}` is literal text.
 */
export function expandPolicyString(raw: string, options: ExpandOptions): PolicyToken[] | undefined {
  const tokens: PolicyToken[] = [];
  let colons = 0;
  let text = '';
  const flushText = () => {
    for (const character of text) {
      if (options.wildcards && (character === '*' || character === '?')) tokens.push(character);
      else appendLiteral(tokens, character);
    }
    text = '';
  };
  for (let index = 0; index < raw.length; ) {
    const close = raw.startsWith('${', index) ? raw.indexOf('}', index + 2) : -1;
    const inside = close < 0 ? undefined : raw.slice(index + 2, close);
    const variablesAllowed = options.lookup !== undefined && colons >= (options.variablesAfterColons ?? 0);
    const special = inside === undefined ? undefined : SPECIAL_CHARACTERS[inside];
    const variable = inside === undefined ? undefined : VARIABLE.exec(inside);
    if (variablesAllowed && (special !== undefined || variable)) {
      flushText();
      const value = special ?? resolveVariable(variable as RegExpExecArray, options.lookup as VariableLookup);
      if (value === undefined) return undefined;
      appendLiteral(tokens, value);
      index = close + 1;
      continue;
    }
    const character = raw[index] as string;
    if (character === ':') colons++;
    text += character;
    index++;
  }
  flushText();
  return tokens;
}

/** The literal text of tokens expanded without wildcards. */
export function literalText(tokens: readonly PolicyToken[]): string {
  return tokens.map((token) => (typeof token === 'string' ? token : token.literal)).join('');
}

function resolveVariable(variable: RegExpExecArray, lookup: VariableLookup): string | undefined {
  const [, key, fallback] = variable;
  return lookup(key as string) ?? fallback;
}

function appendLiteral(tokens: PolicyToken[], literal: string): void {
  const last = tokens[tokens.length - 1];
  if (last !== undefined && typeof last !== 'string')
    tokens[tokens.length - 1] = { literal: last.literal + literal };
  else tokens.push({ literal });
}
