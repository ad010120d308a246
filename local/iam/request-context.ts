import type { ConditionValue, Principal, RequestContext } from './access';

/**
 * The request context a policy is evaluated against: the condition keys the service supplied for the access,
 * and the global keys AWS always adds from the principal and the clock. Key names are case-insensitive
 * (`aws:SourceIP` is `AWS:sourceip`), and so is the key part of a tag key (`aws:ResourceTag/Team` also finds a
 * tag `team`); a name that finds several entries holds all their values.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
 */
export class RequestValues {
  private readonly byName = new Map<string, string[]>();

  constructor(context: RequestContext, principal: Principal, now: Date) {
    const global = principalKeys(principal, now);
    const globalNames = new Set(Object.keys(global).map((name) => name.toLowerCase()));
    for (const [name, value] of Object.entries(context)) {
      // The principal's keys come from its credentials, never from what a service passes along.
      if (!globalNames.has(name.toLowerCase())) this.add(name, value);
    }
    for (const [name, value] of Object.entries(global)) this.add(name, value);
  }

  /** The values of a key, or undefined when the request has no such key. */
  values(name: string): readonly string[] | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** The key's value when it has exactly one, as a policy variable takes it; undefined otherwise. */
  single(name: string): string | undefined {
    const values = this.values(name);
    return values?.length === 1 ? values[0] : undefined;
  }

  private add(name: string, value: ConditionValue): void {
    const key = name.toLowerCase();
    const values = typeof value === 'string' || !Array.isArray(value) ? [String(value)] : [...value];
    this.byName.set(key, [...(this.byName.get(key) ?? []), ...values]);
  }
}

/**
 * The global keys AWS puts in every request context from the principal and the time of the request.
 * aws:PrincipalArn is the role's ARN for a role session, not the session's; aws:username exists for IAM users
 * only; aws:userid is left out (local roles have no unique ids), so a policy that reads it never matches.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable
 */
function principalKeys(principal: Principal, now: Date): Record<string, ConditionValue> {
  const keys: Record<string, ConditionValue> = {
    'aws:PrincipalArn': principal.identityArn,
    'aws:PrincipalAccount': principal.account,
    'aws:CurrentTime': now.toISOString(),
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
  };
  const type = principalType(principal.arn);
  if (type) keys['aws:PrincipalType'] = type;
  const user = /^arn:[^:]+:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(principal.arn);
  if (user) keys['aws:username'] = user[1] as string;
  return keys;
}

function principalType(arn: string): string | undefined {
  if (/^arn:[^:]+:sts::\d{12}:assumed-role\//.test(arn)) return 'AssumedRole';
  if (/^arn:[^:]+:sts::\d{12}:federated-user\//.test(arn)) return 'FederatedUser';
  if (/^arn:[^:]+:iam::\d{12}:user\//.test(arn)) return 'User';
  if (/^arn:[^:]+:iam::\d{12}:root$/.test(arn)) return 'Account';
  return undefined;
}
