import type { RDSClient } from '@aws-sdk/client-rds';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { findCluster, findInstance } from '../aws/rds';
import { CURRENT_STAGE, runVersionId } from '../aws/secrets';
import { DbRefreshError } from '../errors';
import type { Plan, ResourceKind } from '../run/plan';
import type { ConnectionSettings } from './connect';
import type { SqlDialect } from './split-statements';

/**
 * How the steps that run SQL reach a database of the run: its endpoint, read from RDS, and its admin
 * login, read from Secrets Manager. The restored copy is reached with the password the admin password
 * step gave it; the live target with the password it has now.
 */

/** What a SQL step needs to know about a database of the run, instance or cluster. */
export interface DatabaseEndpoint {
  readonly kind: ResourceKind;
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** The database created with the instance or cluster (DBName), if any. */
  readonly database?: string;
  readonly masterUsername?: string;
  /** The RDS-managed master user secret, when RDS manages the admin password. */
  readonly managedSecretArn?: string;
}

/** The admin login a secret holds: the username may be missing (the database's MasterUsername then). */
export interface Login {
  readonly username?: string;
  readonly password: string;
}

/**
 * The restored copy (`plan.target.temporaryId`), which must exist and have an endpoint.
 * @throws DbRefreshError naming the copy when it does not exist or has no endpoint yet
 */
export function describeCopy(rds: RDSClient, plan: Plan): Promise<DatabaseEndpoint> {
  return describeEndpoint(
    rds,
    plan.target.kind,
    plan.target.temporaryId,
    (kind, id) =>
      `The restored copy, DB ${kind} ${id}, does not exist; the restore step must create it before SQL runs on it`,
  );
}

/**
 * The live target (`plan.target.id`) before the swap, which must exist and have an endpoint.
 * @throws DbRefreshError naming the target when it does not exist or has no endpoint
 */
export function describeTarget(rds: RDSClient, plan: Plan): Promise<DatabaseEndpoint> {
  return describeEndpoint(
    rds,
    plan.target.kind,
    plan.target.id,
    (kind, id) =>
      `The target, DB ${kind} ${id}, does not exist; it existed when the refresh was planned, so check whether it was deleted or renamed since`,
  );
}

async function describeEndpoint(
  rds: RDSClient,
  kind: ResourceKind,
  id: string,
  missing: (kind: ResourceKind, id: string) => string,
): Promise<DatabaseEndpoint> {
  const found =
    kind === 'instance'
      ? await findInstance(rds, id).then(
          (instance) =>
            instance && {
              host: instance.Endpoint?.Address,
              port: instance.Endpoint?.Port,
              database: instance.DBName,
              masterUsername: instance.MasterUsername,
              managedSecretArn: instance.MasterUserSecret?.SecretArn,
            },
        )
      : await findCluster(rds, id).then(
          (cluster) =>
            cluster && {
              host: cluster.Endpoint,
              port: cluster.Port,
              database: cluster.DatabaseName,
              masterUsername: cluster.MasterUsername,
              managedSecretArn: cluster.MasterUserSecret?.SecretArn,
            },
        );
  if (found === undefined) throw new DbRefreshError(missing(kind, id));
  const { host, port, ...rest } = found;
  if (host === undefined || port === undefined) {
    throw new DbRefreshError(
      `DB ${kind} ${id} has no endpoint yet; SQL can only run on it once it is available`,
    );
  }
  return { kind, id, host, port, ...rest };
}

/**
 * Which version of a secret holds a database's admin login: a version id (the run's own password, which no
 * label reliably names) or a staging label (AWSCURRENT of a password the run did not write).
 */
export type LoginSecret =
  | { readonly secretId: string; readonly versionId: string; readonly stage?: undefined }
  | { readonly secretId: string; readonly stage: string; readonly versionId?: undefined };

/**
 * Where the copy's admin login is. An RDS-managed password is in the copy's own secret (AWSCURRENT); a
 * generated one in the target's secret, in the version the password step wrote, read by its id: before the
 * swap it carries DBREFRESH_PENDING in an existing secret, and only AWSCURRENT in a secret the run created,
 * because CreateSecret's only version is AWSCURRENT.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
 * @throws DbRefreshError when the plan expects an RDS-managed secret and the copy has none
 */
export function copyLoginSecret(plan: Plan, copy: DatabaseEndpoint): LoginSecret {
  if (!plan.adminPassword.managed) {
    return { secretId: plan.adminPassword.secretName, versionId: runVersionId(plan.runId) };
  }
  if (copy.managedSecretArn === undefined) {
    throw new DbRefreshError(
      `${copy.id} has no RDS-managed master user secret, but the plan expects one (adminPassword managed); check that ManageMasterUserPassword was set on the copy`,
    );
  }
  return { secretId: copy.managedSecretArn, stage: CURRENT_STAGE };
}

/** The admin login of the copy (see copyLoginSecret). */
export async function copyConnectionSettings(
  secrets: SecretsManagerClient,
  plan: Plan,
  copy: DatabaseEndpoint,
  dialect: SqlDialect,
): Promise<ConnectionSettings> {
  const secret = copyLoginSecret(plan, copy);
  return connectionSettingsFor(copy, await readLogin(secrets, secret), dialect, secret);
}

/**
 * The admin login the live target has now: its RDS-managed secret when RDS manages its password, else
 * the target's secret at AWSCURRENT (the run has not changed either yet).
 */
export async function targetConnectionSettings(
  secrets: SecretsManagerClient,
  plan: Plan,
  target: DatabaseEndpoint,
  dialect: SqlDialect,
): Promise<ConnectionSettings> {
  const secret = {
    secretId: target.managedSecretArn ?? plan.adminPassword.secretName,
    stage: CURRENT_STAGE,
  };
  return connectionSettingsFor(target, await readLogin(secrets, secret), dialect, secret);
}

/**
 * How to connect to a database with a login read from `secret`: the login's user, else the database's
 * master user; the database created with it, else `postgres` for PostgreSQL (which always needs one).
 */
export function connectionSettingsFor(
  database: Pick<DatabaseEndpoint, 'id' | 'host' | 'port' | 'database' | 'masterUsername'>,
  login: Login,
  dialect: SqlDialect,
  secret: LoginSecret,
): ConnectionSettings {
  const user = login.username ?? database.masterUsername;
  if (user === undefined) {
    throw new DbRefreshError(
      `Neither secret ${secret.secretId} (${versionOf(secret)}) nor ${database.id} names the admin user`,
    );
  }
  return {
    host: database.host,
    port: database.port,
    user,
    password: login.password,
    database: database.database ?? (dialect === 'postgres' ? 'postgres' : undefined),
  };
}

/**
 * Reads the admin login from one version of a secret in the RDS format (JSON with `password`, and usually
 * `username`).
 * @throws DbRefreshError naming the secret (never its text) when the version is missing or holds no password
 */
export async function readLogin(secrets: SecretsManagerClient, secret: LoginSecret): Promise<Login> {
  const { secretId } = secret;
  let secretString: string | undefined;
  try {
    const out = await secrets.send(
      new GetSecretValueCommand({
        SecretId: secretId,
        VersionId: secret.versionId,
        VersionStage: secret.stage,
      }),
    );
    secretString = out.SecretString;
  } catch (error: unknown) {
    if (error instanceof ResourceNotFoundException || isNamed(error, 'ResourceNotFoundException')) {
      throw new DbRefreshError(
        secret.versionId !== undefined
          ? `Secret ${secretId} has no version ${secret.versionId}; the admin password step stores the copy's password there before SQL runs on the copy. Check that the secret was not deleted or replaced during the run`
          : `Secret ${secretId} has no ${secret.stage} version; it must hold the database's admin login (username and password)`,
        { cause: error },
      );
    }
    throw error;
  }
  const login = parseLogin(secretString);
  if (login === undefined) {
    // The secret's text may hold the password itself: name the secret only.
    throw new DbRefreshError(
      `Secret ${secretId} (${versionOf(secret)}) is not JSON with a string "password" field, as RDS and dbrefresh write it`,
    );
  }
  return login;
}

/** How messages name the version: its label, or `version <id>`. */
function versionOf(secret: LoginSecret): string {
  return secret.versionId !== undefined ? `version ${secret.versionId}` : (secret.stage ?? CURRENT_STAGE);
}

function parseLogin(secretString: string | undefined): Login | undefined {
  if (secretString === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(secretString);
  } catch (error: unknown) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { username, password } = value as { username?: unknown; password?: unknown };
  if (typeof password !== 'string') return undefined;
  return { password, username: typeof username === 'string' && username !== '' ? username : undefined };
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}
