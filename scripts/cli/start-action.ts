import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { runIdOf } from '../../lambdas/shared/run/run-id';
import type { RunInput } from '../../lambdas/shared/run/run-state';
import {
  CliError,
  callerIdentity,
  type Deployment,
  deploymentArguments,
  executionArnOf,
  findDeployment,
} from './deployment';
import {
  consoleLinkOf,
  pollIntervalOf,
  type WatchOptions,
  watchRun,
  withRunClients,
} from './execution-watch';
import { formatFacts, formatJson, formatTime } from './format';
import type { Output } from './main';
import {
  DUPLICATE_WINDOW_MINUTES,
  executionName,
  type RefreshRequest,
  readRefreshRequest,
} from './refresh-request';
import type { StartOptions } from './start';

/** Identical runs that may end and be started again within one window before a start gives up. */
const MAX_ATTEMPTS = 20;

/** A run `start` started. */
export interface StartedRun {
  readonly name: string;
  readonly arn: string;
  readonly startedAt: Date;
}

/** `dbrefresh start <file> [--wait]`. */
export async function startCommand(
  file: string,
  options: StartOptions,
  output: Output,
  watch: Partial<WatchOptions> = {},
): Promise<number> {
  const json = options.json === true;
  const now = watch.now?.() ?? new Date();
  const request = await readRefreshRequest(file, output, json, now);
  if (!request) return 1;
  const deployment = await findDeployment(options);
  const requestedBy = await callerIdentity(deployment);
  return withRunClients(deployment, async (clients) => {
    const run = await startRun(clients.sfn, deployment, request, requestedBy, now);
    if (!options.wait) {
      const started = json ? formatJson(startedAsJson(run, deployment)) : formatStarted(run, deployment);
      output.out(`${started}\n`);
      return 0;
    }
    if (!json) output.out(`${formatStarted(run, deployment)}\n`);
    return watchRun(clients, run.arn, run.name, output, {
      json,
      intervalMilliseconds: pollIntervalOf(deployment),
      ...watch,
    });
  });
}

/**
 * Starts an execution of the request under the name `nextExecutionName` gives it.
 * @throws CliError when the identical run is running, or has been started too often in this window
 */
export async function startRun(
  sfn: SFNClient,
  deployment: Deployment,
  request: RefreshRequest,
  requestedBy: string,
  now: Date,
): Promise<StartedRun> {
  const name = await nextExecutionName(sfn, deployment, request, requestedBy, now);
  const input: RunInput = { refreshFile: request.refreshFile, requestedBy };
  try {
    const out = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deployment.stateMachineArn,
        name,
        input: JSON.stringify(input),
      }),
    );
    return {
      name,
      arn: out.executionArn ?? executionArnOf(deployment, name),
      startedAt: out.startDate ?? now,
    };
  } catch (error: unknown) {
    if (!(error instanceof Error && error.name === 'ExecutionAlreadyExists')) throw error;
    throw new CliError(
      `a run named ${name} was started by another identical \`dbrefresh start\` at the same moment; ` +
        `see it with \`dbrefresh status ${name}${deploymentArguments(deployment)}\``,
      { cause: error },
    );
  }
}

/**
 * The name a run of the request started now gets (see executionName): the first attempt's name that no
 * execution has. An identical request still running is refused; one that already ended moves on to the
 * next attempt's name, so a deliberate re-run starts.
 * @throws CliError when the identical run is running, or has been started too often in this window
 */
export async function nextExecutionName(
  sfn: SFNClient,
  deployment: Deployment,
  request: RefreshRequest,
  requestedBy: string,
  now: Date,
): Promise<string> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const name = executionName(request, requestedBy, now, attempt);
    const existing = await describeIfExists(sfn, executionArnOf(deployment, name));
    if (existing === undefined) return name;
    if (existing.status === 'RUNNING') {
      throw new CliError(
        `this refresh of ${request.target} (same file, same requester) is already running as ${name}, started ` +
          `${formatTime(existing.startDate)}; follow it with \`dbrefresh watch ${name}${deploymentArguments(deployment)}\``,
      );
    }
  }
  throw new CliError(
    `the same refresh of ${request.target} was started ${MAX_ATTEMPTS} times within ${DUPLICATE_WINDOW_MINUTES} minutes; ` +
      `list the runs with \`dbrefresh history --target ${request.target}\` and start it again in a few minutes`,
  );
}

async function describeIfExists(sfn: SFNClient, arn: string) {
  try {
    return await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
  } catch (error: unknown) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
}

function formatStarted(run: StartedRun, deployment: Deployment): string {
  const facts = formatFacts([
    ['Run', `${run.name} (run id ${runIdOf(run.arn)})`],
    ['Execution', run.arn],
    ['Started', formatTime(run.startedAt)],
    ['Console', consoleLinkOf(deployment, run.arn)],
  ]);
  const more = deploymentArguments(deployment);
  return (
    `Started the refresh.\n${facts}\n` +
    `Follow it with \`dbrefresh watch ${run.name}${more}\`, or check it with \`dbrefresh status ${run.name}${more}\``
  );
}

function startedAsJson(run: StartedRun, deployment: Deployment) {
  return {
    run: run.name,
    executionArn: run.arn,
    runId: runIdOf(run.arn),
    startedAt: run.startedAt.toISOString(),
    console: consoleLinkOf(deployment, run.arn) ?? null,
  };
}
