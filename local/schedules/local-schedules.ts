import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import type { CfnSchedule, CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { RefreshStack } from '../../lib/refresh-stack';

/** A schedule as the synthesized stack declares it, with its references replaced by local ARNs. */
export interface LocalScheduleDefinition {
  readonly name: string;
  readonly groupName: string;
  readonly description?: string;
  readonly expression: string;
  /** IANA time zone; Scheduler's default is UTC. */
  readonly timezone: string;
  readonly state: 'ENABLED' | 'DISABLED';
  /** Scheduler may start up to this many minutes late; undefined when the window is OFF. */
  readonly flexibleWindowMinutes?: number;
  readonly target: LocalScheduleTarget;
}

export interface LocalScheduleTarget {
  /** The local state machine's ARN. */
  readonly arn: string;
  readonly roleArn: string;
  /** The execution input, a JSON string. */
  readonly input: string;
  readonly deadLetterArn?: string;
  readonly maximumEventAgeSeconds: number;
  readonly maximumRetryAttempts: number;
}

/** What the synthesized stack declares about scheduling, for the local Scheduler. */
export interface LocalScheduling {
  /** The schedule groups the stack creates (the `default` group exists besides them). */
  readonly groupNames: readonly string[];
  readonly schedules: readonly LocalScheduleDefinition[];
}

/** Where the local account's resources are, to replace the stack's references with. */
export interface LocalSchedulingScope {
  readonly region: string;
  readonly account: string;
}

/** The name the stack gets in local mode (and in its ARNs), as `cdk deploy` names it. */
const STACK_NAME = 'DbRefresh';

/** The ARN of the local refresh state machine, which every schedule starts. */
export function localStateMachineArn(scope: LocalSchedulingScope): string {
  return `arn:aws:states:${scope.region}:${scope.account}:stateMachine:${STACK_NAME}`;
}

/**
 * Synthesizes the real stack in-process (no bundling) with `refreshFilesDir` as its refresh files, and
 * returns its schedule groups and schedules as EventBridge Scheduler would hold them in the local account.
 * @throws Error naming the file and the problem when a refresh file of the folder is invalid (as `cdk synth`)
 */
export function loadLocalScheduling(
  refreshFilesDir: string | undefined,
  scope: LocalSchedulingScope,
): LocalScheduling {
  const stack = new RefreshStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), STACK_NAME, {
    refreshFilesDir,
  });
  const { group, schedules, role, deadLetterQueue } = stack.schedules;
  const groupName = String(stack.resolve((group.node.defaultChild as CfnScheduleGroup).name));
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${scope.region}:${scope.account}:${resource}`;
  const references = new Map<string, string>([
    [`Ref:${logicalId(stack, stack.refresh.stateMachine)}`, localStateMachineArn(scope)],
    [`Ref:${logicalId(stack, group)}`, groupName],
    [`Arn:${logicalId(stack, group)}`, arn('scheduler', `schedule-group/${groupName}`)],
  ]);
  if (role)
    references.set(`Arn:${logicalId(stack, role)}`, `arn:aws:iam::${scope.account}:role/dbrefresh-scheduler`);
  if (deadLetterQueue) {
    references.set(
      `Arn:${logicalId(stack, deadLetterQueue)}`,
      arn('sqs', 'dbrefresh-schedules-dead-letters'),
    );
  }
  const local = (value: unknown, what: string) => localValue(stack.resolve(value), references, what);
  return {
    groupNames: [groupName],
    schedules: [...schedules.values()].map((schedule): LocalScheduleDefinition => {
      const cfn = schedule.node.defaultChild as CfnSchedule;
      const name = String(local(cfn.name, 'Name'));
      const what = (property: string) => `schedule ${name} ${property}`;
      const window = local(cfn.flexibleTimeWindow, what('FlexibleTimeWindow')) as {
        mode: string;
        maximumWindowInMinutes?: number;
      };
      const target = local(cfn.target, what('Target')) as {
        arn: string;
        roleArn: string;
        input?: string;
        deadLetterConfig?: { arn?: string };
        retryPolicy?: { maximumEventAgeInSeconds?: number; maximumRetryAttempts?: number };
      };
      return {
        name,
        groupName: String(local(cfn.groupName ?? 'default', what('GroupName'))),
        description: cfn.description,
        expression: String(local(cfn.scheduleExpression, what('ScheduleExpression'))),
        timezone: String(local(cfn.scheduleExpressionTimezone ?? 'UTC', what('ScheduleExpressionTimezone'))),
        state: cfn.state === 'DISABLED' ? 'DISABLED' : 'ENABLED',
        flexibleWindowMinutes: window.mode === 'FLEXIBLE' ? window.maximumWindowInMinutes : undefined,
        target: {
          arn: target.arn,
          roleArn: target.roleArn,
          input: target.input ?? '{}',
          deadLetterArn: target.deadLetterConfig?.arn,
          // Scheduler's defaults when a schedule sets no retry policy.
          maximumEventAgeSeconds: target.retryPolicy?.maximumEventAgeInSeconds ?? 86_400,
          maximumRetryAttempts: target.retryPolicy?.maximumRetryAttempts ?? 185,
        },
      };
    }),
  };
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** `value` with each `Ref` and `Fn::GetAtt ... Arn` replaced by its local value. */
function localValue(value: unknown, references: ReadonlyMap<string, string>, what: string): unknown {
  if (Array.isArray(value)) return value.map((item) => localValue(item, references, what));
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const getAtt = record['Fn::GetAtt'];
  const key =
    typeof record.Ref === 'string'
      ? `Ref:${record.Ref}`
      : Array.isArray(getAtt) && getAtt[1] === 'Arn'
        ? `Arn:${getAtt[0]}`
        : undefined;
  if (key !== undefined) {
    const local = references.get(key);
    if (local === undefined) throw new Error(`No local value for ${JSON.stringify(value)} in ${what}`);
    return local;
  }
  return Object.fromEntries(
    Object.entries(record).map(([name, item]) => [name, localValue(item, references, what)]),
  );
}
