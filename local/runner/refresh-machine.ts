import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { TaskFunction } from '../../lib/constructs/task-function';
import { RefreshStack } from '../../lib/refresh-stack';
import { type AslDefinition, resolveDefinition } from '../../lib/resolve-definition';
import { type TaskIntegration, taskTarget } from './lambda-integrations';

/** What the local runner needs to run one Task state: the handler the template names and its settings. */
export interface LocalTask {
  readonly stateName: string;
  readonly logicalId: string;
  /** How the state calls the function (its Resource: the function, `lambda:invoke` or `.waitForTaskToken`). */
  readonly integration: TaskIntegration;
  /** `lambdas/<step>/handler.ts`, the file the function is bundled from. */
  readonly entry: string;
  readonly handlerName: string;
  readonly timeoutSeconds: number;
  /** The function's environment, with the stack's references replaced by local values. */
  readonly environment: Readonly<Record<string, string>>;
}

export interface RefreshMachine {
  readonly definition: AslDefinition;
  readonly tasks: readonly LocalTask[];
}

/** Local values for the references the functions' environments make to the stack's resources. */
export interface LocalResources {
  readonly historyTableName: string;
  readonly notificationTopicArn: string;
  /** The bucket the preserve steps keep a run's captured rows and users in. */
  readonly preservedDataBucketName: string;
  /**
   * The local SSM instance that runs `scripts.method: "ec2"`, and the command it runs the job with.
   * @default - none: the scripts step refuses method "ec2", as a stack without a runner does
   */
  readonly scriptRunner?: { readonly instanceId: string; readonly command: string };
}

/**
 * The network local mode is deployed in: its databases are private (the copy is restored not publicly
 * accessible) and the functions that connect to them run in their network, as the stack must be deployed
 * on AWS for scripts and preserve to reach the copy. Locally every engine listens on 127.0.0.1, so the ids
 * are names only.
 */
const LOCAL_DATABASE_NETWORK = {
  vpcId: 'vpc-local',
  subnetIds: ['subnet-local-a', 'subnet-local-b'],
  securityGroupIds: ['sg-local-databases'],
};

/**
 * Synthesizes the real stack in-process (no bundling) and returns its state machine definition with
 * each Task state mapped to the function the template gives it, as Lambda would run it.
 */
export function loadRefreshMachine(resources: LocalResources): RefreshMachine {
  const stack = new RefreshStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'DbRefresh', {
    databaseNetwork: LOCAL_DATABASE_NETWORK,
    scriptRunnerInstanceId: resources.scriptRunner?.instanceId,
    scriptRunnerCommand: resources.scriptRunner?.command,
  });
  const definition = resolveDefinition(stack);
  const byLogicalId = new Map(
    stack.functions.all().map((fn) => [Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement), fn]),
  );
  const references: Record<string, string> = {
    [stack.getLogicalId(stack.history.table.node.defaultChild as CfnElement)]: resources.historyTableName,
    [stack.getLogicalId(stack.notifications.topic.node.defaultChild as CfnElement)]:
      resources.notificationTopicArn,
    [stack.getLogicalId(stack.preservedData.bucket.node.defaultChild as CfnElement)]:
      resources.preservedDataBucketName,
  };
  const tasks = Object.entries(definition.States)
    .filter(([, state]) => state.Type === 'Task')
    .map(([stateName, state]) => {
      const target = taskTarget(stateName, state);
      const fn = target && byLogicalId.get(target.logicalId);
      if (!target || !fn)
        throw new Error(
          `Task "${stateName}" names ${state.Resource}, which is not a step function of the stack`,
        );
      return {
        ...localTask(stack, stateName, target.logicalId, fn, references),
        integration: target.integration,
      };
    });
  return { definition, tasks };
}

function localTask(
  stack: Stack,
  stateName: string,
  logicalId: string,
  fn: TaskFunction,
  references: Record<string, string>,
): Omit<LocalTask, 'integration'> {
  const cfn = fn.node.defaultChild as CfnFunction;
  const variables = (stack.resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined)
    ?.variables;
  const environment = Object.fromEntries(
    Object.entries(variables ?? {}).map(([name, value]) => [name, localValue(name, value, references)]),
  );
  return {
    stateName,
    logicalId,
    entry: fn.entry,
    handlerName: fn.handlerName,
    timeoutSeconds: Number(cfn.timeout ?? 3),
    environment,
  };
}

function localValue(name: string, value: unknown, references: Record<string, string>): string {
  if (typeof value === 'string') return value;
  const ref = (value as { Ref?: unknown } | null)?.Ref;
  const local = typeof ref === 'string' ? references[ref] : undefined;
  if (local === undefined) throw new Error(`No local value for ${name} = ${JSON.stringify(value)}`);
  return local;
}
