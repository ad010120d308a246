import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { HISTORY_KEYS } from '../../lambdas/shared/history/history-keys';
import { parseRefreshFile } from '../../lambdas/shared/refresh-model';
import { runIdOf } from '../../lambdas/shared/run/run-id';
import { CliError, type Deployment, executionArnOf } from './deployment';
import { currentStep, readableCause, type StepView, stepsOf } from './execution-steps';
import { formatDuration, formatFacts, formatJson, formatTime, secondsBetween } from './format';
import type { Output } from './main';

/** In deployment.ts; also exported here, where the commands that follow runs find it. */
export { deploymentArguments } from './deployment';

/** The clients a run's view reads from. */
export interface RunClients {
  readonly sfn: SFNClient;
  readonly history: DynamoDBDocumentClient;
  readonly historyTable: string;
}

/** Runs `use` with the clients of the deployment, and closes them after. */
export async function withRunClients<T>(
  deployment: Deployment,
  use: (clients: RunClients) => Promise<T>,
): Promise<T> {
  const sfn = new SFNClient(deployment.clientConfig);
  const history = DynamoDBDocumentClient.from(new DynamoDBClient(deployment.clientConfig));
  try {
    return await use({ sfn, history, historyTable: deployment.historyTableName });
  } finally {
    sfn.destroy();
    history.destroy();
  }
}

/** An execution as DescribeExecution tells it, with the target its refresh file names. */
export interface ExecutionFacts {
  /** The execution name: the run's name in every command. */
  readonly name: string;
  readonly arn: string;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE. */
  readonly status: string;
  readonly startedAt: Date;
  readonly stoppedAt?: Date;
  /** The target of the refresh file in the input; absent when the input holds no valid file. */
  readonly target?: string;
  readonly requestedBy?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** Everything known about a run at one moment. */
export interface RunView {
  readonly execution: ExecutionFacts;
  readonly steps: readonly StepView[];
  /** The run's history item, once the plan step (or the failure path) wrote it. */
  readonly record?: Record<string, unknown>;
}

/** Execution names as Step Functions allows them. */
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
/** How far before the execution's start its history item may be keyed (clock differences between services). */
const RECORD_KEY_SLACK_MS = 60_000;
const RECORD_QUERY_PAGES = 5;

/**
 * The execution ARN of `run`, an execution name or ARN of the deployment's state machine.
 * @throws CliError when it is neither
 */
export function runArnOf(deployment: Deployment, run: string): string {
  if (run.startsWith('arn:')) {
    if (!/^arn:[^:]+:states:[^:]+:\d{12}:execution:[^:]+:[^:]+$/.test(run)) {
      throw new CliError(
        `"${run}" is not a Step Functions execution ARN (arn:aws:states:<region>:<account>:execution:<state machine>:<name>); pass the ARN or the execution name that \`dbrefresh start\` printed`,
      );
    }
    return run;
  }
  if (!EXECUTION_NAME.test(run)) {
    throw new CliError(
      `"${run}" is not an execution name (1 to 80 letters, digits, "-" or "_"); pass the run name that \`dbrefresh start\` printed, or its ARN`,
    );
  }
  return executionArnOf(deployment, run);
}

/**
 * Describes the execution of a run.
 * @throws CliError when there is no such execution
 */
export async function describeRun(sfn: SFNClient, arn: string, run: string): Promise<ExecutionFacts> {
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    const input = parseInput(out.input);
    return {
      name: out.name ?? arn.split(':').at(-1) ?? arn,
      arn,
      status: out.status ?? 'UNKNOWN',
      startedAt: out.startDate ?? new Date(0),
      ...(out.stopDate && { stoppedAt: out.stopDate }),
      ...targetAndRequester(input),
      ...(out.error && { error: out.error }),
      ...(out.cause && { cause: readableCause(out.cause) }),
    };
  } catch (error: unknown) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') {
      throw new CliError(
        `no run "${run}" (execution ${arn}); check the name, or list recent runs with \`dbrefresh history\``,
        { cause: error },
      );
    }
    throw error;
  }
}

/** The history events of one execution, read incrementally: each refresh reads only the new ones. */
export class ExecutionHistory {
  private readonly byId = new Map<number, HistoryEvent>();

  constructor(private readonly arn: string) {}

  get events(): HistoryEvent[] {
    return [...this.byId.values()].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  }

  /** Reads newest first until it meets an event it has, so a long run costs one request per refresh. */
  async refresh(sfn: SFNClient): Promise<void> {
    let nextToken: string | undefined;
    do {
      const out = await sfn.send(
        new GetExecutionHistoryCommand({
          executionArn: this.arn,
          reverseOrder: true,
          includeExecutionData: false,
          maxResults: this.byId.size === 0 ? 1000 : 100,
          nextToken,
        }),
      );
      const page = out.events ?? [];
      let metKnown = false;
      for (const event of page) {
        if (event.id === undefined || this.byId.has(event.id)) metKnown = true;
        else this.byId.set(event.id, event);
      }
      const newestFirst = (page[0]?.id ?? 0) >= (page.at(-1)?.id ?? 0);
      nextToken = out.nextToken;
      if (metKnown && newestFirst) return;
    } while (nextToken);
  }
}

/** The history item of a run: in its target's partition, keyed from the execution's start, naming its ARN. */
export async function findRunRecord(
  clients: Pick<RunClients, 'history' | 'historyTable'>,
  execution: ExecutionFacts,
): Promise<Record<string, unknown> | undefined> {
  if (execution.target === undefined) return undefined;
  const from = new Date(execution.startedAt.getTime() - RECORD_KEY_SLACK_MS).toISOString();
  let startKey: Record<string, unknown> | undefined;
  for (let page = 0; page < RECORD_QUERY_PAGES; page++) {
    const out = await clients.history.send(
      new QueryCommand({
        TableName: clients.historyTable,
        KeyConditionExpression: '#target = :target AND #runKey >= :from',
        FilterExpression: '#executionArn = :arn',
        ExpressionAttributeNames: {
          '#target': HISTORY_KEYS.partitionKey,
          '#runKey': HISTORY_KEYS.sortKey,
          '#executionArn': 'executionArn',
        },
        ExpressionAttributeValues: { ':target': execution.target, ':from': from, ':arn': execution.arn },
        ExclusiveStartKey: startKey,
      }),
    );
    const found = out.Items?.[0];
    if (found) return found;
    startKey = out.LastEvaluatedKey;
    if (!startKey) return undefined;
  }
  return undefined;
}

/** Reads a run once: its execution, its steps so far and its history item. */
export async function readRun(clients: RunClients, arn: string, run: string): Promise<RunView> {
  const execution = await describeRun(clients.sfn, arn, run);
  const history = new ExecutionHistory(arn);
  await history.refresh(clients.sfn);
  return { execution, steps: stepsOf(history.events), record: await findRunRecord(clients, execution) };
}

export interface WatchOptions {
  readonly json: boolean;
  /** How long to wait between two reads of the execution. */
  readonly intervalMilliseconds: number;
  /** @default Date.now */
  readonly now?: () => Date;
  /** @default a timer */
  readonly sleep?: (milliseconds: number) => Promise<void>;
}

/**
 * Follows a run until it ends: on a terminal the steps redraw in place with their status and elapsed time,
 * elsewhere a line is printed as each step starts and ends; then the outcome.
 * @returns the exit code: 0 when the run succeeded, 1 when it failed, was aborted or timed out
 */
export async function watchRun(
  clients: RunClients,
  arn: string,
  run: string,
  output: Output,
  options: WatchOptions,
): Promise<number> {
  const now = options.now ?? (() => new Date());
  const wait = options.sleep ?? ((milliseconds: number) => sleep(milliseconds));
  const history = new ExecutionHistory(arn);
  const view = options.json ? undefined : output.isTTY ? new LiveView(output) : new LineView(output);
  let execution: ExecutionFacts;
  for (;;) {
    execution = await describeRun(clients.sfn, arn, run);
    await history.refresh(clients.sfn);
    view?.show(execution, stepsOf(history.events), now());
    if (execution.status !== 'RUNNING') break;
    await wait(options.intervalMilliseconds);
  }
  const result: RunView = {
    execution,
    steps: stepsOf(history.events),
    record: await findRunRecord(clients, execution),
  };
  output.out(`${options.json ? formatJson(runAsJson(result, now())) : formatOutcome(result)}\n`);
  return exitCodeOf(execution.status);
}

/** 0 for a run that succeeded (or still runs), 1 for one that failed, was aborted or timed out. */
export function exitCodeOf(status: string): number {
  return status === 'SUCCEEDED' || status === 'RUNNING' ? 0 : 1;
}

/** The run as `--json` prints it. */
export function runAsJson(view: RunView, now: Date) {
  const { execution, steps, record } = view;
  const failed = steps.find((step) => step.status === 'failed');
  return {
    run: execution.name,
    executionArn: execution.arn,
    runId: runIdOf(execution.arn),
    status: execution.status,
    target: execution.target ?? null,
    requestedBy: execution.requestedBy ?? null,
    startedAt: execution.startedAt.toISOString(),
    stoppedAt: execution.stoppedAt?.toISOString() ?? null,
    elapsedSeconds: Math.round(secondsBetween(execution.startedAt, execution.stoppedAt ?? now)),
    currentStep: currentStep(steps)?.name ?? null,
    failedStep: (record?.failedStep as string | undefined) ?? failed?.name ?? null,
    error: execution.error ?? failed?.error ?? null,
    cause: execution.cause ?? failed?.cause ?? null,
    steps: steps.map((step) => ({
      name: step.name,
      status: step.status,
      startedAt: step.startedAt.toISOString(),
      endedAt: step.endedAt?.toISOString() ?? null,
      seconds: Math.round(secondsBetween(step.startedAt, step.endedAt ?? now)),
      ...(step.error !== undefined && { error: step.error }),
      ...(step.cause !== undefined && { cause: step.cause }),
    })),
    record: record ?? null,
  };
}

/** `dbrefresh status`: the run's facts, its steps so far, and what its history item says. */
export function formatRunStatus(view: RunView, now: Date, consoleLink?: string): string {
  const { execution, steps, record } = view;
  const current = currentStep(steps);
  const elapsed = formatDuration(secondsBetween(execution.startedAt, execution.stoppedAt ?? now));
  const facts = formatFacts([
    ['Run', `${execution.name} (run id ${runIdOf(execution.arn)})`],
    ['Execution', execution.arn],
    ['Console', consoleLink],
    [
      'Status',
      `${execution.status}, ${execution.stoppedAt ? `took ${elapsed}` : `running for ${elapsed}`} (started ${formatTime(execution.startedAt)})`,
    ],
    [
      'Current step',
      current && `${current.name} (${formatDuration(secondsBetween(current.startedAt, now))})`,
    ],
    ['Target', execution.target],
    ['Requested by', execution.requestedBy],
    ...recordFacts(record),
  ]);
  const stepLines = steps.length === 0 ? ['  (no step yet)'] : stepLinesOf(steps, now);
  const failure = execution.status === 'RUNNING' ? [] : failureLines(view);
  return [facts, 'Steps', ...stepLines, ...failure].join('\n');
}

/** The last lines of `start --wait` and `watch`: how the run ended, and for a failure where and why. */
export function formatOutcome(view: RunView): string {
  const { execution, record } = view;
  const took = formatDuration(secondsBetween(execution.startedAt, execution.stoppedAt ?? new Date()));
  if (execution.status === 'SUCCEEDED') {
    const aligned =
      record?.restorePoint !== undefined
        ? `: ${execution.target ?? 'the target'} now holds ${String(record.source ?? 'the source')}'s data as of ${formatTime(String(record.restorePoint))}`
        : '';
    return `Refresh SUCCEEDED in ${took}${aligned} (run ${execution.name})`;
  }
  return [`Refresh ${execution.status} after ${took} (run ${execution.name})`, ...failureLines(view)].join(
    '\n',
  );
}

function failureLines(view: RunView): string[] {
  const { execution, steps, record } = view;
  if (execution.status === 'SUCCEEDED') return [];
  const failed = steps.find((step) => step.status === 'failed');
  const failedStep = (record?.failedStep as string | undefined) ?? failed?.name;
  const error = (record?.error as string | undefined) ?? execution.error ?? failed?.error;
  const cause = (record?.cause as string | undefined) ?? execution.cause ?? failed?.cause;
  const lines = [
    `Failed step: ${failedStep ?? 'unknown'}`,
    `Error: ${[error, cause].filter((part) => part !== undefined).join(': ') || 'unknown'}`,
  ];
  if (record?.rolledBack === true)
    lines.push('The target kept its previous data (the refresh was rolled back).');
  else if (record?.rolledBack === false && failedStep !== undefined && record.failedStep !== 'Plan refresh') {
    lines.push('The refresh was not rolled back: check the target and the resources the run created.');
  }
  return lines;
}

function recordFacts(record: Record<string, unknown> | undefined): [string, string | undefined][] {
  if (!record) return [['History', 'no record yet']];
  const text = (key: string) => (record[key] === undefined ? undefined : String(record[key]));
  return [
    ['Source', text('source')],
    ['Restore type', text('restoreType')],
    ['Aligned to', record.restorePoint === undefined ? undefined : formatTime(String(record.restorePoint))],
    ['Snapshot', text('snapshot')],
    ['Recorded', text('status')],
    ['Finished', record.finishedAt === undefined ? undefined : formatTime(String(record.finishedAt))],
  ];
}

const SYMBOLS: Record<StepView['status'], string> = { running: '▸', succeeded: '✓', failed: '✗' };

function stepLinesOf(steps: readonly StepView[], now: Date): string[] {
  const width = Math.max(...steps.map((step) => step.name.length));
  return steps.map((step) => {
    const seconds = secondsBetween(step.startedAt, step.endedAt ?? now);
    const error = step.status === 'failed' && step.error ? `  ${step.error}` : '';
    return `  ${SYMBOLS[step.status]} ${step.name.padEnd(width)}  ${step.status.padEnd(9)}  ${formatDuration(seconds)}${error}`;
  });
}

/** Redraws the steps in place on a terminal (ANSI: cursor up, clear to the end of the screen). */
class LiveView {
  private drawnLines = 0;

  constructor(private readonly output: Output) {}

  show(execution: ExecutionFacts, steps: readonly StepView[], now: Date): void {
    const elapsed = formatDuration(secondsBetween(execution.startedAt, execution.stoppedAt ?? now));
    const lines = [`Run ${execution.name}: ${execution.status}, ${elapsed}`, ...stepLinesOf(steps, now)];
    const erase = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\x1b[0J` : '';
    this.output.out(`${erase}${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }
}

/** Prints one line each time a step starts or ends: for logs, pipes and CI. */
class LineView {
  private readonly printed = new Map<number, StepView['status']>();
  private started = false;

  constructor(private readonly output: Output) {}

  show(execution: ExecutionFacts, steps: readonly StepView[]): void {
    if (!this.started) {
      this.output.out(`Run ${execution.name} started ${formatTime(execution.startedAt)}\n`);
      this.started = true;
    }
    steps.forEach((step, index) => {
      const before = this.printed.get(index);
      if (before === step.status) return;
      if (before === undefined && step.status !== 'running') {
        this.output.out(`${formatTime(step.startedAt)}  ${step.name}: started\n`);
      }
      this.output.out(`${formatTime(step.endedAt ?? step.startedAt)}  ${stepChange(step)}\n`);
      this.printed.set(index, step.status);
    });
  }
}

function stepChange(step: StepView): string {
  if (step.status === 'running') return `${step.name}: started`;
  const took = formatDuration(secondsBetween(step.startedAt, step.endedAt ?? step.startedAt));
  if (step.status === 'succeeded') return `${step.name}: succeeded in ${took}`;
  const why = [step.error, step.cause].filter((part) => part !== undefined).join(': ');
  return `${step.name}: failed after ${took}${why ? ` (${why})` : ''}`;
}

function parseInput(input: string | undefined): unknown {
  if (input === undefined) return undefined;
  try {
    return JSON.parse(input);
  } catch {
    return undefined;
  }
}

function targetAndRequester(input: unknown): { target?: string; requestedBy?: string } {
  if (input === null || typeof input !== 'object') return {};
  const { refreshFile, requestedBy } = input as { refreshFile?: unknown; requestedBy?: unknown };
  const target = targetOf(refreshFile);
  return {
    ...(target !== undefined && { target }),
    ...(typeof requestedBy === 'string' && { requestedBy }),
  };
}

/** The target a refresh file names: from its model, or read as written when it no longer validates. */
function targetOf(refreshFile: unknown): string | undefined {
  const model = parseRefreshFile(refreshFile).refreshFile;
  if (model) return model.service === 'rds' ? model.target.instance : model.target.cluster;
  const target = (refreshFile as { target?: { instance?: unknown; cluster?: unknown } } | null)?.target;
  const id = target?.instance ?? target?.cluster;
  return typeof id === 'string' ? id : undefined;
}

/** The execution's page in the Step Functions console; none in local mode. */
export function consoleLinkOf(deployment: Deployment, arn: string): string | undefined {
  if (deployment.local) return undefined;
  const region = deployment.region;
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${arn}`;
}

/** How often `--wait` and `watch` read the execution: the local endpoint answers at once. */
export function pollIntervalOf(deployment: Deployment): number {
  return deployment.local ? 500 : 2000;
}
