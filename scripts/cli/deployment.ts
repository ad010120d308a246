import * as os from 'node:os';
import * as path from 'node:path';
import type { CloudFormationClient, Output as StackOutput } from '@aws-sdk/client-cloudformation';
import type { Command } from 'commander';
import type { Output } from './main';

/** The stack `npx cdk deploy` creates (bin/app.ts). */
export const DEFAULT_STACK = 'DbRefresh';
/** `DBREFRESH_LOCAL=1` makes every operating command use local mode, as `--local` does. */
export const LOCAL_ENV = 'DBREFRESH_LOCAL';
/**
 * In local mode, the endpoint to use instead of the daemon's (`dbrefresh local up`): a local account a test
 * or a script opened in its own process. The CLI still signs with the administrator key of `--state-dir`.
 */
export const ENDPOINT_URL_ENV = 'DBREFRESH_ENDPOINT_URL';

/** Settings for the SDK clients of one deployment: `new XClient(deployment.clientConfig)`. */
export interface ClientConfig {
  readonly region: string;
  /** The local endpoint; absent on AWS. */
  readonly endpoint?: string;
  /** The local administrator's credentials (`<stateDir>/credentials.json`); absent on AWS (the default provider chain). */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
}

/** Where dbrefresh is deployed, as the operating commands need it: the stack's outputs and how to reach them. */
export interface Deployment {
  readonly local: boolean;
  readonly region: string;
  /** The CloudFormation stack the outputs come from. */
  readonly stack: string;
  readonly stateMachineArn: string;
  readonly historyTableName: string;
  readonly notificationTopicArn: string;
  readonly clientConfig: ClientConfig;
  /** Local mode through the daemon: the state directory it serves. */
  readonly stateDir?: string;
}

/** The options `addDeploymentOptions` adds, as commander parses them. */
export interface DeploymentOptions {
  /** Local mode; also when env DBREFRESH_LOCAL=1. */
  readonly local?: boolean;
  /** Local mode: the state directory of the local account. @default DEFAULT_STATE_DIR of local mode */
  readonly stateDir?: string;
  /** @default DEFAULT_STACK */
  readonly stack?: string;
  /** AWS only. @default - the SDK's: AWS_REGION, then the profile's region */
  readonly region?: string;
}

/** A problem the user can fix: the operating commands print its message (no stack trace) and exit 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** The stack outputs the CLI reads (lib/refresh-stack.ts declares them). */
const OUTPUTS = {
  stateMachineArn: 'StateMachineArn',
  historyTableName: 'HistoryTableName',
  notificationTopicArn: 'NotificationTopicArn',
} as const;

/**
 * Adds `--local`, `--stack`, `--region` and `--state-dir` to an operating command; its action receives them
 * as `DeploymentOptions` for `findDeployment`.
 */
export function addDeploymentOptions(command: Command): Command {
  return command
    .option('--local', `use local mode (\`dbrefresh local up\`) instead of AWS; also when ${LOCAL_ENV}=1`)
    .option('--stack <name>', 'the CloudFormation stack of dbrefresh', DEFAULT_STACK)
    .option('--region <region>', "AWS region (default: AWS_REGION, then your profile's region)")
    .option(
      '--state-dir <dir>',
      `local mode: the local account's directory (default: .dbrefresh/ in the project); ${ENDPOINT_URL_ENV} overrides its endpoint`,
    );
}

/** Whether the options or the environment ask for local mode. */
export function isLocal(options: DeploymentOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  return options.local === true || env[LOCAL_ENV] === '1' || env[LOCAL_ENV] === 'true';
}

/**
 * Finds the deployment the commands work on: the local account (`--local` or DBREFRESH_LOCAL=1) or the AWS
 * account of the default credentials, and in both the outputs of the stack (CloudFormation DescribeStacks).
 * @throws CliError when local mode is not running, the region is unknown, or the stack is missing or incomplete
 */
export async function findDeployment(options: DeploymentOptions): Promise<Deployment> {
  const stack = options.stack ?? DEFAULT_STACK;
  const { stateDir, ...clientConfig } = isLocal(options)
    ? localClientConfig(options.stateDir)
    : { ...(await awsClientConfig(options)), stateDir: undefined };
  const { CloudFormationClient } = cloudFormationSdk();
  const cloudFormation = new CloudFormationClient(clientConfig);
  try {
    const outputs = await stackOutputs(cloudFormation, stack, clientConfig.region);
    const output = (key: string) => {
      const value = outputs.find((candidate) => candidate.OutputKey === key)?.OutputValue;
      if (!value) {
        throw new CliError(
          `stack ${stack} in ${clientConfig.region} has no output ${key}: it is not dbrefresh's stack or an older version of it; ` +
            'deploy this version (npx cdk deploy) or pass --stack',
        );
      }
      return value;
    };
    return {
      local: clientConfig.endpoint !== undefined,
      region: clientConfig.region,
      stack,
      stateMachineArn: output(OUTPUTS.stateMachineArn),
      historyTableName: output(OUTPUTS.historyTableName),
      notificationTopicArn: output(OUTPUTS.notificationTopicArn),
      clientConfig,
      ...(stateDir !== undefined && { stateDir }),
    };
  } finally {
    cloudFormation.destroy();
  }
}

/**
 * Who is asking, for the run's `requestedBy` (and an approval's `by`): `local:<os user>` in local mode, the
 * caller's ARN (STS GetCallerIdentity) on AWS.
 */
export async function callerIdentity(deployment: Deployment): Promise<string> {
  if (deployment.local) return `local:${os.userInfo().username}`;
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const client = new STSClient(deployment.clientConfig);
  try {
    const out = await client.send(new GetCallerIdentityCommand({}));
    if (out.Arn === undefined)
      throw new CliError('AWS STS GetCallerIdentity returned no ARN for these credentials');
    return out.Arn;
  } finally {
    client.destroy();
  }
}

/** The ARN of execution `name` of the deployment's state machine. */
export function executionArnOf(deployment: Deployment, name: string): string {
  return `${deployment.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * The options a follow-up command needs to reach the same deployment, for the commands messages suggest:
 * ` --local`, ` --state-dir <dir>` (not the default), ` --stack <name>` (not DbRefresh).
 */
export function deploymentArguments(deployment: Deployment): string {
  const local = deployment.local ? ' --local' : '';
  const stateDir =
    deployment.stateDir === undefined
      ? ''
      : (require('./local-endpoint') as typeof import('./local-endpoint')).stateDirArgument(
          deployment.stateDir,
        );
  const stack = deployment.stack === DEFAULT_STACK ? '' : ` --stack ${deployment.stack}`;
  return `${local}${stateDir}${stack}`;
}

/**
 * Runs an operating command's action and reports its exit code. Problems the user can fix (CliError, local
 * mode not running, missing credentials, an AWS error) are printed as one `error:` line and exit 1; anything
 * else is a bug and is rethrown with its stack.
 */
export async function runOperatingCommand(
  output: Output,
  setExitCode: (code: number) => void,
  action: () => Promise<number>,
): Promise<void> {
  try {
    setExitCode(await action());
  } catch (error: unknown) {
    const message = userMessage(error);
    if (message === undefined) throw error;
    output.err(`error: ${message}\n`);
    setExitCode(1);
  }
}

/** What to tell the user about an error they can act on; undefined for a bug. */
export function userMessage(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error instanceof CliError || error.name === 'LocalCommandError') return error.message;
  if (error.name === 'CredentialsProviderError') {
    return `no AWS credentials found (${error.message}); configure them (aws configure, aws sso login, AWS_PROFILE) or use --local for local mode`;
  }
  if (/^ExpiredToken/.test(error.name)) {
    return `your AWS credentials have expired (${error.message}); refresh them (for example aws sso login) and try again`;
  }
  const { code, address, port } = error as { code?: unknown; address?: string; port?: number };
  if (code === 'ECONNREFUSED') {
    return `nothing answers at ${address ?? 'the endpoint'}${port ? `:${port}` : ''} (ECONNREFUSED); in local mode, start it with \`dbrefresh local up\` or check ${ENDPOINT_URL_ENV}`;
  }
  if ((error as { $metadata?: unknown }).$metadata !== undefined) return `${error.name}: ${error.message}`;
  return undefined;
}

function localClientConfig(stateDirOption: string | undefined): ClientConfig & { stateDir?: string } {
  // Local mode's modules load only here, so AWS commands do not pay for them.
  const { DEFAULT_STATE_DIR, LOCAL_REGION } =
    require('../../local/local-account') as typeof import('../../local/local-account');
  const stateDir = path.resolve(stateDirOption ?? DEFAULT_STATE_DIR);
  const { requireLocalCredentials, runningEndpoint, stateDirArgument } =
    require('./local-endpoint') as typeof import('./local-endpoint');
  // Local mode signs as the account's administrator, whose key the state directory keeps.
  const fromEnv = process.env[ENDPOINT_URL_ENV];
  if (fromEnv)
    return { region: LOCAL_REGION, endpoint: fromEnv, credentials: requireLocalCredentials(stateDir) };
  const record = runningEndpoint(stateDir);
  if (record === undefined) {
    throw new CliError(
      `local mode is not running (no endpoint serves ${stateDir}); start it with \`dbrefresh local up${stateDirArgument(stateDir)}\``,
    );
  }
  return {
    region: LOCAL_REGION,
    endpoint: record.url,
    credentials: requireLocalCredentials(stateDir),
    stateDir,
  };
}

async function awsClientConfig(options: DeploymentOptions): Promise<ClientConfig> {
  const { CloudFormationClient } = cloudFormationSdk();
  const probe = new CloudFormationClient(options.region ? { region: options.region } : {});
  try {
    return { region: await probe.config.region() };
  } catch (error: unknown) {
    if (error instanceof Error && /^Region is missing/i.test(error.message)) {
      throw new CliError(
        'no AWS region: pass --region (for example --region eu-west-1), set AWS_REGION, or set a region in your AWS profile',
        { cause: error },
      );
    }
    if (error instanceof Error && /^Region not accepted/i.test(error.message)) {
      throw new CliError(
        `the AWS region "${options.region ?? process.env.AWS_REGION ?? ''}" is not a region name: pass --region with one such as eu-west-1, or correct AWS_REGION`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    probe.destroy();
  }
}

async function stackOutputs(
  cloudFormation: CloudFormationClient,
  stack: string,
  region: string,
): Promise<StackOutput[]> {
  const { DescribeStacksCommand } = cloudFormationSdk();
  try {
    const out = await cloudFormation.send(new DescribeStacksCommand({ StackName: stack }));
    const found = out.Stacks?.[0];
    if (found) return found.Outputs ?? [];
  } catch (error: unknown) {
    if (
      !(error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message))
    ) {
      throw error;
    }
  }
  throw new CliError(`stack ${stack} not found in ${region}; deploy it (npx cdk deploy) or pass --stack`);
}

function cloudFormationSdk() {
  return require('@aws-sdk/client-cloudformation') as typeof import('@aws-sdk/client-cloudformation');
}
