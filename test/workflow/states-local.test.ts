import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { STEP_NAMES } from '../../lib/constructs/refresh-state-machine';
import { openTestAccount, SHOP, seedShop, shopRefreshFile, type TestAccount } from './refresh-fixture';

let test: TestAccount;
let sfn: SFNClient;
let cloudformation: CloudFormationClient;

beforeAll(async () => {
  test = await openTestAccount();
  await seedShop(test);
  const config = {
    endpoint: test.account.url,
    region: test.account.region,
    credentials: test.account.credentials,
  };
  sfn = new SFNClient(config);
  cloudformation = new CloudFormationClient(config);
}, 120_000);

afterAll(async () => {
  sfn?.destroy();
  cloudformation?.destroy();
  await test?.close();
}, 60_000);

function start(name: string, refreshFile: unknown) {
  return sfn.send(
    new StartExecutionCommand({
      stateMachineArn: test.account.stateMachineArn,
      name,
      input: JSON.stringify({ refreshFile, requestedBy: 'workflow test' }),
    }),
  );
}

/** DescribeExecution until the execution is no longer RUNNING, as the CLI polls it. */
async function finished(executionArn: string): Promise<DescribeExecutionOutput> {
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 50 }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

const enteredStates = (events: HistoryEvent[]) =>
  events.flatMap((event) =>
    event.stateEnteredEventDetails?.name ? [event.stateEnteredEventDetails.name] : [],
  );

describe('local Step Functions running the real state machine', () => {
  it('runs a refresh started with StartExecution to SUCCEEDED, its steps in order in the history', async () => {
    const started = await start('states-refresh', shopRefreshFile());
    const again = await start('states-refresh', shopRefreshFile());
    const changed = shopRefreshFile();
    changed.tags = { 'data-classification': 'other' };

    await expect(start('states-refresh', changed)).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    const execution = await finished(started.executionArn ?? '');

    expect(again.executionArn).toBe(started.executionArn);
    expect(execution).toMatchObject({ status: 'SUCCEEDED', name: 'states-refresh' });
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({ plan: { target: { id: SHOP.target } } });
    const events = await history(started.executionArn ?? '');
    expect(events[0]?.type).toBe('ExecutionStarted');
    expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    const steps = enteredStates(events).filter((name) =>
      (Object.values(STEP_NAMES) as string[]).includes(name),
    );
    expect([...new Set(steps)]).toEqual([
      STEP_NAMES.plan,
      STEP_NAMES.restore,
      STEP_NAMES.adminPassword,
      STEP_NAMES.scripts,
      STEP_NAMES.swap,
      STEP_NAMES.tags,
      STEP_NAMES.retire,
      STEP_NAMES.recordSuccess,
    ]);
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining([
        'TaskStateEntered',
        'LambdaFunctionSucceeded',
        'TaskStateExited',
        'ChoiceStateEntered',
      ]),
    );
    expect(await test.recordOf(SHOP.target, 'states-refresh')).toMatchObject({
      status: 'succeeded',
      executionArn: started.executionArn,
    });
    const listed = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: test.account.stateMachineArn }),
    );
    expect(listed.executions?.map((item) => [item.name, item.status])).toContainEqual([
      'states-refresh',
      'SUCCEEDED',
    ]);
  }, 120_000);

  it('waits for approval of a protected target and fails, changing nothing, when SendTaskFailure rejects it', async () => {
    const file = shopRefreshFile();
    file.protected = { approvers: ['alice'], timeoutHours: 1 };
    const before = await test.endpointOf(SHOP.target);

    const started = await start('states-rejected', file);
    const task = await waitingTask(started.executionArn ?? '');
    await sfn.send(
      new SendTaskFailureCommand({
        taskToken: task.token,
        error: 'ApprovalRejected',
        cause: 'Rejected by alice',
      }),
    );
    const execution = await finished(started.executionArn ?? '');

    expect(task.stateName).toBe(STEP_NAMES.approval);
    expect(execution).toMatchObject({ status: 'FAILED' });
    const events = await history(started.executionArn ?? '');
    expect(events.find((event) => event.type === 'TaskFailed')?.taskFailedEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      error: 'ApprovalRejected',
      cause: 'Rejected by alice',
    });
    expect(enteredStates(events)).not.toContain(STEP_NAMES.restore);
    expect(await test.endpointOf(SHOP.target)).toEqual(before);
  }, 120_000);

  it('rejects an execution it never ran as ExecutionDoesNotExist', async () => {
    const executionArn = `arn:aws:states:${test.account.region}:${test.account.account}:execution:DbRefresh:never-ran`;

    await expect(sfn.send(new DescribeExecutionCommand({ executionArn }))).rejects.toBeInstanceOf(
      ExecutionDoesNotExist,
    );
  });

  it("answers DescribeStacks with the stack's outputs as the local account has them", async () => {
    const out = await cloudformation.send(new DescribeStacksCommand({ StackName: 'DbRefresh' }));

    const outputs = Object.fromEntries(
      (out.Stacks?.[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]),
    );
    expect(outputs).toMatchObject({
      StateMachineArn: test.account.stateMachineArn,
      HistoryTableName: test.account.historyTableName,
      NotificationTopicArn: test.account.notificationTopicArn,
    });
  });
});

/** The task of an execution that waits for its token, once its function has run. */
async function waitingTask(executionArn: string) {
  for (;;) {
    const [task] = test.account.taskTokens.waiting(executionArn);
    if (task) return task;
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (status !== 'RUNNING')
      throw new Error(`${executionArn} ended (${status}) without waiting for approval`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
