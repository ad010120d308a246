import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { ConnectionSettings } from '../../lambdas/shared/sql/connect';
import type { SqlDialect } from '../../lambdas/shared/sql/split-statements';

/** How the official command-line client ended: its exit code and what it wrote to stderr. */
export interface ClientRun {
  readonly exitCode: number;
  readonly stderr: string;
}

/** A client command line: the program, its arguments, the environment it adds and the file fed to its stdin. */
export interface ClientInvocation {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly stdinFile?: string;
}

/**
 * The command a developer would type to run script `file` with the official client of `dialect`:
 * `mariadb --batch ... < file` or `psql -X -q -v ON_ERROR_STOP=1 ... -f file`.
 *
 * Both connect over TCP to `settings.host` and `settings.port` with the password in the environment
 * (MYSQL_PWD, PGPASSWORD), as our executor does, and run in autocommit mode, their default. psql needs
 * `settings.database`; the mariadb client runs without a default database when it is missing.
 */
export function clientInvocation(
  dialect: SqlDialect,
  settings: ConnectionSettings,
  file: string,
): ClientInvocation {
  const { host, port, user, password, database } = settings;
  if (dialect === 'mysql') {
    return {
      command: 'mariadb',
      args: [
        '--batch',
        '-h',
        host,
        '-P',
        String(port),
        '-u',
        user,
        ...(database === undefined ? [] : [database]),
      ],
      env: { MYSQL_PWD: password },
      stdinFile: file,
    };
  }
  if (database === undefined) throw new Error(`psql needs a database to connect to on ${host}:${port}`);
  return {
    command: 'psql',
    args: [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      host,
      '-p',
      String(port),
      '-U',
      user,
      '-d',
      database,
      '-f',
      file,
    ],
    env: { PGPASSWORD: password },
  };
}

/** Runs script `file` through the official client (see clientInvocation), discarding what it prints on stdout. */
export function runClient(
  dialect: SqlDialect,
  settings: ConnectionSettings,
  file: string,
): Promise<ClientRun> {
  const { command, args, env, stdinFile } = clientInvocation(dialect, settings, file);
  let input: number | 'ignore' = stdinFile === undefined ? 'ignore' : openSync(stdinFile, 'r');
  // 'error' and 'close' can both be emitted: the descriptor is closed once.
  const closeInput = () => {
    if (typeof input === 'number') closeSync(input);
    input = 'ignore';
  };
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: [input, 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (error) => {
      closeInput();
      reject(error);
    });
    child.on('close', (code) => {
      closeInput();
      resolve({ exitCode: code ?? -1, stderr });
    });
  });
}
