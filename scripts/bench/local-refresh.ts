import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import mysql from 'mysql2/promise';
import { STEP_NAMES } from '../../lib/constructs/refresh-state-machine';
import { serverIdOf } from '../../local/endpoint/rds/identifiers';
import { ensureEngines } from '../../local/ensure-engines';
import { type LocalAccount, type LocalAccountOptions, openLocalAccount } from '../../local/local-account';
import { runRefreshLocally } from '../../local/runner/run-refresh';
import {
  type LocalClients,
  localClients,
  type SeededDatabase,
  seedDatabase,
} from '../../local/seed/seed-database';

const ROOT = join(__dirname, '..', '..');

/** The demo's wall time we accept: it is a newcomer's first look at the project. */
export const DEMO_LIMIT_SECONDS = 60;
/** What the demo seeds (scripts/demo.ts): the baseline seeds the same. */
const DEMO_SOURCE_CUSTOMERS = 2000;
const DEMO_TARGET_CUSTOMERS = 25;

/** The local refresh of a ~100 MB MariaDB database we accept, from start to SUCCEEDED. */
export const REFRESH_LIMIT_SECONDS = 15;
/** The data (tables and indexes) the refresh benchmark's source holds. */
export const REFRESH_TARGET_BYTES = 100 * 1024 * 1024;
/** Customers (with three orders each) that fill about REFRESH_TARGET_BYTES in MariaDB 10.11, measured. */
export const REFRESH_CUSTOMERS = 360_000;

/** One measurement with the baseline it is compared to, both taken in the same run. */
export interface Timed {
  readonly seconds: number;
  readonly limitSeconds: number;
  readonly baseline: { readonly name: string; readonly seconds: number };
  /** `seconds` divided by the baseline's. */
  readonly ratio: number;
}

export interface DemoReport extends Timed {
  readonly command: string;
  readonly problems: readonly string[];
  readonly pass: boolean;
}

export interface RefreshReport extends Timed {
  readonly dataBytes: number;
  readonly customers: number;
  readonly orders: number;
  /** How long seeding the source took (not measured against anything). */
  readonly seedSeconds: number;
  /** From the start of the run to its first task: synthesizing the stack and loading the handlers. */
  readonly startupSeconds: number;
  /** Seconds per task state (the Wait/Check loops of a step count towards the step). */
  readonly stepSeconds: Readonly<Record<string, number>>;
  readonly problems: readonly string[];
  readonly pass: boolean;
}

/**
 * `npm run -s demo` on a fresh local account, against the time the same seeding takes alone (opening a
 * fresh account and seeding the demo's source and target): the ratio is what the refresh and the demo's
 * own reporting add.
 */
export async function benchmarkDemo(progress: (line: string) => void): Promise<DemoReport> {
  ensureEngines(progress);
  progress(
    `baseline: a fresh account seeded like the demo (${DEMO_SOURCE_CUSTOMERS} + ${DEMO_TARGET_CUSTOMERS} customers)`,
  );
  const baselineSeconds = await timed(() =>
    withTemporaryAccount({ delayScale: 0.2 }, async (account) => {
      const clients = localClients(account.url, account.region, account.credentials);
      await seedPair(clients, DEMO_SOURCE_CUSTOMERS, 'shop');
    }),
  );
  const command = 'npm run -s demo';
  progress(`measuring ${command}`);
  const problems: string[] = [];
  const seconds = await timed(async () => {
    const result = await runCommand('npm', ['run', '-s', 'demo']);
    if (result.code !== 0) {
      problems.push(
        `${command} exited with ${result.code}: ${result.output.trim().split('\n').slice(-5).join(' | ')}`,
      );
    }
  });
  if (seconds > DEMO_LIMIT_SECONDS) {
    problems.push(`the demo took ${seconds.toFixed(1)} s, over the ${DEMO_LIMIT_SECONDS} s target`);
  }
  return {
    command,
    seconds,
    limitSeconds: DEMO_LIMIT_SECONDS,
    baseline: { name: 'seeding alone (fresh account, demo source and target)', seconds: baselineSeconds },
    ratio: seconds / baselineSeconds,
    problems,
    pass: problems.length === 0,
  };
}

/**
 * A local refresh (latest restorable time) of a ~100 MB MariaDB source into an existing target, through the
 * real state machine, against a snapshot and a restore of the same source through the EngineManager alone
 * (two physical copies and a server start: the engine work a refresh cannot avoid).
 *
 * The source gets an automated backup (a base backup) after it is seeded, as RDS takes one daily: the
 * restore then replays only the binary log written since, not the whole load.
 */
export async function benchmarkRefresh100mb(progress: (line: string) => void): Promise<RefreshReport> {
  ensureEngines(progress);
  return withTemporaryAccount({ delayScale: 0 }, async (account) => {
    const clients = localClients(account.url, account.region, account.credentials);
    progress(`seeding bench-prod with ${REFRESH_CUSTOMERS.toLocaleString('en')} customers and their orders`);
    let source: SeededDatabase | undefined;
    const seedSeconds = await timed(async () => {
      source = (await seedPair(clients, REFRESH_CUSTOMERS, 'bench')).source;
    });
    if (source === undefined) throw new Error('Seeding bench-prod returned nothing');
    const dataBytes = await dataSize(source);
    progress(`bench-prod holds ${megabytes(dataBytes)} of data (seeded in ${seedSeconds.toFixed(1)} s)`);
    const serverId = await serverOf(clients, source.id);
    await account.engines.takeBaseBackup(serverId);
    await sleep(1100); // the latest restorable time passes the last insert

    progress('baseline: snapshot and restore of bench-prod through the EngineManager');
    const baselineSeconds = await timed(async () => {
      await account.engines.snapshot(serverId, 'bench-baseline');
      await account.engines.restoreSnapshot('bench-baseline', {
        id: 'bench-baseline-copy',
        port: await account.engines.unusedPort(),
      });
    });
    await account.engines.remove('bench-baseline-copy');
    await account.engines.removeSnapshot('bench-baseline');

    progress('measuring the refresh of bench-dev from bench-prod (runRefreshLocally, start to SUCCEEDED)');
    const run = await measureRefresh(account);
    const problems: string[] = [];
    if (run.status !== 'SUCCEEDED') {
      problems.push(`the refresh ended ${run.status}: ${run.error} ${run.cause}`);
    } else {
      const copied = await customersIn(clients, 'bench-dev', '/development/bench/bench-dev');
      if (copied !== REFRESH_CUSTOMERS) {
        problems.push(
          `bench-dev holds ${copied} customers after the refresh, not the source's ${REFRESH_CUSTOMERS}`,
        );
      }
    }
    if (run.seconds > REFRESH_LIMIT_SECONDS) {
      problems.push(
        `the refresh took ${run.seconds.toFixed(1)} s, over the ${REFRESH_LIMIT_SECONDS} s target`,
      );
    }
    if (dataBytes < REFRESH_TARGET_BYTES * 0.9) {
      problems.push(`the source holds ${megabytes(dataBytes)}, short of ~${megabytes(REFRESH_TARGET_BYTES)}`);
    }
    return {
      seconds: run.seconds,
      limitSeconds: REFRESH_LIMIT_SECONDS,
      baseline: {
        name: 'EngineManager snapshot + restoreSnapshot of the same source',
        seconds: baselineSeconds,
      },
      ratio: run.seconds / baselineSeconds,
      dataBytes,
      customers: REFRESH_CUSTOMERS,
      orders: REFRESH_CUSTOMERS * 3,
      seedSeconds,
      startupSeconds: run.startupSeconds,
      stepSeconds: run.stepSeconds,
      problems,
      pass: problems.length === 0,
    };
  });
}

export function formatDemoReport(report: DemoReport): string {
  return [
    `demo: ${report.command} on a fresh local account`,
    `  wall time            ${report.seconds.toFixed(1)} s (target ≤ ${report.limitSeconds} s)`,
    `  baseline             ${report.baseline.seconds.toFixed(1)} s: ${report.baseline.name}`,
    `  ratio                ${report.ratio.toFixed(2)}× the baseline`,
    ...report.problems.map((problem) => `  MISSED: ${problem}`),
    `  ${report.pass ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

export function formatRefreshReport(report: RefreshReport): string {
  const steps = Object.entries(report.stepSeconds)
    .map(([step, seconds]) => `${step} ${seconds.toFixed(1)} s`)
    .join(', ');
  return [
    `refresh100mb: local refresh (latestpoint) of a ${megabytes(report.dataBytes)} MariaDB database`,
    `  source               ${report.customers.toLocaleString('en')} customers, ${report.orders.toLocaleString('en')} orders, ${megabytes(report.dataBytes)} (seeded in ${report.seedSeconds.toFixed(1)} s)`,
    `  refresh              ${report.seconds.toFixed(1)} s, start to SUCCEEDED (target ≤ ${report.limitSeconds} s)`,
    `    startup            ${report.startupSeconds.toFixed(1)} s (synthesize the stack, load the handlers)`,
    `    steps              ${steps}`,
    `  baseline             ${report.baseline.seconds.toFixed(1)} s: ${report.baseline.name}`,
    `  ratio                ${report.ratio.toFixed(2)}× the baseline`,
    ...report.problems.map((problem) => `  MISSED: ${problem}`),
    `  ${report.pass ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

interface MeasuredRun {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: string;
  readonly cause?: string;
  readonly seconds: number;
  readonly startupSeconds: number;
  readonly stepSeconds: Record<string, number>;
}

async function measureRefresh(account: LocalAccount): Promise<MeasuredRun> {
  const refreshFile = {
    application: 'bench',
    environment: 'development',
    service: 'rds',
    engine: 'mariadb',
    source: { instance: 'bench-prod' },
    target: { instance: 'bench-dev' },
    restore: { type: 'latestpoint' },
    adminPassword: { secretName: '/development/bench/bench-dev' },
  };
  const stepSeconds: Record<string, number> = {};
  let firstTaskAt: number | undefined;
  let current: { step: string; since: number } | undefined;
  const started = performance.now();
  const result = await runRefreshLocally(
    { refreshFile, requestedBy: 'npm run bench -- refresh100mb' },
    {
      ...account,
      functions: account.functions,
      executionName: `bench-${Date.now().toString(36)}`,
      waitMilliseconds: 100,
      onEvent: (event) => {
        if (event.type !== 'entered' || event.stateType !== 'Task') return;
        const now = performance.now();
        firstTaskAt ??= now;
        const step = stepOf(event.stateName);
        if (current?.step === step) return;
        if (current)
          stepSeconds[current.step] = (stepSeconds[current.step] ?? 0) + (now - current.since) / 1000;
        current = { step, since: now };
      },
    },
  );
  const finished = performance.now();
  if (current)
    stepSeconds[current.step] = (stepSeconds[current.step] ?? 0) + (finished - current.since) / 1000;
  return {
    status: result.status,
    error: result.error,
    cause: result.cause,
    seconds: (finished - started) / 1000,
    startupSeconds: ((firstTaskAt ?? finished) - started) / 1000,
    stepSeconds,
  };
}

/** The step a task state belongs to: "Check restore temporary copy" to "Restore temporary copy". */
function stepOf(stateName: string): string {
  const name = stateName.toLowerCase();
  return Object.values(STEP_NAMES).find((step) => name.endsWith(step.toLowerCase())) ?? stateName;
}

/**
 * A production-like `<name>-prod` and a refreshable `<name>-dev` with its secret `/development/<name>/<name>-dev`,
 * as the demo seeds them.
 */
async function seedPair(
  clients: LocalClients,
  sourceCustomers: number,
  name: string,
): Promise<{ source: SeededDatabase; target: SeededDatabase }> {
  const source = await seedDatabase(clients, {
    id: `${name}-prod`,
    engine: 'mariadb',
    databaseName: 'shop',
    customers: sourceCustomers,
    tags: { environment: 'production', application: name },
  });
  const target = await seedDatabase(clients, {
    id: `${name}-dev`,
    engine: 'mariadb',
    databaseName: 'shop',
    customers: DEMO_TARGET_CUSTOMERS,
    tags: { 'dbrefresh:refreshable': 'true', application: name },
    secretName: `/development/${name}/${name}-dev`,
  });
  return { source, target };
}

/** Bytes of tables and indexes in the seeded database, after fresh statistics. */
async function dataSize(database: SeededDatabase): Promise<number> {
  const connection = await mysql.createConnection({
    host: database.endpoint.host,
    port: database.endpoint.port,
    user: database.username,
    password: database.password,
    database: database.databaseName,
  });
  try {
    await connection.query('ANALYZE TABLE customers, orders');
    const [rows] = await connection.query<mysql.RowDataPacket[]>(
      'SELECT SUM(data_length + index_length) AS bytes FROM information_schema.tables WHERE table_schema = ?',
      [database.databaseName],
    );
    return Number(rows[0]?.bytes ?? 0);
  } finally {
    await connection.end();
  }
}

/** Customers in a DB instance, read with the admin credentials in its secret (as a developer would). */
async function customersIn(clients: LocalClients, id: string, secretName: string): Promise<number> {
  const instance = (await clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })))
    .DBInstances?.[0];
  const secret = await clients.secrets.send(new GetSecretValueCommand({ SecretId: secretName }));
  const { username, password } = JSON.parse(secret.SecretString ?? '{}') as {
    username: string;
    password: string;
  };
  const connection = await mysql.createConnection({
    host: instance?.Endpoint?.Address,
    port: instance?.Endpoint?.Port,
    user: username,
    password,
    database: 'shop',
  });
  try {
    const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM customers');
    return Number(rows[0]?.n ?? 0);
  } finally {
    await connection.end();
  }
}

/** The engine server playing a DB instance: its resource id in lower case. */
async function serverOf(clients: LocalClients, id: string): Promise<string> {
  const out = await clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  const resourceId = out.DBInstances?.[0]?.DbiResourceId;
  if (!resourceId) throw new Error(`DB instance ${id} has no DbiResourceId`);
  return serverIdOf(resourceId);
}

/** A fresh local account in a temporary directory, removed with its servers afterwards. */
async function withTemporaryAccount<T>(
  options: Omit<LocalAccountOptions, 'stateDir'>,
  use: (account: LocalAccount) => Promise<T>,
): Promise<T> {
  const stateDir = mkdtempSync(join(tmpdir(), 'dbrefresh-bench-'));
  try {
    const account = await openLocalAccount({ ...options, stateDir });
    try {
      return await use(account);
    } finally {
      await account.close();
      for (const server of await account.engines.listServers()) await account.engines.remove(server.id);
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function runCommand(command: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
