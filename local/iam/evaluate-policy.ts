import type { AccessDecision, AccessRequest, PolicyDocument, Principal } from './access';
import { assertValidPolicy, type PolicyKind, statementsOf } from './policy-document';
import { matchStatement, type StatementRequest } from './policy-statement';
import { RequestValues } from './request-context';

/** How to evaluate: the clock the global time keys read. */
export interface EvaluationOptions {
  /**
   * The time of the request (aws:CurrentTime, aws:EpochTime).
   * @default - now
   */
  readonly now?: Date;
}

/** What the statements of one kind of policy say about an access: the first that decided each way. */
interface PolicyVerdict {
  readonly deny?: string;
  /** An Allow that grants to the caller itself (every identity-based Allow). */
  readonly allowDirect?: string;
  /** An Allow that delegates to the caller's account (resource-based policies naming the account). */
  readonly allowAccount?: string;
}

/** The words a decision's `statement` starts its policy's kind with; accessDeniedMessage reads them back. */
const POLICY_LABEL: Readonly<Record<PolicyKind, string>> = {
  identity: 'identity-based policy',
  resource: 'resource-based policy',
};
const RESOURCE_POLICY = `the ${POLICY_LABEL.resource}`;

/**
 * Decides one access as AWS does for a principal without permissions boundaries, session policies or SCPs:
 * - an explicit Deny in any policy wins;
 * - within the caller's account, an Allow in an identity-based policy, or a resource-based Allow that names the
 *   caller (its session, its role, `*`), suffices; a resource-based Allow naming only the account delegates to the
 *   account, whose identity-based policies must then allow;
 * - KMS key policies and role trust policies are the exception: they must allow the caller themselves (or
 *   delegate to its account, and the identity-based policy allow);
 * - another account's resource needs both: the caller's identity-based policy and the resource's policy.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
 * @throws InvalidPolicyError when a policy is one IAM would refuse to store (an unknown condition operator, ...)
 */
export function evaluateAccess(
  principal: Principal,
  access: AccessRequest,
  options: EvaluationOptions = {},
): AccessDecision {
  const values = new RequestValues(access.context, principal, options.now ?? new Date());
  const request = { principal, action: access.action, resource: access.resource, values };
  const identity = evaluatePolicies(
    principal.policies.map((document, index) => ({
      document,
      label: `${POLICY_LABEL.identity} ${index + 1} of ${principal.identityArn}`,
    })),
    'identity',
    request,
  );
  const resource = access.resourcePolicy
    ? evaluatePolicies([{ document: access.resourcePolicy, label: RESOURCE_POLICY }], 'resource', request)
    : {};
  const deny = identity.deny ?? resource.deny;
  if (deny) return { allowed: false, reason: 'explicit-deny', statement: deny };

  const crossAccount = (access.resourceAccount ?? principal.account) !== principal.account;
  const resourceMustAllow =
    crossAccount || (access.resourcePolicy !== undefined && policyMustAllow(access.action));
  if (!resourceMustAllow) {
    const allow = identity.allowDirect ?? resource.allowDirect;
    return allow
      ? { allowed: true, reason: 'allowed', statement: allow }
      : { allowed: false, reason: 'no-identity-allow' };
  }
  if (!crossAccount && resource.allowDirect)
    return { allowed: true, reason: 'allowed', statement: resource.allowDirect };
  const resourceAllow = (crossAccount ? resource.allowDirect : undefined) ?? resource.allowAccount;
  if (!resourceAllow) return { allowed: false, reason: 'no-resource-allow' };
  if (!identity.allowDirect) return { allowed: false, reason: 'no-identity-allow' };
  return { allowed: true, reason: 'allowed', statement: identity.allowDirect };
}

/**
 * AWS's words for a refused access, as the SDK shows them in its AccessDenied exception: `User: <principal> is
 * not authorized to perform: <action> on resource: <resource> because no identity-based policy allows the
 * <action> action` (or `with an explicit deny in an identity-based policy`, or `... resource-based policy`).
 * Actions without a resource (`*`) name none.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 * @throws Error when the decision allowed the access
 */
export function accessDeniedMessage(
  principal: Principal,
  access: AccessRequest,
  decision: AccessDecision,
): string {
  const start = `User: ${principal.arn} is not authorized to perform: ${access.action}${
    access.resource === '*' ? '' : ` on resource: ${access.resource}`
  }`;
  switch (decision.reason) {
    case 'explicit-deny': {
      const kind = decision.statement?.includes(POLICY_LABEL.resource)
        ? 'a resource-based'
        : 'an identity-based';
      return `${start} with an explicit deny in ${kind} policy`;
    }
    case 'no-identity-allow':
      return `${start} because no identity-based policy allows the ${access.action} action`;
    case 'no-resource-allow':
      return `${start} because no resource-based policy allows the ${access.action} action`;
    case 'allowed':
      throw new Error(`${access.action} on ${access.resource} was allowed; there is no denial to describe`);
  }
}

/**
 * KMS key policies and IAM role trust policies must allow access themselves: an identity-based Allow alone
 * does not open a key or a role.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
 */
function policyMustAllow(action: string): boolean {
  const lower = action.toLowerCase();
  return lower.startsWith('kms:') || lower.startsWith('sts:assumerole');
}

function evaluatePolicies(
  policies: readonly { document: PolicyDocument; label: string }[],
  kind: PolicyKind,
  request: Omit<StatementRequest, 'variables'>,
): PolicyVerdict {
  const verdict: { deny?: string; allowDirect?: string; allowAccount?: string } = {};
  for (const { document, label } of policies) {
    assertValidPolicy(document, kind, label);
    // Policy variables exist only in the 2012-10-17 policy language; older policies read `${…}` literally.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
    const variables =
      document.Version === '2012-10-17' ? (key: string) => request.values.single(key) : undefined;
    statementsOf(document).forEach((statement, index) => {
      const match = matchStatement(statement, { ...request, variables }, kind === 'resource');
      const name = `statement ${statement.Sid === undefined ? index + 1 : `"${statement.Sid}"`} of ${label}`;
      // An undetermined statement (see tri-state.ts) is read strictly: it denies, and it does not allow.
      if (statement.Effect === 'Deny' && match.applies !== false) verdict.deny ??= name;
      if (statement.Effect === 'Allow' && match.applies === true) {
        if (match.principal === 'account') verdict.allowAccount ??= name;
        else verdict.allowDirect ??= name;
      }
    });
  }
  return verdict;
}
