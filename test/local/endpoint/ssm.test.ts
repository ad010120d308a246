import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LocalEndpoint } from '../../../local/endpoint/server';
import { LocalSsm, OUTPUT_LIMIT_CHARS } from '../../../local/endpoint/services/ssm';
import { removeDirectory, sendSigned, startEndpoint, temporaryDirectory } from './endpoint-fixture';

const INSTANCE = 'i-0123456789abcdef0';

describe('local SSM', () => {
  let local: LocalSsm;
  let endpoint: LocalEndpoint;

  // Raw JSON 1.1 requests, signed as the SDK signs them, so the tests read the status and body AWS would send.
  async function call(
    action: string,
    input: object,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await sendSigned(endpoint, 'ssm', {
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AmazonSSM.${action}` },
      body: JSON.stringify(input),
    });
    return { status: response.status, body: JSON.parse(response.text) as Record<string, unknown> };
  }

  async function sendCommand(commands: string[], extra: object = {}): Promise<string> {
    const { status, body } = await call('SendCommand', {
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [INSTANCE],
      Parameters: { commands },
      ...extra,
    });
    expect(status).toBe(200);
    return String((body.Command as Record<string, unknown>).CommandId);
  }

  async function finishedInvocation(commandId: string): Promise<Record<string, unknown>> {
    for (;;) {
      const { body } = await call('GetCommandInvocation', { CommandId: commandId, InstanceId: INSTANCE });
      if (body.Status !== 'Pending' && body.Status !== 'InProgress') return body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    local = new LocalSsm();
    local.registerInstance(INSTANCE);
    endpoint = await startEndpoint({ services: [local] });
  });

  afterAll(async () => {
    await endpoint.close();
  });

  it('answers SendCommand with a pending command', async () => {
    const { status, body } = await call('SendCommand', {
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [INSTANCE],
      Parameters: { commands: ['true'] },
      Comment: 'smoke',
    });

    expect(status).toBe(200);
    expect(body.Command).toMatchObject({
      CommandId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [INSTANCE],
      Comment: 'smoke',
      Status: 'Pending',
      RequestedDateTime: expect.any(Number),
    });
  });

  it('runs the commands with /bin/sh in a temporary directory and reports their output', async () => {
    const commandId = await sendCommand(['echo "hello $0"', 'pwd', 'echo oops >&2']);

    const invocation = await finishedInvocation(commandId);

    expect(invocation).toMatchObject({
      CommandId: commandId,
      InstanceId: INSTANCE,
      Status: 'Success',
      ResponseCode: 0,
      StandardErrorContent: 'oops\n',
    });
    const [hello, workDir] = String(invocation.StandardOutputContent).trim().split('\n');
    expect(hello).toMatch(/^hello .*_script\.sh$/);
    expect(workDir).toContain('dbrefresh-ssm-');
    expect(workDir !== undefined && existsSync(workDir)).toBe(false);
  });

  it('gives the commands none of this process environment', async () => {
    process.env.DBREFRESH_SSM_TEST_SECRET = 'do-not-leak';
    try {
      const commandId = await sendCommand(['env']);

      const invocation = await finishedInvocation(commandId);

      expect(invocation.StandardOutputContent).not.toContain('do-not-leak');
      expect(invocation.StandardOutputContent).toContain('PATH=');
    } finally {
      delete process.env.DBREFRESH_SSM_TEST_SECRET;
    }
  });

  it("gives the commands the environment their instance was registered with, as an instance's configuration would", async () => {
    local.registerInstance('i-0fedcba9876543210', {
      environment: { AWS_REGION: 'eu-west-1', DB_TLS: 'off' },
    });
    const { body } = await call('SendCommand', {
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: ['i-0fedcba9876543210'],
      Parameters: { commands: ['echo "$AWS_REGION $DB_TLS"'] },
    });
    const commandId = String((body.Command as Record<string, unknown>).CommandId);

    let invocation: Record<string, unknown>;
    do {
      await new Promise((resolve) => setTimeout(resolve, 50));
      invocation = (
        await call('GetCommandInvocation', { CommandId: commandId, InstanceId: 'i-0fedcba9876543210' })
      ).body;
    } while (invocation.Status === 'Pending' || invocation.Status === 'InProgress');

    expect(invocation).toMatchObject({ Status: 'Success', StandardOutputContent: 'eu-west-1 off\n' });
  });

  it('reports a failing script as Failed with its exit code', async () => {
    const commandId = await sendCommand(['echo before', 'exit 3']);

    const invocation = await finishedInvocation(commandId);

    expect(invocation).toMatchObject({
      Status: 'Failed',
      ResponseCode: 3,
      StandardOutputContent: 'before\n',
    });
  });

  it('truncates output to what SSM keeps', async () => {
    const commandId = await sendCommand([`head -c ${OUTPUT_LIMIT_CHARS + 5000} /dev/zero | tr '\\0' a`]);

    const invocation = await finishedInvocation(commandId);

    expect(invocation.Status).toBe('Success');
    expect(String(invocation.StandardOutputContent)).toHaveLength(OUTPUT_LIMIT_CHARS);
  });

  it('kills a script that runs past its timeout and reports TimedOut', async () => {
    const started = Date.now();
    const commandId = await sendCommand(['echo started', 'sleep 30', 'echo never'], { TimeoutSeconds: 1 });

    const running = await call('GetCommandInvocation', { CommandId: commandId, InstanceId: INSTANCE });
    const invocation = await finishedInvocation(commandId);

    expect(running.body.Status).toBe('InProgress');
    expect(invocation).toMatchObject({ Status: 'TimedOut', StandardOutputContent: 'started\n' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('lists the invocations of a command', async () => {
    const commandId = await sendCommand(['true']);
    await finishedInvocation(commandId);

    const { body } = await call('ListCommandInvocations', { CommandId: commandId });

    expect(body.CommandInvocations).toEqual([
      expect.objectContaining({ CommandId: commandId, InstanceId: INSTANCE, Status: 'Success' }),
    ]);
  });

  it('rejects an instance that is not registered with InvalidInstanceId', async () => {
    const { status, body } = await call('SendCommand', {
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: ['i-00000000000000000'],
      Parameters: { commands: ['true'] },
    });

    expect(status).toBe(400);
    expect(body).toMatchObject({
      __type: 'InvalidInstanceId',
      message: expect.stringContaining('i-00000000000000000'),
    });
  });

  it('rejects another document and a command without commands', async () => {
    const otherDocument = await call('SendCommand', {
      DocumentName: 'AWS-RunPowerShellScript',
      InstanceIds: [INSTANCE],
      Parameters: { commands: ['true'] },
    });
    const noCommands = await call('SendCommand', {
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [INSTANCE],
      Parameters: {},
    });

    expect(otherDocument.body).toMatchObject({ __type: 'InvalidDocument' });
    expect(noCommands.body).toMatchObject({ __type: 'InvalidParameters' });
  });

  it('rejects an unknown invocation with InvocationDoesNotExist', async () => {
    const commandId = await sendCommand(['true']);

    const unknownCommand = await call('GetCommandInvocation', {
      CommandId: '00000000-0000-0000-0000-000000000000',
      InstanceId: INSTANCE,
    });
    const otherInstance = await call('GetCommandInvocation', { CommandId: commandId, InstanceId: 'i-1' });

    expect(unknownCommand).toMatchObject({ status: 400, body: { __type: 'InvocationDoesNotExist' } });
    expect(otherInstance).toMatchObject({ status: 400, body: { __type: 'InvocationDoesNotExist' } });
  });

  it('kills the scripts still running, and what they started, when it closes', async () => {
    const ssm = new LocalSsm();
    ssm.registerInstance(INSTANCE);
    const own = await startEndpoint({ services: [ssm] });
    const pidFile = path.join(temporaryDirectory('ssm-test-'), 'sleep.pid');
    const response = await sendSigned(own, 'ssm', {
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.SendCommand' },
      body: JSON.stringify({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [INSTANCE],
        Parameters: { commands: [`sleep 30 & echo $! > ${pidFile}`, 'wait'] },
      }),
    });
    expect(response.status).toBe(200);
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const sleepPid = Number(readFileSync(pidFile, 'utf8'));

    const started = Date.now();
    await own.close();

    expect(Date.now() - started).toBeLessThan(5_000);
    // Dead: gone, or a zombie until whoever adopted it reaps it.
    expect(processState(sleepPid)).toMatch(/^(gone|Z)$/);
    removeDirectory(path.dirname(pidFile));
  });
});

/** The state letter of a process from /proc (R, S, Z, ...), or 'gone'. */
function processState(pid: number): string {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}
