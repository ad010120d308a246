import { randomInt, randomUUID } from 'node:crypto';
import { AwsError } from '../service';
import type { RdsAccount } from './account';
import { rdsErrors } from './errors';
import { type ArnScope, rdsArn } from './identifiers';
import { isFailed } from './render';
import type { ClusterRecord, InstanceRecord } from './state';

/**
 * Master passwords: RDS-managed ones (ManageMasterUserPassword, kept in Secrets Manager) and the rotation of
 * the admin password that the local Secrets Manager asks for (RotateSecret).
 */

const PASSWORD_CHARACTERS =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%^&*()-_=+[]{}<>?.,;:~';
const PASSWORD_LENGTH = 28;
const USER_NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

/** A password RDS accepts and that needs no quoting in SQL, URLs or shells' double quotes. */
export function randomPassword(): string {
  return Array.from(
    { length: PASSWORD_LENGTH },
    () => PASSWORD_CHARACTERS[randomInt(PASSWORD_CHARACTERS.length)],
  ).join('');
}

/** @throws AwsError InvalidParameterValue for a user name RDS (and the engines) would refuse */
export function checkMasterUsername(username: string): void {
  if (!USER_NAME.test(username) || username.toLowerCase() === 'rdsadmin') {
    throw rdsErrors.invalidValue(
      `The parameter MasterUsername is not a valid identifier: "${username}". Use 1 to 16 letters, digits and ` +
        'underscores, starting with a letter; rdsadmin is reserved.',
    );
  }
}

/**
 * Creates the RDS-managed secret of an instance or cluster and returns its new password; the resource's
 * MasterUserSecret shows it `creating` until its change is over.
 * @throws AwsError InvalidParameterCombination when the local endpoint has no Secrets Manager
 */
export async function createManagedSecret(
  account: RdsAccount,
  record: InstanceRecord | ClusterRecord,
  kind: 'instance' | 'cluster',
  username: string,
  scope: ArnScope,
): Promise<string> {
  const store = account.secrets();
  if (!store) {
    throw rdsErrors.invalidCombination(
      'ManageMasterUserPassword needs Secrets Manager, and this local endpoint serves none; start it with the ' +
        'local Secrets Manager or set MasterUserPassword instead',
    );
  }
  const password = randomPassword();
  const arn = rdsArn(scope, kind === 'instance' ? 'db' : 'cluster', record.identifier);
  const secretArn = await store.createSecret(
    `rds!${kind === 'instance' ? 'db' : 'cluster'}-${randomUUID()}`,
    JSON.stringify({ username, password }),
    [
      {
        Key: kind === 'instance' ? 'aws:rds:primaryDBInstanceArn' : 'aws:rds:primaryDBClusterArn',
        Value: arn,
      },
      { Key: 'aws:secretsmanager:owningService', Value: 'rds' },
    ],
  );
  record.masterUserSecret = { arn: secretArn, status: 'creating' };
  return password;
}

/** Deletes an RDS-managed secret along with its resource, when the secret store can. */
export async function deleteManagedSecret(account: RdsAccount, record: InstanceRecord | ClusterRecord) {
  const arn = record.masterUserSecret?.arn;
  if (arn) await account.secrets()?.deleteSecret?.(arn);
}

/**
 * Gives the master user of the instance or cluster named in a secret a new random password, as a
 * Secrets Manager rotation function would, and returns the secret's new value.
 *
 * The secret is JSON in the format of the RDS rotation functions: `username`, `password` and
 * `dbInstanceIdentifier` or `dbClusterIdentifier`; an RDS-managed secret (no identifier) is found by `secretArn`.
 * @throws AwsError when the secret names no resource, or the resource cannot take a new password now
 */
export async function rotateAdminPassword(
  account: RdsAccount,
  secretValue: string,
  secretArn?: string,
): Promise<string> {
  const secret = parseSecret(secretValue);
  const owner = secretOwner(account, secret, secretArn);
  const server = owner.server;
  const status = account.statusOf(owner.record);
  if (!server?.serverReady || isFailed(status) || ['stopped', 'stopping', 'deleting'].includes(status)) {
    throw owner.kind === 'instance'
      ? rdsErrors.instanceState(
          `Instance ${owner.record.identifier} is ${status}; its password cannot be rotated now.`,
        )
      : rdsErrors.clusterState(
          `DB cluster ${owner.record.identifier} is ${status}; its password cannot be rotated now.`,
        );
  }
  if (typeof secret.username === 'string' && secret.username !== server.masterUsername) {
    throw rdsErrors.invalidValue(
      `The secret's user "${secret.username}" is not the master user of ${owner.record.identifier} ` +
        `("${server.masterUsername}"); local rotation changes only the master user's password`,
    );
  }
  const password = randomPassword();
  await account.engines.setAdminPassword(server.serverId, password);
  return JSON.stringify({ ...secret, password });
}

function parseSecret(secretValue: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(secretValue);
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch (error: unknown) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  // Never quote the secret: it holds a password.
  throw new AwsError('InvalidParameterValue', 'The secret to rotate is not a JSON object');
}

interface SecretOwner {
  readonly kind: 'instance' | 'cluster';
  readonly record: InstanceRecord | ClusterRecord;
  readonly server?: ClusterRecord['server'];
}

function secretOwner(account: RdsAccount, secret: Record<string, unknown>, secretArn?: string): SecretOwner {
  const { dbInstanceIdentifier, dbClusterIdentifier } = secret;
  if (typeof dbClusterIdentifier === 'string') {
    const cluster = account.requireCluster(dbClusterIdentifier.toLowerCase());
    return { kind: 'cluster', record: cluster, server: cluster.server };
  }
  if (typeof dbInstanceIdentifier === 'string') {
    const instance = account.requireInstance(dbInstanceIdentifier.toLowerCase());
    const cluster = account.clusterByResourceId(instance.clusterResourceId);
    return cluster
      ? { kind: 'cluster', record: cluster, server: cluster.server }
      : { kind: 'instance', record: instance, server: instance.server };
  }
  const managedInstance = account.state.instances.find(
    (record) => record.masterUserSecret?.arn === secretArn,
  );
  if (secretArn && managedInstance)
    return { kind: 'instance', record: managedInstance, server: managedInstance.server };
  const managedCluster = account.state.clusters.find((record) => record.masterUserSecret?.arn === secretArn);
  if (secretArn && managedCluster)
    return { kind: 'cluster', record: managedCluster, server: managedCluster.server };
  throw new AwsError(
    'InvalidParameterValue',
    'The secret to rotate names no DB instance or cluster: it needs a dbInstanceIdentifier or dbClusterIdentifier field',
  );
}
