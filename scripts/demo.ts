/**
 * `npm run demo`: a real refresh on this machine. Seeds a "production" MariaDB with customers' personal
 * data, refreshes a development target from it through the real synthesized state machine (masking
 * the copy before the swap), then shows the history record, the notification and masked rows.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import mysql from 'mysql2/promise';
import { readOutbox } from '../local/endpoint/services/sns';
import { EngineManager } from '../local/engines/engine-manager';
import { ensureEngines } from '../local/ensure-engines';
import {
  DEFAULT_STATE_DIR,
  enginesRootFor,
  type LocalAccount,
  openLocalAccount,
  removeLocalAccountFiles,
} from '../local/local-account';
import { runRefreshLocally } from '../local/runner/run-refresh';
import { localClients, seedDatabase } from '../local/seed/seed-database';

const DEMO_DIR = path.join(__dirname, '..', 'local', 'demo');
const STATE_DIR = path.join(DEFAULT_STATE_DIR, 'demo');
const SOURCE_CUSTOMERS = 2000;

const log = (line = '') => process.stdout.write(`${line}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<number> {
  const started = Date.now();
  log(
    'dbrefresh demo: refresh shop-dev from shop-prod on this machine, masked, through the real state machine',
  );
  ensureEngines(log);
  await resetDemoAccount();
  const account = await openLocalAccount({ stateDir: STATE_DIR, delayScale: 0.2 });
  try {
    const clients = localClients(account.url, account.region, account.credentials);
    log(`Local AWS endpoint ${account.url}, state in ${path.relative(process.cwd(), STATE_DIR)}`);

    log('Seeding shop-prod (MariaDB) with 2,000 customers: names, e-mails, phones, addresses...');
    const source = await seedDatabase(clients, {
      id: 'shop-prod',
      engine: 'mariadb',
      databaseName: 'shop',
      customers: SOURCE_CUSTOMERS,
      tags: { environment: 'production', application: 'shop' },
    });
    log('Seeding shop-dev, the target: old development data, tagged dbrefresh:refreshable=true...');
    const target = await seedDatabase(clients, {
      id: 'shop-dev',
      engine: 'mariadb',
      databaseName: 'shop',
      customers: 25,
      tags: { 'dbrefresh:refreshable': 'true', application: 'shop', team: 'checkout' },
      secretName: '/development/shop/shop-dev',
    });
    await account.s3.createBucket('shop-refresh-scripts');
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: 'shop-refresh-scripts',
        Key: 'shop-dev/01-mask-customers.sql',
        Body: readFileSync(path.join(DEMO_DIR, '01-mask-customers.sql')),
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the latest restorable time passes the inserts

    const refreshFile = JSON.parse(readFileSync(path.join(DEMO_DIR, 'shop-dev.json'), 'utf8'));
    log();
    log('Refresh (local/demo/shop-dev.json):');
    const stepStarted = new Map<string, number>();
    const result = await runRefreshLocally(
      { refreshFile, requestedBy: 'npm run demo' },
      {
        ...account,
        functions: account.functions,
        executionName: `demo-${Date.now().toString(36)}`,
        onEvent: (event) => {
          if (event.stateType !== 'Task' || event.stateName.startsWith('Check ')) return;
          if (event.type === 'entered' && !stepStarted.has(event.stateName)) {
            stepStarted.set(event.stateName, event.at.getTime());
            log(`  ▶ ${event.stateName}`);
          }
        },
      },
    );
    log(`Execution ${result.status}${result.error ? `: ${result.error} ${result.cause ?? ''}` : ''}`);
    if (result.status !== 'SUCCEEDED') return 1;

    await showHistory(account, account.historyTableName);
    showNotification();
    await showRows(clients, source.password, target.password);
    log();
    log(`Demo finished in ${seconds(Date.now() - started)}.`);
    return 0;
  } finally {
    await account.close();
    await stopServers();
  }
}

async function showHistory(account: LocalAccount, table: string): Promise<void> {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: account.url, region: account.region, credentials: account.credentials }),
  );
  const out = await doc.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: '#t = :t',
      ExpressionAttributeNames: { '#t': 'target' },
      ExpressionAttributeValues: { ':t': 'shop-dev' },
      ScanIndexForward: false,
      Limit: 1,
    }),
  );
  log();
  log('History record (DynamoDB):');
  log(JSON.stringify(out.Items?.[0] ?? {}, null, 2).replace(/^/gm, '  '));
}

function showNotification(): void {
  const last = readOutbox(STATE_DIR).at(-1);
  log();
  log(`Notification (SNS): ${last?.subject ?? 'none'}`);
  log((last?.message.split('\n---')[0] ?? '').replace(/^/gm, '  '));
}

async function showRows(
  clients: ReturnType<typeof localClients>,
  sourcePassword: string,
  oldTargetPassword: string,
): Promise<void> {
  const instance = (
    await clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'shop-dev' }))
  ).DBInstances?.[0];
  const secret = await clients.secrets.send(
    new GetSecretValueCommand({ SecretId: '/development/shop/shop-dev' }),
  );
  const credentials = JSON.parse(secret.SecretString ?? '{}') as { username: string; password: string };
  const host = instance?.Endpoint?.Address ?? '127.0.0.1';
  const port = instance?.Endpoint?.Port ?? 0;
  const connection = await mysql.createConnection({
    host,
    port,
    user: credentials.username,
    password: credentials.password,
    database: 'shop',
  });
  log();
  log(`shop-dev now (connected with the new admin password from /development/shop/shop-dev):`);
  try {
    for (const sql of [
      'SELECT COUNT(*) AS customers FROM customers',
      "SELECT COUNT(*) AS unmasked FROM customers WHERE email NOT LIKE '%@example.invalid'",
      'SELECT id, first_name, last_name, email, phone, street, city FROM customers ORDER BY id LIMIT 3',
    ]) {
      log(`  ${sql}`);
      const [rows] = await connection.query(sql);
      for (const row of rows as object[]) log(`    ${JSON.stringify(row)}`);
    }
  } finally {
    await connection.end();
  }
  for (const [what, password] of [
    ["production's admin password", sourcePassword],
    ["shop-dev's old admin password", oldTargetPassword],
  ] as const) {
    const refused = await mysql
      .createConnection({ host, port, user: credentials.username, password, database: 'shop' })
      .then(async (c) => {
        await c.end();
        return false;
      })
      .catch(() => true);
    log(`  ${what}: ${refused ? 'refused' : 'STILL ACCEPTED'}`);
  }
}

/** A fresh local account for every demo: stop the servers of the last one and remove its state. */
async function resetDemoAccount(): Promise<void> {
  await stopServers(true);
  removeLocalAccountFiles(STATE_DIR);
}

async function stopServers(remove = false): Promise<void> {
  const engines = new EngineManager({ root: enginesRootFor(STATE_DIR) });
  const servers = await engines.listServers().catch(() => []);
  await Promise.all(servers.map((server) => (remove ? engines.remove(server.id) : engines.stop(server.id))));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
