import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';

/** One numbered history event, its details member (`stateEnteredEventDetails`, ...) under `details`. */
export const StoredHistoryEventSchema = z.object({
  id: z.number().int().positive(),
  previousEventId: z.number().int().min(0),
  /** ISO 8601. */
  timestamp: z.iso.datetime(),
  type: z.string(),
  details: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});
export type StoredHistoryEvent = z.output<typeof StoredHistoryEventSchema>;

export const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** What `<stateDir>/executions/<name>.json` holds: what DescribeExecution and GetExecutionHistory answer. */
export const ExecutionRecordSchema = z.object({
  executionArn: z.string(),
  stateMachineArn: z.string(),
  name: z.string(),
  status: z.enum(EXECUTION_STATUSES),
  /** ISO 8601. */
  startDate: z.iso.datetime(),
  stopDate: z.iso.datetime().optional(),
  /** JSON text, as StartExecution received it. */
  input: z.string(),
  /** JSON text. */
  output: z.string().optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
  events: z.array(StoredHistoryEventSchema),
});
export type ExecutionRecord = z.output<typeof ExecutionRecordSchema>;

/** How long a changed record may wait before it is written (a run changes it on every step). */
const SAVE_DELAY_MILLISECONDS = 500;

/**
 * The executions of a local state machine, one JSON file each in a directory, so a restarted daemon still
 * answers for past runs. Records are written whole through a rename; while a run goes on, its record is
 * written at most every half second (`saveSoon`), and at once when its status changes (`save`).
 */
export class ExecutionStore {
  private readonly pending = new Map<string, { record: ExecutionRecord; timer: NodeJS.Timeout }>();

  constructor(readonly directory: string) {}

  /**
   * Every record in the directory; none when it does not exist.
   * @throws Error naming the file when one is not a valid record
   */
  loadAll(): ExecutionRecord[] {
    let files: string[];
    try {
      files = readdirSync(this.directory).filter((file) => file.endsWith('.json'));
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return files.map((file) => this.read(path.join(this.directory, file)));
  }

  /** Writes the record now (and forgets a delayed write of it). */
  save(record: ExecutionRecord): void {
    const pending = this.pending.get(record.name);
    if (pending) {
      clearTimeout(pending.timer);
      this.pending.delete(record.name);
    }
    mkdirSync(this.directory, { recursive: true });
    const file = this.fileOf(record.name);
    const temporary = `${file}.${randomUUID()}.tmp`;
    writeFileSync(temporary, JSON.stringify(record));
    renameSync(temporary, file);
  }

  /** Writes the record within half a second. */
  saveSoon(record: ExecutionRecord): void {
    if (this.pending.has(record.name)) return;
    const timer = setTimeout(() => this.save(record), SAVE_DELAY_MILLISECONDS);
    timer.unref();
    this.pending.set(record.name, { record, timer });
  }

  /** Writes every delayed record now. */
  flush(): void {
    for (const { record } of [...this.pending.values()]) this.save(record);
  }

  private fileOf(name: string): string {
    return path.join(this.directory, `${name}.json`);
  }

  private read(file: string): ExecutionRecord {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error: unknown) {
      throw new Error(
        `Execution record ${file} is not JSON (${String(error)}); delete it to forget that run`,
        {
          cause: error,
        },
      );
    }
    const parsed = ExecutionRecordSchema.safeParse(json);
    if (!parsed.success) {
      throw new Error(
        `Execution record ${file} is not valid (${z.prettifyError(parsed.error)}); delete it to forget that run`,
      );
    }
    return parsed.data;
  }
}
