import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { LOCAL_ENGINES } from './binaries';
import { InvalidEngineInputError, ServerNotFoundError, SnapshotNotFoundError } from './errors';

/** Where a MariaDB base backup leaves off in the source's binary log: replay starts there. */
export const BinlogPositionSchema = z.object({ file: z.string(), position: z.number().int().nonnegative() });
export type BinlogPosition = z.output<typeof BinlogPositionSchema>;

/** A physical copy taken by the server's automated backups, kept in its `backups` directory. */
export const BaseBackupSchema = z.object({
  /** Directory name under the server's `backups` directory. */
  directory: z.string(),
  /** When the copy finished; its data is consistent as of a moment no later than this. */
  completedAt: z.iso.datetime(),
  /** MariaDB only. */
  binlog: BinlogPositionSchema.optional(),
});
export type BaseBackup = z.output<typeof BaseBackupSchema>;

/** What `server.json` holds: everything a later process needs to manage the server. Never a password. */
export const ServerRecordSchema = z.object({
  id: z.string(),
  engine: z.enum(LOCAL_ENGINES),
  port: z.number().int(),
  adminUser: z.string(),
  databaseName: z.string().optional(),
  createdAt: z.iso.datetime(),
  /** The server's process id while it runs (the engine's own pid file must agree). */
  pid: z.number().int().optional(),
  /** Set by a clean stop: the latest time a point-in-time restore can reach while the server is down. */
  stoppedAt: z.iso.datetime().optional(),
  /** Oldest first. */
  backups: z.array(BaseBackupSchema),
});
export type ServerRecord = z.output<typeof ServerRecordSchema>;

/** What `snapshot.json` holds. The data is a complete data directory beside it. */
export const SnapshotRecordSchema = z.object({
  name: z.string(),
  engine: z.enum(LOCAL_ENGINES),
  sourceId: z.string(),
  adminUser: z.string(),
  databaseName: z.string().optional(),
  /** When the copy finished; its data is consistent as of a moment no later than this. */
  createdAt: z.iso.datetime(),
});
export type SnapshotRecord = z.output<typeof SnapshotRecordSchema>;

/** Server ids and snapshot names become directory names: RDS identifier characters only. */
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

/**
 * Checks a server id or snapshot name before it becomes a directory name.
 * @throws InvalidEngineInputError naming the value and the allowed characters
 */
export function checkIdentifier(kind: string, value: string): void {
  if (!IDENTIFIER.test(value) || value.includes('..')) {
    throw new InvalidEngineInputError(
      `${kind} "${value}" is invalid: use letters, digits, "-", "_" and "." (starting with a letter or digit)`,
    );
  }
}

/** The files of one server. */
export interface ServerPaths {
  readonly directory: string;
  readonly dataDirectory: string;
  /** MariaDB binary logs or the PostgreSQL WAL archive: what point-in-time restores replay. */
  readonly changeLogDirectory: string;
  readonly backupsDirectory: string;
  readonly logFile: string;
  /** The server's TLS certificate (signed by the account's CA) and its key: beside the data, never copied with it. */
  readonly certificateFile: string;
  readonly keyFile: string;
}

/**
 * The on-disk layout under the engines root, and the JSON records in it:
 *
 * ```
 * <root>/templates/<engine>/              initialised data directory copied by every new server
 * <root>/ca/ca.pem, ca-key.pem            the account's certificate authority (LocalCertificateAuthority)
 * <root>/servers/<id>/server.json         ServerRecord
 *                    /data/               data directory
 *                    /changes/            binary logs (MariaDB) or WAL archive (PostgreSQL)
 *                    /backups/<time>/     automated base backups
 *                    /server.log          the server's output
 *                    /tls-certificate.pem the server's TLS certificate, and tls-key.pem its key
 * <root>/snapshots/<name>/snapshot.json   SnapshotRecord
 *                        /data/           data directory
 * ```
 */
export class EngineStore {
  constructor(readonly root: string) {}

  templateDirectory(engine: string): string {
    return path.join(this.root, 'templates', engine);
  }

  serverDirectory(id: string): string {
    checkIdentifier('Server id', id);
    return path.join(this.root, 'servers', id);
  }

  serverPaths(id: string): ServerPaths {
    const directory = this.serverDirectory(id);
    return {
      directory,
      dataDirectory: path.join(directory, 'data'),
      changeLogDirectory: path.join(directory, 'changes'),
      backupsDirectory: path.join(directory, 'backups'),
      logFile: path.join(directory, 'server.log'),
      certificateFile: path.join(directory, 'tls-certificate.pem'),
      keyFile: path.join(directory, 'tls-key.pem'),
    };
  }

  snapshotDirectory(name: string): string {
    checkIdentifier('Snapshot name', name);
    return path.join(this.root, 'snapshots', name);
  }

  snapshotDataDirectory(name: string): string {
    return path.join(this.snapshotDirectory(name), 'data');
  }

  /** @throws ServerNotFoundError */
  async readServer(id: string): Promise<ServerRecord> {
    const record = await readRecord(path.join(this.serverDirectory(id), 'server.json'), ServerRecordSchema);
    if (record === undefined)
      throw new ServerNotFoundError(`Local server "${id}" does not exist under ${this.root}`);
    return record;
  }

  async writeServer(record: ServerRecord): Promise<void> {
    await writeRecord(path.join(this.serverDirectory(record.id), 'server.json'), record);
  }

  async listServers(): Promise<ServerRecord[]> {
    return this.listRecords(path.join(this.root, 'servers'), 'server.json', ServerRecordSchema);
  }

  /** @throws SnapshotNotFoundError */
  async readSnapshot(name: string): Promise<SnapshotRecord> {
    const record = await readRecord(
      path.join(this.snapshotDirectory(name), 'snapshot.json'),
      SnapshotRecordSchema,
    );
    if (record === undefined)
      throw new SnapshotNotFoundError(`Local snapshot "${name}" does not exist under ${this.root}`);
    return record;
  }

  async writeSnapshot(record: SnapshotRecord): Promise<void> {
    await writeRecord(path.join(this.snapshotDirectory(record.name), 'snapshot.json'), record);
  }

  async listSnapshots(): Promise<SnapshotRecord[]> {
    return this.listRecords(path.join(this.root, 'snapshots'), 'snapshot.json', SnapshotRecordSchema);
  }

  private async listRecords<T>(directory: string, file: string, schema: z.ZodType<T>): Promise<T[]> {
    let names: string[];
    try {
      names = await readdir(directory);
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const records = await Promise.all(
      names.sort().map((name) => readRecord(path.join(directory, name, file), schema)),
    );
    // A directory without its record is a server or snapshot still being created (or a failed creation being removed).
    return records.filter((record) => record !== undefined);
  }
}

async function readRecord<T>(file: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} is not a valid record: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Writes through a temporary file and a rename, so a reader never sees half a record. */
async function writeRecord(file: string, record: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, file);
  } catch (error: unknown) {
    await rm(temporary, { force: true });
    throw error;
  }
}
