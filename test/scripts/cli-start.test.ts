import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type HistoryEventType,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { parseRefreshFile } from '../../lambdas/shared/refresh-model';
import {
  app1DevFile,
  CALLER_ARN,
  dbrefresh,
  executionArn,
  mockStack,
  STACK,
  writeRefreshFile,
} from './cli-harness';

const stack = mockStack();
const sfn = mockClient(SFNClient);
const doc = mockClient(DynamoDBDocumentClient);

const notFound = () =>
  Object.assign(new Error('Execution Does Not Exist'), {
    name: 'ExecutionDoesNotExist',
    $metadata: { httpStatusCode: 400 },
  });

beforeEach(() => {
  stack.reset();
  sfn.reset();
  doc.reset();
  sfn.on(DescribeExecutionCommand).rejects(notFound());
  sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
    executionArn: executionArn(input.name),
    startDate: new Date(),
  }));
  doc.on(QueryCommand).resolves({ Items: [] });
});

function startedName(call = 0): string {
  return sfn.commandCalls(StartExecutionCommand)[call]?.args[0].input.name ?? '';
}

describe('dbrefresh start', () => {
  it('starts the state machine with the file and the requester under <target>-<hash>, and prints the run', async () => {
    const file = writeRefreshFile(app1DevFile());

    const { code, stdout } = await dbrefresh('start', file);

    expect(code).toBe(0);
    const name = startedName();
    expect(name).toMatch(/^app1-dev-[0-9a-f]{12}$/);
    const call = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(call?.stateMachineArn).toBe(STACK.stateMachineArn);
    expect(JSON.parse(call?.input ?? '{}')).toEqual({
      refreshFile: JSON.parse(readFileSync(file, 'utf8')),
      requestedBy: CALLER_ARN,
    });
    expect(stdout).toContain(`Run        ${name} (run id `);
    expect(stdout).toContain(`Execution  ${executionArn(name)}`);
    expect(stdout).toContain(
      `Console    https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${executionArn(name)}`,
    );
    expect(stdout).toContain(`dbrefresh watch ${name}`);
  });

  it("starts a per-step file's run with the concise form it converts to, never its plain-text temppwd", async () => {
    const perStep = readFileSync(
      join(__dirname, '..', '..', 'refresh-files', 'blog-per-step-rds-mysql.json'),
      'utf8',
    );
    expect(perStep).toContain('"temppwd": "temppwd123"');

    const { code } = await dbrefresh('start', writeRefreshFile(perStep, 'mysqlinstd.json'));

    expect(code).toBe(0);
    const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '';
    expect(input).not.toContain('temppwd123');
    expect(JSON.parse(input).refreshFile).toEqual(parseRefreshFile(JSON.parse(perStep)).refreshFile);
    expect(startedName()).toMatch(/^mysqlinstd-[0-9a-f]{12}$/);
  });

  it('gives the same request the same name, whatever the key order and white space', async () => {
    const file = app1DevFile();
    const reordered = Object.fromEntries(Object.entries(file).reverse());

    await dbrefresh('start', writeRefreshFile(file));
    await dbrefresh('start', writeRefreshFile(JSON.stringify(reordered)));

    expect(startedName(1)).toBe(startedName(0));
  });

  it('refuses a second start while the identical run is running, naming that run', async () => {
    const file = writeRefreshFile(app1DevFile());
    await dbrefresh('start', file);
    const name = startedName();
    sfn.on(DescribeExecutionCommand, { executionArn: executionArn(name) }).resolves({
      executionArn: executionArn(name),
      name,
      status: 'RUNNING',
      startDate: new Date('2026-05-01T10:00:00Z'),
      stateMachineArn: STACK.stateMachineArn,
    });

    const { code, stderr } = await dbrefresh('start', file);

    expect(code).toBe(1);
    expect(stderr).toBe(
      `error: this refresh of app1-dev (same file, same requester) is already running as ${name}, started 2026-05-01 10:00:00Z; follow it with \`dbrefresh watch ${name}\`\n`,
    );
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('starts under the next name once the identical run has ended', async () => {
    const file = writeRefreshFile(app1DevFile());
    await dbrefresh('start', file);
    const first = startedName();
    sfn.on(DescribeExecutionCommand, { executionArn: executionArn(first) }).resolves({
      executionArn: executionArn(first),
      status: 'FAILED',
      startDate: new Date(),
      stateMachineArn: STACK.stateMachineArn,
    });

    const { code } = await dbrefresh('start', file);

    expect(code).toBe(0);
    expect(startedName(1)).toMatch(/^app1-dev-[0-9a-f]{12}$/);
    expect(startedName(1)).not.toBe(first);
  });

  it('fails with the validate format and starts nothing when the file is missing', async () => {
    const { code, stderr } = await dbrefresh('start', '/no/such/refresh.json');

    expect(code).toBe(1);
    expect(stderr).toContain('/no/such/refresh.json: $: file not found');
    expect(stack.cloudFormation).not.toHaveReceivedAnyCommand();
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it('fails with every problem of an invalid file and starts nothing', async () => {
    const file = writeRefreshFile({ ...app1DevFile(), target: { instance: 'app1-prod' } });

    const { code, stderr } = await dbrefresh('start', file);

    expect(code).toBe(1);
    expect(stderr).toContain(`${file}: $.target.instance: is the same database as the source`);
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it('prints only JSON with --json', async () => {
    const { code, stdout } = await dbrefresh('start', '--json', writeRefreshFile(app1DevFile()));

    expect(code).toBe(0);
    const name = startedName();
    expect(JSON.parse(stdout)).toEqual({
      run: name,
      executionArn: executionArn(name),
      runId: expect.stringMatching(/^[a-z0-9]{8}$/),
      startedAt: expect.any(String),
      console: expect.stringContaining('console.aws.amazon.com'),
    });
  });

  it('fails when the stack is not deployed', async () => {
    stack.cloudFormation.reset();
    stack.cloudFormation.rejects(
      Object.assign(new Error('Stack with id DbRefresh does not exist'), {
        name: 'ValidationError',
        $metadata: {},
      }),
    );

    const { code, stderr } = await dbrefresh('start', writeRefreshFile(app1DevFile()));

    expect(code).toBe(1);
    expect(stderr).toBe(
      'error: stack DbRefresh not found in eu-west-1; deploy it (npx cdk deploy) or pass --stack\n',
    );
  });
});

describe('dbrefresh start --wait', () => {
  const at = (second: number) => new Date(Date.UTC(2026, 4, 1, 10, 0, second));
  const event = (id: number, type: HistoryEventType, name?: string, extra: object = {}): HistoryEvent => ({
    id,
    type,
    timestamp: at(id),
    ...(name && { stateEnteredEventDetails: { name } }),
    ...extra,
  });

  function ended(status: 'SUCCEEDED' | 'FAILED', extra: object = {}) {
    sfn
      .on(DescribeExecutionCommand)
      .rejectsOnce(notFound())
      .resolves({
        status,
        startDate: at(0),
        stopDate: at(9),
        stateMachineArn: STACK.stateMachineArn,
        input: JSON.stringify({ refreshFile: app1DevFile(), requestedBy: 'someone' }),
        ...extra,
      });
  }

  it('follows the run to a failure: a line per step change, the failed step, the cause, exit 1', async () => {
    ended('FAILED', { error: 'ScriptError', cause: 'Verification query 1 returned 300 row(s)' });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        event(9, 'ExecutionFailed'),
        event(8, 'FailStateEntered', 'Refresh failed'),
        event(7, 'TaskSucceeded'),
        event(6, 'TaskStateEntered', 'Record failure and notify'),
        event(5, 'TaskStateEntered', 'Roll back'),
        event(4, 'PassStateEntered', 'Run scripts failed'),
        event(3, 'TaskFailed', undefined, {
          taskFailedEventDetails: { error: 'ScriptError', cause: 'Verification query 1 returned 300 row(s)' },
        }),
        event(2, 'TaskStateEntered', 'Run scripts'),
        event(1, 'ExecutionStarted'),
      ],
    });
    doc.on(QueryCommand).resolves({
      Items: [{ target: 'app1-dev', status: 'failed', failedStep: 'Run scripts', rolledBack: true }],
    });

    const { code, stdout } = await dbrefresh('start', '--wait', writeRefreshFile(app1DevFile()));

    expect(code).toBe(1);
    const lines = stdout.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        '2026-05-01 10:00:02Z  Run scripts: started',
        '2026-05-01 10:00:04Z  Run scripts: failed after 2s (ScriptError: Verification query 1 returned 300 row(s))',
        '2026-05-01 10:00:06Z  Roll back: succeeded in 1s',
        'Failed step: Run scripts',
        'Error: ScriptError: Verification query 1 returned 300 row(s)',
        'The target kept its previous data (the refresh was rolled back).',
      ]),
    );
    expect(stdout).toMatch(/Refresh FAILED after 9s \(run app1-dev-[0-9a-f]{12}\)/);
  });

  it('exits 0 when the run succeeds and prints the outcome as JSON only with --json', async () => {
    ended('SUCCEEDED');
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        event(3, 'ExecutionSucceeded'),
        event(2, 'TaskStateEntered', 'Plan refresh'),
        event(1, 'ExecutionStarted'),
      ],
    });

    const { code, stdout } = await dbrefresh('start', '--wait', '--json', writeRefreshFile(app1DevFile()));

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      status: 'SUCCEEDED',
      target: 'app1-dev',
      elapsedSeconds: 9,
      steps: [{ name: 'Plan refresh', status: 'succeeded', seconds: 1 }],
    });
  });
});
