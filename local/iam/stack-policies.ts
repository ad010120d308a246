import { resolveIntrinsics, resolveString, type TemplateValues } from '../template/intrinsics';
import type { CloudFormationTemplate, TemplateResource } from '../template/template-values';
import type { PolicyDocument } from './access';
import type { LocalRole } from './identities';
import { awsManagedPolicy, isAwsManagedPolicyArn } from './managed-policies';
import { assertValidPolicy } from './policy-document';

/** The roles of a stack that local mode runs as, with their identity-based policies resolved to local values. */
export interface StackRoles {
  /** Every role the stack declares, by its logical id. */
  readonly roles: ReadonlyMap<string, LocalRole>;
  /** The role each Lambda function runs as, by the function's logical id. */
  readonly functions: ReadonlyMap<string, LocalRole>;
  /** The role each state machine runs as, by the state machine's logical id. */
  readonly stateMachines: ReadonlyMap<string, LocalRole>;
  /** The role each EventBridge Scheduler schedule starts its target as, by the schedule's logical id. */
  readonly schedules: ReadonlyMap<string, LocalRole>;
  /** The role of each EC2 instance's instance profile, by the instance's logical id (the script runner). */
  readonly instances: ReadonlyMap<string, LocalRole>;
}

const ROLE = 'AWS::IAM::Role';

/**
 * Each role's identity-based policies as IAM would hold them after deployment: its inline `Policies`, the
 * `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy` resources attached to it (`Roles`), and its
 * `ManagedPolicyArns` (AWS managed policies from the Managed Policy Reference, or the stack's own), every
 * intrinsic resolved against `values`. A role is named by what `Ref` gives for it (its logical id unless it
 * declares a RoleName), so its ARN and its sessions' ARNs are those the template's references resolve to.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-policy.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-managedpolicy.html
 * @throws UnresolvedReferenceError naming the path of a reference without a local value
 * @throws InvalidPolicyError naming the role and policy IAM would refuse
 * @throws Error naming an AWS managed policy local mode does not know, or a role the stack does not declare
 */
export function stackRoles(template: CloudFormationTemplate, values: TemplateValues): StackRoles {
  const resources = Object.entries(template.Resources);
  const roles = new Map(
    resources
      .filter(([, resource]) => resource.Type === ROLE)
      .map(([logicalId, resource]) => [logicalId, localRole(logicalId, resource, template, values)]),
  );
  /** The role a property of a resource names (an ARN or a name, as its intrinsic resolves). */
  const roleAt = (logicalId: string, property: string, fragment: unknown): LocalRole => {
    const at = `Resources.${logicalId}.Properties.${property}`;
    const reference = resolveString(fragment, values, at);
    const roleId = [...roles.keys()].find((id) => {
      const role = values.resources[id];
      return role?.ref === reference || role?.attributes.Arn === reference;
    });
    if (roleId === undefined)
      throw new Error(`${at} names the role ${reference}, which the stack does not declare`);
    return roles.get(roleId) as LocalRole;
  };
  const byType = (type: string, property: string, pick: (properties: Record<string, unknown>) => unknown) =>
    new Map(
      resources
        .filter(([, resource]) => resource.Type === type)
        .map(([logicalId, resource]) => [
          logicalId,
          roleAt(logicalId, property, pick(resource.Properties ?? {})),
        ]),
    );
  return {
    roles,
    functions: byType('AWS::Lambda::Function', 'Role', (properties) => properties.Role),
    stateMachines: byType('AWS::StepFunctions::StateMachine', 'RoleArn', (properties) => properties.RoleArn),
    schedules: byType(
      'AWS::Scheduler::Schedule',
      'Target.RoleArn',
      (properties) => (properties.Target as Record<string, unknown> | undefined)?.RoleArn,
    ),
    instances: new Map(
      resources
        .filter(([, resource]) => resource.Type === 'AWS::EC2::Instance')
        .map(([logicalId, resource]) => {
          const profile = instanceProfile(logicalId, resource, template, values);
          return [logicalId, roleAt(profile.logicalId, 'Roles[0]', profile.role)];
        }),
    ),
  };
}

function localRole(
  roleId: string,
  role: TemplateResource,
  template: CloudFormationTemplate,
  values: TemplateValues,
): LocalRole {
  const name = values.resources[roleId]?.ref ?? roleId;
  const properties = role.Properties ?? {};
  const documents: { document: unknown; at: string }[] = [];
  const inline = (properties.Policies ?? []) as { PolicyDocument?: unknown }[];
  inline.forEach((policy, index) => {
    documents.push({
      document: policy.PolicyDocument,
      at: `Resources.${roleId}.Properties.Policies[${index}].PolicyDocument`,
    });
  });
  const attached = new Set<string>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const roles = resolveIntrinsics(
      resource.Properties?.Roles ?? [],
      values,
      `Resources.${logicalId}.Properties.Roles`,
    );
    if (!(roles as unknown[]).includes(name)) continue;
    attached.add(logicalId);
    documents.push({
      document: resource.Properties?.PolicyDocument,
      at: `Resources.${logicalId}.Properties.PolicyDocument`,
    });
  }
  const arns = resolveIntrinsics(
    properties.ManagedPolicyArns ?? [],
    values,
    `Resources.${roleId}.Properties.ManagedPolicyArns`,
  ) as string[];
  const policies: PolicyDocument[] = documents.map(({ document, at }) => resolvePolicy(document, at, values));
  for (const arn of arns) {
    if (isAwsManagedPolicyArn(arn)) {
      policies.push(awsManagedPolicy(arn));
      continue;
    }
    const own = Object.keys(template.Resources).find(
      (id) => template.Resources[id]?.Type === 'AWS::IAM::ManagedPolicy' && values.resources[id]?.ref === arn,
    );
    if (own === undefined) {
      throw new Error(
        `Role ${roleId} attaches the managed policy ${arn}, which is neither AWS's nor the stack's`,
      );
    }
    if (attached.has(own)) continue;
    attached.add(own);
    const at = `Resources.${own}.Properties.PolicyDocument`;
    policies.push(resolvePolicy(template.Resources[own]?.Properties?.PolicyDocument, at, values));
  }
  for (const [index, policy] of policies.entries()) {
    assertValidPolicy(policy, 'identity', `policy ${index + 1} of role ${roleId}`);
  }
  return { name, policies };
}

function resolvePolicy(document: unknown, at: string, values: TemplateValues): PolicyDocument {
  const resolved = resolveIntrinsics(document, values, at);
  if (typeof resolved !== 'object' || resolved === null || !('Statement' in resolved)) {
    throw new Error(`${at} is not a policy document`);
  }
  return resolved as PolicyDocument;
}

/** The instance profile an instance names, and the role expression of that profile. */
function instanceProfile(
  instanceId: string,
  instance: TemplateResource,
  template: CloudFormationTemplate,
  values: TemplateValues,
): { logicalId: string; role: unknown } {
  const at = `Resources.${instanceId}.Properties.IamInstanceProfile`;
  const name = resolveString(instance.Properties?.IamInstanceProfile, values, at);
  const logicalId = Object.keys(template.Resources).find(
    (id) =>
      template.Resources[id]?.Type === 'AWS::IAM::InstanceProfile' && values.resources[id]?.ref === name,
  );
  const roles =
    logicalId === undefined ? undefined : (template.Resources[logicalId]?.Properties?.Roles as unknown[]);
  if (logicalId === undefined || roles?.length !== 1) {
    throw new Error(
      `${at} names the instance profile ${name}, which the stack does not declare with one role`,
    );
  }
  return { logicalId, role: roles[0] };
}
