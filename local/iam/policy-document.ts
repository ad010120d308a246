import type { PolicyDocument, PolicyPrincipal, PolicyStatementJson } from './access';
import { parseConditionOperator, policyValues } from './policy-conditions';

/** Where a policy is attached: to an identity (a role, a user), or to a resource (a topic, a key, a function). */
export type PolicyKind = 'identity' | 'resource';

/** A policy document AWS would refuse to store; the message lists every problem. */
export class InvalidPolicyError extends Error {
  override readonly name = 'InvalidPolicyError';
}

/** The policy language versions; only 2012-10-17 reads policy variables. */
export const POLICY_VERSIONS = ['2008-10-17', '2012-10-17'] as const;

/** The statements of a document, whether `Statement` is one statement or a list. */
export function statementsOf(document: PolicyDocument): readonly PolicyStatementJson[] {
  const statement = document.Statement as PolicyStatementJson | readonly PolicyStatementJson[];
  return Array.isArray(statement) ? statement : [statement as PolicyStatementJson];
}

/** An element that IAM takes as one string or a list of them, as a list. */
export function listOf(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

const validated = new WeakSet<PolicyDocument>();

/**
 * Refuses a policy document that IAM would refuse to store (MalformedPolicyDocument), so no request is ever
 * evaluated against one: an unknown condition operator, a statement without Effect, Action or Resource, a
 * Principal in an identity-based policy or none in a resource-based one, a wildcard in an action's service
 * prefix or an ARN's service segment.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 * @throws InvalidPolicyError naming the policy (`where`), each statement and what is wrong with it
 */
export function assertValidPolicy(document: PolicyDocument, kind: PolicyKind, where: string): void {
  if (validated.has(document)) return;
  const problems = policyProblems(document, kind);
  if (problems.length > 0) {
    throw new InvalidPolicyError(
      `${where} is not a valid ${kind}-based policy (IAM would refuse it): ${problems.join('; ')}`,
    );
  }
  validated.add(document);
}

/** Every problem of a policy document, each naming its statement; empty when IAM would store it. */
export function policyProblems(document: PolicyDocument, kind: PolicyKind): string[] {
  const problems: string[] = [];
  if (document.Version !== undefined && !(POLICY_VERSIONS as readonly string[]).includes(document.Version)) {
    problems.push(`Version "${document.Version}" is neither ${POLICY_VERSIONS.join(' nor ')}`);
  }
  const statement = document.Statement as unknown;
  if (statement === undefined || (Array.isArray(statement) && statement.length === 0)) {
    return [...problems, 'it has no Statement'];
  }
  statementsOf(document).forEach((item, index) => {
    const label = `statement ${item?.Sid === undefined ? index + 1 : `"${item.Sid}"`}`;
    problems.push(...statementProblems(item, kind).map((problem) => `${label}: ${problem}`));
  });
  return problems;
}

function statementProblems(statement: PolicyStatementJson, kind: PolicyKind): string[] {
  if (typeof statement !== 'object' || statement === null) return ['is not an object'];
  const problems: string[] = [];
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    problems.push(`Effect ${JSON.stringify(statement.Effect)} must be "Allow" or "Deny"`);
  }
  problems.push(...exactlyOne(statement, 'Action', 'NotAction', true));
  for (const action of stringsOf(statement.Action ?? statement.NotAction, 'Action', problems)) {
    if (action !== '*' && !/^[A-Za-z0-9-]+:[^:]+$/.test(action)) {
      problems.push(
        `action "${action}" must be "*" or <service prefix>:<action>, without wildcards in the prefix`,
      );
    }
  }
  problems.push(...exactlyOne(statement, 'Resource', 'NotResource', kind === 'identity'));
  for (const resource of stringsOf(statement.Resource ?? statement.NotResource, 'Resource', problems)) {
    const service = resource.split(':')[2];
    if (resource !== '*' && (!resource.startsWith('arn:') || resource.split(':').length < 6)) {
      problems.push(
        `resource "${resource}" must be "*" or an ARN (arn:partition:service:region:account:resource)`,
      );
    } else if (service !== undefined && /[*?]/.test(service)) {
      problems.push(`resource "${resource}" has a wildcard in its service segment`);
    }
  }
  if (kind === 'identity' && (statement.Principal !== undefined || statement.NotPrincipal !== undefined)) {
    problems.push(
      'an identity-based policy names no Principal or NotPrincipal (it is the identity it is attached to)',
    );
  }
  if (kind === 'resource') {
    problems.push(...exactlyOne(statement, 'Principal', 'NotPrincipal', true));
    for (const principal of [statement.Principal, statement.NotPrincipal])
      problems.push(...principalProblems(principal));
  }
  problems.push(...conditionProblems(statement.Condition));
  return problems;
}

function exactlyOne(statement: PolicyStatementJson, a: string, b: string, required: boolean): string[] {
  const record = statement as unknown as Record<string, unknown>;
  if (record[a] !== undefined && record[b] !== undefined) return [`has both ${a} and ${b}; keep one`];
  if (required && record[a] === undefined && record[b] === undefined) return [`needs ${a} or ${b}`];
  return [];
}

function stringsOf(value: unknown, element: string, problems: string[]): string[] {
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0 || values.some((item) => typeof item !== 'string')) {
    problems.push(`${element} must be a string or a non-empty list of strings, not ${JSON.stringify(value)}`);
    return [];
  }
  return values as string[];
}

function principalProblems(principal: PolicyPrincipal | undefined): string[] {
  if (principal === undefined || principal === '*') return [];
  if (typeof principal !== 'object' || principal === null) return [`Principal ${JSON.stringify(principal)}`];
  const problems: string[] = [];
  for (const [type, values] of Object.entries(principal)) {
    if (!['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(type)) {
      problems.push(`principal type "${type}" must be AWS, Service, Federated or CanonicalUser`);
    }
    stringsOf(values, `Principal ${type}`, problems);
  }
  return problems;
}

function conditionProblems(condition: PolicyStatementJson['Condition']): string[] {
  if (condition === undefined) return [];
  if (typeof condition !== 'object' || condition === null) return ['Condition must be an object'];
  const problems: string[] = [];
  for (const [name, keys] of Object.entries(condition)) {
    const operator = parseConditionOperator(name);
    if (!operator) {
      problems.push(
        `condition operator "${name}" is not one of the policy language (StringEquals, ArnLike, Null, …IfExists, ForAllValues:…)`,
      );
      continue;
    }
    if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
      problems.push(`${name} must map condition keys to values`);
      continue;
    }
    for (const [key, value] of Object.entries(keys)) {
      const values = Array.isArray(value) ? value : [value];
      if (
        values.length === 0 ||
        values.some((item) => !['string', 'number', 'boolean'].includes(typeof item))
      ) {
        problems.push(
          `${name} ${key}: values must be strings, numbers or booleans, not ${JSON.stringify(value)}`,
        );
      } else if (!operator.base && policyValues(value).some((item) => !/^(?:true|false)$/i.test(item))) {
        problems.push(`Null ${key}: values must be "true" or "false", not ${JSON.stringify(value)}`);
      }
    }
  }
  return problems;
}
