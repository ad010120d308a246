import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DAEMON_LOG_FILE, type EndpointRecord, endpointFile, readEndpointRecord } from '../../local/daemon';
import { EngineManager } from '../../local/engines/engine-manager';
import { isAlive, logTail } from '../../local/engines/server-process';
import {
  CREDENTIALS_FILE,
  type LocalCredentials,
  readAdministratorCredentials,
} from '../../local/iam/identities';
import { DEFAULT_STATE_DIR, enginesRootFor } from '../../local/local-account';

/** A problem the user can fix; the CLI prints its message (no stack) and exits 1. */
export class LocalCommandError extends Error {
  override readonly name = 'LocalCommandError';
}

const DAEMON_ENTRY = path.join(__dirname, '..', '..', 'local', 'daemon.ts');
/** Opening the account and restarting its servers; generous for a cold disk. */
export const START_TIMEOUT_MS = 120_000;
/** Closing the endpoint waits for the engine work under way (a restore, a snapshot). */
export const STOP_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 100;

/** The daemon serving `stateDir`, or undefined when none is running (a stale record is ignored). */
export function runningEndpoint(stateDir: string): EndpointRecord | undefined {
  let record: EndpointRecord | undefined;
  try {
    record = readEndpointRecord(stateDir);
  } catch (error: unknown) {
    // A damaged or unreadable record: its message names the file and the fix.
    throw new LocalCommandError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  return record !== undefined && isDaemon(record.pid) ? record : undefined;
}

/**
 * The local administrator's credentials, which the CLI signs local-mode requests with: the key pair the account
 * keeps in `<stateDir>/credentials.json` (readable by its owner only).
 * @throws LocalCommandError naming the file and the fix when it is missing or damaged
 */
export function requireLocalCredentials(stateDir: string): LocalCredentials {
  let credentials: LocalCredentials | undefined;
  try {
    credentials = readAdministratorCredentials(stateDir);
  } catch (error: unknown) {
    throw new LocalCommandError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  if (credentials === undefined) {
    throw new LocalCommandError(
      `${path.join(stateDir, CREDENTIALS_FILE)} does not exist, so there is no local administrator key to sign with: ` +
        `\`dbrefresh local up${stateDirArgument(stateDir)}\` creates it (or pass the --state-dir of the running account)`,
    );
  }
  return credentials;
}

/** The running endpoint, or an error telling the user to start it. */
export function requireRunningEndpoint(stateDir: string): EndpointRecord {
  const record = runningEndpoint(stateDir);
  if (record === undefined) {
    throw new LocalCommandError(
      `The local endpoint of ${stateDir} is not running: start it with \`dbrefresh local up${stateDirArgument(stateDir)}\``,
    );
  }
  return record;
}

/**
 * Starts the daemon (local/daemon.ts through tsx) detached from this process, and waits until its endpoint
 * answers.
 * @throws LocalCommandError when the port is taken or the daemon exits or hangs while starting (quoting its log)
 */
export async function startEndpoint(
  stateDir: string,
  port: number | undefined,
  refreshFilesDir?: string,
): Promise<EndpointRecord> {
  if (port !== undefined) await checkPortFree(port);
  checkEnginesCanReach(stateDir);
  mkdirSync(stateDir, { recursive: true });
  rmSync(endpointFile(stateDir), { force: true });
  const logFile = path.join(stateDir, DAEMON_LOG_FILE);
  const log = openSync(logFile, 'a');
  const args = ['--require', require.resolve('tsx/cjs'), DAEMON_ENTRY, '--state-dir', stateDir];
  if (port !== undefined) args.push('--port', String(port));
  if (refreshFilesDir !== undefined) args.push('--refresh-files', checkedFolder(refreshFilesDir));
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  let exitCode: number | null | undefined;
  child.on('exit', (code, signal) => {
    exitCode = code ?? (signal ? -1 : null);
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new LocalCommandError(`Could not start ${process.execPath} ${args.join(' ')}`);

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exitCode !== undefined) {
      throw new LocalCommandError(
        `The local endpoint exited while starting (see ${logFile}):\n${await logTail(logFile)}`,
      );
    }
    const record = readEndpointRecord(stateDir);
    if (record?.pid === pid && (await answers(record.url))) return record;
    if (Date.now() > deadline) {
      throw new LocalCommandError(
        `The local endpoint (pid ${pid}) did not answer within ${START_TIMEOUT_MS / 1000} s; ` +
          `see ${logFile}, then \`dbrefresh local down${stateDirArgument(stateDir)}\` and try again`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/**
 * Stops the daemon with SIGTERM and waits for it to exit; removes a stale endpoint record.
 * @returns the pid stopped, or undefined when none was running
 */
export async function stopEndpoint(stateDir: string): Promise<number | undefined> {
  const record = runningEndpoint(stateDir);
  if (record === undefined) {
    rmSync(endpointFile(stateDir), { force: true });
    return undefined;
  }
  try {
    process.kill(record.pid, 'SIGTERM');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(record.pid)) {
    if (Date.now() > deadline) {
      throw new LocalCommandError(
        `The local endpoint (pid ${record.pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM; ` +
          `stop it with \`kill -9 ${record.pid}\` and run \`dbrefresh local down\` again`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
  rmSync(endpointFile(stateDir), { force: true });
  return record.pid;
}

/**
 * Stops every running database server of the account; their data stays.
 * @returns the ids of the servers stopped
 */
export async function stopServers(stateDir: string): Promise<string[]> {
  const engines = new EngineManager({ root: enginesRootFor(stateDir) });
  const running = (await engines.listServers()).filter((server) => server.state === 'running');
  await Promise.all(running.map((server) => engines.stop(server.id)));
  return running.map((server) => server.id);
}

/** Whether an HTTP server answers at `url` (any status: the endpoint rejects unsigned requests). */
export function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** ` --state-dir <dir>` when `stateDir` is not the default, for the commands the messages suggest. */
export function stateDirArgument(stateDir: string): string {
  return path.resolve(stateDir) === path.resolve(DEFAULT_STATE_DIR) ? '' : ` --state-dir ${stateDir}`;
}

/** A pid that is alive and, where /proc tells, runs the daemon (not a process that reused its pid). */
function isDaemon(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('daemon.ts');
  } catch {
    return true; // no procfs (macOS): trust the live pid
  }
}

async function checkPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new LocalCommandError(
              `Port ${port} is in use on 127.0.0.1: choose another with --port, or leave --port out to use a free one`,
            )
          : error,
      );
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/**
 * As root, the engines run as the "mysql" and "postgres" accounts, which must pass through every parent of
 * the state directory (a `mktemp -d` directory, for one, lets nobody else through).
 */
function checkEnginesCanReach(stateDir: string): void {
  if (process.getuid?.() !== 0) return;
  for (let directory = path.dirname(stateDir); ; directory = path.dirname(directory)) {
    const mode = statSync(directory, { throwIfNoEntry: false })?.mode;
    if (mode !== undefined && (mode & 0o001) === 0) {
      throw new LocalCommandError(
        `The database engines run as the "mysql" and "postgres" accounts, which cannot pass through ${directory} ` +
          `(mode ${(mode & 0o777).toString(8)}) to reach ${stateDir}: run \`chmod o+x ${directory}\` or choose another --state-dir`,
      );
    }
    if (directory === path.dirname(directory)) return;
  }
}

/** The absolute path of a folder the user named, or an error saying it is not one. */
function checkedFolder(folder: string): string {
  const resolved = path.resolve(folder);
  let isFolder: boolean;
  try {
    isFolder = statSync(resolved).isDirectory();
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    isFolder = false;
  }
  if (!isFolder) {
    throw new LocalCommandError(
      `--refresh-files ${folder}: ${resolved} is not a folder; name the folder of your refresh files`,
    );
  }
  return resolved;
}
