import * as path from 'node:path';
import { EngineNotInstalledError, LocalEngineError } from '../../local/engines/errors';
import { ensureEngines } from '../../local/ensure-engines';
import { CREDENTIALS_FILE } from '../../local/iam/identities';
import { DEFAULT_STATE_DIR, LOCAL_REGION, removeLocalAccountFiles } from '../../local/local-account';
import {
  LocalCommandError,
  runningEndpoint,
  startEndpoint,
  stateDirArgument,
  stopEndpoint,
  stopServers,
} from './local-endpoint';
import { formatSeed, type SeedOptions, seedLocalAccount } from './local-seed';
import { formatStatus, localStatus, statusAsJson } from './local-status';
import type { Output } from './main';

/** Options every `dbrefresh local` command takes. */
export interface StateDirOption {
  /** @default DEFAULT_STATE_DIR */
  readonly stateDir?: string;
}

/**
 * Runs one `dbrefresh local` action and resolves to its exit code. Problems the user can fix (a port in use,
 * the endpoint not running, engines not installed) are printed as one `error:` line and exit 1.
 */
export async function runLocalAction(
  action: (output: Output) => Promise<number>,
  output: Output,
): Promise<number> {
  try {
    return await action(output);
  } catch (error: unknown) {
    if (!(error instanceof LocalCommandError || error instanceof LocalEngineError)) throw error;
    output.err(`error: ${error.message}\n`);
    return 1;
  }
}

/** `dbrefresh local up`: starts the daemon unless it runs, and prints its URL. */
export async function localUp(
  options: StateDirOption & { port?: number; refreshFiles?: string; json?: boolean },
  output: Output,
): Promise<number> {
  const stateDir = resolveStateDir(options);
  const running = runningEndpoint(stateDir);
  if (running !== undefined) {
    if (options.json) {
      output.out(`${JSON.stringify({ ...running, stateDir, alreadyRunning: true }, null, 2)}\n`);
      return 0;
    }
    const portNote =
      options.port !== undefined && options.port !== running.port
        ? ` (not on port ${options.port}: run \`dbrefresh local down\` first to change the port)`
        : '';
    const refreshFiles = options.refreshFiles === undefined ? undefined : path.resolve(options.refreshFiles);
    const schedulesNote =
      refreshFiles !== undefined && refreshFiles !== running.refreshFilesDir
        ? ` (not with the schedules of ${refreshFiles}: run \`dbrefresh local down\` first to change them)`
        : '';
    output.out(
      `The local endpoint is already up at ${running.url} (pid ${running.pid})${portNote}${schedulesNote}\n` +
        `export AWS_ENDPOINT_URL=${running.url}\n`,
    );
    return 0;
  }
  try {
    ensureEngines((line) => output.err(`${line}\n`));
  } catch (error: unknown) {
    if (error instanceof EngineNotInstalledError) throw new LocalCommandError(error.message);
    throw error;
  }
  const record = await startEndpoint(stateDir, options.port, options.refreshFiles);
  if (options.json) {
    output.out(`${JSON.stringify({ ...record, stateDir, alreadyRunning: false }, null, 2)}\n`);
    return 0;
  }
  output.out(
    `Local AWS endpoint up at ${record.url} (pid ${record.pid}, state in ${stateDir})\n` +
      `Point the AWS CLI and SDKs at it (region ${LOCAL_REGION}), signing with the local administrator's key in ` +
      `${path.join(stateDir, CREDENTIALS_FILE)} (readable by you only; the endpoint refuses any other):\n` +
      `export AWS_ENDPOINT_URL=${record.url}\n` +
      (record.refreshFilesDir === undefined
        ? ''
        : `Firing the schedules of ${record.refreshFilesDir} while up; list them with \`dbrefresh schedules --local\`\n`),
  );
  return 0;
}

/** `dbrefresh local down`: stops the daemon and every database server, keeping their data. */
export async function localDown(options: StateDirOption, output: Output): Promise<number> {
  const stateDir = resolveStateDir(options);
  const stopped = await takeDown(stateDir);
  output.out(
    stopped === undefined
      ? `The local account in ${stateDir} is already down.\n`
      : `Stopped ${stopped}; the data stays in ${stateDir}.\n`,
  );
  return 0;
}

/** `dbrefresh local status`. */
export async function localStatusAction(
  options: StateDirOption & { json?: boolean },
  output: Output,
): Promise<number> {
  const status = await localStatus(resolveStateDir(options));
  output.out(`${options.json ? statusAsJson(status) : formatStatus(status)}\n`);
  return 0;
}

/** `dbrefresh local reset`: down, then deletes the state directory; refuses without `--yes`. */
export async function localReset(
  options: StateDirOption & { yes?: boolean },
  output: Output,
): Promise<number> {
  const stateDir = resolveStateDir(options);
  if (!options.yes) {
    output.err(
      `This deletes ${stateDir}: every local database, snapshot, secret, history record and notification.\n` +
        `Run \`dbrefresh local reset --yes${stateDirArgument(stateDir)}\` to confirm.\n`,
    );
    return 1;
  }
  const stopped = await takeDown(stateDir);
  removeLocalAccountFiles(stateDir);
  output.out(`${stopped === undefined ? '' : `Stopped ${stopped}. `}Deleted ${stateDir}.\n`);
  return 0;
}

/** `dbrefresh local seed`. */
export async function localSeed(
  options: StateDirOption & SeedOptions & { json?: boolean },
  output: Output,
): Promise<number> {
  const { engine, customers, source, target } = options;
  if (!options.json) output.err(`Seeding ${source} and ${target} (${engine})...\n`);
  const result = await seedLocalAccount(resolveStateDir(options), { engine, customers, source, target });
  output.out(`${options.json ? JSON.stringify(result, null, 2) : formatSeed(result)}\n`);
  return 0;
}

function resolveStateDir(options: StateDirOption): string {
  return path.resolve(options.stateDir ?? DEFAULT_STATE_DIR);
}

/**
 * Stops the endpoint and the database servers.
 * @returns what it stopped ("the local endpoint (pid 12) and 2 database servers"), or undefined for nothing
 */
async function takeDown(stateDir: string): Promise<string | undefined> {
  const pid = await stopEndpoint(stateDir);
  const servers = await stopServers(stateDir);
  const stopped = [
    pid === undefined ? undefined : `the local endpoint (pid ${pid})`,
    servers.length === 0 ? undefined : `${servers.length} database server${servers.length === 1 ? '' : 's'}`,
  ].filter((part) => part !== undefined);
  return stopped.length === 0 ? undefined : stopped.join(' and ');
}
