import { Stack, Validations } from 'aws-cdk-lib';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges the cdk-nag AwsSolutions-IAM5 findings of one statement (each wildcard action and
 * resource is its own finding) on the construct that received it, with the reason it is needed.
 */
export function acknowledgeWildcards(scope: IConstruct, statement: PolicyStatement, reason: string): void {
  const stack = Stack.of(scope);
  const json = stack.resolve(statement.toStatementJson());
  const wildcards = [
    ...asList(json.Action).map((action) => `Action::${render(action)}`),
    ...asList(json.Resource).map((resource) => `Resource::${render(resource)}`),
  ].filter((finding) => finding.includes('*'));
  for (const finding of new Set(wildcards)) {
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  }
}

/** Acknowledges one cdk-nag finding on `scope` and everything below it. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Renders a resolved CloudFormation value the way cdk-nag names it in a finding id. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const join = record['Fn::Join'];
    if (Array.isArray(join)) return (join[1] as unknown[]).map(render).join(String(join[0]));
    if (typeof record.Ref === 'string') return `<${record.Ref}>`;
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt[0]}.${getAtt[1]}>`;
  }
  return JSON.stringify(value);
}
