import * as path from 'node:path';
import {
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import { DescribeSecretCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { TerminalStateError } from '../../lambdas/shared/errors';
import { DAEMON_LOG_FILE } from '../../local/daemon';
import type { LocalEngine } from '../../local/engines/binaries';
import { LOCAL_REGION } from '../../local/local-account';
import { type LocalClients, localClients, seedDatabase } from '../../local/seed/seed-database';
import {
  LocalCommandError,
  requireLocalCredentials,
  requireRunningEndpoint,
  stateDirArgument,
} from './local-endpoint';

export interface SeedOptions {
  /** Both instances' engine. */
  readonly engine: LocalEngine;
  /** Customers in the source (about three orders each). */
  readonly customers: number;
  /** DB instance identifiers. */
  readonly source: string;
  readonly target: string;
}

const DATABASE_NAME = 'shop';
/** The target's old "development" data, which a refresh replaces. */
const TARGET_CUSTOMERS = 25;

/** One database `dbrefresh local seed` created. */
export interface SeededInstance {
  readonly id: string;
  readonly engine: LocalEngine;
  readonly endpoint: string;
  readonly databaseName: string;
  readonly customers: number;
  readonly orders: number;
  readonly tags: Readonly<Record<string, string>>;
  /** The Secrets Manager secret holding the admin user name and password. */
  readonly secretName: string;
}

export interface SeedResult {
  readonly endpointUrl: string;
  readonly source: SeededInstance;
  readonly target: SeededInstance;
}

/**
 * Creates, through the running local endpoint, a "production" source full of customers' personal data and
 * a refreshable "development" target, each with its admin credentials in a secret.
 * @throws LocalCommandError when the endpoint is down or an instance or secret already exists
 */
export async function seedLocalAccount(stateDir: string, options: SeedOptions): Promise<SeedResult> {
  if (options.source === options.target) {
    throw new LocalCommandError(
      `--source and --target are both "${options.source}": a refresh needs two instances; name another --target`,
    );
  }
  const { url } = requireRunningEndpoint(stateDir);
  const clients = localClients(url, LOCAL_REGION, requireLocalCredentials(stateDir));
  try {
    const plans: { id: string; customers: number; tags: Record<string, string>; secretName: string }[] = [
      {
        id: options.source,
        customers: options.customers,
        tags: { environment: 'production', application: DATABASE_NAME },
        secretName: `/production/${DATABASE_NAME}/${options.source}`,
      },
      {
        id: options.target,
        customers: TARGET_CUSTOMERS,
        tags: { environment: 'development', application: DATABASE_NAME, 'dbrefresh:refreshable': 'true' },
        secretName: `/development/${DATABASE_NAME}/${options.target}`,
      },
    ];
    const startOver = `or start over with \`dbrefresh local reset --yes${stateDirArgument(stateDir)}\``;
    for (const plan of plans) await checkUnused(clients, plan.id, plan.secretName, startOver);
    const seeded: SeededInstance[] = [];
    for (const plan of plans) {
      const database = await seedDatabase(clients, {
        ...plan,
        engine: options.engine,
        databaseName: DATABASE_NAME,
      }).catch(async (error: unknown) => {
        if (!(error instanceof TerminalStateError)) throw error;
        throw new LocalCommandError(
          `DB instance "${plan.id}" ended in status "${error.status}": ${await failureOf(clients, plan.id)}; ` +
            `see ${path.join(stateDir, DAEMON_LOG_FILE)}`,
        );
      });
      seeded.push({
        id: database.id,
        engine: options.engine,
        endpoint: `${database.endpoint.host}:${database.endpoint.port}`,
        databaseName: DATABASE_NAME,
        customers: plan.customers,
        orders: plan.customers * 3,
        tags: plan.tags,
        secretName: plan.secretName,
      });
    }
    const [source, target] = seeded as [SeededInstance, SeededInstance];
    return { endpointUrl: url, source, target };
  } finally {
    clients.rds.destroy();
    clients.secrets.destroy();
    clients.s3.destroy();
  }
}

/** Why the local RDS says an instance failed (its StatusInfos). */
async function failureOf(clients: LocalClients, id: string): Promise<string> {
  const out = await clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  return out.DBInstances?.[0]?.StatusInfos?.map((info) => info.Message).join('; ') || 'no reason given';
}

async function checkUnused(
  clients: LocalClients,
  id: string,
  secretName: string,
  startOver: string,
): Promise<void> {
  try {
    await clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    throw new LocalCommandError(
      `DB instance "${id}" already exists in the local account: name another with --source/--target, ${startOver}`,
    );
  } catch (error: unknown) {
    if (error instanceof DBInstanceNotFoundFault) {
      // free: the seed can create it
    } else if (error instanceof RDSServiceException && error.name === 'InvalidParameterValue') {
      throw new LocalCommandError(`"${id}" is not a DB instance identifier: ${error.message}`);
    } else {
      throw error;
    }
  }
  try {
    await clients.secrets.send(new DescribeSecretCommand({ SecretId: secretName }));
    throw new LocalCommandError(
      `Secret "${secretName}" already exists in the local account: name another instance, ${startOver}`,
    );
  } catch (error: unknown) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
}

/** The text `dbrefresh local seed` prints: what was created, and where the credentials are (never a password). */
export function formatSeed(result: SeedResult): string {
  const { source, target } = result;
  const describe = (role: string, instance: SeededInstance) => [
    `  ${role} ${instance.id} (${instance.engine}) at ${instance.endpoint}, database ${instance.databaseName}: ` +
      `${instance.customers.toLocaleString('en')} customers with names, e-mails, phones and addresses, ` +
      `${instance.orders.toLocaleString('en')} orders`,
    `    tags: ${Object.entries(instance.tags)
      .map(([key, value]) => `${key}=${value}`)
      .join(', ')}`,
  ];
  return [
    `Seeded the local account at ${result.endpointUrl}:`,
    ...describe('source', source),
    `    admin credentials: secret ${source.secretName}`,
    ...describe('target', target),
    `    admin credentials: secret ${target.secretName} (a refresh sets a new password and stores it there)`,
    'Read a secret with:',
    `  aws secretsmanager get-secret-value --endpoint-url ${result.endpointUrl} --region ${LOCAL_REGION} --secret-id ${target.secretName}`,
    `Refresh ${target.id} from ${source.id} with a refresh file like local/demo/shop-dev.json ` +
      `(source.instance "${source.id}", target.instance "${target.id}", adminPassword.secretName "${target.secretName}").`,
  ].join('\n');
}
