import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { Client } from 'pg';
import {
  findEngines,
  findMariadb,
  findPostgres,
  type LocalEngine,
  localEngineFor,
} from '../../../local/engines/binaries';
import { EngineManager, type ServerStatus } from '../../../local/engines/engine-manager';
import {
  EngineCommandError,
  EngineNotInstalledError,
  InvalidEngineInputError,
  RestoreWindowError,
  ServerExistsError,
  ServerNotFoundError,
} from '../../../local/engines/errors';

jest.setTimeout(90_000);

const FIRST_PASSWORD = 'first-Pa55word';
const SECOND_PASSWORD = "second-Pa55'word";
const WRONG_PASSWORD: Readonly<Record<LocalEngine, RegExp>> = {
  mariadb: /Access denied/,
  postgres: /password authentication failed/,
};

/** A session as the admin user over TCP, like an application connecting to the DB instance's endpoint. */
interface Session {
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** The CA every session trusts: the engines root's, so every server must serve TLS with a certificate of it. */
let trustedCa: string;

async function connect(server: ServerStatus, password: string, ca = trustedCa): Promise<Session> {
  const settings = {
    host: server.host,
    port: server.port,
    user: server.adminUser,
    password,
    database: server.databaseName,
  };
  if (server.engine === 'mariadb') {
    const connection = await mysql.createConnection({
      ...settings,
      ssl: { ca, rejectUnauthorized: true, verifyIdentity: true },
    });
    return {
      query: async (sql) => (await connection.query<mysql.RowDataPacket[]>(sql))[0],
      close: () => connection.end(),
    };
  }
  const client = new Client({ ...settings, ssl: { ca, rejectUnauthorized: true } });
  await client.connect();
  return { query: async (sql) => (await client.query(sql)).rows, close: () => client.end() };
}

async function withSession<T>(server: ServerStatus, password: string, use: (session: Session) => Promise<T>) {
  const session = await connect(server, password);
  try {
    return await use(session);
  } finally {
    await session.close();
  }
}

async function insert(server: ServerStatus, password: string, ...labels: string[]): Promise<void> {
  const values = labels.map((label) => `('${label}')`).join(', ');
  await withSession(server, password, (session) =>
    session.query(`INSERT INTO items (label) VALUES ${values}`),
  );
}

async function labels(server: ServerStatus, password: string): Promise<string[]> {
  const rows = await withSession(server, password, (session) =>
    session.query('SELECT label FROM items ORDER BY label'),
  );
  return rows.map((row) => String(row.label));
}

function serverPaths(root: string, id: string) {
  const directory = path.join(root, 'servers', id);
  return { changeLogDirectory: path.join(directory, 'changes'), logFile: path.join(directory, 'server.log') };
}

/** The server's binary logs as mariadb-binlog prints them (statements, and row events decoded). */
async function decodedBinlogs(changeLogDirectory: string): Promise<string> {
  const files = (await readdir(changeLogDirectory)).filter((file) => /\.\d+$/.test(file));
  const { stdout } = await promisify(execFile)(
    findMariadb().binlog,
    ['--no-defaults', '--verbose', ...files.map((file) => path.join(changeLogDirectory, file))],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

/** Runs one manager method in a separate Node.js process, as the CLI or the local RDS endpoint would. */
async function inAnotherProcess(root: string, method: 'stop' | 'start', id: string): Promise<ServerStatus> {
  const script = path.join(root, 'manage.ts');
  const managerModule = path.resolve(__dirname, '../../../local/engines/engine-manager');
  await writeFile(
    script,
    `import { EngineManager } from ${JSON.stringify(managerModule)};\n` +
      'const [root, method, id] = process.argv.slice(2);\n' +
      'new EngineManager({ root })[method as "stop" | "start"](id).then((status) => console.log(JSON.stringify(status)));\n',
  );
  const { stdout } = await promisify(execFile)(process.execPath, [
    require.resolve('tsx/cli'),
    script,
    root,
    method,
    id,
  ]);
  return JSON.parse(stdout) as ServerStatus;
}

describe('findEngines', () => {
  it('finds the MariaDB and PostgreSQL programs', () => {
    const engines = findEngines();

    expect(engines.mariadb.backup).toMatch(/mariadb-backup|mariabackup/);
    expect(engines.postgres.basebackup).toMatch(/pg_basebackup$/);
  });

  it('fails when an engine is missing, naming the apt packages to install', () => {
    expect(() => findMariadb(['/nonexistent'])).toThrow(EngineNotInstalledError);
    expect(() => findMariadb(['/nonexistent'])).toThrow(
      /apt-get install -y mariadb-server mariadb-client mariadb-backup/,
    );
    expect(() => findPostgres(['/nonexistent'])).toThrow(/apt-get install -y postgresql/);
  });
});

describe('localEngineFor', () => {
  it('plays the MySQL family with MariaDB and the PostgreSQL family with PostgreSQL', () => {
    expect(['mysql', 'mariadb', 'aurora-mysql'].map(localEngineFor)).toEqual([
      'mariadb',
      'mariadb',
      'mariadb',
    ]);
    expect(['postgres', 'aurora-postgresql'].map(localEngineFor)).toEqual(['postgres', 'postgres']);
  });

  it('rejects engines local mode cannot play', () => {
    expect(() => localEngineFor('oracle-ee')).toThrow(InvalidEngineInputError);
  });
});

describe('EngineManager', () => {
  let root: string;
  let manager: EngineManager;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'dbrefresh-engines-'));
    manager = new EngineManager({ root });
    await manager.certificateAuthority.ensure();
    trustedCa = await readFile(manager.certificateAuthority.certificateFile, 'utf8');
  });

  afterAll(async () => {
    const cleanup = new EngineManager({ root });
    await Promise.all((await cleanup.listServers()).map((server) => cleanup.remove(server.id)));
    await rm(root, { recursive: true, force: true });
  });

  it('rejects the reserved maintenance user as admin user', async () => {
    const port = await manager.unusedPort();

    await expect(
      manager.createServer({
        id: 'reserved',
        engine: 'mariadb',
        port,
        adminUser: 'rdsadmin',
        adminPassword: 'x',
      }),
    ).rejects.toThrow(InvalidEngineInputError);
  });

  describe.each<LocalEngine>(['mariadb', 'postgres'])('with %s', (engine) => {
    const sourceId = `${engine}-source`;
    let source: ServerStatus;
    let password = FIRST_PASSWORD;

    beforeAll(async () => {
      source = await manager.createServer({
        id: sourceId,
        engine,
        port: await manager.unusedPort(),
        adminUser: 'app_admin',
        adminPassword: FIRST_PASSWORD,
        databaseName: 'app',
      });
      await withSession(source, password, (session) =>
        session.query('CREATE TABLE items (label VARCHAR(40) PRIMARY KEY)'),
      );
      await insert(source, password, 'initial-1', 'initial-2');
    });

    it('creates a running server whose admin user reaches its database over TCP', async () => {
      const status = await manager.status(sourceId);

      expect(status).toMatchObject({ engine, state: 'running', host: '127.0.0.1', adminUser: 'app_admin' });
      expect(await labels(source, password)).toEqual(['initial-1', 'initial-2']);
      expect(await manager.earliestRestorableTime(sourceId)).toBeInstanceOf(Date);
    });

    it('changes the admin password: the old one is refused, the new one works', async () => {
      await manager.setAdminPassword(sourceId, SECOND_PASSWORD);
      password = SECOND_PASSWORD;

      await expect(connect(source, FIRST_PASSWORD)).rejects.toThrow(WRONG_PASSWORD[engine]);
      expect(await labels(source, SECOND_PASSWORD)).toEqual(['initial-1', 'initial-2']);
    });

    it('serves TLS with a certificate of the engines root CA, which a client trusting another CA refuses', async () => {
      // given
      const otherRoot = await mkdtemp(path.join(os.tmpdir(), 'dbrefresh-other-ca-'));
      const other = new EngineManager({ root: otherRoot });
      await other.certificateAuthority.ensure();
      const otherCa = await readFile(other.certificateAuthority.certificateFile, 'utf8');
      await rm(otherRoot, { recursive: true, force: true });

      // when
      const version = await withSession(source, password, (session) =>
        session.query(
          engine === 'mariadb'
            ? "SHOW SESSION STATUS LIKE 'Ssl_version'"
            : 'SELECT version AS "Value" FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
        ),
      );

      // then
      expect(version[0]?.Value).toMatch(/^TLSv1\.[23]$/);
      await expect(connect(source, password, otherCa)).rejects.toThrow(/certificate/);
    });

    it('keeps the admin password out of its logs: statements carry only its hash', async () => {
      // given: the server created the admin user and changed its password
      const { changeLogDirectory, logFile } = serverPaths(root, sourceId);

      // when
      const changeLogs = await Promise.all(
        (await readdir(changeLogDirectory)).map((file) => readFile(path.join(changeLogDirectory, file))),
      );
      const decoded =
        engine === 'mariadb' ? await decodedBinlogs(changeLogDirectory) : 'no binary log: WAL is read raw';

      // then
      for (const secret of [FIRST_PASSWORD, SECOND_PASSWORD]) {
        for (const bytes of [...changeLogs, await readFile(logFile)])
          expect(bytes.includes(secret)).toBe(false);
        expect(decoded).not.toContain(secret);
      }
      if (engine === 'mariadb')
        expect(decoded).toMatch(/ALTER USER .* IDENTIFIED BY PASSWORD '\*[0-9A-F]{40}'/);
    });

    it('restores a snapshot to an independent server with the same rows', async () => {
      const snapshot = await manager.snapshot(sourceId, `${engine}-snap`);
      await insert(source, password, 'after-snapshot');

      const restored = await manager.restoreSnapshot(snapshot.name, {
        id: `${engine}-from-snapshot`,
        port: await manager.unusedPort(),
      });
      await insert(restored, password, 'only-in-copy');

      expect(snapshot).toMatchObject({ sourceId, engine, adminUser: 'app_admin' });
      expect(restored.state).toBe('running');
      expect(await labels(restored, password)).toEqual(['initial-1', 'initial-2', 'only-in-copy']);
      expect(await labels(source, password)).toEqual(['after-snapshot', 'initial-1', 'initial-2']);
    });

    it('fails when the snapshot target id exists, leaving that server alone', async () => {
      await expect(
        manager.restoreSnapshot(`${engine}-snap`, { id: sourceId, port: await manager.unusedPort() }),
      ).rejects.toThrow(ServerExistsError);
      expect((await manager.status(sourceId)).state).toBe('running');
    });

    it('restores to a point in time: rows committed before it are present, later ones absent', async () => {
      await insert(source, password, 'pitr-a');
      await sleep(1100);
      const time = new Date();
      await sleep(1100);
      await insert(source, password, 'pitr-b');

      const restored = await manager.restoreToTime(sourceId, time, {
        id: `${engine}-point-in-time`,
        port: await manager.unusedPort(),
      });

      const rows = await labels(restored, password);
      expect(rows).toContain('pitr-a');
      expect(rows).not.toContain('pitr-b');
      expect(rows).toContain('after-snapshot');
    });

    it('restores to a point in time of a stopped source, up to its stop', async () => {
      await insert(source, password, 'stopped-a');
      await sleep(1100);
      const time = new Date();
      await sleep(1100);
      await insert(source, password, 'stopped-b');
      await manager.stop(sourceId);

      const beforeB = await manager.restoreToTime(sourceId, time, {
        id: `${engine}-stopped-time`,
        port: await manager.unusedPort(),
      });
      const latest = await manager.restoreToTime(sourceId, await manager.latestRestorableTime(sourceId), {
        id: `${engine}-stopped-latest`,
        port: await manager.unusedPort(),
      });
      await manager.start(sourceId);

      expect(await labels(beforeB, password)).toContain('stopped-a');
      expect(await labels(beforeB, password)).not.toContain('stopped-b');
      expect(await labels(latest, password)).toContain('stopped-b');
    });

    it('rejects a restore time outside the restorable window', async () => {
      const beforeCreation = new Date(source.createdAt.getTime() - 60_000);

      await expect(
        manager.restoreToTime(sourceId, beforeCreation, {
          id: `${engine}-too-early`,
          port: await manager.unusedPort(),
        }),
      ).rejects.toThrow(RestoreWindowError);
    });

    it('clones to an independent server', async () => {
      const clone = await manager.clone(sourceId, {
        id: `${engine}-clone`,
        port: await manager.unusedPort(),
      });
      await insert(clone, password, 'only-in-clone');
      await insert(source, password, 'after-clone');

      expect(await labels(clone, password)).toContain('stopped-b');
      expect(await labels(clone, password)).toContain('only-in-clone');
      expect(await labels(clone, password)).not.toContain('after-clone');
      expect(await labels(source, password)).not.toContain('only-in-clone');
    });

    it('lets another process and a new manager stop and start servers created by this one', async () => {
      const stopped = await inAnotherProcess(root, 'stop', sourceId);
      const seenStopped = await manager.status(sourceId);
      const restarted = await new EngineManager({ root }).start(sourceId);

      expect(stopped.state).toBe('stopped');
      expect(seenStopped.state).toBe('stopped');
      expect(restarted.state).toBe('running');
      expect(await labels(source, password)).toContain('after-clone');
    });

    it('fails when the port is taken, leaving nothing behind', async () => {
      const input = {
        id: `${engine}-port-clash`,
        engine,
        port: source.port,
        adminUser: 'a',
        adminPassword: 'p',
      };

      await expect(manager.createServer(input)).rejects.toThrow(EngineCommandError);
      await expect(manager.status(input.id)).rejects.toThrow(ServerNotFoundError);
    });

    it('removes a server with its data', async () => {
      await manager.remove(`${engine}-clone`);

      await expect(manager.status(`${engine}-clone`)).rejects.toThrow(ServerNotFoundError);
      expect((await manager.listServers()).map((server) => server.id)).not.toContain(`${engine}-clone`);
    });
  });
});
