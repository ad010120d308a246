/**
 * The background process behind `dbrefresh local up`: it serves one local account (its AWS endpoint and
 * database servers) until SIGTERM, and announces itself in `<stateDir>/endpoint.json` once it answers.
 *
 * Run it through tsx, as the CLI does:
 * `node --require tsx/cjs local/daemon.ts --state-dir <dir> [--port <n>] [--refresh-files <dir>]`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { paginateDescribeDBClusters, paginateDescribeDBInstances, type RDSClient } from '@aws-sdk/client-rds';
import * as z from 'zod';
import { serverIdOf } from './endpoint/rds/identifiers';
import { type LocalAccount, openLocalAccount } from './local-account';
import { localClients } from './seed/seed-database';

/** What `<stateDir>/endpoint.json` holds while the daemon serves the account. */
export const EndpointRecordSchema = z.object({
  pid: z.number().int().positive(),
  port: z.number().int().min(1).max(65535),
  /** The value for AWS_ENDPOINT_URL. */
  url: z.string(),
  startedAt: z.iso.datetime(),
  /** The refresh files whose schedules the daemon fires (`dbrefresh local up --refresh-files`). */
  refreshFilesDir: z.string().optional(),
});
export type EndpointRecord = z.output<typeof EndpointRecordSchema>;

export const ENDPOINT_FILE = 'endpoint.json';
/** The daemon's stdout and stderr, appended to. */
export const DAEMON_LOG_FILE = 'daemon.log';

/** Statuses in which RDS has no server running for the resource. */
const STOPPED_STATUSES: ReadonlySet<string> = new Set(['stopped', 'stopping']);

export function endpointFile(stateDir: string): string {
  return path.join(stateDir, ENDPOINT_FILE);
}

/**
 * The endpoint record of `stateDir`, or undefined when there is none.
 * @throws Error naming the file when it holds something else than a record
 */
export function readEndpointRecord(stateDir: string): EndpointRecord | undefined {
  const file = endpointFile(stateDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error: unknown) {
    throw new Error(`${file} is not JSON (${String(error)}); delete it and run \`dbrefresh local up\``);
  }
  const parsed = EndpointRecordSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `${file} is not a valid endpoint record (${z.prettifyError(parsed.error)}); delete it and run \`dbrefresh local up\``,
    );
  }
  return parsed.data;
}

/** Writes through a temporary file and a rename, so a reader never sees half a record. */
function writeEndpointRecord(stateDir: string, record: EndpointRecord): void {
  const file = endpointFile(stateDir);
  const temporary = `${file}.${randomUUID()}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(temporary, file);
}

/** Removes the endpoint record if it still names this process (a newer daemon may have replaced it). */
function removeOwnRecord(stateDir: string): void {
  try {
    if (readEndpointRecord(stateDir)?.pid === process.pid) rmSync(endpointFile(stateDir), { force: true });
  } catch (error: unknown) {
    process.stderr.write(`Could not remove ${endpointFile(stateDir)}: ${String(error)}\n`);
  }
}

/**
 * Starts the database servers that the local RDS account shows as running: `dbrefresh local down` stopped
 * them without telling RDS, so an instance that was available is available again once `up` returns.
 * @returns the ids of the servers started
 */
export async function restartServers(account: LocalAccount, rds: RDSClient): Promise<string[]> {
  const wanted = new Set<string>();
  for await (const page of paginateDescribeDBInstances({ client: rds }, {})) {
    for (const instance of page.DBInstances ?? []) {
      if (instance.DbiResourceId && !STOPPED_STATUSES.has(instance.DBInstanceStatus ?? '')) {
        wanted.add(serverIdOf(instance.DbiResourceId));
      }
    }
  }
  for await (const page of paginateDescribeDBClusters({ client: rds }, {})) {
    for (const cluster of page.DBClusters ?? []) {
      if (cluster.DbClusterResourceId && !STOPPED_STATUSES.has(cluster.Status ?? '')) {
        wanted.add(serverIdOf(cluster.DbClusterResourceId));
      }
    }
  }
  const started: string[] = [];
  for (const server of await account.engines.listServers()) {
    if (server.state === 'stopped' && wanted.has(server.id)) {
      await account.engines.start(server.id);
      started.push(server.id);
    }
  }
  return started;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'state-dir': { type: 'string' },
      port: { type: 'string' },
      'refresh-files': { type: 'string' },
    },
    strict: true,
  });
  const stateDir = values['state-dir'];
  if (stateDir === undefined) throw new Error('--state-dir is required');
  const port = values.port === undefined ? undefined : Number(values.port);
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

  const refreshFilesDir =
    values['refresh-files'] === undefined ? undefined : path.resolve(values['refresh-files']);
  const account = await openLocalAccount({
    stateDir: path.resolve(stateDir),
    port,
    refreshFilesDir,
    onScheduleEvent: log,
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: closing the local endpoint (the database servers keep running)`);
    try {
      await account.close();
    } finally {
      removeOwnRecord(account.stateDir);
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const { rds } = localClients(account.url, account.region, account.credentials);
  const started = await restartServers(account, rds);
  rds.destroy();
  if (started.length > 0) log(`Started ${started.length} database server(s): ${started.join(', ')}`);

  const url = new URL(account.url);
  writeEndpointRecord(account.stateDir, {
    pid: process.pid,
    port: Number(url.port),
    url: account.url,
    startedAt: new Date().toISOString(),
    refreshFilesDir,
  });
  log(`Local AWS endpoint ${account.url} serving ${account.stateDir}`);
  if (refreshFilesDir !== undefined) {
    log(`${account.schedules.count} schedule(s) from the refresh files in ${refreshFilesDir}`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `${new Date().toISOString()} The local endpoint failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}
