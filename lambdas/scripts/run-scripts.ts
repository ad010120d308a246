import type { RDSClient } from '@aws-sdk/client-rds';
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { findCluster, findInstance } from '../shared/aws/rds';
import { isTransient } from '../shared/aws/transient';
import { DbRefreshError, GuardError, ScriptError } from '../shared/errors';
import { logger, type StepContext } from '../shared/handler';
import { continuePoll, type PollState, startPoll } from '../shared/poll';
import type { Plan } from '../shared/run/plan';
import type { RunState } from '../shared/run/run-state';
import type { ConnectionSettings, OpenConnection, SqlConnection, TlsMode } from '../shared/sql/connect';
import { describeSqlError, executeScript, splitScript } from '../shared/sql/execute-script';
import type { SqlDialect } from '../shared/sql/split-statements';

/** The first check comes at once (the script runs in the start invocation); scripts get six hours in all. */
export const SCRIPTS_TIMING = { expectedSeconds: 1, timeoutSeconds: 6 * 3600 } as const;

/** The time kept back at the end of an invocation: no statement starts with less than this left. */
export const DEFAULT_RESERVE_MILLISECONDS = 60_000;

export interface ScriptsDependencies {
  readonly rds: RDSClient;
  readonly secrets: SecretsManagerClient;
  readonly s3: S3Client;
  readonly openConnection: OpenConnection;
  readonly tls: TlsMode;
  readonly context: StepContext;
  /** The clock, read when the invocation ends as well as when it starts: an invocation can run for minutes. */
  readonly now: () => Date;
  /** @default DEFAULT_RESERVE_MILLISECONDS */
  readonly reserveMilliseconds?: number;
}

/** Starts the scripts on the restored copy and runs them for as long as this invocation allows. */
export async function startScripts(state: RunState, deps: ScriptsDependencies): Promise<PollState> {
  const poll = startPoll(deps.now(), SCRIPTS_TIMING);
  return runScripts(state.plan, { ...poll, position: 0 }, deps);
}

/** Runs the scripts on from `polls.scripts.position`, then the verification queries once all are done. */
export async function checkScripts(state: RunState, deps: ScriptsDependencies): Promise<PollState> {
  const poll = state.polls.scripts;
  if (poll === undefined) {
    throw new DbRefreshError('No poll state at polls.scripts: "Run scripts" must run before its check');
  }
  return runScripts(state.plan, poll, deps);
}

/**
 * Runs the statements of every script in order, skipping the first `poll.position` (run by earlier
 * invocations), until all are done or too little of the invocation remains. Each file runs in its own
 * session, as it would with the command-line client. Returns the poll state with the new position.
 */
async function runScripts(plan: Plan, poll: PollState, deps: ScriptsDependencies): Promise<PollState> {
  const dialect = plan.dialect;
  if (dialect === null) throw new GuardError(`scripts are not supported for engine ${plan.engine}`);
  const scripts = plan.file.scripts;
  if (scripts === undefined) {
    throw new GuardError(`The refresh file of ${plan.target.id} has no scripts; this step should be skipped`);
  }
  const what = `Scripts on ${plan.target.temporaryId}`;
  const reserve = deps.reserveMilliseconds ?? DEFAULT_RESERVE_MILLISECONDS;
  const copy = await describeCopy(deps.rds, plan);
  const settings = await connectionSettings(deps.secrets, plan, copy, dialect);

  const startPosition = poll.position ?? 0;
  let skip = startPosition;
  let position = startPosition;
  const outOfTime = (executedInFile: number) =>
    position - startPosition + executedInFile > 0 && deps.context.remainingMilliseconds() < reserve;

  for (const key of scripts.keys) {
    const text = await readScript(deps.s3, scripts.bucket, scriptKey(scripts.prefix, key));
    const script = splitScript(key, text, dialect);
    if (skip >= script.statements.length) {
      skip -= script.statements.length;
      continue;
    }
    const progress = await withConnection(deps, dialect, settings, (connection) =>
      executeScript(connection, script, { startIndex: skip, shouldStop: outOfTime }),
    );
    skip = 0;
    position += progress.executed;
    logger.info('Ran script', {
      key,
      statementsExecuted: progress.executed,
      rowsAffected: progress.rowsAffected,
      sessionSettingsReplayed: progress.replayed,
      statementsDone: progress.nextIndex,
      statementCount: script.statements.length,
    });
    if (!progress.finished) return pending(poll, position, deps, what);
  }

  const verify = scripts.verify ?? [];
  if (verify.length > 0) {
    if (outOfTime(0)) return pending(poll, position, deps, what);
    await withConnection(deps, dialect, settings, (connection) => verifyNoRows(connection, verify));
    logger.info('Verification queries returned no rows', { queries: verify.length });
  }
  return continuePoll({ ...poll, position }, deps.now(), true, what);
}

function pending(poll: PollState, position: number, deps: ScriptsDependencies, what: string): PollState {
  return continuePoll({ ...poll, position }, deps.now(), false, what, { intervalSeconds: 1 });
}

/** What the scripts need to know about the restored copy, instance or cluster. */
interface CopyDatabase {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly database?: string;
  readonly masterUsername?: string;
  readonly managedSecretArn?: string;
}

async function describeCopy(rds: RDSClient, plan: Plan): Promise<CopyDatabase> {
  const { kind, temporaryId: id } = plan.target;
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
  if (found === undefined) {
    throw new DbRefreshError(
      `The restored copy, DB ${kind} ${id}, does not exist; the restore step must create it before the scripts run`,
    );
  }
  const { host, port, ...rest } = found;
  if (host === undefined || port === undefined) {
    throw new DbRefreshError(
      `DB ${kind} ${id} has no endpoint yet; the scripts can only run once the copy is available`,
    );
  }
  return { id, host, port, ...rest };
}

/**
 * The admin login of the copy. An RDS-managed password is read from the copy's own secret; a generated
 * one from the target's secret at AWSPENDING, where the password step left it until the swap promotes it.
 */
async function connectionSettings(
  secrets: SecretsManagerClient,
  plan: Plan,
  copy: CopyDatabase,
  dialect: SqlDialect,
): Promise<ConnectionSettings> {
  let secretId: string;
  let stage: string;
  if (plan.adminPassword.managed) {
    if (copy.managedSecretArn === undefined) {
      throw new DbRefreshError(
        `${copy.id} has no RDS-managed master user secret, but the plan expects one (adminPassword managed); check that ManageMasterUserPassword was set on the copy`,
      );
    }
    secretId = copy.managedSecretArn;
    stage = 'AWSCURRENT';
  } else {
    secretId = plan.adminPassword.secretName;
    stage = 'AWSPENDING';
  }
  const login = await readLogin(secrets, secretId, stage);
  const user = login.username ?? copy.masterUsername;
  if (user === undefined) {
    throw new DbRefreshError(`Neither secret ${secretId} (${stage}) nor ${copy.id} names the admin user`);
  }
  return {
    host: copy.host,
    port: copy.port,
    user,
    password: login.password,
    database: copy.database ?? (dialect === 'postgres' ? 'postgres' : undefined),
  };
}

interface Login {
  readonly username?: string;
  readonly password: string;
}

async function readLogin(secrets: SecretsManagerClient, secretId: string, stage: string): Promise<Login> {
  let secretString: string | undefined;
  try {
    const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
    secretString = out.SecretString;
  } catch (error: unknown) {
    if (error instanceof ResourceNotFoundException || isNamed(error, 'ResourceNotFoundException')) {
      throw new DbRefreshError(
        `Secret ${secretId} has no ${stage} version; the admin password step stores the copy's password there before the scripts run`,
        { cause: error },
      );
    }
    throw error;
  }
  const login = parseLogin(secretString);
  if (login === undefined) {
    // The secret's text may hold the password itself: name the secret only.
    throw new DbRefreshError(
      `Secret ${secretId} (${stage}) is not JSON with a string "password" field, as RDS and dbrefresh write it`,
    );
  }
  return login;
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

/**
 * The S3 key of a script: the prefix is a folder, so `rdsmysql/mysqlinstd` (as the blog's files write it,
 * and as its runner reads `<prefix>/<key>`) and `rdsmysql/mysqlinstd/` name the same one.
 */
function scriptKey(prefix: string | undefined, key: string): string {
  if (!prefix) return key;
  return prefix.endsWith('/') ? `${prefix}${key}` : `${prefix}/${key}`;
}

async function readScript(s3: S3Client, bucket: string, key: string): Promise<string> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await out.Body?.transformToString('utf-8')) ?? '';
  } catch (error: unknown) {
    if (error instanceof NoSuchKey || isNamed(error, 'NoSuchKey')) {
      throw new ScriptError(
        `Script s3://${bucket}/${key} does not exist; upload it, or fix scripts.bucket, scripts.prefix or scripts.keys in the refresh file`,
        { cause: error },
      );
    }
    throw error;
  }
}

async function withConnection<T>(
  deps: ScriptsDependencies,
  dialect: SqlDialect,
  settings: ConnectionSettings,
  work: (connection: SqlConnection) => Promise<T>,
): Promise<T> {
  const connection = await deps.openConnection(dialect, settings, deps.tls);
  try {
    return await work(connection);
  } finally {
    await connection.close().catch((error: unknown) =>
      // The statements are committed by then; a failed goodbye changes nothing.
      logger.warn('Closing the database connection failed', {
        errorName: error instanceof Error ? error.name : typeof error,
      }),
    );
  }
}

/**
 * Runs each verification query; any row fails the refresh before the swap (fail closed).
 * @throws ScriptError with the query and the number of rows, never their values
 */
async function verifyNoRows(connection: SqlConnection, queries: readonly string[]): Promise<void> {
  for (const [index, query] of queries.entries()) {
    let rows: number;
    try {
      rows = await connection.query(query);
    } catch (error: unknown) {
      if (isTransient(error)) throw error;
      // No cause: the driver's error holds the unredacted server message.
      throw new ScriptError(
        `Verification query ${index + 1} failed: ${describeSqlError(error, query)}: ${query}`,
      );
    }
    if (rows > 0) {
      throw new ScriptError(`Verification query ${index + 1} returned ${rows} row(s): ${query}`);
    }
  }
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}
