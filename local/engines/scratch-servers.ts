import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConnectionSettings } from '../../lambdas/shared/sql/connect';
import type { SqlDialect } from '../../lambdas/shared/sql/split-statements';
import { EngineManager, type ServerStatus } from './engine-manager';
import { findFreePort } from './ports';

export interface ScratchServersOptions {
  /** Names the temporary directory (`dbrefresh-<name>-*`) and the servers (`<name>-mariadb`, `<name>-postgres`). */
  readonly name: string;
  /** The admin login of both servers. */
  readonly admin: { readonly user: string; readonly password: string };
  /** A database created on both servers, owned by or fully granted to the admin user. */
  readonly databaseName?: string;
}

/** A MariaDB and a PostgreSQL server in a temporary EngineManager root, for tests and benchmarks. */
export interface ScratchServers {
  readonly engines: EngineManager;
  /** The temporary directory holding the engines' root; files written here go away with the servers. */
  readonly directory: string;
  /** The MariaDB server under `mysql`, the PostgreSQL one under `postgres`. */
  readonly servers: Readonly<Record<SqlDialect, ServerStatus>>;
  /** How to log in to the server of `dialect` as the admin user, to `database` (none: no default database). */
  settings(dialect: SqlDialect, database?: string): ConnectionSettings;
  /** Removes every server of the root and the temporary directory. */
  close(): Promise<void>;
}

/**
 * Creates and starts one MariaDB and one PostgreSQL server in a fresh temporary directory. When either fails,
 * whatever was created is removed before the error is rethrown; otherwise the caller closes them.
 */
export async function openScratchServers(options: ScratchServersOptions): Promise<ScratchServers> {
  const directory = mkdtempSync(path.join(tmpdir(), `dbrefresh-${options.name}-`));
  // As root the engines run as the mysql and postgres accounts, which must be able to pass through.
  chmodSync(directory, 0o711);
  const engines = new EngineManager({ root: path.join(directory, 'engines') });
  const close = async () => {
    try {
      const all = await engines.listServers();
      await Promise.all(all.map((server) => engines.remove(server.id)));
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  };
  try {
    const mariadbPort = await findFreePort();
    const postgresPort = await findFreePort([mariadbPort]);
    const common = {
      adminUser: options.admin.user,
      adminPassword: options.admin.password,
      databaseName: options.databaseName,
    };
    const created = await Promise.allSettled([
      engines.createServer({
        id: `${options.name}-mariadb`,
        port: mariadbPort,
        engine: 'mariadb',
        ...common,
      }),
      engines.createServer({
        id: `${options.name}-postgres`,
        port: postgresPort,
        engine: 'postgres',
        ...common,
      }),
    ]);
    const [mysql, postgres] = created.map((outcome) => {
      if (outcome.status === 'rejected') throw outcome.reason;
      return outcome.value;
    }) as [ServerStatus, ServerStatus];
    const servers = { mysql, postgres };
    return {
      engines,
      directory,
      servers,
      settings: (dialect, database) => ({
        host: servers[dialect].host,
        port: servers[dialect].port,
        ...options.admin,
        database,
      }),
      close,
    };
  } catch (error: unknown) {
    await close();
    throw error;
  }
}
