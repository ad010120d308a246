import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  InvalidOutput,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import type { LocalEndpoint } from '../../../local/endpoint/server';
import {
  DAEMON_STOPPED_CAUSE,
  type ExecutionHooks,
  type ExecutionOutcome,
  type ExecutionStart,
  type LocalStateMachine,
  LocalStates,
} from '../../../local/endpoint/services/states';
import type { RunEvent } from '../../../local/runner/run-refresh';
import { TaskTokens } from '../../../local/runner/task-tokens';
import { clientConfig, removeDirectory, startEndpoint, temporaryDirectory } from './endpoint-fixture';

const MACHINE_ARN = 'arn:aws:states:eu-west-1:000000000000:stateMachine:DbRefresh';
const executionArn = (name: string) => `arn:aws:states:eu-west-1:000000000000:execution:DbRefresh:${name}`;

/** One execution the fake machine is running: the test ends it. */
interface FakeRun {
  readonly execution: ExecutionStart;
  readonly hooks: ExecutionHooks;
  finish(outcome: ExecutionOutcome): void;
}

/** A state machine whose executions run until the test finishes them, reporting the steps it tells them to. */
class FakeMachine implements LocalStateMachine {
  readonly name = 'DbRefresh';
  readonly runs = new Map<string, FakeRun>();

  definition() {
    return { StartAt: 'Plan refresh', States: { 'Plan refresh': { Type: 'Pass', End: true } } };
  }

  run(execution: ExecutionStart, hooks: ExecutionHooks): Promise<ExecutionOutcome> {
    return new Promise((resolve) => {
      this.runs.set(execution.name, { execution, hooks, finish: resolve });
      // As runRefreshLocally does: an aborted run ends at once.
      hooks.signal.addEventListener('abort', () =>
        resolve({ status: 'FAILED', error: 'ExecutionAbortedError', cause: 'Execution aborted' }),
      );
    });
  }

  get(name: string): FakeRun {
    const run = this.runs.get(name);
    if (!run) throw new Error(`No run ${name}`);
    return run;
  }
}

function step(
  type: RunEvent['type'],
  stateName: string,
  stateType: string,
  extra: Partial<RunEvent> = {},
): RunEvent {
  return { type, stateName, stateType, at: new Date('2025-01-01T10:00:00Z'), ...extra };
}

describe('local Step Functions', () => {
  let stateDir: string;
  let machine: FakeMachine;
  let tokens: TaskTokens;
  let states: LocalStates;
  let endpoint: LocalEndpoint;
  let sfn: SFNClient;

  async function open(now?: () => Date): Promise<void> {
    machine = new FakeMachine();
    states = new LocalStates({
      stateDir,
      scope: { region: 'eu-west-1', account: '000000000000' },
      stateMachine: machine,
      tokens,
      now,
    });
    endpoint = await startEndpoint({ services: [states] });
    sfn = new SFNClient(clientConfig(endpoint));
  }

  async function reopen(now?: () => Date): Promise<void> {
    sfn.destroy();
    await endpoint.close();
    await open(now);
  }

  async function start(name: string, input: unknown = { refreshFile: { target: 'db-1' } }) {
    return sfn.send(
      new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name, input: JSON.stringify(input) }),
    );
  }

  async function finish(name: string, outcome: ExecutionOutcome) {
    machine.get(name).finish(outcome);
    await states.waitForExecution(executionArn(name));
  }

  beforeEach(async () => {
    stateDir = temporaryDirectory('states-');
    tokens = new TaskTokens();
    await open();
  });

  afterEach(async () => {
    sfn.destroy();
    await endpoint.close();
    removeDirectory(stateDir);
  });

  describe('StartExecution and DescribeExecution', () => {
    it('starts an execution of the state machine with its input, RUNNING until the run ends', async () => {
      const started = await start('run-1');

      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));

      expect(started.executionArn).toBe(executionArn('run-1'));
      expect(machine.get('run-1').execution).toEqual({
        executionArn: executionArn('run-1'),
        name: 'run-1',
        input: { refreshFile: { target: 'db-1' } },
      });
      expect(described).toMatchObject({
        executionArn: executionArn('run-1'),
        stateMachineArn: MACHINE_ARN,
        name: 'run-1',
        status: 'RUNNING',
        input: '{"refreshFile":{"target":"db-1"}}',
      });
      expect(described.startDate).toEqual(started.startDate);
      expect(described.stopDate).toBeUndefined();
    });

    it('describes a succeeded execution with its output and stop date', async () => {
      await start('run-1');

      await finish('run-1', { status: 'SUCCEEDED', output: { outcome: 'done' } });

      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn('run-1') }));
      expect(described).toMatchObject({ status: 'SUCCEEDED', output: '{"outcome":"done"}' });
      expect(described.stopDate).toBeInstanceOf(Date);
    });

    it('describes a failed execution with its error and cause', async () => {
      await start('run-1');

      await finish('run-1', { status: 'FAILED', error: 'GuardError', cause: 'db-1 is not refreshable' });

      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn('run-1') }));
      expect(described).toMatchObject({
        status: 'FAILED',
        error: 'GuardError',
        cause: 'db-1 is not refreshable',
      });
      expect(described.output).toBeUndefined();
    });

    it('gives an execution started without a name a unique one and {} as input', async () => {
      const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN }));

      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));

      expect(described.name).toMatch(/^[0-9a-f-]{36}$/);
      expect(described.input).toBe('{}');
    });

    it('returns the running execution again for the same name and input', async () => {
      const first = await start('run-1');

      const again = await start('run-1');

      expect(again).toMatchObject({ executionArn: first.executionArn, startDate: first.startDate });
      expect(machine.runs.size).toBe(1);
    });

    it('rejects a running execution name with another input as ExecutionAlreadyExists', async () => {
      await start('run-1');

      const rejected = start('run-1', { refreshFile: { target: 'db-2' } });

      await expect(rejected).rejects.toBeInstanceOf(ExecutionAlreadyExists);
      await expect(rejected).rejects.toThrow(`Execution Already Exists: '${executionArn('run-1')}'`);
    });

    it('rejects the name of a finished execution with the same input as ExecutionAlreadyExists', async () => {
      await start('run-1');
      await finish('run-1', { status: 'SUCCEEDED', output: {} });

      await expect(start('run-1')).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    });

    it('reuses a name 90 days after its execution started', async () => {
      await start('run-1');
      await finish('run-1', { status: 'SUCCEEDED', output: {} });
      await reopen(() => new Date(Date.now() + 91 * 24 * 3600 * 1000));

      await start('run-1', { refreshFile: { target: 'db-2' } });

      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn('run-1') }));
      expect(described).toMatchObject({ status: 'RUNNING', input: '{"refreshFile":{"target":"db-2"}}' });
    });

    it.each([
      ['a space', 'run 1'],
      ['a tab', 'run\t1'],
      ['a bracket', 'run[1]'],
      ['a wildcard', 'run-*'],
      ['a colon', 'run:1'],
      ['a slash', 'shop/dev'],
      ['a dollar sign', 'run$1'],
      ['a control character', 'run\u00071'],
      ['a C1 control character', 'run\u00851'],
    ])('rejects a name with %s as InvalidName', async (_, name) => {
      await expect(start(name)).rejects.toBeInstanceOf(InvalidName);
    });

    it.each([
      ['an empty name', '', 'greater than or equal to 1'],
      ['a name of 81 characters', 'r'.repeat(81), 'less than or equal to 80'],
    ])('rejects %s as ValidationException', async (_, name, constraint) => {
      await expect(start(name)).rejects.toMatchObject({
        name: 'ValidationException',
        message: expect.stringContaining(
          `at 'name' failed to satisfy constraint: Member must have length ${constraint}`,
        ),
      });
    });

    it('takes a name of 80 characters with dots, non-ASCII letters and the other allowed characters', async () => {
      const name = `shop.dev_run-1(é)!@'+=`.padEnd(80, 'x');

      await expect(start(name)).resolves.toMatchObject({ executionArn: executionArn(name) });
    });

    it('takes an input of exactly 256 KiB of UTF-8', async () => {
      const envelope = JSON.stringify({ padding: '' });
      const input = { padding: 'x'.repeat(262_144 - envelope.length) };

      await expect(start('run-256k', input)).resolves.toHaveProperty('executionArn');
    });

    it('rejects an input over 256 KiB of UTF-8 without quoting it (ValidationException)', async () => {
      // 131,070 two-byte characters: under 262,144 characters, over 262,144 bytes.
      const input = { padding: 'é'.repeat(131_070) };

      await expect(start('run-big', input)).rejects.toMatchObject({
        name: 'ValidationException',
        message:
          "1 validation error detected: Value at 'input' failed to satisfy constraint: " +
          'Member must have length less than or equal to 262144',
      });
      expect(machine.runs.has('run-big')).toBe(false);
    });

    it('rejects input that is not JSON as InvalidExecutionInput', async () => {
      const rejected = sfn.send(
        new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'run-1', input: '{not json' }),
      );

      await expect(rejected).rejects.toBeInstanceOf(InvalidExecutionInput);
    });

    it('rejects input nested 5,000 levels deep as InvalidExecutionInput naming the limit, starting nothing', async () => {
      const input = `${'['.repeat(5000)}${']'.repeat(5000)}`;

      const rejected = sfn.send(
        new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'deep', input }),
      );

      await expect(rejected).rejects.toThrow(
        'The execution input nests objects and arrays 5000 levels deep, deeper than the limit of 100',
      );
      await expect(rejected).rejects.toBeInstanceOf(InvalidExecutionInput);
      const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN }));
      expect(listed.executions?.map((execution) => execution.name)).not.toContain('deep');
    });

    it('rejects another state machine as StateMachineDoesNotExist', async () => {
      const rejected = sfn.send(
        new StartExecutionCommand({
          stateMachineArn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:Other',
          name: 'run-1',
        }),
      );

      await expect(rejected).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    });

    it('rejects an unknown execution as ExecutionDoesNotExist', async () => {
      const rejected = sfn.send(
        new DescribeExecutionCommand({ executionArn: executionArn('never-started') }),
      );

      await expect(rejected).rejects.toBeInstanceOf(ExecutionDoesNotExist);
      await expect(rejected).rejects.toThrow(`Execution Does Not Exist: '${executionArn('never-started')}'`);
    });

    it('rejects an ARN that names no execution as InvalidArn', async () => {
      const rejected = sfn.send(new DescribeExecutionCommand({ executionArn: MACHINE_ARN }));

      await expect(rejected).rejects.toBeInstanceOf(InvalidArn);
    });
  });

  describe('ListExecutions', () => {
    beforeEach(async () => {
      let clock = Date.parse('2025-01-01T10:00:00Z');
      const tick = () => {
        clock += 1000;
        return new Date(clock);
      };
      await reopen(tick);
      for (const name of ['run-1', 'run-2', 'run-3']) await start(name);
      await finish('run-2', { status: 'FAILED', error: 'GuardError', cause: 'no' });
    });

    it('lists the executions newest first', async () => {
      const out = await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN }));

      expect(out.executions?.map((execution) => [execution.name, execution.status])).toEqual([
        ['run-3', 'RUNNING'],
        ['run-2', 'FAILED'],
        ['run-1', 'RUNNING'],
      ]);
      expect(out.nextToken).toBeUndefined();
    });

    it('lists only the executions of a status', async () => {
      const out = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN, statusFilter: 'RUNNING' }),
      );

      expect(out.executions?.map((execution) => execution.name)).toEqual(['run-3', 'run-1']);
    });

    it('pages with maxResults and nextToken', async () => {
      const first = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN, maxResults: 2 }),
      );
      const second = await sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: MACHINE_ARN,
          maxResults: 2,
          nextToken: first.nextToken,
        }),
      );

      expect(first.executions?.map((execution) => execution.name)).toEqual(['run-3', 'run-2']);
      expect(second.executions?.map((execution) => execution.name)).toEqual(['run-1']);
      expect(second.nextToken).toBeUndefined();
    });

    it('rejects a nextToken it did not give as InvalidToken', async () => {
      const rejected = sfn.send(
        new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN, nextToken: 'bogus' }),
      );

      await expect(rejected).rejects.toBeInstanceOf(InvalidToken);
    });
  });

  describe('GetExecutionHistory', () => {
    beforeEach(async () => {
      await start('run-1');
      const { hooks } = machine.get('run-1');
      hooks.onEvent(
        step('entered', 'Plan refresh', 'Task', {
          input: { a: 1 },
          resource: 'arn:aws:lambda:eu-west-1:111122223333:function:Plan',
        }),
      );
      hooks.onEvent(
        step('succeeded', 'Plan refresh', 'Task', {
          output: { b: 2 },
          resource: 'arn:aws:lambda:eu-west-1:111122223333:function:Plan',
        }),
      );
      hooks.onEvent(step('entered', 'Approval needed?', 'Choice', { input: { b: 2 } }));
      hooks.onEvent(step('succeeded', 'Approval needed?', 'Choice', { output: { b: 2 } }));
      await finish('run-1', { status: 'SUCCEEDED', output: { b: 2 } });
    });

    it('shows the steps in order with the real event types and details', async () => {
      const out = await sfn.send(new GetExecutionHistoryCommand({ executionArn: executionArn('run-1') }));

      expect(out.events?.map((event) => [event.id, event.previousEventId, event.type])).toEqual([
        [1, 0, 'ExecutionStarted'],
        [2, 1, 'TaskStateEntered'],
        [3, 2, 'LambdaFunctionScheduled'],
        [4, 3, 'LambdaFunctionStarted'],
        [5, 4, 'LambdaFunctionSucceeded'],
        [6, 5, 'TaskStateExited'],
        [7, 6, 'ChoiceStateEntered'],
        [8, 7, 'ChoiceStateExited'],
        [9, 8, 'ExecutionSucceeded'],
      ]);
      expect(out.events?.[0]?.executionStartedEventDetails).toMatchObject({
        input: '{"refreshFile":{"target":"db-1"}}',
        roleArn: 'arn:aws:iam::000000000000:role/DbRefresh',
      });
      expect(out.events?.[1]?.stateEnteredEventDetails).toEqual({ name: 'Plan refresh', input: '{"a":1}' });
      expect(out.events?.[5]?.stateExitedEventDetails).toEqual({ name: 'Plan refresh', output: '{"b":2}' });
      expect(out.events?.[8]?.executionSucceededEventDetails).toMatchObject({ output: '{"b":2}' });
      expect(out.events?.[1]?.timestamp).toEqual(new Date('2025-01-01T10:00:00Z'));
    });

    it('returns the newest events first with reverseOrder, a page at a time', async () => {
      const first = await sfn.send(
        new GetExecutionHistoryCommand({
          executionArn: executionArn('run-1'),
          reverseOrder: true,
          maxResults: 2,
        }),
      );
      const second = await sfn.send(
        new GetExecutionHistoryCommand({
          executionArn: executionArn('run-1'),
          reverseOrder: true,
          maxResults: 2,
          nextToken: first.nextToken,
        }),
      );

      expect(first.events?.map((event) => event.id)).toEqual([9, 8]);
      expect(second.events?.map((event) => event.id)).toEqual([7, 6]);
    });

    it('leaves inputs and outputs out when includeExecutionData is false', async () => {
      const out = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn: executionArn('run-1'), includeExecutionData: false }),
      );

      expect(out.events?.[1]?.stateEnteredEventDetails).toEqual({ name: 'Plan refresh' });
    });

    it('rejects an unknown execution as ExecutionDoesNotExist', async () => {
      const rejected = sfn.send(new GetExecutionHistoryCommand({ executionArn: executionArn('nope') }));

      await expect(rejected).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    });
  });

  describe('StopExecution', () => {
    it('aborts a running execution with the error and cause given', async () => {
      await start('run-1');

      const stopped = await sfn.send(
        new StopExecutionCommand({
          executionArn: executionArn('run-1'),
          error: 'Cancelled',
          cause: 'by alice',
        }),
      );

      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn('run-1') }));
      expect(machine.get('run-1').hooks.signal.aborted).toBe(true);
      expect(described).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'by alice' });
      expect(described.stopDate).toEqual(stopped.stopDate);
    });

    it('keeps an aborted execution ABORTED when its run ends afterwards', async () => {
      await start('run-1');
      await sfn.send(new StopExecutionCommand({ executionArn: executionArn('run-1') }));

      await finish('run-1', { status: 'FAILED', error: 'ExecutionAbortedError', cause: 'Execution aborted' });

      const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: executionArn('run-1') }));
      expect(history.events?.map((event) => event.type)).toEqual(['ExecutionStarted', 'ExecutionAborted']);
    });

    it('leaves a finished execution as it is', async () => {
      await start('run-1');
      await finish('run-1', { status: 'SUCCEEDED', output: {} });

      await sfn.send(new StopExecutionCommand({ executionArn: executionArn('run-1') }));

      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn('run-1') }));
      expect(described.status).toBe('SUCCEEDED');
    });
  });

  describe('execution records', () => {
    it('answers for past executions after a restart', async () => {
      await start('run-1');
      machine.get('run-1').hooks.onEvent(step('entered', 'Plan refresh', 'Pass', { input: {} }));
      await finish('run-1', { status: 'FAILED', error: 'GuardError', cause: 'no' });

      await reopen();

      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn('run-1') }));
      const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: executionArn('run-1') }));
      expect(described).toMatchObject({ status: 'FAILED', error: 'GuardError', cause: 'no' });
      expect(history.events?.map((event) => event.type)).toEqual([
        'ExecutionStarted',
        'PassStateEntered',
        'ExecutionFailed',
      ]);
    });

    it('marks an execution that was running when its process died ABORTED', async () => {
      await start('run-1');

      const restarted = new LocalStates({
        stateDir,
        scope: { region: 'eu-west-1', account: '000000000000' },
        stateMachine: new FakeMachine(),
        tokens,
      });

      expect(restarted.describeExecution(executionArn('run-1'))).toMatchObject({
        status: 'ABORTED',
        cause: DAEMON_STOPPED_CAUSE,
      });
      expect(
        restarted.getExecutionHistory({ executionArn: executionArn('run-1') }).events?.at(-1)?.type,
      ).toBe('ExecutionAborted');
    });

    it('aborts the executions that were running when the service closed', async () => {
      await start('run-1');

      await reopen();

      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn('run-1') }));
      expect(described).toMatchObject({ status: 'ABORTED', cause: DAEMON_STOPPED_CAUSE });
    });
  });

  describe('state machines', () => {
    it('describes the state machine with its definition', async () => {
      const out = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: MACHINE_ARN }));

      expect(out).toMatchObject({
        stateMachineArn: MACHINE_ARN,
        name: 'DbRefresh',
        status: 'ACTIVE',
        type: 'STANDARD',
      });
      expect(JSON.parse(out.definition ?? '')).toEqual(machine.definition());
    });

    it('lists the one state machine', async () => {
      const out = await sfn.send(new ListStateMachinesCommand({}));

      expect(out.stateMachines).toEqual([
        { stateMachineArn: MACHINE_ARN, name: 'DbRefresh', type: 'STANDARD', creationDate: expect.any(Date) },
      ]);
    });

    it('rejects another state machine as StateMachineDoesNotExist', async () => {
      const rejected = sfn.send(
        new DescribeStateMachineCommand({
          stateMachineArn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:X',
        }),
      );

      await expect(rejected).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    });
  });

  describe('task tokens', () => {
    const run = 'arn:aws:states:eu-west-1:000000000000:execution:DbRefresh:run-1';

    it('answers a waiting task with the output SendTaskSuccess sends', async () => {
      const token = tokens.issue(run);
      const answer = tokens.wait(token);

      await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"decision":"approved"}' }));

      await expect(answer).resolves.toEqual({ decision: 'approved' });
    });

    it('fails a waiting task with the error and cause SendTaskFailure sends', async () => {
      const token = tokens.issue(run);
      const answer = tokens.wait(token);

      await sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'Rejected', cause: 'not today' }));

      await expect(answer).rejects.toMatchObject({ name: 'Rejected', message: 'not today' });
    });

    it('accepts a heartbeat for a waiting task', async () => {
      const token = tokens.issue(run);
      tokens.wait(token);

      const out = await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));

      expect(out.$metadata.httpStatusCode).toBe(200);
    });

    it('rejects an answer to a task already answered as TaskTimedOut', async () => {
      const token = tokens.issue(run);
      tokens.wait(token);
      await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));

      const rejected = sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));

      await expect(rejected).rejects.toBeInstanceOf(TaskTimedOut);
    });

    it('rejects a token of an ended execution as TaskTimedOut', async () => {
      const token = tokens.issue(run);
      tokens.closeExecution(run);

      await expect(sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }))).rejects.toBeInstanceOf(
        TaskTimedOut,
      );
    });

    it('rejects a malformed token as InvalidToken', async () => {
      const rejected = sfn.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' }));

      await expect(rejected).rejects.toBeInstanceOf(InvalidToken);
    });

    it('rejects a token no task has as TaskDoesNotExist', async () => {
      const rejected = sfn.send(new SendTaskFailureCommand({ taskToken: 'A'.repeat(128) }));

      await expect(rejected).rejects.toBeInstanceOf(TaskDoesNotExist);
    });

    it('rejects an output over 256 KiB of UTF-8 (ValidationException) and leaves the task waiting', async () => {
      const token = tokens.issue(run);
      const answer = tokens.wait(token);
      const output = JSON.stringify({ rows: 'é'.repeat(131_070) });

      const rejected = sfn.send(new SendTaskSuccessCommand({ taskToken: token, output }));

      await expect(rejected).rejects.toMatchObject({
        name: 'ValidationException',
        message: expect.stringContaining("at 'output' failed to satisfy constraint"),
      });
      await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"rows":0}' }));
      await expect(answer).resolves.toEqual({ rows: 0 });
    });

    it('rejects a failure cause over 32,768 characters (ValidationException)', async () => {
      const token = tokens.issue(run);

      const rejected = sfn.send(
        new SendTaskFailureCommand({ taskToken: token, error: 'Rejected', cause: 'c'.repeat(32_769) }),
      );

      await expect(rejected).rejects.toMatchObject({
        name: 'ValidationException',
        message: expect.stringContaining("at 'cause'"),
      });
    });

    it('rejects output that is not JSON as InvalidOutput', async () => {
      const token = tokens.issue(run);

      const rejected = sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: 'approved' }));

      await expect(rejected).rejects.toBeInstanceOf(InvalidOutput);
    });
  });
});
