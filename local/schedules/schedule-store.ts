import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import type { LocalScheduleDefinition, LocalScheduling } from './local-schedules';

/** What happened the last time a schedule came due. */
export const ScheduleFireSchema = z.object({
  /** The time the schedule was due (ISO). */
  scheduledTime: z.string(),
  /** When the local Scheduler acted (ISO). */
  firedAt: z.string(),
  /** The execution it started. */
  executionArn: z.string().optional(),
  /** Why no execution was started: every attempt failed, or the time was too old to deliver. */
  error: z.string().optional(),
});
export type ScheduleFire = z.output<typeof ScheduleFireSchema>;

const ScheduleRecordSchema = z.object({
  /** Tells a changed definition (new refresh file content) from the one the dates belong to. */
  fingerprint: z.string(),
  createdAt: z.string(),
  modifiedAt: z.string(),
  lastFire: ScheduleFireSchema.optional(),
});
type ScheduleRecord = z.output<typeof ScheduleRecordSchema>;

const StoreFileSchema = z.object({
  groups: z.record(z.string(), z.object({ createdAt: z.string() })),
  schedules: z.record(z.string(), ScheduleRecordSchema),
});
type StoreFile = z.output<typeof StoreFileSchema>;

/** File of `<stateDir>` where the schedules' dates and last fires are kept between daemon runs. */
export const SCHEDULES_FILE = 'schedules.json';

/** A schedule of the local account: its definition, when it appeared or changed, and its last fire. */
export interface LocalSchedule extends LocalScheduleDefinition {
  readonly creationDate: Date;
  readonly lastModificationDate: Date;
  readonly lastFire?: ScheduleFire;
}

export interface LocalScheduleGroup {
  readonly name: string;
  readonly creationDate: Date;
}

/**
 * The schedules of the local account, as the synthesized stack declares them, with the dates Scheduler
 * would show (a schedule is "created" when it first appears, "modified" when its definition changes) and
 * the last fire of each, kept in `<stateDir>/schedules.json` so a restarted daemon shows the same.
 */
export class ScheduleStore {
  private readonly file?: string;
  private readonly records: StoreFile;
  private readonly definitions: ReadonlyMap<string, LocalScheduleDefinition>;

  /**
   * @param stateDir where the dates and last fires persist; none keeps them in memory
   * @param now when schedules that are new or changed are taken to be created or modified
   */
  constructor(scheduling: LocalScheduling, stateDir: string | undefined, now: Date = new Date()) {
    this.file = stateDir === undefined ? undefined : path.join(stateDir, SCHEDULES_FILE);
    const stored = this.file === undefined ? undefined : readStoreFile(this.file);
    this.definitions = new Map(scheduling.schedules.map((definition) => [keyOf(definition), definition]));
    const at = now.toISOString();
    this.records = {
      groups: Object.fromEntries(
        ['default', ...scheduling.groupNames].map((name) => [
          name,
          stored?.groups[name] ?? { createdAt: at },
        ]),
      ),
      schedules: Object.fromEntries(
        [...this.definitions].map(([key, definition]) => {
          const fingerprint = fingerprintOf(definition);
          const previous = stored?.schedules[key];
          if (previous?.fingerprint === fingerprint) return [key, previous];
          const record: ScheduleRecord = {
            fingerprint,
            createdAt: previous?.createdAt ?? at,
            modifiedAt: at,
          };
          return [key, record];
        }),
      ),
    };
    this.save();
  }

  /** Every schedule, by group then name. */
  list(): LocalSchedule[] {
    return [...this.definitions.keys()]
      .sort()
      .map((key) => this.schedule(key))
      .filter((schedule) => schedule !== undefined);
  }

  get(groupName: string, name: string): LocalSchedule | undefined {
    return this.schedule(`${groupName}/${name}`);
  }

  groups(): LocalScheduleGroup[] {
    return Object.entries(this.records.groups)
      .map(([name, group]) => ({ name, creationDate: new Date(group.createdAt) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Remembers what happened when a schedule came due. */
  recordFire(groupName: string, name: string, fire: ScheduleFire): void {
    const record = this.records.schedules[`${groupName}/${name}`];
    if (!record) throw new Error(`No local schedule ${groupName}/${name}`);
    record.lastFire = fire;
    this.save();
  }

  private schedule(key: string): LocalSchedule | undefined {
    const definition = this.definitions.get(key);
    const record = this.records.schedules[key];
    if (!definition || !record) return undefined;
    return {
      ...definition,
      creationDate: new Date(record.createdAt),
      lastModificationDate: new Date(record.modifiedAt),
      lastFire: record.lastFire,
    };
  }

  /** Written through a temporary file and a rename, so a reader never sees half of it. */
  private save(): void {
    if (this.file === undefined) return;
    const temporary = `${this.file}.${randomUUID()}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.records, null, 2)}\n`);
    renameSync(temporary, this.file);
  }
}

function keyOf(definition: LocalScheduleDefinition): string {
  return `${definition.groupName}/${definition.name}`;
}

function fingerprintOf(definition: LocalScheduleDefinition): string {
  return createHash('sha256').update(JSON.stringify(definition)).digest('hex').slice(0, 16);
}

/** The stored dates and fires; none when the file is missing or damaged (they are only dates). */
function readStoreFile(file: string): StoreFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = StoreFileSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch (error: unknown) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}
