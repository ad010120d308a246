import { randomBytes } from 'node:crypto';

/** Why a token was refused, named as Step Functions names the error. */
export type TaskTokenErrorCode = 'InvalidToken' | 'TaskDoesNotExist' | 'TaskTimedOut';

/** A SendTask* call the registry refuses; the local states service answers it with `code`. */
export class TaskTokenError extends Error {
  override readonly name = 'TaskTokenError';

  constructor(
    readonly code: TaskTokenErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The error a waiting task fails with after SendTaskFailure: its name is the `error` sent, so the state's
 * Retry and Catch match it as they would in Step Functions; its message is the `cause`.
 */
export class SentTaskFailure extends Error {
  override readonly name: string;

  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/** A task waiting for its token, as `waiting()` lists it. */
export interface WaitingTask {
  readonly token: string;
  readonly executionArn: string;
  readonly stateName: string;
}

/** What SendTaskFailure says when it names no error: Catch `States.ALL` and `States.TaskFailed` still match. */
export const DEFAULT_TASK_ERROR = 'States.TaskFailed';

/** 96 random bytes in base64url: a fixed shape, so a mangled token is told apart from an unknown one. */
const TOKEN_BYTES = 96;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{128}$/;

interface TaskEntry {
  readonly executionArn: string;
  stateName: string | undefined;
  /** issued: `$$.Task.Token` was read; waiting: its task waits for the answer; closed: answered, timed out or ended. */
  status: 'issued' | 'waiting' | 'closed';
  readonly answer: Promise<unknown>;
  resolve(output: unknown): void;
  reject(error: Error): void;
  /** Epoch milliseconds after which the task has timed out. */
  deadline?: number;
}

/**
 * The task tokens of the local Step Functions: a Task state whose Resource ends in `.waitForTaskToken` gets a
 * fresh token each time it is entered (or retried), hands it to its function, and then waits until
 * SendTaskSuccess or SendTaskFailure answers for it, as in Step Functions. The local runner and the local
 * states service share one registry per process.
 *
 * A token can be answered as soon as it exists, even before its function returns. Once answered, timed out,
 * or its execution ended, further answers fail with TaskTimedOut (as Step Functions says of a closed task).
 */
export class TaskTokens {
  private readonly tasks = new Map<string, TaskEntry>();

  /** A new token of a task of `executionArn` (what `$$.Task.Token` reads). */
  issue(executionArn: string): string {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    let resolve!: (output: unknown) => void;
    let reject!: (error: Error) => void;
    const answer = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Answered before anyone waits: not an unhandled rejection, the waiter still sees it.
    answer.catch(() => undefined);
    this.tasks.set(token, { executionArn, stateName: undefined, status: 'issued', answer, resolve, reject });
    return token;
  }

  /**
   * Binds the token a task's parameters carry to the task: the first token of `executionArn` found among the
   * strings of `parameters` that no task has claimed yet. A task whose parameters carry none gets a fresh
   * token (nobody can answer it: it waits until it times out, as in Step Functions).
   * Unclaimed tokens of the execution are closed: they were read but never sent.
   */
  claim(executionArn: string, stateName: string, parameters: unknown): string {
    const carried = new Set(stringsIn(parameters));
    let claimed: string | undefined;
    for (const [token, entry] of this.tasks) {
      if (entry.executionArn !== executionArn || entry.status !== 'issued' || entry.stateName !== undefined)
        continue;
      if (claimed === undefined && carried.has(token)) {
        claimed = token;
      } else {
        entry.status = 'closed';
      }
    }
    const token = claimed ?? this.issue(executionArn);
    const entry = this.entry(token);
    entry.stateName = stateName;
    return token;
  }

  /**
   * The answer to the task of `token`: SendTaskSuccess's output, or a rejection with {@link SentTaskFailure}.
   * From `deadline` (epoch milliseconds) on, the token is closed: the runner fails the task with States.Timeout.
   */
  wait(token: string, deadline?: number): Promise<unknown> {
    const entry = this.entry(token);
    if (entry.status === 'issued') entry.status = 'waiting';
    entry.deadline = deadline;
    return entry.answer;
  }

  /** SendTaskSuccess: the task succeeds with `output`. */
  succeed(token: string, output: unknown): void {
    const entry = this.open(token);
    this.close(entry);
    entry.resolve(output);
  }

  /** SendTaskFailure: the task fails with the error `error` (default States.TaskFailed) and `cause`. */
  fail(token: string, error?: string, cause?: string): void {
    const entry = this.open(token);
    this.close(entry);
    entry.reject(new SentTaskFailure(error || DEFAULT_TASK_ERROR, cause ?? ''));
  }

  /** SendTaskHeartbeat: checks the task still waits (heartbeat timeouts are not emulated). */
  heartbeat(token: string): void {
    this.open(token);
  }

  /** Closes the task of a token whose task failed before it could wait (its function failed). */
  abandon(token: string): void {
    const entry = this.tasks.get(token);
    if (entry) this.close(entry);
  }

  /** Closes every task of an execution that ended (answers to them then fail with TaskTimedOut). */
  closeExecution(executionArn: string): void {
    for (const entry of this.tasks.values()) {
      if (entry.executionArn === executionArn) this.close(entry);
    }
  }

  /** The tasks that wait for an answer now, oldest first; of one execution when given. */
  waiting(executionArn?: string): WaitingTask[] {
    return [...this.tasks.entries()]
      .filter(([, entry]) => entry.status === 'waiting' && !this.expired(entry))
      .filter(([, entry]) => executionArn === undefined || entry.executionArn === executionArn)
      .map(([token, entry]) => ({
        token,
        executionArn: entry.executionArn,
        stateName: entry.stateName ?? '',
      }));
  }

  private entry(token: string): TaskEntry {
    const entry = this.tasks.get(token);
    if (!entry) throw new Error(`Task token ${token.slice(0, 12)}… was not issued by this registry`);
    return entry;
  }

  /** The entry of a token an answer may still be sent for. */
  private open(token: string): TaskEntry {
    if (!TOKEN_SHAPE.test(token)) {
      throw new TaskTokenError('InvalidToken', `Invalid Token: '${shorten(token)}' is not a task token`);
    }
    const entry = this.tasks.get(token);
    if (!entry) {
      throw new TaskTokenError(
        'TaskDoesNotExist',
        'Task Does Not Exist: no task of this local account has this token (tokens do not outlive the local daemon)',
      );
    }
    if (entry.status === 'closed' || this.expired(entry)) {
      throw new TaskTokenError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    }
    return entry;
  }

  private close(entry: TaskEntry): void {
    entry.status = 'closed';
  }

  private expired(entry: TaskEntry): boolean {
    return entry.deadline !== undefined && Date.now() >= entry.deadline;
  }
}

/** Every string inside a JSON value. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
