import { closest, distance } from 'fastest-levenshtein';
import type * as z from 'zod';
import { globalRegistry } from 'zod';

export type JsonPath = readonly (string | number)[];

/** One thing wrong with a refresh file: where, what, the value received and what is allowed. */
export interface Problem {
  readonly severity: 'error' | 'warning';
  /** Path inside the file as given (per-step files keep their own paths). */
  readonly path: JsonPath;
  readonly message: string;
  /** The value received, rendered for people; passwords are never rendered. */
  readonly got: string;
  /** What is allowed, or how to fix it. */
  readonly expected: string;
}

export const REDACTED = '<redacted>';

/** `$.target.instance`, `$.scripts.keys[1]`, `$["odd key"]`. */
export function formatPath(path: JsonPath): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    return /^[A-Za-z_$][\w$]*$/.test(segment) ? `${text}.${segment}` : `${text}[${JSON.stringify(segment)}]`;
  }, '$');
}

export function valueAt(input: unknown, path: JsonPath): unknown {
  let value = input;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

/** Whether the value at `path` may hold a password, so it must never be echoed. */
export function isSecretPath(path: JsonPath): boolean {
  const last = path[path.length - 1];
  return typeof last === 'string' && /(pwd|password)$/i.test(last);
}

const MAX_RENDERED_LENGTH = 80;

/** Renders the value at `path` of `input` for a message: JSON, shortened, `nothing` when absent, redacted when secret. */
export function describeValueAt(input: unknown, path: JsonPath): string {
  const value = valueAt(input, path);
  if (value === undefined) return 'nothing';
  if (isSecretPath(path)) return REDACTED;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_RENDERED_LENGTH ? `${text.slice(0, MAX_RENDERED_LENGTH - 1)}…` : text;
}

/** `file: $.path: message (got: value; expected: …)`, the line `dbrefresh validate` prints. */
export function formatProblem(file: string, problem: Problem): string {
  const label = problem.severity === 'warning' ? 'warning: ' : '';
  return `${file}: ${formatPath(problem.path)}: ${label}${problem.message} (got: ${problem.got}; expected: ${problem.expected})`;
}

export function problemAt(
  input: unknown,
  path: JsonPath,
  message: string,
  expected: string,
  severity: Problem['severity'] = 'error',
): Problem {
  return { severity, path, message, expected, got: describeValueAt(input, path) };
}

/** The candidate closest to `value` when it is close enough to be a likely typo. */
export function didYouMean(value: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const lower = value.toLowerCase();
  const sameLetters = candidates.find((c) => c.toLowerCase() === lower);
  if (sameLetters) return sameLetters;
  const best = closest(
    lower,
    candidates.map((c) => c.toLowerCase()),
  );
  const bestIndex = candidates.findIndex((c) => c.toLowerCase() === best);
  const threshold = Math.max(2, Math.floor(value.length / 3));
  return distance(lower, best) <= threshold ? candidates[bestIndex] : undefined;
}

function oneOf(values: readonly unknown[]): string {
  return `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
}

function withSuggestion(value: unknown, values: readonly unknown[]): string {
  const strings = values.filter((v): v is string => typeof v === 'string');
  const suggestion = typeof value === 'string' ? didYouMean(value, strings) : undefined;
  return suggestion ? `did you mean "${suggestion}"? ${oneOf(values)}` : oneOf(values);
}

/** A field the object does not have, with the closest known name when it looks like a typo. */
export function unknownFieldProblem(input: unknown, path: JsonPath, knownKeys: readonly string[]): Problem {
  const key = String(path[path.length - 1]);
  const suggestion = didYouMean(key, knownKeys);
  const known = `known fields here: ${knownKeys.join(', ')}`;
  return problemAt(
    input,
    path,
    'is not a known field',
    suggestion ? `did you mean "${suggestion}"? ${known}` : `remove it; ${known}`,
  );
}

/**
 * What the schema knows about a failing field, carried from the parse-time error map to the issue's
 * message. Zod's final issues do not keep the schema, so this is the only way to reach its description
 * and, for unknown fields, the names the object does accept.
 */
interface IssueContext {
  readonly description?: string;
  readonly knownKeys?: readonly string[];
}

const CONTEXT_MARK = '\u0000dbrefresh:';

function describedSchema(schema: unknown): string | undefined {
  return schema && typeof schema === 'object'
    ? globalRegistry.get(schema as z.ZodType)?.description
    : undefined;
}

/** Error map for `safeParse`: records the schema context that `issuesToProblems` needs. */
export const captureIssueContext: z.core.$ZodErrorMap = (issue) => {
  const inst = issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined;
  const context: IssueContext = {
    description: describedSchema(issue.schema) ?? describedSchema(issue.inst),
    knownKeys: issue.code === 'unrecognized_keys' ? Object.keys(inst?._zod?.def?.shape ?? {}) : undefined,
  };
  return { message: CONTEXT_MARK + JSON.stringify(context) };
};

function contextOf(issue: z.core.$ZodIssue): IssueContext {
  return issue.message.startsWith(CONTEXT_MARK) ? JSON.parse(issue.message.slice(CONTEXT_MARK.length)) : {};
}

/** Turns zod issues into problems with paths relative to `input`, one problem per unknown field. */
export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  prefix: JsonPath = [],
): Problem[] {
  return issues.flatMap((issue) => {
    const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
    return issueToProblems(issue, input, [...prefix, ...path]);
  });
}

function issueToProblems(issue: z.core.$ZodIssue, input: unknown, path: JsonPath): Problem[] {
  const context = contextOf(issue);
  const value = valueAt(input, path);
  const at = (message: string, expected: string, where: JsonPath = path) =>
    problemAt(input, where, message, expected);

  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => unknownFieldProblem(input, [...path, key], context.knownKeys ?? []));
    case 'invalid_type':
      if (value === undefined) return [at('is required', context.description ?? `a ${issue.expected}`)];
      return [at(`must be a ${issue.expected}`, context.description ?? `a ${issue.expected}`)];
    case 'invalid_value':
      return [at('is not an allowed value', withSuggestion(value, issue.values))];
    case 'invalid_union':
      return unionProblems(issue, input, path, context);
    case 'too_small':
    case 'too_big': {
      const size = sizeLimit(issue);
      return [at(`must be ${size}`, context.description ? `${size}: ${context.description}` : size)];
    }
    case 'invalid_key':
    case 'invalid_element':
      // A record key or map element failed its own schema: report its issues at the key's path.
      return issuesToProblems(issue.issues, input, path);
    case 'invalid_format':
      return [
        at(
          'does not have the required format',
          context.description ?? `text matching ${String(issue.pattern ?? issue.format)}`,
        ),
      ];
    case 'custom': {
      const expected = (issue.params as { expected?: string } | undefined)?.expected;
      return [at(issue.message, expected ?? context.description ?? 'a valid value')];
    }
    default:
      return [at('has an invalid value', context.description ?? issue.code)];
  }
}

function unionProblems(
  issue: z.core.$ZodIssueInvalidUnion,
  input: unknown,
  path: JsonPath,
  context: IssueContext,
): Problem[] {
  if (issue.discriminator !== undefined) {
    const options = (issue as { options?: unknown[] }).options ?? [];
    const value = valueAt(input, path);
    const message = value === undefined ? 'is required' : 'is not an allowed value';
    return [problemAt(input, path, message, withSuggestion(value, options))];
  }
  // A value of the right kind for one branch (an object where `boolean | object` is allowed) gets
  // that branch's problems, which say far more than "matches no branch".
  const relevant = issue.errors.find(
    (branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0),
  );
  if (relevant) return issuesToProblems(relevant, input, path);
  return [problemAt(input, path, 'has the wrong type', context.description ?? 'see the schema')];
}

/** "at least 3 characters long", "at most 15 items", "at least 1150". */
function sizeLimit(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const limit = Number(small ? issue.minimum : issue.maximum);
  const bound = small ? 'at least' : 'at most';
  switch (issue.origin) {
    case 'string':
      return `${bound} ${limit} characters long`;
    case 'array':
      return `${bound} ${limit} ${limit === 1 ? 'item' : 'items'} long`;
    default:
      return `${bound} ${limit}`;
  }
}
