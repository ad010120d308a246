import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { DbRefreshError } from '../shared/errors';
import { ResourceKindSchema } from '../shared/run/plan';
import type { ScriptResult } from '../shared/run/run-state';
import {
  type ConnectionSettings,
  type OpenConnection,
  openConnection,
  type TlsMode,
} from '../shared/sql/connect';
import { connectionSettingsFor, type Login, type LoginSecret, readLogin } from '../shared/sql/database-login';
import { tlsFromEnvironment } from '../shared/sql/database-tls';
import {
  assertFitsOneTransaction,
  describeSqlError,
  executeScript,
  type Script,
  splitScript,
} from '../shared/sql/execute-script';
import { readScript, scriptKey, verifyNoRows, withConnection } from '../shared/sql/script-files';

/**
 * What the step asks the runner instance to do, passed as the command's one argument (base64 JSON).
 * It names the secret and version to read, never the password: SSM keeps command parameters in its history.
 */
export const RunnerJobSchema = z.object({
  /** The restored copy: names it in messages, and where to connect (not secret). */
  copy: z.object({
    kind: ResourceKindSchema,
    id: z.string().min(1),
    host: z.string().min(1),
    port: z.number().int().positive(),
    database: z.string().optional(),
    /** The admin user when the secret does not name one. */
    masterUsername: z.string().optional(),
  }),
  /**
   * The secret holding the copy's admin login, read with the instance's role: the run's version by its id
   * (dbrefresh's generated password), or a labelled version (an RDS-managed secret's AWSCURRENT).
   */
  secret: z.union([
    z.strictObject({ id: z.string().min(1), versionId: z.string().min(1) }),
    z.strictObject({ id: z.string().min(1), versionStage: z.string().min(1) }),
  ]),
  dialect: z.enum(['mysql', 'postgres']),
  bucket: z.string().min(1),
  prefix: z.string().optional(),
  keys: z.array(z.string().min(1)).min(1),
  /** `scripts.transaction` of the refresh file. */
  transaction: z.enum(['none', 'per-file']).optional(),
  verify: z.array(z.string()).optional(),
});
export type RunnerJob = z.output<typeof RunnerJobSchema>;

/** Starts the one line of stderr that tells the step why the runner failed (already redacted). */
export const RUNNER_ERROR_PREFIX = 'dbrefresh-runner-error: ';

/** The job as the command's argument: base64 has no character the shell would interpret. */
export function encodeJob(job: RunnerJob): string {
  return Buffer.from(JSON.stringify(RunnerJobSchema.parse(job)), 'utf8').toString('base64');
}

/** @throws DbRefreshError when the argument is not a job the step wrote */
export function decodeJob(argument: string): RunnerJob {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(argument, 'base64').toString('utf8'));
  } catch (error: unknown) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new DbRefreshError('The runner argument is not base64 JSON; the scripts step writes it', {
      cause: error,
    });
  }
  const parsed = RunnerJobSchema.safeParse(value);
  if (!parsed.success) {
    throw new DbRefreshError(
      `The runner argument is not a scripts job (${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}); the scripts step and the runner bundle must come from the same deployment`,
    );
  }
  return parsed.data;
}

export interface RunnerDependencies {
  readonly secrets: SecretsManagerClient;
  readonly s3: S3Client;
  readonly openConnection: OpenConnection;
  readonly tls: TlsMode;
  /** A monotonic clock in milliseconds, for each file's duration. */
  readonly clock: () => number;
  /** Writes one line of standard output. */
  readonly print: (line: string) => void;
}

/**
 * Runs every script of the job in order, each whole (no time budget: the command's execution timeout
 * bounds it) on its own session with the executor the Lambda method uses, in the job's transaction mode,
 * then the verification queries. Every file is read and checked before anything runs, as on Lambda.
 * Prints one ScriptResult line (JSON) per file as it finishes.
 * @throws ScriptError when a script or a verification query fails (redacted by the executor)
 */
export async function runJob(job: RunnerJob, deps: RunnerDependencies): Promise<ScriptResult[]> {
  const transaction = job.transaction ?? 'none';
  const settings = await connectionSettings(deps.secrets, job);
  const files: Script[] = [];
  for (const key of job.keys) {
    const text = await readScript(deps.s3, job.bucket, scriptKey(job.prefix, key));
    files.push(splitScript(key, text, job.dialect));
  }
  if (transaction === 'per-file') assertFitsOneTransaction(files);
  const results: ScriptResult[] = [];
  for (const script of files) {
    const startedAt = deps.clock();
    const progress = await withConnection(
      deps.openConnection(job.dialect, settings, deps.tls),
      (connection) =>
        executeScript(connection, script, { startIndex: 0, shouldStop: () => false, transaction }),
    );
    const result: ScriptResult = {
      file: script.key,
      statements: progress.executed,
      rowsAffected: progress.rowsAffected,
      seconds: Math.round(deps.clock() - startedAt) / 1000,
    };
    results.push(result);
    deps.print(JSON.stringify(result));
  }
  const verify = job.verify ?? [];
  if (verify.length > 0) {
    await withConnection(deps.openConnection(job.dialect, settings, deps.tls), (connection) =>
      verifyNoRows(connection, verify),
    );
  }
  return results;
}

/**
 * The runner's program: decodes its one argument, runs the job, and returns the exit code. On failure
 * it writes one line to `printError`, RUNNER_ERROR_PREFIX and the error's name and message: a ScriptError
 * is redacted by the executor, and any other message has its quoted values redacted here.
 */
export async function main(
  args: readonly string[],
  deps: RunnerDependencies & { readonly printError: (line: string) => void },
): Promise<number> {
  try {
    const [argument] = args;
    if (argument === undefined || args.length !== 1) {
      throw new DbRefreshError(
        `The runner takes one argument, the base64 JSON job the scripts step writes; it got ${args.length}`,
      );
    }
    await runJob(decodeJob(argument), deps);
    return 0;
  } catch (error: unknown) {
    deps.printError(`${RUNNER_ERROR_PREFIX}${describeFailure(error)}`);
    return 1;
  }
}

/** One line: dbrefresh's own messages as they are (they hold no data), anything else redacted. */
function describeFailure(error: unknown): string {
  const text =
    error instanceof DbRefreshError
      ? `${error.name}: ${error.message}`
      : error instanceof Error
        ? `${error.name}: ${describeSqlError(error, '')}`
        : 'unknown error';
  return text.replace(/\s*\n\s*/g, ' | ');
}

/**
 * The admin login of the copy from the secret the job names. The job carries only the secret's id and
 * version; the password is read here with the instance's role and never leaves this process.
 */
async function connectionSettings(
  secrets: SecretsManagerClient,
  job: RunnerJob,
): Promise<ConnectionSettings> {
  const secret: LoginSecret =
    'versionId' in job.secret
      ? { secretId: job.secret.id, versionId: job.secret.versionId }
      : { secretId: job.secret.id, stage: job.secret.versionStage };
  let login: Login;
  try {
    login = await readLogin(secrets, secret);
  } catch (error: unknown) {
    if (error instanceof Error && error.name === 'AccessDeniedException') {
      throw new DbRefreshError(
        `The runner instance's role may not read secret ${secret.secretId}; it reads secrets named dbrefresh/* and RDS-managed rds!* ones: use such a secret name (adminPassword.secretName) or widen the role`,
        { cause: error },
      );
    }
    throw error;
  }
  return connectionSettingsFor(job.copy, login, job.dialect, secret);
}

/**
 * Runs `main` as the command SSM starts: SDK default credentials (the instance role), verified TLS as on Lambda
 * (the RDS CAs, or those of DB_CA_BUNDLE).
 */
async function commandLine(): Promise<void> {
  const printError = (line: string) => process.stderr.write(`${line}\n`);
  const tls = tlsFromEnvironment(process.env);
  const secrets = new SecretsManagerClient(SDK_CLIENT_CONFIG);
  const s3 = new S3Client(SDK_CLIENT_CONFIG);
  try {
    process.exitCode = await main(process.argv.slice(2), {
      secrets,
      s3,
      openConnection,
      tls,
      clock: () => performance.now(),
      print: (line) => process.stdout.write(`${line}\n`),
      printError,
    });
  } finally {
    secrets.destroy();
    s3.destroy();
  }
}

if (require.main === module) void commandLine();
