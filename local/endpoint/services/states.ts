import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type {
  DescribeExecutionOutput,
  DescribeStateMachineOutput,
  ExecutionListItem,
  GetExecutionHistoryOutput,
  HistoryEvent,
  ListExecutionsOutput,
  ListStateMachinesOutput,
  StartExecutionOutput,
  StopExecutionOutput,
} from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { parseJson } from '../../../lambdas/shared/json/parse-json';
import type { AslDefinition } from '../../../lib/resolve-definition';
import {
  ExecutionHistoryEvents,
  executionEnded,
  executionStarted,
  type NewHistoryEvent,
} from '../../runner/execution-history';
import {
  EXECUTION_STATUSES,
  type ExecutionRecord,
  ExecutionStore,
  type StoredHistoryEvent,
} from '../../runner/execution-store';
import type { RunEvent } from '../../runner/run-refresh';
import { TaskTokenError, type TaskTokens } from '../../runner/task-tokens';
import { jsonService, operation } from '../json-protocol';
import { AwsError, type LocalRequest, type LocalResponse, type LocalService } from '../service';

/** One execution as the state machine's runner starts it. */
export interface ExecutionStart {
  readonly executionArn: string;
  readonly name: string;
  /** StartExecution's input, parsed. */
  readonly input: unknown;
}

/** How an execution ended, as its runner reports it. */
export interface ExecutionOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

/** What the runner of an execution is given: StopExecution's abort, and where to report each step. */
export interface ExecutionHooks {
  readonly signal: AbortSignal;
  readonly onEvent: (event: RunEvent) => void;
}

/** The state machine a local states service runs: its definition and a way to run one execution to its end. */
export interface LocalStateMachine {
  /** The state machine's name, e.g. `DbRefresh`. */
  readonly name: string;
  /** The definition DescribeStateMachine shows; read when first asked for. */
  definition(): AslDefinition;
  run(execution: ExecutionStart, hooks: ExecutionHooks): Promise<ExecutionOutcome>;
}

export interface LocalStatesOptions {
  /** Execution records are kept in `<stateDir>/executions/`. */
  readonly stateDir: string;
  readonly scope: { readonly region: string; readonly account: string };
  readonly stateMachine: LocalStateMachine;
  /** The task tokens the runner's waiting tasks are answered through. */
  readonly tokens: TaskTokens;
  /** @default - the system clock */
  readonly now?: () => Date;
}

/** The cause of an execution that was running when the local daemon stopped. */
export const DAEMON_STOPPED_CAUSE = 'the local daemon stopped';
/** Execution names are unique for 90 days, as in Step Functions. */
const NAME_RESERVED_MILLISECONDS = 90 * 24 * 3600 * 1000;
const NAME = /^[A-Za-z0-9_-]{1,80}$/;
const MAX_INPUT_BYTES = 256 * 1024;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:([^:]+)$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

const MaxResults = z.number().int().min(0).max(MAX_PAGE_SIZE).optional();

/**
 * A local AWS Step Functions (JSON 1.0, `X-Amz-Target: AWSStepFunctions.<Action>`) with one standard state
 * machine whose executions run in this process: StartExecution, DescribeExecution, ListExecutions,
 * GetExecutionHistory, StopExecution, DescribeStateMachine, ListStateMachines and SendTaskSuccess/
 * SendTaskFailure/SendTaskHeartbeat, with Step Functions' semantics and error names, so a CLI written
 * against @aws-sdk/client-sfn behaves the same against AWS and local mode.
 *
 * Every execution is kept in `<stateDir>/executions/<name>.json`; an execution that was running when the
 * process stopped is ABORTED (cause "the local daemon stopped") when the service starts again.
 */
export class LocalStates implements LocalService {
  readonly name = 'states';
  readonly stateMachineArn: string;
  readonly tokens: TaskTokens;
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly store: ExecutionStore;
  private readonly service: LocalService;
  private readonly now: () => Date;
  private readonly createdAt: Date;

  constructor(private readonly options: LocalStatesOptions) {
    const { region, account } = options.scope;
    this.stateMachineArn = `arn:aws:states:${region}:${account}:stateMachine:${options.stateMachine.name}`;
    this.tokens = options.tokens;
    this.now = options.now ?? (() => new Date());
    this.createdAt = this.now();
    this.store = new ExecutionStore(path.join(options.stateDir, 'executions'));
    for (const record of this.store.loadAll()) {
      this.executions.set(record.name, record);
      if (record.status === 'RUNNING') {
        this.end(record, { status: 'ABORTED', cause: DAEMON_STOPPED_CAUSE });
      }
    }
    this.service = jsonService(
      'states',
      'AWSStepFunctions',
      {
        StartExecution: operation(
          z.object({
            stateMachineArn: z.string(),
            name: z.string().optional(),
            input: z.string().optional(),
          }),
          (input) => this.startExecution(input),
        ),
        DescribeExecution: operation(z.object({ executionArn: z.string() }), (input) =>
          this.describeExecution(input.executionArn),
        ),
        ListExecutions: operation(
          z.object({
            stateMachineArn: z.string().optional(),
            statusFilter: z.enum(EXECUTION_STATUSES).optional(),
            maxResults: MaxResults,
            nextToken: z.string().optional(),
          }),
          (input) => this.listExecutions(input),
        ),
        GetExecutionHistory: operation(
          z.object({
            executionArn: z.string(),
            maxResults: MaxResults,
            reverseOrder: z.boolean().optional(),
            nextToken: z.string().optional(),
            includeExecutionData: z.boolean().optional(),
          }),
          (input) => this.getExecutionHistory(input),
        ),
        StopExecution: operation(
          z.object({ executionArn: z.string(), error: z.string().optional(), cause: z.string().optional() }),
          (input) => this.stopExecution(input),
        ),
        DescribeStateMachine: operation(z.object({ stateMachineArn: z.string() }), (input) =>
          this.describeStateMachine(input.stateMachineArn),
        ),
        ListStateMachines: operation(
          z.object({ maxResults: MaxResults, nextToken: z.string().optional() }),
          (input) => this.listStateMachines(input),
        ),
        SendTaskSuccess: operation(z.object({ taskToken: z.string(), output: z.string() }), (input) =>
          this.answerTask(input.taskToken, (token) => this.tokens.succeed(token, parseOutput(input.output))),
        ),
        SendTaskFailure: operation(
          z.object({ taskToken: z.string(), error: z.string().optional(), cause: z.string().optional() }),
          (input) =>
            this.answerTask(input.taskToken, (token) => this.tokens.fail(token, input.error, input.cause)),
        ),
        SendTaskHeartbeat: operation(z.object({ taskToken: z.string() }), (input) =>
          this.answerTask(input.taskToken, (token) => this.tokens.heartbeat(token)),
        ),
      },
      '1.0',
    );
  }

  handle(request: LocalRequest): Promise<LocalResponse> {
    return this.service.handle(request);
  }

  /**
   * Starts an execution, or returns the running one of the same name and input (StartExecution is
   * idempotent for it); any other execution of that name in the last 90 days is ExecutionAlreadyExists.
   */
  startExecution(input: { stateMachineArn: string; name?: string; input?: string }): StartExecutionOutput {
    this.requireStateMachine(input.stateMachineArn);
    const name = input.name ?? randomUUID();
    if (!NAME.test(name)) {
      throw new AwsError(
        'InvalidName',
        `Invalid Name: '${name}' (an execution name is 1 to 80 letters, digits, hyphens and underscores)`,
      );
    }
    const text = input.input ?? '{}';
    const parsed = parseInput(text);
    const existing = this.executions.get(name);
    const now = this.now();
    if (existing && now.getTime() - Date.parse(existing.startDate) < NAME_RESERVED_MILLISECONDS) {
      if (existing.status === 'RUNNING' && existing.input === text) {
        return { executionArn: existing.executionArn, startDate: new Date(existing.startDate) };
      }
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
    }
    const { region, account } = this.options.scope;
    const record: ExecutionRecord = {
      executionArn: `arn:aws:states:${region}:${account}:execution:${this.options.stateMachine.name}:${name}`,
      stateMachineArn: this.stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: now.toISOString(),
      input: text,
      events: [],
    };
    this.append(record, [executionStarted(text, this.roleArn(), now)]);
    this.executions.set(name, record);
    this.store.save(record);
    this.run(record, parsed);
    return { executionArn: record.executionArn, startDate: now };
  }

  describeExecution(executionArn: string): DescribeExecutionOutput {
    const record = this.execution(executionArn);
    return {
      ...listItem(record),
      input: record.input,
      inputDetails: { included: true },
      output: record.output,
      outputDetails: record.output === undefined ? undefined : { included: true },
      error: record.error,
      cause: record.cause,
    };
  }

  /** The executions of the state machine, newest first. */
  listExecutions(input: {
    stateMachineArn?: string;
    statusFilter?: ExecutionRecord['status'];
    maxResults?: number;
    nextToken?: string;
  }): ListExecutionsOutput {
    if (input.stateMachineArn === undefined) {
      throw new AwsError('ValidationException', 'ListExecutions needs a stateMachineArn');
    }
    this.requireStateMachine(input.stateMachineArn);
    const matching = [...this.executions.values()]
      .filter((record) => input.statusFilter === undefined || record.status === input.statusFilter)
      .sort((a, b) => b.startDate.localeCompare(a.startDate) || b.name.localeCompare(a.name));
    const { items, nextToken } = page(matching, input.maxResults, input.nextToken);
    return {
      executions: items.map(listItem),
      nextToken,
    };
  }

  getExecutionHistory(input: {
    executionArn: string;
    maxResults?: number;
    reverseOrder?: boolean;
    nextToken?: string;
    includeExecutionData?: boolean;
  }): GetExecutionHistoryOutput {
    const record = this.execution(input.executionArn);
    const ordered = input.reverseOrder ? [...record.events].reverse() : record.events;
    const { items, nextToken } = page(ordered, input.maxResults, input.nextToken);
    return {
      events: items.map((event) => historyEvent(event, input.includeExecutionData ?? true)),
      nextToken,
    };
  }

  /** Aborts a running execution (ABORTED, with the error and cause given); a finished one is left as it is. */
  stopExecution(input: { executionArn: string; error?: string; cause?: string }): StopExecutionOutput {
    const record = this.execution(input.executionArn);
    if (record.status === 'RUNNING') {
      this.end(record, { status: 'ABORTED', error: input.error, cause: input.cause });
      this.running.get(record.name)?.controller.abort();
    }
    return { stopDate: new Date(record.stopDate ?? this.now().toISOString()) };
  }

  describeStateMachine(stateMachineArn: string): DescribeStateMachineOutput {
    this.requireStateMachine(stateMachineArn);
    return {
      stateMachineArn: this.stateMachineArn,
      name: this.options.stateMachine.name,
      status: 'ACTIVE',
      definition: JSON.stringify(this.options.stateMachine.definition()),
      roleArn: this.roleArn(),
      type: 'STANDARD',
      creationDate: this.createdAt,
    };
  }

  listStateMachines(input: { maxResults?: number; nextToken?: string }): ListStateMachinesOutput {
    const { items, nextToken } = page([this.stateMachineArn], input.maxResults, input.nextToken);
    return {
      stateMachines: items.map((stateMachineArn) => ({
        stateMachineArn,
        name: this.options.stateMachine.name,
        type: 'STANDARD',
        creationDate: this.createdAt,
      })),
      nextToken,
    };
  }

  /** Resolves once the execution is no longer RUNNING, with its record (tests and in-process callers). */
  async waitForExecution(executionArn: string): Promise<DescribeExecutionOutput> {
    const record = this.execution(executionArn);
    await this.running.get(record.name)?.done;
    return this.describeExecution(executionArn);
  }

  /** Aborts the running executions (cause "the local daemon stopped") and writes every record. */
  async close(): Promise<void> {
    const runs = [...this.running.entries()];
    for (const [name, run] of runs) {
      const record = this.executions.get(name);
      if (record?.status === 'RUNNING') this.end(record, { status: 'ABORTED', cause: DAEMON_STOPPED_CAUSE });
      run.controller.abort();
    }
    await Promise.all(runs.map(([, run]) => run.done));
    this.store.flush();
  }

  private run(record: ExecutionRecord, input: unknown): void {
    const controller = new AbortController();
    const history = new ExecutionHistoryEvents(this.options.scope.region);
    const onEvent = (event: RunEvent) => {
      if (record.status !== 'RUNNING') return;
      this.append(record, history.of(event));
      this.store.saveSoon(record);
    };
    // After StartExecution has answered: loading the state machine synthesizes the stack, which takes a while.
    const done = new Promise((resolve) => setImmediate(resolve))
      .then(() =>
        this.options.stateMachine.run(
          { executionArn: record.executionArn, name: record.name, input },
          { signal: controller.signal, onEvent },
        ),
      )
      .then(
        (outcome) => {
          if (record.status !== 'RUNNING') return;
          this.end(
            record,
            outcome.status === 'SUCCEEDED'
              ? { status: 'SUCCEEDED', output: JSON.stringify(outcome.output ?? null) }
              : { status: 'FAILED', error: outcome.error, cause: outcome.cause },
          );
        },
        (error: unknown) => {
          // The runner itself broke (the definition did not load, say): the execution fails with its reason.
          if (record.status !== 'RUNNING') return;
          const cause = error instanceof Error ? error.message : String(error);
          this.end(record, { status: 'FAILED', error: 'States.Runtime', cause });
        },
      )
      .finally(() => {
        this.running.delete(record.name);
        this.tokens.closeExecution(record.executionArn);
      });
    this.running.set(record.name, { controller, done });
  }

  private end(
    record: ExecutionRecord,
    outcome:
      | { status: 'SUCCEEDED'; output: string }
      | { status: 'FAILED' | 'ABORTED'; error?: string; cause?: string },
  ): void {
    const now = this.now();
    record.status = outcome.status;
    record.stopDate = now.toISOString();
    if (outcome.status === 'SUCCEEDED') {
      record.output = outcome.output;
    } else {
      record.error = outcome.error;
      record.cause = outcome.cause;
    }
    this.append(record, [executionEnded(outcome, now)]);
    this.store.save(record);
  }

  private append(record: ExecutionRecord, events: readonly NewHistoryEvent[]): void {
    for (const event of events) {
      const id = record.events.length + 1;
      record.events.push({
        id,
        previousEventId: id - 1,
        timestamp: event.timestamp.toISOString(),
        type: event.type,
        details: event.details as StoredHistoryEvent['details'],
      });
    }
  }

  private answerTask(taskToken: string, answer: (token: string) => void): Record<string, never> {
    try {
      answer(taskToken);
    } catch (error: unknown) {
      if (error instanceof TaskTokenError) throw new AwsError(error.code, error.message);
      throw error;
    }
    return {};
  }

  private execution(executionArn: string): ExecutionRecord {
    const name = EXECUTION_ARN.exec(executionArn)?.[1];
    if (name === undefined) {
      throw new AwsError(
        'InvalidArn',
        `Invalid Arn: 'Resource type not valid in this context: ${executionArn}'`,
      );
    }
    const record = this.executions.get(name);
    if (!record || record.executionArn !== executionArn) {
      throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    }
    return record;
  }

  private requireStateMachine(stateMachineArn: string): void {
    if (!STATE_MACHINE_ARN.test(stateMachineArn)) {
      throw new AwsError(
        'InvalidArn',
        `Invalid Arn: 'Resource type not valid in this context: ${stateMachineArn}'`,
      );
    }
    if (stateMachineArn !== this.stateMachineArn) {
      throw new AwsError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${stateMachineArn}' (the local account has ${this.stateMachineArn})`,
      );
    }
  }

  private roleArn(): string {
    return `arn:aws:iam::${this.options.scope.account}:role/${this.options.stateMachine.name}`;
  }
}

/** An execution input: JSON text of at most 256 KiB. */
function parseInput(text: string): unknown {
  if (Buffer.byteLength(text, 'utf8') > MAX_INPUT_BYTES) {
    throw new AwsError('InvalidExecutionInput', 'Invalid State Machine Execution Input: larger than 256 KiB');
  }
  try {
    return parseJson(text, { what: 'The execution input' });
  } catch (error: unknown) {
    throw new AwsError(
      'InvalidExecutionInput',
      `Invalid State Machine Execution Input: '${(error as Error).message}'`,
    );
  }
}

function parseOutput(text: string): unknown {
  try {
    return parseJson(text, { what: 'The task output' });
  } catch (error: unknown) {
    throw new AwsError('InvalidOutput', `Invalid Output: '${(error as Error).message}'`);
  }
}

/** A stored event as the API returns it: its details member beside id, type and timestamp. */
function historyEvent(event: StoredHistoryEvent, includeExecutionData: boolean): HistoryEvent {
  const details = Object.fromEntries(
    Object.entries(event.details ?? {}).map(([member, value]) => [
      member,
      includeExecutionData
        ? value
        : Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'input' && key !== 'output')),
    ]),
  );
  return {
    id: event.id,
    previousEventId: event.previousEventId,
    timestamp: new Date(event.timestamp),
    type: event.type as HistoryEvent['type'],
    ...details,
  };
}

/** One page of `items` from the offset `nextToken` names; a token this service did not give is InvalidToken. */
function page<T>(
  items: readonly T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
): { items: T[]; nextToken?: string } {
  const size = maxResults === undefined || maxResults === 0 ? DEFAULT_PAGE_SIZE : maxResults;
  let offset = 0;
  if (nextToken !== undefined) {
    const match = /^offset:(\d+)$/.exec(Buffer.from(nextToken, 'base64').toString('utf8'));
    if (!match?.[1]) throw new AwsError('InvalidToken', `Invalid Token: '${nextToken}'`);
    offset = Number(match[1]);
  }
  const end = offset + size;
  return {
    items: items.slice(offset, end),
    nextToken: end < items.length ? Buffer.from(`offset:${end}`).toString('base64') : undefined,
  };
}

/** What ListExecutions says of an execution; DescribeExecution adds its input, output and error. */
function listItem(record: ExecutionRecord): ExecutionListItem {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: new Date(record.startDate),
    stopDate: record.stopDate === undefined ? undefined : new Date(record.stopDate),
  };
}
