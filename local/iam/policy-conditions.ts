import { BlockList, isIP } from 'node:net';
import { expandPolicyString, literalText, type PolicyToken, type VariableLookup } from './policy-variables';
import { arnLike, stringLike } from './policy-wildcards';
import type { RequestValues } from './request-context';
import { allOf, anyOf, not, type Tri, UNKNOWN } from './tri-state';

/** A condition operator's comparison of one request value with one policy value. */
type Compare = (requestValue: string, policyValue: PolicyToken[]) => Tri;

interface BaseOperator {
  /** A negated operator (StringNotEquals, NotIpAddress, ...) is true when no policy value matches. */
  readonly negated: boolean;
  /** Whether policy values may hold policy variables, and `*`/`?` wildcards. */
  readonly variables: boolean;
  readonly wildcards: boolean;
  readonly compare: Compare;
}

/** A parsed condition operator: `[ForAllValues:|ForAnyValue:]<operator>[IfExists]`, or Null. */
export interface ConditionOperator {
  readonly name: string;
  readonly qualifier?: 'ForAllValues' | 'ForAnyValue';
  readonly ifExists: boolean;
  /** undefined for Null. */
  readonly base?: BaseOperator;
}

const text = (tokens: PolicyToken[]) => literalText(tokens);

const stringEquals: Compare = (value, policy) => value === text(policy);
const stringEqualsIgnoreCase: Compare = (value, policy) => value.toLowerCase() === text(policy).toLowerCase();
const like: Compare = (value, policy) => stringLike(policy, value);
const arn: Compare = (value, policy) => arnLike(policy, value);
const bool: Compare = (value, policy) => value.toLowerCase() === text(policy).toLowerCase();

/**
 * Every condition operator of the policy language; a name not here (or with a qualifier or IfExists where they do
 * not apply) is not a valid policy. Policy variables work with the string, ARN and Bool operators only.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */
const OPERATORS: Readonly<Record<string, BaseOperator>> = {
  StringEquals: { negated: false, variables: true, wildcards: false, compare: stringEquals },
  StringNotEquals: { negated: true, variables: true, wildcards: false, compare: stringEquals },
  StringEqualsIgnoreCase: {
    negated: false,
    variables: true,
    wildcards: false,
    compare: stringEqualsIgnoreCase,
  },
  StringNotEqualsIgnoreCase: {
    negated: true,
    variables: true,
    wildcards: false,
    compare: stringEqualsIgnoreCase,
  },
  StringLike: { negated: false, variables: true, wildcards: true, compare: like },
  StringNotLike: { negated: true, variables: true, wildcards: true, compare: like },
  NumericEquals: numeric(false, (a, b) => a === b),
  NumericNotEquals: numeric(true, (a, b) => a === b),
  NumericLessThan: numeric(false, (a, b) => a < b),
  NumericLessThanEquals: numeric(false, (a, b) => a <= b),
  NumericGreaterThan: numeric(false, (a, b) => a > b),
  NumericGreaterThanEquals: numeric(false, (a, b) => a >= b),
  DateEquals: date(false, (a, b) => a === b),
  DateNotEquals: date(true, (a, b) => a === b),
  DateLessThan: date(false, (a, b) => a < b),
  DateLessThanEquals: date(false, (a, b) => a <= b),
  DateGreaterThan: date(false, (a, b) => a > b),
  DateGreaterThanEquals: date(false, (a, b) => a >= b),
  Bool: { negated: false, variables: true, wildcards: false, compare: bool },
  BinaryEquals: { negated: false, variables: false, wildcards: false, compare: binaryEquals },
  IpAddress: { negated: false, variables: false, wildcards: false, compare: ipAddress },
  NotIpAddress: { negated: true, variables: false, wildcards: false, compare: ipAddress },
  ArnEquals: { negated: false, variables: true, wildcards: true, compare: arn },
  ArnLike: { negated: false, variables: true, wildcards: true, compare: arn },
  ArnNotEquals: { negated: true, variables: true, wildcards: true, compare: arn },
  ArnNotLike: { negated: true, variables: true, wildcards: true, compare: arn },
};

const OPERATOR_NAME = /^(?:(ForAllValues|ForAnyValue):)?(.+?)(IfExists)?$/;

/**
 * The operator a Condition block names, or undefined when the policy language has no such operator. `IfExists`
 * goes with every operator but Null; the set qualifiers ForAllValues/ForAnyValue with every operator but Null.
 */
export function parseConditionOperator(name: string): ConditionOperator | undefined {
  if (name === 'Null') return { name, ifExists: false };
  const match = OPERATOR_NAME.exec(name);
  const base = match && OPERATORS[match[2] as string];
  if (!match || !base) return undefined;
  return {
    name,
    qualifier: match[1] as ConditionOperator['qualifier'],
    ifExists: match[3] !== undefined,
    base,
  };
}

/** What a condition block is evaluated with: the request's keys, and the variables when the policy allows them. */
export interface ConditionScope {
  readonly values: RequestValues;
  /** @default - policy variables are literal text (a policy without `"Version": "2012-10-17"`) */
  readonly variables?: VariableLookup;
}

/**
 * A statement's Condition block: every operator must be true, and within an operator every key (AND); the values
 * given for one key are alternatives (OR), and for a negated operator none may match (NOR).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
 * @throws Error naming the operator when it is not one of the policy language (validate the policy first)
 */
export function evaluateConditions(
  condition: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
  scope: ConditionScope,
): Tri {
  return allOf(
    Object.entries(condition).flatMap(([name, keys]) => {
      const operator = parseConditionOperator(name);
      if (!operator) throw new Error(`Unknown condition operator ${name}`);
      return Object.entries(keys).map(([key, value]) =>
        evaluateKey(operator, scope.values.values(key), policyValues(value), scope.variables),
      );
    }),
  );
}

/** A condition value as its list of strings: JSON booleans and numbers compare as their text. */
export function policyValues(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).map((item) => String(item));
}

/**
 * One key of one operator. A key missing from the request makes a condition false, and a negated one true,
 * except with IfExists (true) and Null; ForAllValues is true and ForAnyValue false for a missing key or an
 * empty set of values (an empty list, an empty string).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 */
function evaluateKey(
  operator: ConditionOperator,
  requestValues: readonly string[] | undefined,
  policy: readonly string[],
  variables: VariableLookup | undefined,
): Tri {
  const base = operator.base;
  if (!base) return nullCheck(requestValues, policy);
  const operands = policy.map((value) =>
    expandPolicyString(value, { wildcards: base.wildcards, lookup: base.variables ? variables : undefined }),
  );
  const matchesOne = (value: string): Tri => {
    const any = anyOf(
      operands.map((operand) => (operand === undefined ? UNKNOWN : base.compare(value, operand))),
    );
    return base.negated ? not(any) : any;
  };
  if (operator.qualifier) {
    if (requestValues === undefined && operator.ifExists) return true;
    if (requestValues === undefined || isEmptySet(requestValues))
      return operator.qualifier === 'ForAllValues';
    const results = requestValues.map(matchesOne);
    return operator.qualifier === 'ForAllValues' ? allOf(results) : anyOf(results);
  }
  if (requestValues === undefined || requestValues.length === 0) return operator.ifExists || base.negated;
  // A single-valued operator on a key with several values: AWS requires a set qualifier and documents no
  // outcome, so the statement is undetermined (an Allow does not apply, a Deny does).
  if (requestValues.length > 1) return UNKNOWN;
  return matchesOne(requestValues[0] as string);
}

function isEmptySet(values: readonly string[]): boolean {
  return values.length === 0 || (values.length === 1 && values[0] === '');
}

/**
 * Null: `true` when the key is absent, `false` when it is present. A key whose only value is the empty string is
 * neither documented as null nor as present: undetermined.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null
 */
function nullCheck(requestValues: readonly string[] | undefined, policy: readonly string[]): Tri {
  const isNull: Tri =
    requestValues === undefined || requestValues.length === 0
      ? true
      : isEmptySet(requestValues)
        ? UNKNOWN
        : false;
  return anyOf(
    policy.map((value) => {
      const expected = value.toLowerCase();
      if (expected === 'true') return isNull;
      if (expected === 'false') return not(isNull);
      return false;
    }),
  );
}

/** Integers and decimals, as the numeric operators take them; anything else is undetermined. */
function numeric(negated: boolean, test: (request: number, policy: number) => boolean): BaseOperator {
  return ordered(parseNumber, negated, test);
}

function parseNumber(value: string): number | undefined {
  return /^[+-]?(?:\d+\.?\d*|\.\d+)$/.test(value.trim()) ? Number(value) : undefined;
}

/**
 * Dates in one of the W3C profiles of ISO 8601 or in epoch (UNIX) seconds, compared as instants; anything else
 * is undetermined.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date
 */
function date(negated: boolean, test: (request: number, policy: number) => boolean): BaseOperator {
  return ordered(parseDate, negated, test);
}

/** An operator comparing numbers read from both values; a value that does not read is undetermined. */
function ordered(
  parse: (value: string) => number | undefined,
  negated: boolean,
  test: (request: number, policy: number) => boolean,
): BaseOperator {
  return {
    negated,
    variables: false,
    wildcards: false,
    compare: (value, policy) => {
      const [a, b] = [parse(value), parse(text(policy))];
      return a === undefined || b === undefined ? UNKNOWN : test(a, b);
    },
  };
}

const W3C_DATE = /^\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?)?)?$/;

function parseDate(value: string): number | undefined {
  const trimmed = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed) && !/^\d{4}$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!W3C_DATE.test(trimmed)) return undefined;
  const time = Date.parse(
    trimmed.length <= 7 ? `${trimmed}${trimmed.length === 4 ? '-01-01' : '-01'}` : trimmed,
  );
  return Number.isNaN(time) ? undefined : time;
}

/** BinaryEquals: the request value and the policy's base-64 value compared byte for byte. */
function binaryEquals(value: string, policy: PolicyToken[]): Tri {
  return Buffer.from(value, 'base64').equals(Buffer.from(text(policy), 'base64'));
}

/**
 * IpAddress: the request's address within the policy's CIDR range; an address without a prefix is one host
 * (/32, /128 for IPv6). A value that is no address or range is undetermined.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
 */
function ipAddress(value: string, policy: PolicyToken[]): Tri {
  const [address, prefix] = text(policy).trim().split('/');
  const family = isIP(address ?? '');
  const requestFamily = isIP(value.trim());
  if (family === 0 || requestFamily === 0) return UNKNOWN;
  const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
  if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) return UNKNOWN;
  const range = new BlockList();
  range.addSubnet(address as string, bits, family === 4 ? 'ipv4' : 'ipv6');
  return range.check(value.trim(), requestFamily === 4 ? 'ipv4' : 'ipv6');
}
