import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import type { PostgresBinaries } from './binaries';
import { copyDirectory, DataTemplate } from './data-template';
import { EngineAccount } from './engine-account';
import type { AdminAccount, EngineDriver, RecoverySource, ServerLocation } from './engine-driver';
import type { BaseBackup } from './engine-store';
import { LocalEngineError } from './errors';
import { scramSha256Verifier } from './password-verifiers';
import {
  MAINTENANCE_USER,
  makeSocketDirectory,
  SERVER_HOST,
  shellQuote,
  socketDirectory,
  stopProcess,
  waitUntilReady,
} from './server-process';

/** Files of a running server (or of a copy being recovered) that must not travel with a copy. */
const RUNTIME_FILES = ['postmaster.pid', 'postmaster.opts', 'recovery.signal', 'standby.signal'];

/**
 * PostgreSQL servers playing PostgreSQL and Aurora PostgreSQL DB instances: WAL archived to the server's
 * `changes` directory for point-in-time restores, pg_basebackup for hot copies.
 *
 * Settings are passed on the command line on every start rather than written into postgresql.conf, so a copy
 * of a data directory (snapshot, backup) never carries another server's port, socket or archive.
 */
export class PostgresDriver implements EngineDriver {
  readonly engine = 'postgres';
  readonly account = EngineAccount.forEngine('postgres');
  private readonly template: DataTemplate;

  constructor(
    private readonly binaries: PostgresBinaries,
    templatesDirectory: string,
  ) {
    this.template = new DataTemplate(
      this.account,
      templatesDirectory,
      'postgres',
      binaries.server,
      async (dataDirectory) => {
        await this.account.run(this.binaries.initdb, [
          `--pgdata=${dataDirectory}`,
          `--username=${MAINTENANCE_USER}`,
          // pg_hba: trust on the socket (maintenance), passwords (SCRAM) over TCP from 127.0.0.1 and ::1.
          '--auth-local=trust',
          '--auth-host=scram-sha-256',
          '--encoding=UTF8',
          '--no-locale',
          '--no-sync',
        ]);
      },
    );
  }

  async initialize(server: ServerLocation): Promise<void> {
    await this.template.copyTo(server.paths.dataDirectory);
  }

  async start(server: ServerLocation): Promise<number> {
    return this.startWith(server, {});
  }

  private async startWith(server: ServerLocation, recoverySettings: Readonly<Record<string, string>>) {
    const { paths, port } = server;
    const sockets = await makeSocketDirectory(this.account, paths.directory);
    const archive = paths.changeLogDirectory;
    const settings: Record<string, string> = {
      cluster_name: server.id,
      port: String(port),
      listen_addresses: SERVER_HOST,
      unix_socket_directories: sockets,
      unix_socket_permissions: '0700',
      wal_level: 'replica',
      archive_mode: 'on',
      archive_command: `test ! -f ${shellQuote(archive)}/%f && cp %p ${shellQuote(archive)}/%f`,
      max_wal_senders: '5',
      max_connections: '50',
      shared_buffers: '16MB',
      huge_pages: 'off',
      // Local copies trade durability for speed: a crash of the machine (not of the server) may corrupt the
      // data directory, which RDS would not allow. Never set on a real server.
      fsync: 'off',
      timezone: 'UTC',
      log_timezone: 'UTC',
      // TLS with the certificate the account's CA signed for this server, as an RDS DB instance serves one
      // signed by an RDS CA (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html).
      ssl: 'on',
      ssl_cert_file: paths.certificateFile,
      ssl_key_file: paths.keyFile,
      ssl_min_protocol_version: 'TLSv1.2',
      ...recoverySettings,
    };
    const args = [
      '-D',
      paths.dataDirectory,
      ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ];
    const pid = this.account.spawnServer(this.binaries.server, args, paths.logFile);
    await waitUntilReady({
      pid,
      what: `PostgreSQL server "${server.id}"`,
      logFile: paths.logFile,
      // A recovering server accepts read-only sessions before it is done; wait for the promotion.
      probe: () =>
        this.withClient(server, async (client) => {
          const result = await client.query<{ recovering: boolean }>(
            'SELECT pg_is_in_recovery() AS recovering',
          );
          return result.rows[0]?.recovering === false;
        }),
    });
    return pid;
  }

  async readPid(server: ServerLocation): Promise<number | undefined> {
    try {
      const text = await readFile(path.join(server.paths.dataDirectory, 'postmaster.pid'), 'utf8');
      return Number.parseInt(text.split('\n')[0] ?? '', 10);
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /**
   * Writes a last commit, so that a point-in-time restore of the stopped server to any earlier time finds a
   * commit after it (see startRecovered), then shuts down with SIGINT ("fast": SIGTERM would wait for every
   * client to disconnect).
   */
  async stop(server: ServerLocation, pid: number): Promise<Date> {
    const stoppedAt = new Date();
    await this.markCommit(server);
    await stopProcess(pid, 'SIGINT', `PostgreSQL server "${server.id}"`);
    return stoppedAt;
  }

  async createAdmin(server: ServerLocation, admin: AdminAccount): Promise<void> {
    await this.withClient(server, async (client) => {
      const user = client.escapeIdentifier(admin.user);
      await secretStatement(
        client,
        admin.user,
        `CREATE ROLE ${user} WITH LOGIN SUPERUSER PASSWORD `,
        scramSha256Verifier(admin.password),
      );
      if (admin.databaseName !== undefined) {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(admin.databaseName)} OWNER ${user}`);
      }
    });
  }

  async setAdminPassword(server: ServerLocation, user: string, password: string): Promise<void> {
    await this.withClient(server, (client) =>
      secretStatement(
        client,
        user,
        `ALTER ROLE ${client.escapeIdentifier(user)} WITH PASSWORD `,
        scramSha256Verifier(password),
      ),
    );
  }

  async copy(server: ServerLocation, running: boolean, target: string): Promise<undefined> {
    if (running) {
      await this.account.run(this.binaries.basebackup, [
        `--pgdata=${target}`,
        `--host=${socketDirectory(server.paths.directory)}`,
        `--port=${server.port}`,
        `--username=${MAINTENANCE_USER}`,
        '--wal-method=stream',
        '--checkpoint=fast',
        '--no-sync',
        '--no-manifest',
      ]);
    } else {
      await copyDirectory(this.account, server.paths.dataDirectory, target);
      await removeRuntimeFiles(target);
    }
    return undefined;
  }

  async adoptCopy(copy: string, server: ServerLocation): Promise<void> {
    await copyDirectory(this.account, copy, server.paths.dataDirectory);
    await removeRuntimeFiles(server.paths.dataDirectory);
  }

  /**
   * Archive recovery: WAL comes from the source's archive, else from its pg_wal (the segment being written is
   * never archived yet). Recovery stops before the first commit after `until` and promotes. It can only tell
   * that it passed `until` from a later commit, so a running source first writes one (`markCommit`); a stopped
   * source wrote one when it stopped, and past its stop time everything is replayed (no target).
   */
  async startRecovered(source: RecoverySource, _backup: BaseBackup, target: ServerLocation, until?: Date) {
    if (source.running && until !== undefined) await this.markCommit(source.server);
    await this.account.writeFile(path.join(target.paths.dataDirectory, 'recovery.signal'), '');
    const archive = shellQuote(source.server.paths.changeLogDirectory);
    const sourceWal = shellQuote(path.join(source.server.paths.dataDirectory, 'pg_wal'));
    return this.startWith(target, {
      restore_command: `cp ${archive}/%f %p 2>/dev/null || cp ${sourceWal}/%f %p 2>/dev/null`,
      ...(until === undefined
        ? {}
        : { recovery_target_time: postgresTimestamp(until), recovery_target_action: 'promote' }),
    });
  }

  /**
   * Commits a transaction that writes to the WAL, so that its commit record (with its time) is on disk when the
   * commit returns. A transaction that only takes an id (txid_current()) commits asynchronously, leaving its
   * record to the WAL writer, where a restore copying pg_wal right away would miss it.
   */
  private async markCommit(server: ServerLocation): Promise<void> {
    await this.withClient(server, (client) =>
      client.query(`SELECT pg_logical_emit_message(true, 'dbrefresh', 'restore point')`),
    );
  }

  private async withClient<T>(server: ServerLocation, use: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({
      host: socketDirectory(server.paths.directory),
      port: server.port,
      user: MAINTENANCE_USER,
      database: 'postgres',
    });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  }
}

/** `2024-05-01 03:00:00.123+00`: recovery_target_time rejects the ISO 8601 `T` and `Z` forms. */
function postgresTimestamp(time: Date): string {
  return `${time.toISOString().slice(0, 23).replace('T', ' ')}+00`;
}

async function removeRuntimeFiles(dataDirectory: string): Promise<void> {
  await Promise.all(RUNTIME_FILES.map((file) => rm(path.join(dataDirectory, file), { force: true })));
}

/**
 * Runs `prefix` followed by a SCRAM verifier as a literal: never the password, which the server log (a failing or
 * logged statement) or pg_stat_statements would keep. PostgreSQL logs the text of a failing statement, so the
 * session stops that first, as a verifier is still worth keeping out of logs; the error thrown names the role,
 * never the statement.
 */
async function secretStatement(
  client: Client,
  user: string,
  prefix: string,
  verifier: string,
): Promise<void> {
  await client.query('SET log_min_error_statement = panic');
  try {
    await client.query(`${prefix}${client.escapeLiteral(verifier)}`);
  } catch (error: unknown) {
    const { code, message } = error as { code?: string; message?: string };
    // A syntax error quotes the statement near the error, which could be the password.
    const reason = code === '42601' ? `syntax error (${code})` : `${code}: ${message}`;
    throw new LocalEngineError(`${prefix.split(' ').slice(0, 2).join(' ')} for "${user}" failed: ${reason}`);
  }
}
