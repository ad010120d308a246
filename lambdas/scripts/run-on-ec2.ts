import type { RDSClient } from '@aws-sdk/client-rds';
import {
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  InvocationDoesNotExist,
  paginateListCommandInvocations,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { DbRefreshError, GuardError, ScriptError } from '../shared/errors';
import { logger } from '../shared/handler';
import { continuePoll, type PollState, startPoll } from '../shared/poll';
import type { Plan } from '../shared/run/plan';
import { type RunState, requirePoll, type ScriptResult, ScriptResultSchema } from '../shared/run/run-state';
import { copyLoginSecret, describeCopy } from '../shared/sql/database-login';
import { redactQuoted } from '../shared/sql/execute-script';
import { encodeJob, RUNNER_ERROR_PREFIX, type RunnerJob } from './ec2-runner';
import { SCRIPTS_TIMING } from './run-scripts';

/** The SSM document that runs shell lines; the scripts functions may send no other. */
export const RUN_SHELL_SCRIPT = 'AWS-RunShellScript';
/** What the runner instance's user data installs; `SCRIPT_RUNNER_COMMAND` overrides it. */
export const DEFAULT_RUNNER_COMMAND = 'node /opt/dbrefresh/run-scripts.js';
/** The first check comes after this long; then every EC2_CHECK_INTERVAL_SECONDS, 6 hours fitting the checks allowed. */
export const EC2_SCRIPTS_TIMING = {
  expectedSeconds: 10,
  timeoutSeconds: SCRIPTS_TIMING.timeoutSeconds,
} as const;
export const EC2_CHECK_INTERVAL_SECONDS = 15;
/** How long SSM may take to deliver the command to the instance (its TimeoutSeconds). */
export const DELIVERY_TIMEOUT_SECONDS = 600;
/** How long an invocation may stay unknown to GetCommandInvocation after the send before the check gives up. */
export const INVOCATION_APPEARS_WITHIN_SECONDS = 300;
/** How much of the command's stderr a failure names when the runner did not write its error line. */
const STDERR_TAIL_CHARS = 500;
const COMMENT_MAX_CHARS = 100;

export interface Ec2ScriptsDependencies {
  readonly rds: RDSClient;
  readonly ssm: SSMClient;
  /** The runner instance (SCRIPT_RUNNER_INSTANCE_ID); none when the stack was deployed without one. */
  readonly instanceId: string | undefined;
  /** The command line the job is appended to (SCRIPT_RUNNER_COMMAND). */
  readonly command: string;
  readonly now: () => Date;
}

/**
 * Sends the scripts to the runner instance with SSM Run Command, or finds the command an earlier attempt of
 * this start already sent (same comment, same run), and returns the poll state holding its id.
 * @throws GuardError when this deployment has no runner instance
 */
export async function startScriptsOnEc2(state: RunState, deps: Ec2ScriptsDependencies): Promise<PollState> {
  const { plan } = state;
  const instanceId = deps.instanceId;
  if (instanceId === undefined || instanceId === '') {
    throw new GuardError(
      `The refresh file of ${plan.target.id} sets scripts.method "ec2", but this deployment has no script runner instance (SCRIPT_RUNNER_INSTANCE_ID is not set); deploy with \`-c scriptRunner=true\` (with the vpcId, subnetIds and securityGroupIds context) or \`-c scriptRunnerInstanceId=i-...\`, or remove scripts.method to run the scripts in Lambda`,
    );
  }
  const job = await jobFor(plan, deps.rds);
  const comment = commentOf(plan);
  const poll = startPoll(deps.now(), EC2_SCRIPTS_TIMING);
  const sent = await findSentCommand(deps.ssm, instanceId, comment, plan.startedAt);
  if (sent !== undefined) {
    logger.info('Scripts command already sent', { instanceId, commandId: sent });
    return { ...poll, commandId: sent };
  }
  // The rest of the 6 hours, so the instance stops the scripts when the state machine stops waiting.
  const executionTimeoutSeconds = Math.max(
    1,
    Math.floor((new Date(poll.deadline).getTime() - deps.now().getTime()) / 1000),
  );
  let commandId: string | undefined;
  try {
    const out = await deps.ssm.send(
      new SendCommandCommand({
        DocumentName: RUN_SHELL_SCRIPT,
        InstanceIds: [instanceId],
        Comment: comment,
        TimeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
        Parameters: {
          commands: [`${deps.command} ${encodeJob(job)}`],
          executionTimeout: [String(executionTimeoutSeconds)],
        },
      }),
    );
    commandId = out.Command?.CommandId;
  } catch (error: unknown) {
    if (error instanceof Error && error.name === 'InvalidInstanceId') {
      throw new ScriptError(
        `The script runner instance ${instanceId} cannot take commands (InvalidInstanceId): it must be running, with its SSM agent online and the AmazonSSMManagedInstanceCore policy; start it or redeploy the runner`,
        { cause: error },
      );
    }
    throw error;
  }
  if (commandId === undefined) {
    throw new DbRefreshError(`SSM SendCommand to ${instanceId} returned no command id`);
  }
  logger.info('Sent scripts command', {
    instanceId,
    commandId,
    files: job.keys.length,
    executionTimeoutSeconds,
  });
  return { ...poll, commandId };
}

/**
 * Reads the command's invocation: still running keeps polling; success ends the step with each file's
 * counts; any other end fails it.
 * @throws ScriptError when the command failed, was cancelled or timed out, with the runner's (redacted) error
 */
export async function checkScriptsOnEc2(state: RunState, deps: Ec2ScriptsDependencies): Promise<PollState> {
  const poll = requirePoll(state.polls, 'scripts');
  const { commandId } = poll;
  const instanceId = deps.instanceId;
  if (commandId === undefined || instanceId === undefined) {
    throw new DbRefreshError(
      'No SSM command id at polls.scripts.commandId, or no SCRIPT_RUNNER_INSTANCE_ID: "Run scripts" sends the command before its check',
    );
  }
  const what = `Scripts on ${state.plan.target.temporaryId} (SSM command ${commandId} on ${instanceId})`;
  const now = deps.now();
  const pending = () => continuePoll(poll, now, false, what, { intervalSeconds: EC2_CHECK_INTERVAL_SECONDS });

  let invocation: GetCommandInvocationCommandOutput;
  try {
    invocation = await deps.ssm.send(
      new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
    );
  } catch (error: unknown) {
    if (!(error instanceof InvocationDoesNotExist || isNamed(error, 'InvocationDoesNotExist'))) throw error;
    // SSM records the invocation a moment after SendCommand returns.
    const waitedSeconds = (now.getTime() - new Date(poll.startedAt).getTime()) / 1000;
    if (waitedSeconds > INVOCATION_APPEARS_WITHIN_SECONDS) {
      throw new ScriptError(
        `${what}: SSM still knows no invocation ${INVOCATION_APPEARS_WITHIN_SECONDS} seconds after the command was sent; check the instance in Systems Manager Fleet Manager`,
        { cause: error },
      );
    }
    return pending();
  }

  const status = invocation.Status ?? 'Pending';
  switch (status) {
    case 'Pending':
    case 'InProgress':
    case 'Delayed':
      return pending();
    case 'Success': {
      const results = resultsOf(invocation.StandardOutputContent ?? '');
      logger.info('Scripts command succeeded', { instanceId, commandId, files: results.length });
      return { ...continuePoll(poll, now, true, what), results };
    }
    case 'Failed':
    case 'Cancelled':
    case 'TimedOut':
    case 'Cancelling':
      throw new ScriptError(`${what} ended ${describeEnd(invocation)}: ${runnerError(invocation)}`);
    default:
      throw new DbRefreshError(`${what} has status "${status}", which dbrefresh does not know`);
  }
}

/** What the runner needs: where the copy is and which secret holds its login (never the password). */
async function jobFor(plan: Plan, rds: RDSClient): Promise<RunnerJob> {
  const dialect = plan.dialect;
  if (dialect === null) throw new GuardError(`scripts are not supported for engine ${plan.engine}`);
  const scripts = plan.file.scripts;
  if (scripts === undefined) {
    throw new GuardError(`The refresh file of ${plan.target.id} has no scripts; this step should be skipped`);
  }
  const copy = await describeCopy(rds, plan);
  const secret = copyLoginSecret(plan, copy);
  return {
    copy: {
      kind: plan.target.kind,
      id: copy.id,
      host: copy.host,
      port: copy.port,
      database: copy.database,
      masterUsername: copy.masterUsername,
    },
    secret:
      secret.versionId !== undefined
        ? { id: secret.secretId, versionId: secret.versionId }
        : { id: secret.secretId, versionStage: secret.stage },
    dialect,
    bucket: scripts.bucket,
    prefix: scripts.prefix,
    keys: scripts.keys,
    transaction: scripts.transaction,
    verify: scripts.verify,
  };
}

/** Names the run, so a repeated start finds the command it sent (SendCommand has no idempotency token). */
function commentOf(plan: Plan): string {
  return `dbrefresh ${plan.runId}: scripts on ${plan.target.temporaryId}`.slice(0, COMMENT_MAX_CHARS);
}

async function findSentCommand(
  ssm: SSMClient,
  instanceId: string,
  comment: string,
  runStartedAt: string,
): Promise<string | undefined> {
  const pages = paginateListCommandInvocations(
    { client: ssm },
    {
      InstanceId: instanceId,
      Filters: [
        { key: 'InvokedAfter', value: runStartedAt },
        { key: 'DocumentName', value: RUN_SHELL_SCRIPT },
      ],
    },
  );
  for await (const page of pages) {
    const found = page.CommandInvocations?.find((invocation) => invocation.Comment === comment);
    if (found?.CommandId) return found.CommandId;
  }
  return undefined;
}

/** The result lines the runner printed; anything else on stdout (a log line) is not a result. */
function resultsOf(stdout: string): ScriptResult[] {
  const results: ScriptResult[] = [];
  for (const line of stdout.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error: unknown) {
      if (error instanceof SyntaxError) continue;
      throw error;
    }
    const parsed = ScriptResultSchema.safeParse(value);
    if (parsed.success) results.push(parsed.data);
  }
  return results;
}

function describeEnd(invocation: GetCommandInvocationCommandOutput): string {
  const details =
    invocation.StatusDetails && invocation.StatusDetails !== invocation.Status
      ? ` (${invocation.StatusDetails})`
      : '';
  const code =
    invocation.ResponseCode !== undefined && invocation.ResponseCode >= 0
      ? `, exit code ${invocation.ResponseCode}`
      : '';
  return `${invocation.Status}${details}${code}`;
}

/**
 * Why the runner failed: its error line (redacted by the runner, which knows the statement), else the end
 * of stderr with every quoted value redacted, since nothing says what wrote it.
 */
function runnerError(invocation: GetCommandInvocationCommandOutput): string {
  const stderr = invocation.StandardErrorContent ?? '';
  const lines = stderr.split('\n');
  for (let index = lines.length - 1; index >= 0; index--) {
    const line = lines[index] ?? '';
    const at = line.indexOf(RUNNER_ERROR_PREFIX);
    if (at >= 0) return line.slice(at + RUNNER_ERROR_PREFIX.length).trim();
  }
  if (invocation.Status === 'TimedOut') {
    return 'the command did not finish within its execution timeout (the rest of the 6 hours scripts may take)';
  }
  const tail = stderr.trim().slice(-STDERR_TAIL_CHARS);
  return tail === '' ? 'no error output' : redactQuoted(tail, '').replace(/\s*\n\s*/g, ' | ');
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}
