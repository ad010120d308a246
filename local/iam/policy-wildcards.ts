import { expandPolicyString, type PolicyToken } from './policy-variables';

/** How the wildcards of one kind of policy string match. */
interface WildcardRules {
  /** What `*` matches, given the token after it (undefined at the end). */
  readonly star: (next: PolicyToken | undefined) => string;
  readonly question: string;
  readonly ignoreCase?: boolean;
}

/** StringLike: `*` any run of characters, `?` any one, anywhere in the string, case-sensitive. */
const STRING_LIKE: WildcardRules = { star: () => '[\\s\\S]*', question: '[\\s\\S]' };

/**
 * Resource ARNs: wildcards work within a colon-separated segment (`*` also spans `/`), and a `*` that ends a
 * segment may expand beyond the colons that follow.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 */
const RESOURCE_ARN: WildcardRules = {
  star: (next) =>
    next === undefined || (typeof next !== 'string' && next.literal.startsWith(':')) ? '.*' : '[^:]*',
  question: '[^:]',
};

/** Action names: wildcards anywhere in the name, case-insensitive. */
const ACTION_NAME: WildcardRules = { star: () => '.*', question: '.', ignoreCase: true };

/**
 * Whether an Action element value (`rds:Describe*`, `*`) names the action: the service prefix and the action
 * name are case-insensitive (`IAM:listaccesskeys` is `iam:ListAccessKeys`), and the name may hold `*` and `?`.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 */
export function actionMatches(pattern: string, action: string): boolean {
  if (pattern === '*') return true;
  const [patternService, patternName] = splitAction(pattern);
  const [service, name] = splitAction(action);
  if (patternName === undefined || name === undefined) return false;
  if (patternService.toLowerCase() !== service.toLowerCase()) return false;
  const tokens = expandPolicyString(patternName, { wildcards: true }) ?? [];
  return compile(tokens, ACTION_NAME).test(name);
}

/** Whether Resource tokens (variables already expanded) match a resource ARN; `*` alone matches any resource. */
export function resourceMatches(tokens: readonly PolicyToken[], resource: string): boolean {
  if (tokens.length === 1 && tokens[0] === '*') return true;
  return compile(tokens, RESOURCE_ARN).test(resource);
}

/** StringLike: whether the value matches the tokens over its whole length. */
export function stringLike(tokens: readonly PolicyToken[], value: string): boolean {
  return compile(tokens, STRING_LIKE).test(value);
}

/**
 * ArnLike/ArnEquals: each of the six colon-delimited components of the ARN is matched on its own (the sixth is
 * everything after the fifth colon), so a `*` never spans a colon into the next component; a value with fewer
 * than six components is no ARN and never matches.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
 */
export function arnLike(tokens: readonly PolicyToken[], value: string): boolean {
  const valueParts = splitArn(value);
  const patternParts = splitTokensAtColons(tokens);
  if (valueParts.length !== 6 || patternParts.length !== 6) return false;
  return patternParts.every((part, index) => compile(part, STRING_LIKE).test(valueParts[index] as string));
}

function splitAction(action: string): [string, string | undefined] {
  const colon = action.indexOf(':');
  return colon < 0 ? [action, undefined] : [action.slice(0, colon), action.slice(colon + 1)];
}

/** The six components of an ARN: five colon-separated ones, then the rest. */
function splitArn(arn: string): string[] {
  const parts = arn.split(':');
  return parts.length < 6 ? parts : [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/** Tokens split like {@link splitArn}: at the first five colons of their literal text. */
function splitTokensAtColons(tokens: readonly PolicyToken[]): PolicyToken[][] {
  const parts: PolicyToken[][] = [[]];
  for (const token of tokens) {
    if (typeof token === 'string' || parts.length === 6) {
      (parts[parts.length - 1] as PolicyToken[]).push(token);
      continue;
    }
    const pieces = token.literal.split(':');
    pieces.forEach((piece, index) => {
      if (index > 0 && parts.length < 6) parts.push([]);
      else if (index > 0) (parts[5] as PolicyToken[]).push({ literal: ':' });
      if (piece !== '') (parts[parts.length - 1] as PolicyToken[]).push({ literal: piece });
    });
  }
  return parts;
}

function compile(tokens: readonly PolicyToken[], rules: WildcardRules): RegExp {
  const source = tokens
    .map((token, index) => {
      if (token === '*') return rules.star(tokens[index + 1]);
      if (token === '?') return rules.question;
      return escapeRegExp(token.literal);
    })
    .join('');
  return new RegExp(`^${source}$`, rules.ignoreCase ? 'is' : 's');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
