import type { PolicyPrincipal, PolicyStatementJson, Principal } from './access';
import { evaluateConditions } from './policy-conditions';
import { listOf } from './policy-document';
import { expandPolicyString, type VariableLookup } from './policy-variables';
import { actionMatches, resourceMatches } from './policy-wildcards';
import type { RequestValues } from './request-context';
import { allOf, anyOf, not, type Tri, UNKNOWN } from './tri-state';

/** One access as a statement sees it. */
export interface StatementRequest {
  readonly principal: Principal;
  readonly action: string;
  readonly resource: string;
  readonly values: RequestValues;
  /** @default - policy variables are literal text (the policy has no `"Version": "2012-10-17"`) */
  readonly variables?: VariableLookup;
}

/**
 * How a resource-based statement names the caller: `direct` (`*`, its session, its role or user, its service)
 * grants to the caller itself; `account` (`123456789012`, `arn:aws:iam::123456789012:root`) delegates to the
 * caller's account, whose identity-based policies must then allow the access too.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
 */
export type PrincipalMatch = 'direct' | 'account' | 'none';

/** Whether a statement applies to the access, and how it names the caller (identity-based statements: `direct`). */
export interface StatementMatch {
  readonly applies: Tri;
  readonly principal: PrincipalMatch;
}

/**
 * Whether a statement applies: its action, resource, principal (resource-based policies) and conditions must
 * all match. A resource-based statement without Resource covers the resource it is attached to.
 */
export function matchStatement(
  statement: PolicyStatementJson,
  request: StatementRequest,
  resourcePolicy: boolean,
): StatementMatch {
  const principal = resourcePolicy ? matchPrincipal(statement, request.principal) : 'direct';
  if (principal === 'none' || !matchAction(statement, request.action)) return { applies: false, principal };
  const resource = matchResource(statement, request);
  if (resource === false) return { applies: false, principal };
  const conditions =
    statement.Condition === undefined
      ? true
      : evaluateConditions(statement.Condition, { values: request.values, variables: request.variables });
  return { applies: allOf([resource, conditions]), principal };
}

/** Action: any listed pattern names the action; NotAction: none does. */
function matchAction(statement: PolicyStatementJson, action: string): boolean {
  if (statement.NotAction !== undefined) {
    return !listOf(statement.NotAction).some((pattern) => actionMatches(pattern, action));
  }
  return listOf(statement.Action).some((pattern) => actionMatches(pattern, action));
}

/**
 * Resource: any listed ARN pattern matches (case-sensitively); NotResource: none does. Variables count only in
 * the resource part of the ARN, after the fifth colon.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
 */
function matchResource(statement: PolicyStatementJson, request: StatementRequest): Tri {
  const negated = statement.NotResource !== undefined;
  const patterns = listOf(negated ? statement.NotResource : statement.Resource);
  if (!negated && statement.Resource === undefined) return true;
  const any = anyOf(
    patterns.map((pattern) => {
      const tokens = expandPolicyString(pattern, {
        wildcards: true,
        lookup: request.variables,
        variablesAfterColons: 5,
      });
      return tokens === undefined ? UNKNOWN : resourceMatches(tokens, request.resource);
    }),
  );
  return negated ? not(any) : any;
}

/**
 * Principal: how the statement names the caller. NotPrincipal with Allow grants to everyone it does not name;
 * with Deny it spares the caller only when it names every identity the caller acts as (its account, its role
 * or user, its session), as AWS may check each of them.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
 */
function matchPrincipal(statement: PolicyStatementJson, caller: Principal): PrincipalMatch {
  if (statement.Principal !== undefined) return principalMatch(statement.Principal, caller);
  const named = callerIdentities(caller).map((identity) =>
    names(statement.NotPrincipal as PolicyPrincipal, identity),
  );
  if (statement.Effect === 'Allow') return named.some(Boolean) ? 'none' : 'direct';
  return named.every(Boolean) ? 'none' : 'direct';
}

function principalMatch(principal: PolicyPrincipal, caller: Principal): PrincipalMatch {
  if (principal === '*') return 'direct';
  const aws = listOf(principal.AWS);
  if (aws.includes('*') || aws.includes(caller.arn) || aws.includes(caller.identityArn)) return 'direct';
  if (listOf(principal.Service).includes(caller.arn)) return 'direct';
  return aws.some((value) => accountOf(value) === caller.account) ? 'account' : 'none';
}

/** One identity the caller acts as, as a NotPrincipal must name it: its account, its role or user, its session. */
type CallerIdentity = { readonly account: string } | { readonly arn: string } | { readonly service: string };

function callerIdentities(caller: Principal): CallerIdentity[] {
  if (SERVICE_PRINCIPAL.test(caller.arn)) return [{ service: caller.arn }];
  const identities: CallerIdentity[] = [{ account: caller.account }, { arn: caller.identityArn }];
  return caller.arn === caller.identityArn ? identities : [...identities, { arn: caller.arn }];
}

function names(principal: PolicyPrincipal, identity: CallerIdentity): boolean {
  if (principal === '*') return true;
  const aws = listOf(principal.AWS);
  if (aws.includes('*')) return true;
  if ('account' in identity) return aws.some((value) => accountOf(value) === identity.account);
  if ('arn' in identity) return aws.includes(identity.arn);
  return listOf(principal.Service).includes(identity.service);
}

/** The account an AWS principal value names as a whole (`123456789012`, `arn:aws:iam::123456789012:root`). */
function accountOf(value: string): string | undefined {
  const match = /^(?:arn:[^:]+:iam::(\d{12}):root|(\d{12}))$/.exec(value);
  return match ? (match[1] ?? match[2]) : undefined;
}

/** A service principal (`secretsmanager.amazonaws.com`), as the caller of a call a service makes itself. */
const SERVICE_PRINCIPAL = /^[a-z0-9.-]+\.amazonaws\.com(?:\.cn)?$/;
