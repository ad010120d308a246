import { randomBytes } from 'node:crypto';
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  type DBCluster,
  DescribeDBClustersCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { hasReachedStatus } from '../../lambdas/shared/rds-status';
import {
  ADMIN_USER,
  type LocalClients,
  loadSampleData,
  type SeededDatabase,
  storeCredentials,
  waitAvailable,
} from './seed-database';

export interface SeedCluster {
  /** The DB cluster identifier. */
  readonly id: string;
  readonly engine: 'aurora-mysql' | 'aurora-postgresql';
  readonly databaseName: string;
  /** Customers to create (with about three orders each); 0 creates the schema only. */
  readonly customers: number;
  /** The cluster's instances, the writer first. */
  readonly instances: readonly string[];
  /** @default 'db.r6g.large' ('db.serverless' when serverless is set) */
  readonly instanceClass?: string;
  /** Aurora Serverless v2 capacity of the cluster. */
  readonly serverless?: { readonly minCapacity: number; readonly maxCapacity: number };
  /** Tags of the cluster and of each of its instances (RDS tags them separately; IAM conditions check each). */
  readonly tags?: Record<string, string>;
  /** Store the admin credentials in this secret (as the target's secret, for example). */
  readonly secretName?: string;
  /** RDS manages the admin password in its own secret (ManageMasterUserPassword) instead. */
  readonly managedPassword?: boolean;
}

export interface SeededCluster extends SeededDatabase {
  /** The cluster's instances, the writer first. */
  readonly instances: readonly string[];
  /** The RDS-managed secret holding the admin password, with managedPassword. */
  readonly masterUserSecretArn?: string;
}

/**
 * Creates an Aurora DB cluster through the local RDS API as a user would (CreateDBCluster, then
 * CreateDBInstance for the writer and each reader), waits until all are available, then loads the sample
 * schema and data. Behind it is one real MariaDB or PostgreSQL server, the cluster's storage.
 */
export async function seedCluster(clients: LocalClients, seed: SeedCluster): Promise<SeededCluster> {
  const generated = seed.managedPassword ? undefined : randomBytes(18).toString('base64url');
  const tags = Object.entries(seed.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  await clients.rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: seed.id,
      Engine: seed.engine,
      MasterUsername: ADMIN_USER,
      ...(generated === undefined ? { ManageMasterUserPassword: true } : { MasterUserPassword: generated }),
      DatabaseName: seed.databaseName,
      BackupRetentionPeriod: 7,
      ...(seed.serverless && {
        ServerlessV2ScalingConfiguration: {
          MinCapacity: seed.serverless.minCapacity,
          MaxCapacity: seed.serverless.maxCapacity,
        },
      }),
      Tags: tags,
    }),
  );
  const instanceClass = seed.instanceClass ?? (seed.serverless ? 'db.serverless' : 'db.r6g.large');
  for (const instance of seed.instances) {
    await clients.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: instance,
        DBClusterIdentifier: seed.id,
        Engine: seed.engine,
        DBInstanceClass: instanceClass,
        Tags: tags,
      }),
    );
  }
  const cluster = await waitClusterAvailable(clients.rds, seed.id);
  for (const instance of seed.instances) await waitAvailable(clients.rds, instance);
  const endpoint = { host: cluster.Endpoint ?? '', port: cluster.Port ?? 0 };
  const masterUserSecretArn = cluster.MasterUserSecret?.SecretArn;
  const password = generated ?? (await managedPassword(clients, seed.id, masterUserSecretArn));
  if (seed.secretName) {
    await storeCredentials(clients, seed.secretName, {
      engine: seed.engine,
      ...endpoint,
      password,
      dbClusterIdentifier: seed.id,
    });
  }

  await loadSampleData(
    seed.engine === 'aurora-postgresql' ? 'postgres' : 'mysql',
    { ...endpoint, user: ADMIN_USER, password, database: seed.databaseName },
    seed.customers,
  );
  return {
    id: seed.id,
    endpoint,
    username: ADMIN_USER,
    password,
    databaseName: seed.databaseName,
    instances: [...seed.instances],
    ...(masterUserSecretArn !== undefined && { masterUserSecretArn }),
  };
}

/**
 * Polls DescribeDBClusters until the cluster is available with an endpoint (and, when RDS manages its
 * password, that secret active), as a client of RDS would.
 */
export async function waitClusterAvailable(
  rds: RDSClient,
  id: string,
  timeoutMs = 120_000,
): Promise<DBCluster> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })))
      .DBClusters?.[0];
    const secretStatus = cluster?.MasterUserSecret?.SecretStatus;
    if (
      cluster &&
      hasReachedStatus(id, cluster.Status) &&
      cluster.Endpoint &&
      cluster.Port &&
      (secretStatus === undefined || secretStatus === 'active')
    ) {
      return cluster;
    }
    if (Date.now() > deadline)
      throw new Error(`DB cluster ${id} is still ${cluster?.Status} after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function managedPassword(
  clients: LocalClients,
  id: string,
  secretArn: string | undefined,
): Promise<string> {
  if (!secretArn) throw new Error(`DB cluster ${id} has no RDS-managed secret although one was asked for`);
  const out = await clients.secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const value: unknown = JSON.parse(out.SecretString ?? '{}');
  const password = (value as { password?: unknown }).password;
  if (typeof password !== 'string') throw new Error(`The RDS-managed secret of ${id} holds no password`);
  return password;
}
