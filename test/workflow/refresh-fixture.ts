import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeDBInstancesCommand,
  ListTagsForResourceCommand,
  paginateDescribeDBInstances,
} from '@aws-sdk/client-rds';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import mysql from 'mysql2/promise';
import { ROTATION_FUNCTION_TAG } from '../../lambdas/shared/aws/secrets';
import { HOOK_TAG } from '../../lib/constructs/refresh-permissions';
import { type FaultConfig, FaultConfigSchema } from '../../local/endpoint/faults';
import type { TerminalStatusHook } from '../../local/endpoint/rds/dependencies';
import { type OutboxMessage, readOutbox } from '../../local/endpoint/services/sns';
import { type LocalAccount, openLocalAccount } from '../../local/local-account';
import { type LocalRunResult, type RunEvent, runRefreshLocally } from '../../local/runner/run-refresh';
import {
  type LocalClients,
  localClients,
  type SeedDatabase,
  type SeededDatabase,
  seedDatabase,
} from '../../local/seed/seed-database';

/** How a test registers a hook function: tagged as the stack's IAM policy requires to invoke it. */
export const HOOK_SETTINGS = { tags: { [HOOK_TAG.Key]: HOOK_TAG.Value } };

/**
 * Makes the rotation function a secret names exist locally, tagged as the stack's IAM policy requires for
 * dbrefresh to start a rotation that invokes it. The local Secrets Manager rotates the secret itself.
 */
export function registerRotationFunction(test: TestAccount, functionArn: string): void {
  test.account.lambda.register(functionArn, () => null, {
    tags: { [ROTATION_FUNCTION_TAG.Key]: ROTATION_FUNCTION_TAG.Value },
  });
}

/** A local account in a temporary directory, with the clients a test uses to look at it. */
export interface TestAccount {
  readonly account: LocalAccount;
  readonly clients: LocalClients;
  readonly history: DynamoDBDocumentClient;
  refresh(refreshFile: unknown, executionName: string, options?: RefreshOptions): Promise<LocalRunResult>;
  seed(seed: SeedDatabase): Promise<SeededDatabase>;
  upload(bucket: string, key: string, body: string): Promise<void>;
  instanceIds(): Promise<string[]>;
  endpointOf(id: string): Promise<{ host: string; port: number }>;
  tags(id: string): Promise<Record<string, string>>;
  secretCredentials(secretName: string): Promise<{ username: string; password: string }>;
  historyOf(target: string): Promise<Record<string, unknown>[]>;
  lockOf(target: string): Promise<Record<string, unknown> | undefined>;
  notifications(): ReturnType<typeof readOutbox>;
  /** Replaces the endpoint's faults at once (synchronously, so an `onEvent` callback can arm them); `{}` clears them. */
  setFaults(config: FaultConfig): void;
  /**
   * Runs a refresh and arms `fault` when the run reaches its state; clears the faults when the run ends.
   * Returns the outcome, every step the run took, and the notifications it sent.
   */
  refreshWithFault(
    refreshFile: unknown,
    executionName: string,
    fault?: ArmedFault,
    onEvent?: (event: RunEvent) => void,
  ): Promise<ObservedRun>;
  /** The history record of one execution of a refresh of `target`, if it wrote one. */
  recordOf(target: string, executionName: string): Promise<Record<string, unknown> | undefined>;
  /** Runs `sql` on a target as its applications would: at its endpoint, with the credentials of its secret. */
  queryTarget(
    target: string,
    secretName: string,
    database: string,
    sql: string,
  ): Promise<Record<string, unknown>[]>;
  /** Leaves a row only this database has (table `refresh_marker`), to tell later whether a target still serves it. */
  markTarget(target: string, secretName: string, database: string, label: string): Promise<void>;
  /** What a target serves, as its applications see it through its secret: server, password, customers, markers. */
  served(target: string, secretName: string, database: string): Promise<ServedData>;
  close(): Promise<void>;
}

export interface ServedData {
  readonly endpoint: { host: string; port: number };
  readonly password: string;
  readonly customers: number;
  /** The labels markTarget left, in order; none when the database has no marker table. */
  readonly markers: string[];
}

export interface RefreshOptions {
  /** Told about every step of the run as it happens (to arm a fault when a step starts, say). */
  readonly onEvent?: (event: RunEvent) => void;
  /** The time each invocation of a state's function gets, by state name (LocalRunOptions.taskTimeoutSeconds). */
  readonly taskTimeoutSeconds?: Readonly<Record<string, number>>;
}

/** Faults that take effect when a run reaches `state` (is `entered` unless `on` says otherwise). */
export interface ArmedFault {
  readonly state: string;
  readonly on?: RunEvent['type'];
  readonly faults: FaultConfig;
}

/** A finished run as a test sees it. */
export interface ObservedRun {
  readonly result: LocalRunResult;
  readonly events: readonly RunEvent[];
  /** The states the run entered, in order. */
  readonly entered: readonly string[];
  readonly notifications: readonly OutboxMessage[];
}

export interface TestAccountOptions {
  /** The RDS emulator's fault hook: the status a change ends in instead of its outcome. */
  readonly terminalStatus?: TerminalStatusHook;
  /** Refresh files whose schedules the account fires (as `dbrefresh local up --refresh-files`). */
  readonly refreshFilesDir?: string;
}

export async function openTestAccount(options: TestAccountOptions = {}): Promise<TestAccount> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'dbrefresh-workflow-'));
  const account = await openLocalAccount({
    stateDir,
    delayScale: 0,
    terminalStatus: options.terminalStatus,
    refreshFilesDir: options.refreshFilesDir,
  });
  const clients = localClients(account.url, account.region, account.credentials);
  const history = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: account.url,
      region: account.region,
      credentials: account.credentials,
    }),
  );
  const test: TestAccount = {
    account,
    clients,
    history,
    refresh: (refreshFile, executionName, refreshOptions = {}) =>
      runRefreshLocally(
        { refreshFile, requestedBy: 'workflow test' },
        {
          ...account,
          functions: account.functions,
          executionName,
          waitMilliseconds: 100,
          onEvent: refreshOptions.onEvent,
          taskTimeoutSeconds: refreshOptions.taskTimeoutSeconds,
        },
      ),
    seed: (seed) => seedDatabase(clients, seed),
    upload: async (bucket, key, body) => {
      await account.s3.createBucket(bucket);
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    instanceIds: async () => {
      const ids: string[] = [];
      for await (const page of paginateDescribeDBInstances({ client: clients.rds }, {})) {
        for (const instance of page.DBInstances ?? []) ids.push(instance.DBInstanceIdentifier ?? '');
      }
      return ids.sort();
    },
    endpointOf: async (id) => {
      const out = await clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
      const endpoint = out.DBInstances?.[0]?.Endpoint;
      return { host: endpoint?.Address ?? '', port: endpoint?.Port ?? 0 };
    },
    tags: async (id) => {
      const arn = `arn:aws:rds:${account.region}:${account.account}:db:${id}`;
      const out = await clients.rds.send(new ListTagsForResourceCommand({ ResourceName: arn }));
      return Object.fromEntries((out.TagList ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    },
    secretCredentials: async (secretName) => {
      const out = await clients.secrets.send(new GetSecretValueCommand({ SecretId: secretName }));
      return JSON.parse(out.SecretString ?? '{}');
    },
    historyOf: async (target) => {
      const out = await history.send(
        new QueryCommand({
          TableName: account.historyTableName,
          KeyConditionExpression: '#t = :t',
          ExpressionAttributeNames: { '#t': 'target' },
          ExpressionAttributeValues: { ':t': target },
          ScanIndexForward: false,
        }),
      );
      return out.Items ?? [];
    },
    lockOf: async (target) => {
      const out = await history.send(
        new GetCommand({
          TableName: account.historyTableName,
          Key: { target: `lock#${target}`, runKey: 'lock' },
        }),
      );
      return out.Item;
    },
    notifications: () => readOutbox(stateDir),
    setFaults: (config) => {
      // Written whole and renamed into place: the endpoint reads the file on every request.
      const temporary = `${account.faultsFile}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(FaultConfigSchema.parse(config)));
      renameSync(temporary, account.faultsFile);
    },
    refreshWithFault: async (refreshFile, executionName, fault, observe) => {
      const sent = test.notifications().length;
      const events: RunEvent[] = [];
      const onEvent = (event: RunEvent) => {
        events.push(event);
        if (fault && event.stateName === fault.state && event.type === (fault.on ?? 'entered')) {
          test.setFaults(fault.faults);
        }
        observe?.(event);
      };
      try {
        const result = await test.refresh(refreshFile, executionName, { onEvent });
        return {
          result,
          events,
          entered: events.filter((event) => event.type === 'entered').map((event) => event.stateName),
          notifications: test.notifications().slice(sent),
        };
      } finally {
        test.setFaults({});
      }
    },
    recordOf: async (target, executionName) =>
      (await test.historyOf(target)).find((item) => String(item.executionArn).endsWith(`:${executionName}`)),
    queryTarget: async (target, secretName, database, sql) =>
      query(await test.endpointOf(target), await test.secretCredentials(secretName), database, sql),
    markTarget: async (target, secretName, database, label) => {
      const sql = (statement: string) => test.queryTarget(target, secretName, database, statement);
      await sql('CREATE TABLE IF NOT EXISTS refresh_marker (label VARCHAR(64) PRIMARY KEY)');
      await sql(`INSERT INTO refresh_marker (label) VALUES (${mysql.escape(label)})`);
    },
    served: async (target, secretName, database) => {
      const rows = (sql: string) => test.queryTarget(target, secretName, database, sql);
      const [markerTable] = await rows(
        "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'refresh_marker'",
      );
      const [customers] = await rows('SELECT COUNT(*) AS n FROM customers');
      return {
        endpoint: await test.endpointOf(target),
        password: (await test.secretCredentials(secretName)).password,
        customers: Number(customers?.n),
        markers:
          Number(markerTable?.n) > 0
            ? (await rows('SELECT label FROM refresh_marker ORDER BY label')).map((row) => String(row.label))
            : [],
      };
    },
    close: async () => {
      await account.close();
      const servers = await account.engines.listServers();
      await Promise.all(servers.map((server) => account.engines.remove(server.id)));
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return test;
}

const DEMO_DIR = path.join(__dirname, '..', '..', 'local', 'demo');

/** The demo's shop (local/demo/shop-dev.json): where its refresh takes data from and puts it. */
export const SHOP = {
  source: 'shop-prod',
  target: 'shop-dev',
  secretName: '/development/shop/shop-dev',
  database: 'shop',
} as const;

/** A fresh copy of the demo's refresh file, for a test to change as it needs. */
export function shopRefreshFile() {
  return JSON.parse(readFileSync(path.join(DEMO_DIR, 'shop-dev.json'), 'utf8'));
}

export interface SeedShopOptions {
  /** Scripts to upload beside the demo's masking script, by name under the refresh file's prefix. */
  readonly scripts?: Readonly<Record<string, string>>;
}

/** The two databases seedShop made. */
export interface SeededShop {
  readonly source: SeededDatabase;
  readonly target: SeededDatabase;
}

/**
 * Seeds the demo's shop: a production source with 300 customers, a refreshable development target with 7
 * behind its secret, and the masking script (plus `options.scripts`) in the refresh file's bucket.
 */
export async function seedShop(test: TestAccount, options: SeedShopOptions = {}): Promise<SeededShop> {
  const source = await test.seed({
    id: SHOP.source,
    engine: 'mariadb',
    databaseName: SHOP.database,
    customers: 300,
    tags: { environment: 'production' },
  });
  const target = await test.seed({
    id: SHOP.target,
    engine: 'mariadb',
    databaseName: SHOP.database,
    customers: 7,
    tags: { 'dbrefresh:refreshable': 'true', team: 'checkout' },
    secretName: SHOP.secretName,
  });
  const scripts = {
    '01-mask-customers.sql': readFileSync(path.join(DEMO_DIR, '01-mask-customers.sql'), 'utf8'),
    ...options.scripts,
  };
  for (const [name, body] of Object.entries(scripts)) {
    await test.upload('shop-refresh-scripts', `shop-dev/${name}`, body);
  }
  // The source's latest restorable time passes its inserts (as in scripts/demo.ts).
  await new Promise((resolve) => setTimeout(resolve, 1100));
  return { source, target };
}

/** The facts a notification ends with, as JSON after its `---` line (status, failedStep, rolledBack, ...). */
export function notificationFacts(message: OutboxMessage): Record<string, unknown> {
  const separator = '\n---\n';
  return JSON.parse(message.message.slice(message.message.indexOf(separator) + separator.length));
}

/** Runs `sql` on a local database and returns its rows (test assertions only; never logged). */
export async function query(
  endpoint: { host: string; port: number },
  credentials: { username: string; password: string },
  database: string,
  sql: string,
): Promise<Record<string, unknown>[]> {
  const connection = await mysql.createConnection({
    host: endpoint.host,
    port: endpoint.port,
    user: credentials.username,
    password: credentials.password,
    database,
  });
  try {
    const [rows] = await connection.query(sql);
    return rows as Record<string, unknown>[];
  } finally {
    await connection.end();
  }
}

/** Whether the server accepts this password (an old one must be refused after a refresh). */
export async function accepts(
  endpoint: { host: string; port: number },
  credentials: { username: string; password: string },
): Promise<boolean> {
  try {
    await query(endpoint, credentials, 'shop', 'SELECT 1');
    return true;
  } catch {
    return false;
  }
}
