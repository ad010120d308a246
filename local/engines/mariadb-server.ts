import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import mysql from 'mysql2/promise';
import type { MariadbBinaries } from './binaries';
import { copyDirectory, DataTemplate } from './data-template';
import { EngineAccount } from './engine-account';
import type { AdminAccount, EngineDriver, RecoverySource, ServerLocation } from './engine-driver';
import type { BaseBackup, BinlogPosition } from './engine-store';
import { EngineCommandError, LocalEngineError } from './errors';
import { mysqlNativePasswordHash } from './password-verifiers';
import {
  MAINTENANCE_USER,
  makeSocketDirectory,
  SERVER_HOST,
  socketDirectory,
  stopProcess,
  waitUntilReady,
} from './server-process';

const PID_FILE = 'mariadbd.pid';
const BINLOG_BASENAME = 'mariadb-bin';

/**
 * Run once per template by mariadb-install-db (in bootstrap mode, where account statements are unavailable,
 * hence the grant tables): drop the passwordless TCP root accounts and turn root@localhost into the socket-only
 * maintenance account.
 */
const TEMPLATE_SQL = `
DELETE FROM mysql.global_priv WHERE User = 'root' AND Host <> 'localhost';
UPDATE mysql.global_priv SET User = '${MAINTENANCE_USER}' WHERE User = 'root';
DELETE FROM mysql.proxies_priv WHERE User = 'root' AND Host <> 'localhost';
UPDATE mysql.proxies_priv SET User = '${MAINTENANCE_USER}' WHERE User = 'root';
`;

/** Files a mariadb-backup copy carries that do not belong in a live data directory. */
const BACKUP_ONLY_FILES = /^(xtrabackup_|mariadb_backup_|backup-my\.cnf$|mariadbd\.pid$)/;

/**
 * MariaDB servers playing MySQL, MariaDB and Aurora MySQL DB instances: binary logs in ROW format for
 * point-in-time restores, server time zone UTC, mariadb-backup for hot copies.
 */
export class MariadbDriver implements EngineDriver {
  readonly engine = 'mariadb';
  readonly account = EngineAccount.forEngine('mariadb');
  private readonly template: DataTemplate;

  constructor(
    private readonly binaries: MariadbBinaries,
    templatesDirectory: string,
  ) {
    this.template = new DataTemplate(
      this.account,
      templatesDirectory,
      'mariadb',
      binaries.server,
      (dataDirectory) => this.buildTemplate(dataDirectory),
    );
  }

  async initialize(server: ServerLocation): Promise<void> {
    await this.template.copyTo(server.paths.dataDirectory);
  }

  private async buildTemplate(dataDirectory: string): Promise<void> {
    const sqlFile = `${dataDirectory}.sql`;
    await writeFile(sqlFile, TEMPLATE_SQL, { mode: 0o644 });
    try {
      await this.account.run(this.binaries.installDb, [
        '--no-defaults',
        `--datadir=${dataDirectory}`,
        '--skip-test-db',
        '--auth-root-authentication-method=normal',
        '--skip-name-resolve',
        `--extra-file=${sqlFile}`,
        ...STORAGE_OPTIONS,
      ]);
    } finally {
      await rm(sqlFile, { force: true });
    }
  }

  async start(server: ServerLocation): Promise<number> {
    const { paths, port } = server;
    const socket = socketPath(await makeSocketDirectory(this.account, paths.directory));
    const pid = this.account.spawnServer(
      this.binaries.server,
      [
        '--no-defaults',
        `--datadir=${paths.dataDirectory}`,
        `--pid-file=${path.join(paths.dataDirectory, PID_FILE)}`,
        `--port=${port}`,
        `--bind-address=${SERVER_HOST}`,
        `--socket=${socket}`,
        // Accounts are matched by address, so the maintenance account (@localhost) is reachable on the socket only.
        '--skip-name-resolve',
        `--log-bin=${path.join(paths.changeLogDirectory, BINLOG_BASENAME)}`,
        `--log-bin-index=${binlogIndex(server)}`,
        '--binlog-format=ROW',
        '--server-id=1',
        '--default-time-zone=+00:00',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_general_ci',
        '--performance-schema=OFF',
        // TLS with the certificate the account's CA signed for this server, as an RDS DB instance serves one
        // signed by an RDS CA (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html).
        `--ssl-cert=${paths.certificateFile}`,
        `--ssl-key=${paths.keyFile}`,
        '--tls-version=TLSv1.2,TLSv1.3',
        // Local copies trade durability for speed: a crash of the machine (not of the server) may lose the last
        // second of commits, which RDS would keep.
        '--innodb-flush-log-at-trx-commit=2',
        '--sync-binlog=0',
        ...STORAGE_OPTIONS,
      ],
      paths.logFile,
    );
    await waitUntilReady({
      pid,
      what: `MariaDB server "${server.id}"`,
      logFile: paths.logFile,
      probe: async () => {
        await this.withConnection(server, (connection) => connection.query('SELECT 1'));
        return true;
      },
    });
    return pid;
  }

  async readPid(server: ServerLocation): Promise<number | undefined> {
    try {
      return Number.parseInt(await readFile(path.join(server.paths.dataDirectory, PID_FILE), 'utf8'), 10);
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async stop(server: ServerLocation, pid: number): Promise<Date> {
    const stoppedAt = new Date();
    await stopProcess(pid, 'SIGTERM', `MariaDB server "${server.id}"`);
    return stoppedAt;
  }

  async createAdmin(server: ServerLocation, admin: AdminAccount): Promise<void> {
    const passwordHash = mysqlNativePasswordHash(admin.password);
    await this.withConnection(server, async (connection) => {
      for (const host of ['%', 'localhost']) {
        await secretStatement(connection, 'CREATE USER ?@? IDENTIFIED BY PASSWORD ?', [
          admin.user,
          host,
          passwordHash,
        ]);
        await connection.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [admin.user, host]);
      }
      if (admin.databaseName !== undefined) {
        await connection.query('CREATE DATABASE IF NOT EXISTS ??', [admin.databaseName]);
      }
    });
  }

  async setAdminPassword(server: ServerLocation, user: string, password: string): Promise<void> {
    const passwordHash = mysqlNativePasswordHash(password);
    await this.withConnection(server, async (connection) => {
      for (const host of ['%', 'localhost']) {
        await secretStatement(connection, 'ALTER USER ?@? IDENTIFIED BY PASSWORD ?', [
          user,
          host,
          passwordHash,
        ]);
      }
    });
  }

  async copy(server: ServerLocation, running: boolean, target: string): Promise<BinlogPosition | undefined> {
    if (!running) {
      await copyDirectory(this.account, server.paths.dataDirectory, target);
      return this.endOfBinlog(server);
    }
    const backup = this.binaries.backup;
    await this.account.run(backup, [
      '--no-defaults',
      '--backup',
      `--target-dir=${target}`,
      `--datadir=${server.paths.dataDirectory}`,
      `--socket=${socketPath(socketDirectory(server.paths.directory))}`,
      `--user=${MAINTENANCE_USER}`,
      // The default (1 s) makes every backup wait a second for its last redo log copy.
      '--log-copy-interval=10',
    ]);
    await this.account.run(backup, ['--no-defaults', '--prepare', `--target-dir=${target}`]);
    return readBackupBinlogPosition(target);
  }

  async adoptCopy(copy: string, server: ServerLocation): Promise<void> {
    const dataDirectory = server.paths.dataDirectory;
    await copyDirectory(this.account, copy, dataDirectory);
    const leftovers = (await readdir(dataDirectory)).filter((file) => BACKUP_ONLY_FILES.test(file));
    await Promise.all(leftovers.map((file) => rm(path.join(dataDirectory, file), { force: true })));
  }

  async startRecovered(
    source: RecoverySource,
    backup: BaseBackup,
    target: ServerLocation,
    until?: Date,
  ): Promise<number> {
    if (backup.binlog === undefined) {
      throw new LocalEngineError(
        `Base backup ${backup.directory} of "${source.server.id}" has no binlog position`,
      );
    }
    const pid = await this.start(target);
    const files = await this.binlogsToReplay(source, backup.binlog);
    if (files.length === 0) return pid;
    await this.account.pipe(
      [
        this.binaries.binlog,
        [
          '--no-defaults',
          `--start-position=${backup.binlog.position}`,
          ...(until === undefined ? [] : [`--stop-datetime=${binlogDatetime(until)}`]),
          ...files,
        ],
      ],
      [
        this.binaries.client,
        [
          '--no-defaults',
          `--socket=${socketPath(socketDirectory(target.paths.directory))}`,
          `--user=${MAINTENANCE_USER}`,
          '--binary-mode',
        ],
      ],
    );
    return pid;
  }

  /**
   * The binary logs from the backup's file on. A running source first closes its current log (FLUSH BINARY
   * LOGS), which is then left out with the new one: it is never read while being written, and everything
   * in the new log was committed after the restore time.
   */
  private async binlogsToReplay(source: RecoverySource, from: BinlogPosition): Promise<string[]> {
    let active: string | undefined;
    if (source.running) {
      active = await this.withConnection(source.server, async (connection) => {
        await connection.query('FLUSH BINARY LOGS');
        const [rows] = await connection.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
        return rows[0]?.File as string | undefined;
      });
    }
    const files = await this.binlogFiles(source.server);
    const first = files.indexOf(from.file);
    if (first < 0) {
      throw new LocalEngineError(
        `Binary log ${from.file} of "${source.server.id}" is missing from ${source.server.paths.changeLogDirectory}; ` +
          'the base backup cannot be rolled forward',
      );
    }
    const end = active === undefined ? files.length : files.indexOf(active);
    return files
      .slice(first, end < 0 ? files.length : end)
      .map((file) => path.join(source.server.paths.changeLogDirectory, file));
  }

  /** Binary log file names, oldest first, as listed in the index. */
  private async binlogFiles(server: ServerLocation): Promise<string[]> {
    let index: string;
    try {
      index = await readFile(binlogIndex(server), 'utf8');
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return index
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => path.basename(line.trim()));
  }

  /** Where the binary log of a cleanly stopped server ends; the next start opens a new file. */
  private async endOfBinlog(server: ServerLocation): Promise<BinlogPosition> {
    const files = await this.binlogFiles(server);
    const last = files.at(-1);
    if (last === undefined) throw new LocalEngineError(`"${server.id}" has no binary log to continue from`);
    const { size } = await stat(path.join(server.paths.changeLogDirectory, last));
    return { file: last, position: size };
  }

  private async withConnection<T>(
    server: ServerLocation,
    use: (connection: mysql.Connection) => Promise<T>,
  ): Promise<T> {
    const connection = await mysql.createConnection({
      socketPath: socketPath(socketDirectory(server.paths.directory)),
      user: MAINTENANCE_USER,
    });
    try {
      return await use(connection);
    } finally {
      await connection.end();
    }
  }
}

/** Small InnoDB files and buffers: local servers hold little data and start in a fraction of a second. */
const STORAGE_OPTIONS = ['--innodb-buffer-pool-size=32M', '--innodb-log-file-size=16M'];

function socketPath(directory: string): string {
  return path.join(directory, 'mariadbd.sock');
}

function binlogIndex(server: ServerLocation): string {
  return path.join(server.paths.changeLogDirectory, `${BINLOG_BASENAME}.index`);
}

/**
 * mariadb-binlog reads --stop-datetime in its own time zone (UTC, set for every engine program) and to the
 * second, stopping at the first event at or after it. Events carry the second their statement started, so the
 * time is rounded up: everything committed before `until` is replayed, and so is anything committed later within
 * the same second (binary log times have no finer resolution).
 */
function binlogDatetime(until: Date): string {
  const rounded = new Date(Math.ceil(until.getTime() / 1000) * 1000);
  return rounded.toISOString().slice(0, 19).replace('T', ' ');
}

/** Reads the binary log coordinates mariadb-backup recorded at the copy's consistent point. */
async function readBackupBinlogPosition(target: string): Promise<BinlogPosition> {
  for (const name of ['mariadb_backup_binlog_info', 'xtrabackup_binlog_info']) {
    let text: string;
    try {
      text = await readFile(path.join(target, name), 'utf8');
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const [file, position] = text.trim().split(/\s+/);
    if (file !== undefined && position !== undefined && /^\d+$/.test(position)) {
      return { file, position: Number(position) };
    }
    throw new EngineCommandError(`mariadb-backup wrote an unreadable ${name} in ${target}: "${text.trim()}"`);
  }
  throw new EngineCommandError(`mariadb-backup recorded no binary log position in ${target}; is log-bin on?`);
}

/**
 * Runs a statement carrying a password hash (never the password: the statement goes to the binary log, which
 * replicas, restores and anyone reading the log see). mysql2 attaches the statement text to its errors, so
 * they are replaced by one with the server's message only.
 */
async function secretStatement(
  connection: mysql.Connection,
  sql: string,
  values: readonly string[],
): Promise<void> {
  try {
    await connection.query(sql, [...values]);
  } catch (error: unknown) {
    const { code, message } = error as { code?: string; message?: string };
    // A syntax error quotes the statement near the error, which could be the password.
    const reason = code === 'ER_PARSE_ERROR' ? code : `${code}: ${message}`;
    throw new LocalEngineError(
      `${sql.split(' ').slice(0, 2).join(' ')} for "${values[0]}" failed: ${reason}`,
    );
  }
}
