import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as z from 'zod';
import type { AccessRequest } from '../../iam/access';
import { ssmAccessRequests } from '../../iam/access/ssm';
import { jsonService, operation } from '../json-protocol';
import { AwsError, type LocalRequest, type LocalResponse, type LocalService } from '../service';

/** The only document the local SSM runs. */
export const RUN_SHELL_SCRIPT = 'AWS-RunShellScript';
/** SSM keeps this many characters of a command's stdout and of its stderr in GetCommandInvocation. */
export const OUTPUT_LIMIT_CHARS = 24_000;
/** AWS-RunShellScript's default executionTimeout. */
const DEFAULT_EXECUTION_TIMEOUT_SECONDS = 3600;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type InvocationStatus = 'Pending' | 'InProgress' | 'Success' | 'Failed' | 'TimedOut';

/** How a registered instance runs its commands. */
export interface LocalInstanceOptions {
  /**
   * Environment variables every command on the instance gets, as an instance's own configuration would
   * give them (its role's credentials, its region): never passed in the command's parameters.
   * @default - none beyond PATH, HOME and LANG
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/** One run of a command on one managed instance. */
interface Invocation {
  readonly commandId: string;
  readonly instanceId: string;
  readonly comment: string;
  readonly requestedAt: Date;
  readonly environment: Readonly<Record<string, string>>;
  status: InvocationStatus;
  responseCode: number;
  stdout: string;
  stderr: string;
  startedAt?: Date;
  endedAt?: Date;
  child?: ChildProcess;
  finished: Promise<void>;
}

const SendCommandSchema = z.looseObject({
  DocumentName: z.string().min(1),
  InstanceIds: z.array(z.string().min(1)).min(1).max(50),
  Parameters: z.record(z.string(), z.array(z.string())).optional(),
  TimeoutSeconds: z.number().int().positive().optional(),
  Comment: z.string().max(100).optional(),
});
type SendCommandInput = z.output<typeof SendCommandSchema>;

/**
 * A local SSM Run Command (AWS JSON 1.1, `AmazonSSM.<Action>`): SendCommand of AWS-RunShellScript,
 * GetCommandInvocation and ListCommandInvocations.
 *
 * Each invocation runs its commands with /bin/sh as a child process of this one, in a new temporary working
 * directory (removed when it ends), with only PATH, HOME, LANG and the instance's own environment
 * (registerInstance): nothing of this process's environment (credentials, endpoint) reaches the commands.
 * Instances are those registered with `registerInstance`. Output is kept in memory and never logged.
 * The run is bounded by Parameters.executionTimeout, else TimeoutSeconds (in AWS the delivery timeout),
 * else 3600 seconds; past it the process group is killed and the invocation is TimedOut.
 */
export class LocalSsm implements LocalService {
  readonly name = 'ssm';
  private readonly instances = new Map<string, LocalInstanceOptions>();
  private readonly invocations = new Map<string, Invocation>();
  private readonly service: LocalService;

  constructor() {
    this.service = jsonService('ssm', 'AmazonSSM', {
      SendCommand: operation(SendCommandSchema, (input) => ({ Command: this.sendCommand(input) })),
      GetCommandInvocation: operation(
        z.looseObject({ CommandId: z.string().min(1), InstanceId: z.string().min(1) }),
        (input) => this.describeInvocation(this.invocation(input.CommandId, input.InstanceId)),
      ),
      ListCommandInvocations: operation(
        z.looseObject({ CommandId: z.string().optional(), InstanceId: z.string().optional() }),
        (input) => ({
          CommandInvocations: [...this.invocations.values()]
            .filter((i) => (input.CommandId ?? i.commandId) === i.commandId)
            .filter((i) => (input.InstanceId ?? i.instanceId) === i.instanceId)
            .map((i) => listed(i)),
        }),
      ),
    });
  }

  handle(request: LocalRequest): Promise<LocalResponse> {
    return this.service.handle(request);
  }

  /** What IAM authorizes for the request (local/iam/access/ssm.ts): SendCommand runs only for callers it allows. */
  accessRequests(request: LocalRequest): Promise<readonly AccessRequest[]> {
    return ssmAccessRequests(request);
  }

  /** Makes `instanceId` a managed instance that SendCommand can target, its commands run with `options`. */
  registerInstance(instanceId: string, options: LocalInstanceOptions = {}): void {
    this.instances.set(instanceId, options);
  }

  /** Kills the commands still running and waits until their working directories are removed. */
  async close(): Promise<void> {
    for (const invocation of this.invocations.values()) killGroup(invocation.child);
    await Promise.all([...this.invocations.values()].map((i) => i.finished));
  }

  private sendCommand(input: SendCommandInput) {
    if (input.DocumentName !== RUN_SHELL_SCRIPT) {
      throw new AwsError(
        'InvalidDocument',
        `The local SSM runs only the document ${RUN_SHELL_SCRIPT}, not "${input.DocumentName}"`,
      );
    }
    const unknown = input.InstanceIds.filter((id) => !this.instances.has(id));
    if (unknown.length > 0) {
      throw new AwsError(
        'InvalidInstanceId',
        `Instances [${unknown.join(', ')}] are not managed instances of the local SSM; register them with registerInstance()`,
      );
    }
    const commands = input.Parameters?.commands;
    if (!commands || commands.length === 0) {
      throw new AwsError(
        'InvalidParameters',
        `${RUN_SHELL_SCRIPT} needs Parameters.commands, a list of shell lines`,
      );
    }
    const timeoutSeconds = executionTimeoutSeconds(input);
    const commandId = randomUUID();
    const requestedAt = new Date();
    for (const instanceId of input.InstanceIds) {
      const invocation: Invocation = {
        commandId,
        instanceId,
        comment: input.Comment ?? '',
        requestedAt,
        environment: this.instances.get(instanceId)?.environment ?? {},
        status: 'Pending',
        responseCode: -1,
        stdout: '',
        stderr: '',
        finished: Promise.resolve(),
      };
      this.invocations.set(invocationKey(commandId, instanceId), invocation);
      invocation.finished = run(invocation, commands, timeoutSeconds);
    }
    return {
      CommandId: commandId,
      DocumentName: RUN_SHELL_SCRIPT,
      DocumentVersion: '$DEFAULT',
      Comment: input.Comment ?? '',
      ExpiresAfter: new Date(requestedAt.getTime() + (input.TimeoutSeconds ?? 3600) * 1000),
      Parameters: input.Parameters,
      InstanceIds: input.InstanceIds,
      Targets: [],
      RequestedDateTime: requestedAt,
      Status: 'Pending',
      StatusDetails: 'Pending',
      TargetCount: input.InstanceIds.length,
      CompletedCount: 0,
      ErrorCount: 0,
      DeliveryTimedOutCount: 0,
      TimeoutSeconds: input.TimeoutSeconds ?? 3600,
      MaxConcurrency: '50',
      MaxErrors: '0',
    };
  }

  private invocation(commandId: string, instanceId: string): Invocation {
    const invocation = this.invocations.get(invocationKey(commandId, instanceId));
    if (!invocation) {
      throw new AwsError(
        'InvocationDoesNotExist',
        `The local SSM has no invocation of command ${commandId} on instance ${instanceId}`,
      );
    }
    return invocation;
  }

  private describeInvocation(invocation: Invocation) {
    const elapsedSeconds =
      invocation.startedAt && invocation.endedAt
        ? (invocation.endedAt.getTime() - invocation.startedAt.getTime()) / 1000
        : undefined;
    return {
      CommandId: invocation.commandId,
      InstanceId: invocation.instanceId,
      Comment: invocation.comment,
      DocumentName: RUN_SHELL_SCRIPT,
      DocumentVersion: '$DEFAULT',
      PluginName: 'aws:runShellScript',
      ResponseCode: invocation.responseCode,
      ExecutionStartDateTime: invocation.startedAt?.toISOString() ?? '',
      ExecutionElapsedTime: elapsedSeconds === undefined ? '' : `PT${elapsedSeconds}S`,
      ExecutionEndDateTime: invocation.endedAt?.toISOString() ?? '',
      Status: invocation.status,
      StatusDetails: statusDetails(invocation.status),
      StandardOutputContent: invocation.stdout,
      StandardOutputUrl: '',
      StandardErrorContent: invocation.stderr,
      StandardErrorUrl: '',
      CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
    };
  }
}

/** Runs the commands of one invocation to its end; never rejects (a spawn failure makes it Failed). */
function run(invocation: Invocation, commands: readonly string[], timeoutSeconds: number): Promise<void> {
  const workDir = mkdtempSync(path.join(tmpdir(), 'dbrefresh-ssm-'));
  const script = path.join(workDir, '_script.sh');
  writeFileSync(script, `${commands.join('\n')}\n`, { mode: 0o700 });
  invocation.status = 'InProgress';
  invocation.startedAt = new Date();
  return new Promise<void>((resolve) => {
    let timedOut = false;
    const child = spawn('/bin/sh', [script], {
      cwd: workDir,
      env: {
        PATH: process.env.PATH ?? DEFAULT_PATH,
        HOME: workDir,
        LANG: 'C.UTF-8',
        ...invocation.environment,
      },
      // Its own process group, so a timeout kills what the script started too.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    invocation.child = child;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutSeconds * 1000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      invocation.stdout = truncated(invocation.stdout, chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      invocation.stderr = truncated(invocation.stderr, chunk);
    });
    const finish = (status: InvocationStatus, responseCode: number) => {
      clearTimeout(timer);
      invocation.child = undefined;
      invocation.status = status;
      invocation.responseCode = responseCode;
      invocation.endedAt = new Date();
      rmSync(workDir, { recursive: true, force: true });
      resolve();
    };
    child.on('error', (error: Error) => {
      invocation.stderr = truncated(invocation.stderr, `failed to run /bin/sh: ${error.message}`);
      finish('Failed', -1);
    });
    child.on('close', (code: number | null) => {
      if (timedOut) finish('TimedOut', -1);
      else if (code === 0) finish('Success', 0);
      else finish('Failed', code ?? -1);
    });
  });
}

function killGroup(child: ChildProcess | undefined): void {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch (error: unknown) {
    // The group is already gone when the script ended between the check and the kill.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function executionTimeoutSeconds(input: SendCommandInput): number {
  const parameter = input.Parameters?.executionTimeout?.[0];
  if (parameter === undefined) return input.TimeoutSeconds ?? DEFAULT_EXECUTION_TIMEOUT_SECONDS;
  const seconds = Number(parameter);
  if (!Number.isInteger(seconds) || seconds <= 0) {
    throw new AwsError(
      'InvalidParameters',
      `Parameters.executionTimeout must be a whole number of seconds, got "${parameter}"`,
    );
  }
  return seconds;
}

function truncated(kept: string, chunk: string): string {
  return kept.length >= OUTPUT_LIMIT_CHARS ? kept : kept + chunk.slice(0, OUTPUT_LIMIT_CHARS - kept.length);
}

function invocationKey(commandId: string, instanceId: string): string {
  return `${commandId}/${instanceId}`;
}

function statusDetails(status: InvocationStatus): string {
  return status === 'TimedOut' ? 'ExecutionTimedOut' : status;
}

function listed(invocation: Invocation) {
  return {
    CommandId: invocation.commandId,
    InstanceId: invocation.instanceId,
    Comment: invocation.comment,
    DocumentName: RUN_SHELL_SCRIPT,
    DocumentVersion: '$DEFAULT',
    RequestedDateTime: invocation.requestedAt,
    Status: invocation.status,
    StatusDetails: statusDetails(invocation.status),
    StandardOutputUrl: '',
    StandardErrorUrl: '',
  };
}
