import { type CfnElement, Stack } from 'aws-cdk-lib';
import { DEFAULT_SECRET_NAMES } from '../../lib/constructs/script-runner';
import { RefreshStack } from '../../lib/refresh-stack';
import { type AslDefinition, resolveDefinition } from '../../lib/resolve-definition';
import { type StackRoles, stackRoles } from '../iam/stack-policies';
import { resolveIntrinsics, type TemplateValues } from '../template/intrinsics';
import { synthesizeStack } from '../template/synthesize';
import { type CloudFormationTemplate, templateValues } from '../template/template-values';
import type { LocalFunction } from './function-host';
import { type TaskIntegration, taskTarget } from './lambda-integrations';

/** The name of the refresh state machine, in the stack and in local mode. */
export const REFRESH_STATE_MACHINE_NAME = 'DbRefresh';
/** The stack's name, as bin/app.ts deploys it. */
const STACK_NAME = 'DbRefresh';

/**
 * What the local runner needs to run one Task state: the function the template names, as Lambda would run it,
 * with its role's policies from the synthesized template (what its calls are allowed).
 */
export interface LocalTask extends LocalFunction {
  readonly stateName: string;
  readonly logicalId: string;
  /** How the state calls the function (its Resource: the function, `lambda:invoke` or `.waitForTaskToken`). */
  readonly integration: TaskIntegration;
}

/**
 * The network local mode is deployed in: its databases are private (the copy is restored not publicly
 * accessible) and the functions that connect to them run in their network, as the stack must be deployed
 * on AWS for scripts and preserve to reach the copy. Locally every engine listens on 127.0.0.1, so the ids
 * are names only.
 */
/**
 * The secrets the local runner's role may read (`-c scriptRunnerSecretNames` on AWS): the default patterns and
 * the demo's `/development/*` secrets; any other secret is refused at plan for `scripts.method: "ec2"`.
 */
const LOCAL_RUNNER_SECRET_NAMES = [...DEFAULT_SECRET_NAMES, '/development/*'];

const LOCAL_DATABASE_NETWORK = {
  vpcId: 'vpc-0d0b0e0f00000001',
  subnetIds: ['subnet-0d0b0e0f0000000a', 'subnet-0d0b0e0f0000000b'],
  securityGroupIds: ['sg-0d0b0e0f00000001'],
};

/** The synthesized refresh state machine as local mode runs it. */
export interface RefreshMachine {
  readonly definition: AslDefinition;
  readonly tasks: readonly LocalTask[];
  /** Every role of the stack local mode runs as (functions, state machine, schedules, runner instance). */
  readonly roles: StackRoles;
  /** The local values of the template's references (names, ARNs), as CloudFormation would resolve them locally. */
  readonly values: TemplateValues;
}

/**
 * Local values for the references the stack makes to its resources: what the local account creates them as.
 * This is the one table of them; the local account feeds it (local-account.ts), and every ARN is derived from it.
 */
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
  /**
   * The refresh files whose schedules the local Scheduler runs (as `cdk deploy -c refreshFiles=`): with one
   * schedule or more, the stack has the role the schedules start executions as (`RefreshMachine.roles.schedules`).
   * @default - no schedules, and no scheduler role
   */
  readonly refreshFilesDir?: string;
}

/** The account and region the stack is deployed to locally. */
export interface LocalDeployment {
  readonly region: string;
  readonly account: string;
}

const machines = new Map<string, RefreshMachine>();

/**
 * Synthesizes the real stack in-process (no bundling) and returns its state machine definition with each Task
 * state mapped to the function the template gives it, as Lambda would run it: its handler, its environment and
 * its role, every reference resolved to the local account's resources. The result is kept for the process (a
 * synthesis takes seconds): it depends only on the inputs, and on which refresh files declare a schedule.
 */
export function loadRefreshMachine(resources: LocalResources, deployment: LocalDeployment): RefreshMachine {
  const { historyTableName, notificationTopicArn, preservedDataBucketName, scriptRunner, refreshFilesDir } =
    resources;
  const key = JSON.stringify([
    historyTableName,
    notificationTopicArn,
    preservedDataBucketName,
    scriptRunner,
    refreshFilesDir,
    deployment.region,
    deployment.account,
  ]);
  let machine = machines.get(key);
  if (!machine) {
    machine = synthesizeRefreshMachine(resources, deployment);
    machines.set(key, machine);
  }
  return machine;
}

function synthesizeRefreshMachine(resources: LocalResources, deployment: LocalDeployment): RefreshMachine {
  const topicName = topicNameOf(resources, deployment);
  const { stack, template } = synthesizeStack(
    (app) =>
      new RefreshStack(app, STACK_NAME, {
        databaseNetwork: LOCAL_DATABASE_NETWORK,
        // The runner the stack creates, with its role: locally it is the SSM instance of the local account.
        scriptRunner: resources.scriptRunner !== undefined,
        scriptRunnerCommand: resources.scriptRunner?.command,
        scriptRunnerSecretNames: LOCAL_RUNNER_SECRET_NAMES,
        refreshFilesDir: resources.refreshFilesDir,
      }),
  );
  const definition = resolveDefinition(stack);
  const values = templateValues(
    template,
    { ...deployment, stackName: stack.stackName },
    localNames(stack, template, resources, topicName),
  );
  const roles = stackRoles(template, values);
  const byLogicalId = new Map(stack.functions.all().map((fn) => [logicalIdOf(fn.node.defaultChild), fn]));
  const tasks = Object.entries(definition.States)
    .filter(([, state]) => state.Type === 'Task')
    .map(([stateName, state]): LocalTask => {
      const target = taskTarget(stateName, state);
      const fn = target && byLogicalId.get(target.logicalId);
      const role = target && roles.functions.get(target.logicalId);
      if (!target || !fn || !role)
        throw new Error(
          `Task "${stateName}" names ${state.Resource}, which is not a step function of the stack`,
        );
      return {
        stateName,
        logicalId: target.logicalId,
        name: target.logicalId,
        integration: target.integration,
        entry: fn.entry,
        handlerName: fn.handlerName,
        ...functionSettings(template, target.logicalId, values),
        role,
      };
    });
  return { definition, tasks, roles, values };
}

/**
 * The local names of the stack's resources that the local account creates itself; the others are named by
 * their logical ids.
 */
function localNames(
  stack: RefreshStack,
  template: CloudFormationTemplate,
  resources: LocalResources,
  topicName: string,
): Record<string, string> {
  return {
    [logicalIdOf(stack.history.table.node.defaultChild)]: resources.historyTableName,
    [logicalIdOf(stack.notifications.topic.node.defaultChild)]: topicName,
    [logicalIdOf(stack.preservedData.bucket.node.defaultChild)]: resources.preservedDataBucketName,
    [logicalIdOf(stack.refresh.stateMachine.node.defaultChild)]: REFRESH_STATE_MACHINE_NAME,
    ...(resources.scriptRunner ? { [runnerInstanceId(template)]: resources.scriptRunner.instanceId } : {}),
  };
}

/**
 * The logical id of the script runner instance the stack creates (CDK suffixes it with a hash of its user data
 * during synthesis, so it is read from the template).
 */
function runnerInstanceId(template: CloudFormationTemplate): string {
  const instances = Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === 'AWS::EC2::Instance',
  );
  const [only] = instances;
  if (!only || instances.length > 1) {
    throw new Error(
      `The synthesized stack has ${instances.length} EC2 instances; local mode expects one script runner`,
    );
  }
  return only[0];
}

/** The name of the notification topic, which must be in the deployment's region and account. */
function topicNameOf(resources: LocalResources, deployment: LocalDeployment): string {
  const topicName = resources.notificationTopicArn.split(':').pop() ?? '';
  const expected = `arn:aws:sns:${deployment.region}:${deployment.account}:${topicName}`;
  if (resources.notificationTopicArn !== expected) {
    throw new Error(
      `The notification topic ${resources.notificationTopicArn} is not in the local deployment's region and account ` +
        `(${deployment.region}, ${deployment.account}); create it as ${expected}`,
    );
  }
  return topicName;
}

/** A function's timeout and environment, as the synthesized template gives them, references resolved. */
function functionSettings(
  template: CloudFormationTemplate,
  logicalId: string,
  values: TemplateValues,
): Pick<LocalTask, 'timeoutSeconds' | 'memorySize' | 'environment'> {
  const properties = template.Resources[logicalId]?.Properties ?? {};
  const at = `Resources.${logicalId}.Properties.Environment.Variables`;
  const variables = resolveIntrinsics(
    (properties.Environment as { Variables?: unknown } | undefined)?.Variables ?? {},
    values,
    at,
  ) as Record<string, unknown>;
  const environment = Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      if (typeof value !== 'string')
        throw new Error(`${at}.${name} is ${JSON.stringify(value)}, not a string`);
      return [name, value];
    }),
  );
  // Lambda's defaults are 3 seconds and 128 MB.
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html
  return {
    timeoutSeconds: Number(properties.Timeout ?? 3),
    memorySize: Number(properties.MemorySize ?? 128),
    environment,
  };
}

function logicalIdOf(element: unknown): string {
  const cfn = element as CfnElement;
  return Stack.of(cfn).getLogicalId(cfn);
}
