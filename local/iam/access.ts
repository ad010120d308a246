/**
 * The vocabulary local mode's IAM shares between the endpoint, the services and the evaluator: who calls
 * (a principal and its policies), and what one request asks IAM to authorize (one or more accesses).
 *
 * AWS evaluates a request once per resource it touches: a restore is authorized against the new instance,
 * its source, and each group it names, each with the condition keys AWS supplies for that resource and
 * action. Each of those checks is one {@link AccessRequest}; the request is allowed only when all are.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */

/** An IAM policy document (identity-based or resource-based), as JSON. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly PolicyStatementJson[] | PolicyStatementJson;
}

/** One statement of a policy document, as JSON; every element may be a string or a list, as IAM allows. */
export interface PolicyStatementJson {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  /** Resource-based policies only: `"*"`, `{ AWS: [...] }`, `{ Service: [...] }`. */
  readonly Principal?: PolicyPrincipal;
  readonly NotPrincipal?: PolicyPrincipal;
  /** `{ <operator>: { <key>: value | [values] } }` */
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export type PolicyPrincipal = '*' | Readonly<Record<string, string | readonly string[]>>;

/**
 * The value of a condition key in a request context. Multivalued keys (aws:TagKeys) are lists; IAM compares
 * booleans and numbers as their string forms, so either may be given.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 */
export type ConditionValue = string | boolean | number | readonly string[];

/** The condition keys of one access, by name (`aws:RequestTag/dbrefresh:refreshable`, `kms:ViaService`, ...). */
export type RequestContext = Readonly<Record<string, ConditionValue>>;

/** One authorization AWS makes for a request: one action on one resource, with the condition keys it supplies. */
export interface AccessRequest {
  /** `<service prefix>:<action>`, as the Service Authorization Reference names it: `rds:RestoreDBInstanceToPointInTime`. */
  readonly action: string;
  /** The resource's ARN, or `*` for actions that have no resource type. */
  readonly resource: string;
  /**
   * The condition keys AWS supplies for this action and resource: request keys (`aws:RequestTag/<key>`,
   * `aws:TagKeys`, `kms:ViaService`, `iam:PassedToService`, ...) and the resource's (`aws:ResourceTag/<key>`,
   * `rds:db-tag/<key>`, ...). Global principal keys (`aws:PrincipalArn`, ...) are added by the evaluator.
   */
  readonly context: RequestContext;
  /**
   * The resource's own policy (an SNS topic policy, a Lambda function policy, a KMS key policy), when it has one.
   * @default - none: only identity-based policies decide, and only within the resource's account
   */
  readonly resourcePolicy?: PolicyDocument;
  /**
   * The account that owns the resource. Access to another account's resource needs that resource's policy too.
   * @default - the caller's account
   */
  readonly resourceAccount?: string;
}

/** Who signed a request: the local administrator, or a role session (a step function, the script runner). */
export interface Principal {
  /**
   * `arn:aws:iam::<account>:user/<name>` for the administrator,
   * `arn:aws:sts::<account>:assumed-role/<role name>/<session name>` for a role session.
   */
  readonly arn: string;
  readonly account: string;
  /** The role's ARN (`arn:aws:iam::<account>:role/<name>`) for a role session; the user's ARN otherwise. */
  readonly identityArn: string;
  /** The identity-based policies attached to the user or role. */
  readonly policies: readonly PolicyDocument[];
}

/** What the evaluator decided for one access, with the reason AWS would give. */
export interface AccessDecision {
  readonly allowed: boolean;
  /**
   * `allowed`; `explicit-deny` (a Deny statement matched); `no-identity-allow` (no identity-based policy allows
   * it); `no-resource-allow` (another account's resource whose policy does not allow the caller).
   */
  readonly reason: 'allowed' | 'explicit-deny' | 'no-identity-allow' | 'no-resource-allow';
  /** The statement that decided, when one did (its Sid, or its index in its policy). */
  readonly statement?: string;
}
