import { randomBytes } from 'node:crypto';
import { CreateDBInstanceCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { hasReachedStatus } from '../../lambdas/shared/rds-status';
import { type ConnectionSettings, openConnection } from '../../lambdas/shared/sql/connect';
import type { LocalCredentials } from '../iam/identities';
import { customers, insertStatements, type SqlDialect, schemaStatements } from './sample-data';

/** How the seeding code reaches the local account. */
export interface LocalClients {
  readonly rds: RDSClient;
  readonly secrets: SecretsManagerClient;
  readonly s3: S3Client;
}

/** SDK clients of the local account at `endpoint`, signing with `credentials` (the administrator's, for seeding). */
export function localClients(endpoint: string, region: string, credentials: LocalCredentials): LocalClients {
  const config = { endpoint, region, credentials };
  return { rds: new RDSClient(config), secrets: new SecretsManagerClient(config), s3: new S3Client(config) };
}

export interface SeedDatabase {
  /** The DB instance identifier. */
  readonly id: string;
  /** RDS engine: mysql, mariadb or postgres. */
  readonly engine: 'mysql' | 'mariadb' | 'postgres';
  /**
   * The engine version RDS records (the local engine is MariaDB or PostgreSQL whatever it says): what the
   * default groups and the groups the instance may name follow.
   * @default - RDS's default version of the engine
   */
  readonly engineVersion?: string;
  readonly databaseName: string;
  /** Customers to create (with about three orders each); 0 creates the schema only. */
  readonly customers: number;
  readonly tags?: Record<string, string>;
  /** Store the admin credentials in this secret (as the target's secret, for example). */
  readonly secretName?: string;
}

export interface SeededDatabase {
  readonly id: string;
  readonly endpoint: { host: string; port: number };
  readonly username: string;
  readonly password: string;
  readonly databaseName: string;
}

export const ADMIN_USER = 'dbadmin';

/**
 * Creates a DB instance through the local RDS API (a real MariaDB or PostgreSQL server behind it),
 * waits until it is available, then loads the sample schema and data.
 */
export async function seedDatabase(clients: LocalClients, seed: SeedDatabase): Promise<SeededDatabase> {
  const password = randomBytes(18).toString('base64url');
  await clients.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: seed.id,
      Engine: seed.engine,
      EngineVersion: seed.engineVersion,
      DBInstanceClass: 'db.t4g.micro',
      AllocatedStorage: 20,
      MasterUsername: ADMIN_USER,
      MasterUserPassword: password,
      DBName: seed.databaseName,
      BackupRetentionPeriod: 7,
      Tags: Object.entries(seed.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  const endpoint = await waitAvailable(clients.rds, seed.id);
  if (seed.secretName) {
    await storeCredentials(clients, seed.secretName, { engine: seed.engine, ...endpoint, password });
  }
  await loadSampleData(
    seed.engine === 'postgres' ? 'postgres' : 'mysql',
    { host: endpoint.host, port: endpoint.port, user: ADMIN_USER, password, database: seed.databaseName },
    seed.customers,
  );
  return { id: seed.id, endpoint, username: ADMIN_USER, password, databaseName: seed.databaseName };
}

/** Creates the sample schema in `settings.database` and loads `count` customers with their orders. */
export async function loadSampleData(
  dialect: SqlDialect,
  settings: ConnectionSettings,
  count: number,
): Promise<void> {
  const connection = await openConnection(dialect, settings, 'off');
  try {
    for (const statement of schemaStatements(dialect)) await connection.execute(statement);
    for (const statement of insertStatements(customers(count))) await connection.execute(statement);
  } finally {
    await connection.close();
  }
}

/** Stores a database's admin credentials in a new secret, in the RDS rotation format. */
export async function storeCredentials(
  clients: LocalClients,
  secretName: string,
  credentials: { engine: string; host: string; port: number; password: string } & Record<string, unknown>,
): Promise<void> {
  const { engine, host, port, password, ...identifiers } = credentials;
  await clients.secrets.send(
    new CreateSecretCommand({
      Name: secretName,
      SecretString: JSON.stringify({ engine, host, port, username: ADMIN_USER, password, ...identifiers }),
    }),
  );
}

/** Polls DescribeDBInstances until the instance is available, as a client of RDS would. */
export async function waitAvailable(
  rds: RDSClient,
  id: string,
  timeoutMs = 120_000,
): Promise<{ host: string; port: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const instance = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })))
      .DBInstances?.[0];
    if (
      hasReachedStatus(id, instance?.DBInstanceStatus) &&
      instance?.Endpoint?.Address &&
      instance.Endpoint.Port
    ) {
      return { host: instance.Endpoint.Address, port: instance.Endpoint.Port };
    }
    if (Date.now() > deadline)
      throw new Error(`${id} is still ${instance?.DBInstanceStatus} after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
