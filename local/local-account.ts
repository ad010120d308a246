import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { SCHEDULE_GROUP_NAME } from '../lib/constructs/refresh-schedules';
import { Faults } from './endpoint/faults';
import type { TerminalStatusHook } from './endpoint/rds/dependencies';
import { RdsService } from './endpoint/rds/rds-service';
import { LOCAL_ACCOUNT_ID, type LocalEndpoint, startLocalEndpoint } from './endpoint/server';
import { LocalCloudFormation } from './endpoint/services/cloudformation';
import { LocalDynamoDb } from './endpoint/services/dynamodb';
import { LocalKms } from './endpoint/services/kms';
import { LocalLambda } from './endpoint/services/lambda';
import { LocalS3 } from './endpoint/services/s3';
import { SecretStore, secretsManagerService } from './endpoint/services/secrets-manager';
import { LocalSns } from './endpoint/services/sns';
import { LocalSsm } from './endpoint/services/ssm';
import { LocalStates } from './endpoint/services/states';
import { EngineManager } from './engines/engine-manager';
import { evaluateAccess } from './iam/evaluate-policy';
import { type LocalCredentials, LocalIdentities, type LocalRole } from './iam/identities';
import { FunctionHost } from './runner/function-host';
import { REFRESH_STATE_MACHINE_NAME, refreshStateMachine } from './runner/refresh-executions';
import { type LocalResources, loadRefreshMachine } from './runner/refresh-machine';
import { TaskTokens } from './runner/task-tokens';
import { AccountSchedules } from './schedules/account-schedules';

/** Where local mode keeps its "account" unless told otherwise: `.dbrefresh/` in the project. */
export const DEFAULT_STATE_DIR = path.join(__dirname, '..', '.dbrefresh');
export const LOCAL_REGION = 'eu-west-1';
const HISTORY_TABLE = 'dbrefresh-history';
const NOTIFICATION_TOPIC = 'dbrefresh-notifications';
/** The stack's preserved-data bucket (lib/constructs/preserved-data-bucket.ts). */
const PRESERVED_DATA_BUCKET = 'dbrefresh-preserved-data';
/** The local SSM "instance" that runs `scripts.method: "ec2"`. */
export const LOCAL_SCRIPT_RUNNER_ID = 'i-localrunner';

/** The runner program from this checkout, run with tsx by the Node.js running local mode. */
const LOCAL_SCRIPT_RUNNER = {
  instanceId: LOCAL_SCRIPT_RUNNER_ID,
  command: [
    process.execPath,
    '--require',
    require.resolve('tsx/cjs'),
    path.join(__dirname, '..', 'lambdas', 'scripts', 'ec2-runner.ts'),
  ]
    .map(shellQuoted)
    .join(' '),
} as const;

function shellQuoted(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Where the database servers of a state directory live: `<stateDir>/engines`, unless this is root and a
 * parent of the state directory is private (a clone made with `mktemp -d`, a project under /root). The
 * engines run as the mysql and postgres accounts, which could not reach it; their data then goes to
 * /var/tmp, one folder per state directory, so every process finds the same servers.
 */
export function enginesRootFor(stateDir: string): string {
  const resolved = path.resolve(stateDir);
  const inside = path.join(resolved, 'engines');
  if (process.getuid?.() !== 0 || parentsTraversable(resolved)) return inside;
  const id = createHash('sha256').update(resolved).digest('hex').slice(0, 12);
  return path.join('/var/tmp', `dbrefresh-${id}`, 'engines');
}

/** Deletes a state directory and the engines' data that belongs to it (stop the servers first). */
export function removeLocalAccountFiles(stateDir: string): void {
  const enginesRoot = enginesRootFor(stateDir);
  if (!enginesRoot.startsWith(`${path.resolve(stateDir)}${path.sep}`)) {
    rmSync(path.dirname(enginesRoot), { recursive: true, force: true });
  }
  rmSync(stateDir, { recursive: true, force: true });
}

/** Whether every existing parent of `directory` lets other accounts pass through (o+x). */
function parentsTraversable(directory: string): boolean {
  for (let parent = path.dirname(directory); ; parent = path.dirname(parent)) {
    if (existsSync(parent) && (statSync(parent).mode & 0o001) === 0) return false;
    if (parent === path.dirname(parent)) return true;
  }
}

export interface LocalAccountOptions {
  /** @default DEFAULT_STATE_DIR */
  readonly stateDir?: string;
  /** @default - a free port */
  readonly port?: number;
  /**
   * Scales how long RDS statuses are shown (1 s per phase at 1).
   * @default 1
   */
  readonly delayScale?: number;
  /**
   * Fault injection: the status an RDS change ends in instead of its outcome (see RdsServiceOptions).
   * @default - every change reaches its normal outcome
   */
  readonly terminalStatus?: TerminalStatusHook;
  /**
   * The refresh files whose schedules the account's Scheduler holds and fires (as `cdk deploy -c refreshFiles=`).
   * @default - no schedules
   */
  readonly refreshFilesDir?: string;
  /**
   * Told each time a schedule fires or fails to (one line).
   * @default - not told
   */
  readonly onScheduleEvent?: (line: string) => void;
}

/** A local AWS account: one endpoint serving RDS (real engines), Secrets Manager, SNS, S3, KMS, Lambda, SSM and DynamoDB. */
export interface LocalAccount extends LocalResources {
  readonly url: string;
  readonly region: string;
  readonly account: string;
  readonly stateDir: string;
  /** Who may sign requests: the administrator (key pair in `<stateDir>/credentials.json`) and role sessions. */
  readonly identities: LocalIdentities;
  /** The administrator's credentials: what the CLI, the demo and the tests' inspection clients sign with. */
  readonly credentials: LocalCredentials;
  readonly engines: EngineManager;
  readonly secrets: SecretStore;
  readonly sns: LocalSns;
  readonly s3: LocalS3;
  readonly kms: LocalKms;
  readonly rds: RdsService;
  /** Lambda `Invoke` of functions registered in this process (the refresh file's hooks). */
  readonly lambda: LocalLambda;
  /** SSM Run Command (AWS-RunShellScript) on instances registered with `ssm.registerInstance`, run as local child processes. */
  readonly ssm: LocalSsm;
  /** Fault injection, read on every request from `<stateDir>/faults.json`. */
  readonly faultsFile: string;
  /** Step Functions: executions of the refresh state machine, run in this process (records in `<stateDir>/executions`). */
  readonly states: LocalStates;
  /** `arn:aws:states:eu-west-1:000000000000:stateMachine:DbRefresh`. */
  readonly stateMachineArn: string;
  /** The task tokens of waiting tasks, shared by the states service and every run of this process. */
  readonly taskTokens: TaskTokens;
  /** EventBridge Scheduler: the schedules of `refreshFilesDir`, fired while the account is open. */
  readonly schedules: AccountSchedules;
  /** Lambda: runs the step functions, each in its own environments with its role's credentials. */
  readonly functions: FunctionHost;
  close(): Promise<void>;
}

/**
 * Opens the local account kept in `stateDir` (creating it the first time): its database servers, its
 * secrets, topics, buckets and history table, behind one endpoint for `AWS_ENDPOINT_URL`.
 */
export async function openLocalAccount(options: LocalAccountOptions = {}): Promise<LocalAccount> {
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  mkdirSync(stateDir, { recursive: true });
  // The engines run as the mysql and postgres accounts when we are root; they must be able to pass through.
  if (process.getuid?.() === 0) chmodSync(stateDir, 0o711);
  const scope = { region: LOCAL_REGION, account: LOCAL_ACCOUNT_ID };
  const identities = LocalIdentities.open(stateDir, LOCAL_ACCOUNT_ID);
  const credentials = identities.administrator.credentials;
  // First: an invalid refresh file fails here, before any server starts.
  const schedules = new AccountSchedules({ stateDir, refreshFilesDir: options.refreshFilesDir, scope });
  const engines = new EngineManager({ root: enginesRootFor(stateDir) });
  const rds = new RdsService({
    engines,
    stateDir,
    delayScale: options.delayScale,
    terminalStatus: options.terminalStatus,
  });
  // Secrets and topics encrypted with a customer managed key can be used only while the key can.
  const kms = new LocalKms({ stateDir, scope });
  const secrets = new SecretStore({
    stateDir,
    scope,
    kms,
    rotate: (secretValue, secret) => rds.rotateAdminPassword(secretValue, secret.arn),
  });
  rds.useSecretStore({
    createSecret: async (name, value, tags) =>
      secrets.createManagedSecret(
        'rds.amazonaws.com',
        name,
        value,
        tags.map((tag) => ({ ...tag })),
        scope,
      ),
    deleteSecret: async (arn) => {
      secrets.deleteSecret({ SecretId: arn, ForceDeleteWithoutRecovery: true });
    },
  });
  const sns = new LocalSns({ stateDir, scope, kms });
  const notificationTopicArn = sns.createTopic(NOTIFICATION_TOPIC, scope);
  const s3 = new LocalS3(stateDir);
  await s3.createBucket(PRESERVED_DATA_BUCKET);
  const lambda = new LocalLambda({ scope });
  // IAM resolves the key ids and aliases that requests and resources name through the local KMS.
  rds.useKeys(kms);
  s3.useKeys(kms);
  sns.useKeys(kms);
  const ssm = new LocalSsm();
  const resources: LocalResources = {
    historyTableName: HISTORY_TABLE,
    notificationTopicArn,
    preservedDataBucketName: PRESERVED_DATA_BUCKET,
    scriptRunner: LOCAL_SCRIPT_RUNNER,
    refreshFilesDir: options.refreshFilesDir,
  };
  // The stack as it is deployed to this account: its functions' roles, the runner's and the schedules'.
  const machine = loadRefreshMachine(resources, scope);
  const taskTokens = new TaskTokens();
  const states = new LocalStates({
    stateDir,
    scope,
    tokens: taskTokens,
    stateMachine: refreshStateMachine({ ...resources, ...scope, taskTokens, functions: () => functions }),
  });
  // The stack's outputs (lib/refresh-stack.ts) with local values, for tools that find the deployment by them.
  const cloudformation = new LocalCloudFormation({
    scope,
    stacks: [
      {
        name: REFRESH_STATE_MACHINE_NAME,
        outputs: [
          { key: 'StateMachineArn', value: states.stateMachineArn },
          { key: 'HistoryTableName', value: HISTORY_TABLE },
          { key: 'NotificationTopicArn', value: notificationTopicArn },
          { key: 'ScheduleGroupName', value: SCHEDULE_GROUP_NAME },
        ],
      },
    ],
  });
  const dynamodb = await LocalDynamoDb.start({ stateDir });
  await dynamodb.ensureHistoryTable(HISTORY_TABLE);
  const faultsFile = path.join(stateDir, 'faults.json');
  let endpoint: LocalEndpoint;
  try {
    endpoint = await startLocalEndpoint({
      services: [
        rds,
        secretsManagerService(secrets, { keys: kms, functions: lambda }),
        sns,
        s3,
        kms,
        lambda,
        ssm,
        dynamodb,
        states,
        cloudformation,
        schedules.scheduler,
      ],
      identities,
      // Every request is evaluated against its caller's IAM policies, as AWS does.
      authorize: evaluateAccess,
      port: options.port,
      faults: Faults.fromFile(faultsFile),
      account: LOCAL_ACCOUNT_ID,
    });
  } catch (error: unknown) {
    await dynamodb.close();
    throw error;
  }
  // What an instance's role and configuration give it in AWS (the runner role's session); never in the
  // command's parameters.
  const runnerCredentials = identities.roleSession(
    onlyRole(machine.roles.instances, 'the script runner instance'),
    LOCAL_SCRIPT_RUNNER_ID,
  );
  ssm.registerInstance(LOCAL_SCRIPT_RUNNER_ID, {
    environment: {
      AWS_ENDPOINT_URL: endpoint.url,
      AWS_REGION: LOCAL_REGION,
      ...credentialVariables(runnerCredentials),
      DB_CA_BUNDLE: engines.certificateAuthority.certificateFile,
    },
  });
  const functions = new FunctionHost({
    endpointUrl: endpoint.url,
    region: LOCAL_REGION,
    account: LOCAL_ACCOUNT_ID,
    identities,
    runtimeEnvironment: {
      POWERTOOLS_LOG_LEVEL: 'WARN',
      // The functions verify the engines' certificates against the account's own CA, as they verify RDS's.
      DB_CA_BUNDLE: engines.certificateAuthority.certificateFile,
    },
  });
  // Scheduler starts executions as the schedules' role.
  if (schedules.count > 0) {
    const schedulerRole = onlyRole(machine.roles.schedules, 'the schedules');
    schedules.start(
      endpoint.url,
      LOCAL_REGION,
      identities.roleSession(schedulerRole, 'scheduler'),
      options.onScheduleEvent,
    );
  }
  return {
    url: endpoint.url,
    region: LOCAL_REGION,
    account: LOCAL_ACCOUNT_ID,
    stateDir,
    identities,
    credentials,
    engines,
    secrets,
    sns,
    s3,
    kms,
    rds,
    lambda,
    ssm,
    faultsFile,
    states,
    stateMachineArn: states.stateMachineArn,
    taskTokens,
    historyTableName: HISTORY_TABLE,
    notificationTopicArn,
    preservedDataBucketName: PRESERVED_DATA_BUCKET,
    scriptRunner: LOCAL_SCRIPT_RUNNER,
    schedules,
    functions,
    close: async () => {
      await schedules.stop();
      await functions.close();
      await endpoint.close();
    },
  };
}

/** The one role of a kind the stack declares (all the schedules share one role; there is one runner). */
function onlyRole(roles: ReadonlyMap<string, LocalRole>, of: string): LocalRole {
  const distinct = [...new Map([...roles.values()].map((role) => [role.name, role])).values()];
  const [role] = distinct;
  if (!role || distinct.length > 1) {
    throw new Error(
      `The synthesized stack gives ${of} ${distinct.length} roles (${distinct.map((r) => r.name).join(', ')}); local mode expects one`,
    );
  }
  return role;
}

/** A process's AWS credential variables, as EC2's instance profile or Lambda provide them. */
function credentialVariables(credentials: LocalCredentials): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(credentials.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: credentials.sessionToken }),
  };
}
