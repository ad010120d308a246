import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  InvalidInstanceId,
  InvocationDoesNotExist,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { decodeJob, RUNNER_ERROR_PREFIX } from '../../lambdas/scripts/ec2-runner';
import { start } from '../../lambdas/scripts/handler';
import {
  checkScriptsOnEc2,
  EC2_SCRIPTS_TIMING,
  type Ec2ScriptsDependencies,
  startScriptsOnEc2,
} from '../../lambdas/scripts/run-on-ec2';
import { DbRefreshError, GuardError, PollTimeoutError, ScriptError } from '../../lambdas/shared/errors';
import { type PollState, startPoll } from '../../lambdas/shared/poll';
import type { Plan } from '../../lambdas/shared/run/plan';
import { rdsPlanWithScripts, runState } from '../fixtures/plans';

const rdsMock = mockClient(RDSClient);
const ssmMock = mockClient(SSMClient);

const NOW = new Date('2026-11-21T04:00:00.000Z');
const INSTANCE = 'i-0123456789abcdef0';
const COMMAND_ID = '2b8c1a6e-1d3f-4c47-9b0e-6a1f0c2d3e4f';
const COPY = 'app1-dev-new-ab12cd34';
const HOST = 'app1-dev-new-ab12cd34.c9akciq32.eu-west-1.rds.amazonaws.com';
const COMMENT = `dbrefresh ab12cd34: scripts on ${COPY}`;

function dependencies(overrides: Partial<Ec2ScriptsDependencies> = {}): Ec2ScriptsDependencies {
  return {
    rds: new RDSClient({}),
    ssm: new SSMClient({}),
    instanceId: INSTANCE,
    command: 'node /opt/dbrefresh/run-scripts.js',
    now: () => NOW,
    ...overrides,
  };
}

/** The RDS plan with its scripts on the runner instance. */
function plan(overrides: Partial<Plan> = {}): Plan {
  return rdsPlanWithScripts(
    {
      keys: ['01-mask.sql', '02-clean.sql'],
      method: 'ec2',
      transaction: 'per-file',
      verify: ["SELECT id FROM users WHERE email NOT LIKE '%@example.com'"],
    },
    overrides,
  );
}

/** The job the runner got: the last word of the command SendCommand sent. */
function sentJob() {
  const input = ssmMock.commandCalls(SendCommandCommand)[0]?.args[0].input;
  const line = input?.Parameters?.commands?.[0] ?? '';
  return decodeJob(line.split(' ').at(-1) ?? '');
}

/** The poll state the start left, `secondsAgo` before NOW. */
function sentPoll(secondsAgo = 30): PollState {
  const started = new Date(NOW.getTime() - secondsAgo * 1000);
  return { ...startPoll(started, EC2_SCRIPTS_TIMING), commandId: COMMAND_ID };
}

function invocation(output: Partial<GetCommandInvocationCommandOutput>) {
  ssmMock.on(GetCommandInvocationCommand, { CommandId: COMMAND_ID, InstanceId: INSTANCE }).resolves({
    CommandId: COMMAND_ID,
    InstanceId: INSTANCE,
    StandardOutputContent: '',
    StandardErrorContent: '',
    ...output,
  });
}

function checkAfter(secondsAgo = 30) {
  return checkScriptsOnEc2(runState(plan(), { polls: { scripts: sentPoll(secondsAgo) } }), dependencies());
}

beforeEach(() => {
  rdsMock.reset();
  ssmMock.reset();
  rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: COPY }).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: COPY,
        DBInstanceStatus: 'available',
        MasterUsername: 'admin',
        DBName: 'app1',
        Endpoint: { Address: HOST, Port: 3306 },
        MasterUserSecret: {
          SecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-1-AbCdEf',
        },
      },
    ],
  });
  ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [] });
  ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: COMMAND_ID } });
});

describe('startScriptsOnEc2', () => {
  it('sends the job to the runner instance with AWS-RunShellScript, naming the run, for up to 6 hours', async () => {
    const poll = await startScriptsOnEc2(runState(plan()), dependencies());

    expect(ssmMock).toHaveReceivedCommandWith(SendCommandCommand, {
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [INSTANCE],
      Comment: COMMENT,
      Parameters: {
        commands: [expect.stringMatching(/^node \/opt\/dbrefresh\/run-scripts\.js [A-Za-z0-9+/=]+$/)],
        executionTimeout: ['21600'],
      },
    });
    expect(poll).toMatchObject({
      commandId: COMMAND_ID,
      done: false,
      startedAt: NOW.toISOString(),
      deadline: '2026-11-21T10:00:00.000Z',
    });
  });

  it('passes where the copy is and which secret holds its login, never a password', async () => {
    await startScriptsOnEc2(runState(plan()), dependencies());

    expect(sentJob()).toEqual({
      copy: { kind: 'instance', id: COPY, host: HOST, port: 3306, database: 'app1', masterUsername: 'admin' },
      secret: { id: '/development/app1/app1-dev', versionId: 'dbrefresh-ab12cd34-admin-password' },
      dialect: 'mysql',
      bucket: 'app1-scripts',
      prefix: 'app1-dev/',
      keys: ['01-mask.sql', '02-clean.sql'],
      transaction: 'per-file',
      verify: ["SELECT id FROM users WHERE email NOT LIKE '%@example.com'"],
    });
    expect(JSON.stringify(ssmMock.commandCalls(SendCommandCommand)[0]?.args[0].input)).not.toMatch(
      /password/i,
    );
  });

  it("names the copy's RDS-managed secret at AWSCURRENT when RDS manages the password", async () => {
    const managed = plan();
    const state = runState({ ...managed, adminPassword: { ...managed.adminPassword, managed: true } });

    await startScriptsOnEc2(state, dependencies());

    expect(sentJob().secret).toEqual({
      id: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-1-AbCdEf',
      versionStage: 'AWSCURRENT',
    });
  });

  it('finds the command an earlier attempt of the same run sent instead of sending another', async () => {
    ssmMock.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        { CommandId: 'other-run', Comment: 'dbrefresh zz99yy88: scripts on other-new-zz99yy88' },
        { CommandId: COMMAND_ID, Comment: COMMENT },
      ],
    });

    const poll = await startScriptsOnEc2(runState(plan()), dependencies());

    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
    expect(ssmMock).toHaveReceivedCommandWith(ListCommandInvocationsCommand, {
      InstanceId: INSTANCE,
      Filters: expect.arrayContaining([{ key: 'InvokedAfter', value: '2026-11-21T03:00:00.000Z' }]),
    });
    expect(poll).toMatchObject({ commandId: COMMAND_ID, done: false });
  });

  it('rejects method "ec2" when the deployment has no runner instance, naming the context flag', async () => {
    const refused = startScriptsOnEc2(runState(plan()), dependencies({ instanceId: undefined }));

    await expect(refused).rejects.toThrow(GuardError);
    await expect(refused).rejects.toThrow(/-c scriptRunner=true.*-c scriptRunnerInstanceId=i-/);
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
  });

  it('fails when the runner instance cannot take commands', async () => {
    ssmMock
      .on(SendCommandCommand)
      .rejects(new InvalidInstanceId({ message: 'Instances not in a valid state', $metadata: {} }));

    const failed = startScriptsOnEc2(runState(plan()), dependencies());

    await expect(failed).rejects.toThrow(ScriptError);
    await expect(failed).rejects.toThrow(/runner instance i-0123456789abcdef0 cannot take commands/);
  });

  it('fails when the restored copy does not exist', async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });

    await expect(startScriptsOnEc2(runState(plan()), dependencies())).rejects.toThrow(
      /DB instance app1-dev-new-ab12cd34, does not exist/,
    );
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
  });
});

describe('checkScriptsOnEc2', () => {
  it.each(['Pending', 'InProgress', 'Delayed'])('keeps polling while the command is %s', async (status) => {
    invocation({ Status: status as GetCommandInvocationCommandOutput['Status'] });

    const poll = await checkAfter();

    expect(poll).toMatchObject({ done: false, attempt: 1, waitSeconds: 15, commandId: COMMAND_ID });
  });

  it('keeps polling when SSM does not know the invocation yet, right after the send', async () => {
    ssmMock
      .on(GetCommandInvocationCommand)
      .rejects(new InvocationDoesNotExist({ message: 'InvocationDoesNotExist', $metadata: {} }));

    const poll = await checkAfter(5);

    expect(poll).toMatchObject({ done: false, attempt: 1 });
  });

  it('fails when SSM still knows no invocation minutes after the send', async () => {
    ssmMock
      .on(GetCommandInvocationCommand)
      .rejects(new InvocationDoesNotExist({ message: 'InvocationDoesNotExist', $metadata: {} }));

    await expect(checkAfter(600)).rejects.toThrow(ScriptError);
  });

  it("is done when the command succeeded, with each file's results from its output", async () => {
    invocation({
      Status: 'Success',
      ResponseCode: 0,
      StandardOutputContent: [
        '{"file":"01-mask.sql","statements":3,"rowsAffected":1200,"seconds":4.5}',
        '{"level":"WARN","message":"a log line, not a result"}',
        '{"file":"02-clean.sql","statements":2,"rowsAffected":40,"seconds":0.25}',
        '',
      ].join('\n'),
    });

    const poll = await checkAfter();

    expect(poll).toMatchObject({
      done: true,
      finishedAt: NOW.toISOString(),
      commandId: COMMAND_ID,
      results: [
        { file: '01-mask.sql', statements: 3, rowsAffected: 1200, seconds: 4.5 },
        { file: '02-clean.sql', statements: 2, rowsAffected: 40, seconds: 0.25 },
      ],
    });
  });

  it("fails with the runner's error line, the command id and the exit code when the command failed", async () => {
    invocation({
      Status: 'Failed',
      StatusDetails: 'Failed',
      ResponseCode: 1,
      StandardOutputContent: '{"file":"01-mask.sql","statements":3,"rowsAffected":1200,"seconds":4.5}\n',
      StandardErrorContent: `(node:42) Warning: something\n${RUNNER_ERROR_PREFIX}ScriptError: 02-clean.sql: statement 1 (line 1) failed: ER_NO_SUCH_TABLE Table 'app1.sessions' doesn't exist\n`,
    });

    const failed = checkAfter();

    await expect(failed).rejects.toThrow(ScriptError);
    await expect(failed).rejects.toThrow(
      `Scripts on ${COPY} (SSM command ${COMMAND_ID} on ${INSTANCE}) ended Failed, exit code 1: ScriptError: 02-clean.sql: statement 1 (line 1) failed: ER_NO_SUCH_TABLE Table 'app1.sessions' doesn't exist`,
    );
  });

  it('fails with the end of stderr, quoted values redacted, when the runner wrote no error line', async () => {
    invocation({
      Status: 'Failed',
      ResponseCode: 127,
      StandardErrorContent: "sh: node: not found\nfailed near 'jane@example.com'\n",
    });

    const failed = checkAfter();

    await expect(failed).rejects.toThrow(/exit code 127: sh: node: not found \| failed near '…'$/);
    await expect(failed).rejects.not.toThrow(/jane@example\.com/);
  });

  it('fails when the command timed out on the instance', async () => {
    invocation({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut', ResponseCode: -1 });

    await expect(checkAfter()).rejects.toThrow(
      /ended TimedOut \(ExecutionTimedOut\): the command did not finish within its execution timeout/,
    );
  });

  it.each(['Cancelled', 'Cancelling'])('fails when the command is %s', async (status) => {
    invocation({ Status: status as GetCommandInvocationCommandOutput['Status'] });

    await expect(checkAfter()).rejects.toThrow(new RegExp(`ended ${status}: no error output`));
  });

  it('fails with PollTimeoutError when the command still runs past the 6 hours', async () => {
    invocation({ Status: 'InProgress' });

    await expect(checkAfter(6 * 3600 + 1)).rejects.toThrow(PollTimeoutError);
  });

  it('fails when the poll state has no command id', async () => {
    const { commandId: _, ...poll } = sentPoll();

    await expect(
      checkScriptsOnEc2(runState(plan(), { polls: { scripts: poll } }), dependencies()),
    ).rejects.toThrow(DbRefreshError);
    expect(ssmMock).not.toHaveReceivedCommand(GetCommandInvocationCommand);
  });
});

describe('the scripts handler', () => {
  it('sends method "ec2" to the runner, refusing it when the function has no SCRIPT_RUNNER_INSTANCE_ID', async () => {
    await expect(start(runState(plan()))).rejects.toThrow(/no script runner instance/);
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
  });
});
