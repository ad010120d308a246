import { mkdtempSync, rmSync } from 'node:fs';
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
import { readOutbox } from '../../local/endpoint/services/sns';
import { type LocalAccount, openLocalAccount } from '../../local/local-account';
import { type LocalRunResult, runRefreshLocally } from '../../local/runner/run-refresh';
import {
  type LocalClients,
  localClients,
  type SeedDatabase,
  type SeededDatabase,
  seedDatabase,
} from '../../local/seed/seed-database';

/** A local account in a temporary directory, with the clients a test uses to look at it. */
export interface TestAccount {
  readonly account: LocalAccount;
  readonly clients: LocalClients;
  readonly history: DynamoDBDocumentClient;
  refresh(refreshFile: unknown, executionName: string): Promise<LocalRunResult>;
  seed(seed: SeedDatabase): Promise<SeededDatabase>;
  upload(bucket: string, key: string, body: string): Promise<void>;
  instanceIds(): Promise<string[]>;
  endpointOf(id: string): Promise<{ host: string; port: number }>;
  tags(id: string): Promise<Record<string, string>>;
  secretCredentials(secretName: string): Promise<{ username: string; password: string }>;
  historyOf(target: string): Promise<Record<string, unknown>[]>;
  lockOf(target: string): Promise<Record<string, unknown> | undefined>;
  notifications(): ReturnType<typeof readOutbox>;
  close(): Promise<void>;
}

export async function openTestAccount(): Promise<TestAccount> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'dbrefresh-workflow-'));
  const account = await openLocalAccount({ stateDir, delayScale: 0 });
  const clients = localClients(account.url, account.region);
  const history = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: account.url,
      region: account.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  return {
    account,
    clients,
    history,
    refresh: (refreshFile, executionName) =>
      runRefreshLocally(
        { refreshFile, requestedBy: 'workflow test' },
        { ...account, endpointUrl: account.url, executionName, waitMilliseconds: 100 },
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
    close: async () => {
      await account.close();
      const servers = await account.engines.listServers();
      await Promise.all(servers.map((server) => account.engines.remove(server.id)));
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
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
