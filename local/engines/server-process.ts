import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EngineAccount } from './engine-account';
import { lastLines } from './engine-account';
import { EngineCommandError } from './errors';

/** Every local server listens on the loopback interface only. */
export const SERVER_HOST = '127.0.0.1';

/**
 * The engines' internal superuser, like RDS's own `rdsadmin`: it has no password and exists only on the
 * Unix socket (MariaDB `rdsadmin@localhost` with skip-name-resolve; PostgreSQL `local ... trust` in pg_hba),
 * whose directory only the engine's account can enter. The manager uses it for everything it does inside
 * a server, so it never needs (or stores) the admin password.
 */
export const MAINTENANCE_USER = 'rdsadmin';

const POLL_INTERVAL_MS = 50;
export const START_TIMEOUT_MS = 60_000;
export const STOP_TIMEOUT_MS = 60_000;

/**
 * The Unix socket directory of a server. Socket paths are limited to about 100 bytes, which a server
 * directory inside a project easily exceeds, so sockets live in a short per-server directory under the
 * system temporary directory.
 */
export function socketDirectory(serverDirectory: string): string {
  const hash = createHash('sha256').update(path.resolve(serverDirectory)).digest('hex').slice(0, 16);
  return path.join(socketRoot(), hash);
}

function socketRoot(): string {
  return path.join(os.tmpdir(), `dbrefresh-sockets-${process.getuid?.() ?? 'user'}`);
}

/** Creates the server's socket directory, enterable only by the engine's account. */
export async function makeSocketDirectory(account: EngineAccount, serverDirectory: string): Promise<string> {
  await mkdir(socketRoot(), { recursive: true, mode: 0o711 });
  const directory = socketDirectory(serverDirectory);
  await account.makeDirectory(directory);
  return directory;
}

/**
 * Whether a process runs (EPERM: it runs but belongs to someone else). A server started by an earlier process
 * belongs to init once that process exits, and some inits (containers, CI sandboxes) reap late: an exited
 * server stays a zombie for a while, which signal 0 still reaches, so Linux zombies count as gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false; // no procfs (macOS), or the process has just been reaped
  }
  // "<pid> (<command>) <state> ...": the command may contain spaces and parentheses.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
}

export interface ReadyWait {
  readonly pid: number;
  /** What is starting, for messages: `MariaDB server "app1-prod"`. */
  readonly what: string;
  readonly logFile: string;
  /** Resolves true once the server does what is needed (accepts connections, left recovery); may throw meanwhile. */
  readonly probe: () => Promise<boolean>;
  readonly timeoutMs?: number;
}

/**
 * Waits until `probe` succeeds.
 * @throws EngineCommandError quoting the server log when the process exits first or the wait times out
 */
export async function waitUntilReady(wait: ReadyWait): Promise<void> {
  const deadline = Date.now() + (wait.timeoutMs ?? START_TIMEOUT_MS);
  for (;;) {
    if (!isAlive(wait.pid)) {
      throw new EngineCommandError(`${wait.what} exited while starting:\n${await logTail(wait.logFile)}`);
    }
    try {
      if (await wait.probe()) return;
    } catch {
      // not accepting connections yet
    }
    if (Date.now() > deadline) {
      throw new EngineCommandError(
        `${wait.what} (pid ${wait.pid}) was not ready after ${wait.timeoutMs ?? START_TIMEOUT_MS} ms:\n` +
          (await logTail(wait.logFile)),
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/**
 * Sends `signal` (the engine's clean-shutdown signal) and waits for the process to exit.
 * @throws EngineCommandError when it is still running after the timeout
 */
export async function stopProcess(pid: number, signal: NodeJS.Signals, what: string): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return;
    throw error;
  }
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      throw new EngineCommandError(
        `${what} (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS} ms of ${signal}`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/** The end of a server log, for error messages. */
export async function logTail(logFile: string, bytes = 8192): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(logFile, 'r');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '(no server log)';
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return lastLines(buffer.toString('utf8'));
  } finally {
    await handle.close();
  }
}

/** Quotes a value for the POSIX shell that runs PostgreSQL's archive and restore commands. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
