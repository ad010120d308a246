import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  type DBCluster,
  type DBInstance,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
  paginateDescribeDBClusters,
  type RDSClient,
} from '@aws-sdk/client-rds';
import {
  GetSecretValueCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import mysql from 'mysql2/promise';
import { Client as PgClient } from 'pg';
import { splitStatements } from '../../../lambdas/shared/sql/split-statements';
import type { OutboxMessage } from '../../../local/endpoint/services/sns';
import { registerRotationFunction, type TestAccount } from '../refresh-fixture';

/**
 * What the example-file workflow tests share: the example files as shipped, their fixture scripts, SQL on
 * either engine, and the look-ups (clusters, snapshots, tags, secrets) the refresh fixture does not have.
 */

const REFRESH_FILES = path.join(__dirname, '..', '..', '..', 'refresh-files');

export type Dialect = 'mysql' | 'postgres';
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}
export interface Credentials {
  readonly username: string;
  readonly password: string;
}
// biome-ignore lint/suspicious/noExplicitAny: the example files are plain JSON that the tests adjust
export type ExampleFile = Record<string, any>;

/** The example refresh file `refresh-files/<name>.json`, as shipped. */
export function exampleFile(name: string): ExampleFile {
  return JSON.parse(readFileSync(path.join(REFRESH_FILES, `${name}.json`), 'utf8'));
}

/** A fixture script of an example, kept in `test/workflow/examples/<example>/<file>`. */
export function fixtureScript(example: string, file: string): string {
  return readFileSync(path.join(__dirname, example, file), 'utf8');
}

/** Uploads every script the file names (scripts.keys, in the folder scripts.prefix) from the example's fixtures. */
export async function uploadScripts(
  test: TestAccount,
  example: string,
  scripts: { bucket: string; prefix?: string; keys: string[] },
): Promise<void> {
  for (const key of scripts.keys) {
    await test.upload(scripts.bucket, `${scripts.prefix ?? ''}${key}`, fixtureScript(example, key));
  }
}

/** Runs SQL on a local database and returns its rows (test assertions only; never logged). */
export async function rows(
  dialect: Dialect,
  endpoint: Endpoint,
  credentials: Credentials,
  database: string,
  sql: string,
): Promise<Record<string, unknown>[]> {
  if (dialect === 'mysql') {
    const connection = await mysql.createConnection({
      ...endpoint,
      user: credentials.username,
      password: credentials.password,
      database,
    });
    try {
      const [result] = await connection.query(sql);
      return Array.isArray(result) ? (result as Record<string, unknown>[]) : [];
    } finally {
      await connection.end();
    }
  }
  const client = new PgClient({
    ...endpoint,
    user: credentials.username,
    password: credentials.password,
    database,
  });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Runs statements one after the other on a local database. */
export async function execute(
  dialect: Dialect,
  endpoint: Endpoint,
  credentials: Credentials,
  database: string,
  statements: readonly string[],
): Promise<void> {
  for (const statement of statements) await rows(dialect, endpoint, credentials, database, statement);
}

/** Runs a SQL script file, statement by statement, split as the engine's own client splits it. */
export async function runScript(
  dialect: Dialect,
  endpoint: Endpoint,
  credentials: Credentials,
  database: string,
  script: string,
): Promise<void> {
  const statements = splitStatements(script, dialect).map((statement) => statement.text);
  await execute(dialect, endpoint, credentials, database, statements);
}

/**
 * Whether the server lets this user in with this password. Only an authentication refusal counts as
 * "no"; any other failure (server down, wrong port) fails the test.
 */
export async function acceptsPassword(
  dialect: Dialect,
  endpoint: Endpoint,
  credentials: Credentials,
  database: string,
): Promise<boolean> {
  try {
    await rows(dialect, endpoint, credentials, database, 'SELECT 1');
    return true;
  } catch (error: unknown) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ER_ACCESS_DENIED_ERROR' || code === '28P01') return false;
    throw error;
  }
}

/** The sample tables, whole and in key order: what "the same data" means in these tests. */
export async function sampleData(
  dialect: Dialect,
  endpoint: Endpoint,
  credentials: Credentials,
  database: string,
): Promise<{ customers: Record<string, unknown>[]; orders: Record<string, unknown>[] }> {
  return {
    customers: await rows(dialect, endpoint, credentials, database, 'SELECT * FROM customers ORDER BY id'),
    orders: await rows(dialect, endpoint, credentials, database, 'SELECT * FROM orders ORDER BY id'),
  };
}

/** Customers (and three orders each) with ids from `firstId`, as a restore-point test writes them. */
export function insertCustomers(firstId: number, count: number, label: string): string[] {
  const ids = Array.from({ length: count }, (_, index) => firstId + index);
  return [
    `INSERT INTO customers (id, first_name, last_name, email, phone, street, city, postcode, country, created_at) VALUES ${ids
      .map(
        (id) =>
          `(${id}, '${label}', 'Row${id}', '${label.toLowerCase()}${id}@example.com', NULL, NULL, 'London', 'SW1A 1AA', 'GB', '2026-01-01 00:00:00')`,
      )
      .join(', ')}`,
    `INSERT INTO orders (id, customer_id, amount, created_at) VALUES ${ids
      .flatMap((id) => [0, 1, 2].map((n) => `(${id * 3 + n}, ${id}, ${10 + n}.50, '2026-01-01 00:00:00')`))
      .join(', ')}`,
  ];
}

/** A UTC time on a whole second, strictly after everything written so far and before anything written next. */
export async function pointBetweenWrites(): Promise<Date> {
  // MariaDB replays its binary log to the second: leave a whole second on each side of the point.
  await sleep(1500);
  const point = new Date(Math.floor(Date.now() / 1000) * 1000);
  await sleep(1500);
  return point;
}

/** `2026-11-20T02:55:00Z`, as the example files write restore times. */
export function isoSeconds(time: Date): string {
  return `${time.toISOString().slice(0, 19)}Z`;
}

export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

export async function describeInstance(rds: RDSClient, id: string): Promise<DBInstance> {
  const instance = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })))
    .DBInstances?.[0];
  if (!instance) throw new Error(`DB instance ${id} is not described`);
  return instance;
}

export async function describeCluster(rds: RDSClient, id: string): Promise<DBCluster> {
  const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })))
    .DBClusters?.[0];
  if (!cluster) throw new Error(`DB cluster ${id} is not described`);
  return cluster;
}

/** The cluster's endpoint, as its applications reach it. */
export async function clusterEndpoint(rds: RDSClient, id: string): Promise<Endpoint> {
  const cluster = await describeCluster(rds, id);
  return { host: cluster.Endpoint ?? '', port: cluster.Port ?? 0 };
}

/** The cluster's members: the writer, then the readers in name order. */
export async function clusterMembers(
  rds: RDSClient,
  id: string,
): Promise<{ writer: string[]; readers: string[] }> {
  const members = (await describeCluster(rds, id)).DBClusterMembers ?? [];
  const names = (writer: boolean) =>
    members
      .filter((member) => (member.IsClusterWriter ?? false) === writer)
      .map((member) => member.DBInstanceIdentifier ?? '')
      .sort();
  return { writer: names(true), readers: names(false) };
}

export async function clusterIds(rds: RDSClient): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateDescribeDBClusters({ client: rds }, {})) {
    for (const cluster of page.DBClusters ?? []) ids.push(cluster.DBClusterIdentifier ?? '');
  }
  return ids.sort();
}

/** Every manual DB snapshot and DB cluster snapshot of the account, by identifier. */
export async function snapshotIds(rds: RDSClient): Promise<string[]> {
  const instances = (await rds.send(new DescribeDBSnapshotsCommand({}))).DBSnapshots ?? [];
  const clusters = (await rds.send(new DescribeDBClusterSnapshotsCommand({}))).DBClusterSnapshots ?? [];
  return [
    ...instances.map((snapshot) => snapshot.DBSnapshotIdentifier ?? ''),
    ...clusters.map((snapshot) => snapshot.DBClusterSnapshotIdentifier ?? ''),
  ].sort();
}

export async function clusterTags(test: TestAccount, id: string): Promise<Record<string, string>> {
  const { region, account } = test.account;
  const out = await test.clients.rds.send(
    new ListTagsForResourceCommand({ ResourceName: `arn:aws:rds:${region}:${account}:cluster:${id}` }),
  );
  return Object.fromEntries((out.TagList ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

/** The username and password a secret holds (at a stage, AWSCURRENT by default). */
export async function secretLogin(
  secrets: SecretsManagerClient,
  secretId: string,
  stage = 'AWSCURRENT',
): Promise<Credentials & { versionId: string }> {
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
  const value = JSON.parse(out.SecretString ?? '{}') as Credentials;
  return { username: value.username, password: value.password, versionId: out.VersionId ?? '' };
}

/**
 * Configures rotation on a secret without rotating it, as an administrator does before a refresh file
 * sets adminPassword.rotate; locally the RDS emulator plays the rotation function.
 */
export async function configureRotation(test: TestAccount, secretId: string): Promise<void> {
  const rotationFunction =
    'arn:aws:lambda:eu-west-1:000000000000:function:SecretsManagerRDSMySQLRotationSingleUser';
  registerRotationFunction(test, rotationFunction);
  await test.clients.secrets.send(
    new RotateSecretCommand({
      SecretId: secretId,
      RotationLambdaARN: rotationFunction,
      RotationRules: { AutomaticallyAfterDays: 30 },
      RotateImmediately: false,
    }),
  );
}

/** The notifications about one target, oldest first. */
export function notificationsOf(test: TestAccount, target: string): OutboxMessage[] {
  return test.notifications().filter((message) => message.attributes.target?.StringValue === target);
}
