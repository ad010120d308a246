import type { Stack } from 'aws-cdk-lib';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { RefreshStack } from './refresh-stack';

/** A state machine definition in the Amazon States Language, as plain JSON. */
export interface AslDefinition {
  readonly StartAt: string;
  // biome-ignore lint/suspicious/noExplicitAny: ASL states are open-ended JSON
  readonly States: Record<string, Record<string, any>>;
  readonly Comment?: string;
}

export interface ResolveOptions {
  readonly account?: string;
  readonly region?: string;
  readonly partition?: string;
}

/**
 * The state machine's definition with CloudFormation references replaced: a function's `Arn`
 * becomes `arn:aws:lambda:<region>:<account>:function:<logical id>`, so the name of each Task's
 * function is the logical id of the function in the template. Used by tests and the local runner.
 */
export function resolveDefinition(stack: RefreshStack, options: ResolveOptions = {}): AslDefinition {
  const cfn = stack.refresh.stateMachine.node.defaultChild as CfnStateMachine;
  const resolved = (stack as Stack).resolve(cfn.definitionString);
  return JSON.parse(render(resolved, options));
}

/** The name a resolved definition gives the function with this logical id. */
export function functionArn(logicalId: string, options: ResolveOptions = {}): string {
  const { partition = 'aws', region = 'eu-west-1', account = '111122223333' } = options;
  return `arn:${partition}:lambda:${region}:${account}:function:${logicalId}`;
}

function render(value: unknown, options: ResolveOptions): string {
  if (typeof value === 'string') return value;
  const record = (value ?? {}) as Record<string, unknown>;
  const join = record['Fn::Join'];
  if (Array.isArray(join))
    return (join[1] as unknown[]).map((part) => render(part, options)).join(String(join[0]));
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn') return functionArn(String(getAtt[0]), options);
  if (record.Ref === 'AWS::Partition') return options.partition ?? 'aws';
  if (record.Ref === 'AWS::Region') return options.region ?? 'eu-west-1';
  if (record.Ref === 'AWS::AccountId') return options.account ?? '111122223333';
  throw new Error(`Cannot resolve ${JSON.stringify(value)} in the state machine definition`);
}
