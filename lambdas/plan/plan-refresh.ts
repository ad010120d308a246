import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { RDSClient, Tag } from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { REFRESHABLE_TAG, RESTORE_POINT_TAG_KEY, RUN_TAG_KEY, SOURCE_TAG_KEY } from '../shared/aws/rds';
import { GuardError, RefreshFileError } from '../shared/errors';
import { logger } from '../shared/handler';
import {
  acquireLock,
  expectedDurations,
  putRunningRecord,
  releaseLock,
} from '../shared/history/history-store';
import { retiredName, temporaryName } from '../shared/naming';
import { errorsOf, formatProblem, parseRefreshFile, type RefreshFile } from '../shared/refresh-model';
import type { Plan } from '../shared/run/plan';
import { runIdOf } from '../shared/run/run-id';
import type { RunInput } from '../shared/run/run-state';
import { checkCopy } from './copy-checks';
import { copyStorage } from './copy-storage';
import { checkGroups, restoredEngine } from './inspect-groups';
import { inspectSecret } from './inspect-secret';
import { engineFamily, inspectSource, type SourceFacts } from './inspect-source';
import { inspectClusterTarget, inspectInstanceTarget, type TargetFacts } from './inspect-target';
import { clusterSwapNames, duplicateNames, instanceSwapNames, type SwapNames } from './names';

/** How long a protected target's refresh waits for an approval when the file does not say. */
const DEFAULT_APPROVAL_TIMEOUT_HOURS = 24;

/** Kept here too: the plan step is where a run gets its id. */
export { runIdOf };

export interface PlanClients {
  readonly rds: RDSClient;
  readonly secrets: SecretsManagerClient;
  readonly kms: KMSClient;
  readonly history: DynamoDBDocumentClient;
  readonly historyTable: string;
  /**
   * Whether the deployment has a runner instance for scripts.method "ec2"; undefined when the caller cannot
   * tell (`dbrefresh plan`), which leaves the check to the scripts step.
   */
  readonly scriptRunnerConfigured?: boolean;
  /**
   * The secret names (IAM patterns) the runner instance's role may read; undefined when the caller cannot tell.
   */
  readonly scriptRunnerSecretNames?: readonly string[];
  /**
   * Whether the functions that connect to databases run in the databases' VPC; undefined when the caller
   * cannot tell (`dbrefresh plan`), which leaves the check to the steps.
   */
  readonly databaseFunctionsInVpc?: boolean;
}

export interface PlanRequest {
  readonly input: RunInput;
  readonly executionArn: string;
  /** The execution's start time: the run's start, and "now" for the file's rules. */
  readonly startTime: string;
}

/** The execution state after planning: the input, the plan, and room for each step's poll state. */
export interface PlannedRun extends RunInput {
  readonly plan: Plan;
  readonly polls: Record<string, never>;
}

/**
 * The first step: resolve the plan (which only reads, so a refusal changes nothing), then take the
 * target's lock and write the `running` record.
 */
export async function planRefresh(clients: PlanClients, request: PlanRequest): Promise<PlannedRun> {
  const complete = await resolvePlan(clients, request);
  const runId = complete.runId;
  await acquireLock(clients.history, clients.historyTable, {
    target: complete.target.id,
    runId,
    executionArn: request.executionArn,
    acquiredAt: new Date().toISOString(),
  });
  try {
    await putRunningRecord(clients.history, clients.historyTable, complete);
  } catch (error: unknown) {
    // The failure path cannot tell whose lock it would release without a plan, so release ours here.
    await releaseLock(clients.history, clients.historyTable, complete.target.id, runId);
    throw error;
  }
  logger.info('Planned', {
    target: complete.target.id,
    source: complete.source.id,
    restorePoint: complete.restorePoint,
  });
  return { ...request.input, plan: complete, polls: {} };
}

/**
 * Everything a run would do, without changing anything: validate the file, read the source and the
 * target, resolve every default and the restore point, and check the guards. `dbrefresh plan` shows it.
 * @throws RefreshFileError or GuardError when the run would be refused
 */
export async function resolvePlan(clients: PlanClients, request: PlanRequest): Promise<Plan> {
  const now = new Date(request.startTime);
  const file = parseOrThrow(request.input.refreshFile, now);
  const runId = runIdOf(request.executionArn);
  const source = await inspectSource(clients.rds, file, now);
  const family = checkEngine(file, source);
  const plan =
    file.service === 'rds'
      ? await planInstance(clients, file, source, runId)
      : await planCluster(clients, file, source, runId);
  const complete: Plan = {
    ...plan,
    runId,
    executionArn: request.executionArn,
    startedAt: now.toISOString(),
    requestedBy: request.input.requestedBy ?? 'unknown',
    engine: source.engine,
    engineFamily: family,
    engineVersion: source.engineVersion,
    dialect: dialectOf(family),
    source: { id: source.id, arn: source.arn },
    restorePoint: source.restorePoint,
    snapshot: source.snapshot,
    expectedSeconds: await expectedDurations(clients.history, clients.historyTable, plan.target.id),
  };
  await checkKeys(clients.kms, file, source);
  checkScripts(complete, clients.scriptRunnerConfigured, clients.scriptRunnerSecretNames);
  checkPreserve(complete);
  checkCopy(complete, { databaseFunctionsInVpc: clients.databaseFunctionsInVpc });
  await checkGroups(clients.rds, complete.file, file, restoredEngine(file, source));
  checkStateSize(request.input, complete);
  return complete;
}

/**
 * Step Functions fails an execution whose state passes 256 KiB with States.DataLimitExceeded, which no Catch
 * handles: the run would end unrecorded, its lock held. The state carries the execution input and the plan from
 * the first step on, and the steps' poll states and results after, so the input and the plan may take at most
 * this much of it.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (input or output size: 256 KiB)
 */
export const MAX_PLANNED_STATE_BYTES = 160 * 1024;

function checkStateSize(input: RunInput, plan: Plan): void {
  const bytes = Buffer.byteLength(JSON.stringify({ ...input, plan }), 'utf8');
  if (bytes > MAX_PLANNED_STATE_BYTES) {
    throw new GuardError(
      `The refresh file and its plan take ${Math.ceil(bytes / 1024)} KiB of the run's state, more than the ` +
        `${MAX_PLANNED_STATE_BYTES / 1024} KiB dbrefresh allows them: Step Functions fails a run whose state passes ` +
        '256 KiB, with nothing recorded. Shorten the refresh file (its comment, tags, preserve lists or verification queries)',
    );
  }
}

type PartialPlan = Omit<
  Plan,
  | 'runId'
  | 'executionArn'
  | 'startedAt'
  | 'requestedBy'
  | 'engine'
  | 'engineFamily'
  | 'engineVersion'
  | 'dialect'
  | 'source'
  | 'restorePoint'
  | 'snapshot'
  | 'expectedSeconds'
>;

async function planInstance(
  clients: PlanClients,
  file: Extract<RefreshFile, { service: 'rds' }>,
  source: SourceFacts,
  runId: string,
): Promise<PartialPlan> {
  const target = await inspectInstanceTarget(clients.rds, file);
  const settings = copyStorage(target.settings, file.target, {
    engine: engineFamily(source.engine),
    allocatedStorageGiB: source.allocatedStorageGiB,
  });
  const targetId = file.target.instance;
  const replicas = (file.replicas ?? target.liveReplicas).map((replica) => ({
    instance: replica.instance,
    instanceClass:
      replica.instanceClass ?? target.settings.instanceClass ?? source.instanceClass ?? 'db.t4g.medium',
    ...(replica.port !== undefined && { port: replica.port }),
  }));
  const swap = instanceSwapNames(
    { runId, targetId, targetExists: target.exists },
    target.liveReplicas.map((replica) => replica.instance),
    replicas,
  );
  const resolved: RefreshFile = {
    ...file,
    target: { ...settings, instance: targetId },
    replicas: replicas.map((replica) => ({ ...replica })),
  };
  return commonPlan(clients, resolved, target, swap, runId, source, 'instance');
}

async function planCluster(
  clients: PlanClients,
  file: Extract<RefreshFile, { service: 'aurora' }>,
  source: SourceFacts,
  runId: string,
): Promise<PartialPlan> {
  const target = await inspectClusterTarget(clients.rds, file);
  const targetId = file.target.cluster;
  const instanceClass = target.settings.instanceClass ?? source.instanceClass;
  if (!instanceClass) {
    throw new GuardError(
      `Cannot tell the instance class of the new cluster ${targetId}: set target.instanceClass (for example "db.r6g.large" or "db.serverless")`,
    );
  }
  const writer = { instance: target.settings.writer ?? target.writer ?? `${targetId}-1`, instanceClass };
  const readers = (file.replicas ?? target.liveReplicas).map((reader) => ({
    instance: reader.instance,
    instanceClass: reader.instanceClass ?? instanceClass,
  }));
  const swap = clusterSwapNames(
    { runId, targetId, targetExists: target.exists },
    { writer: target.writer, readers: target.liveReplicas.map((reader) => reader.instance) },
    writer,
    readers,
  );
  const resolved: RefreshFile = {
    ...file,
    target: { ...target.settings, cluster: targetId, writer: writer.instance, instanceClass },
    replicas: readers,
  };
  return commonPlan(clients, resolved, target, swap, runId, source, 'cluster');
}

async function commonPlan(
  clients: PlanClients,
  file: RefreshFile,
  target: TargetFacts<unknown>,
  swap: SwapNames,
  runId: string,
  source: SourceFacts,
  kind: 'instance' | 'cluster',
): Promise<PartialPlan> {
  const targetId = file.service === 'rds' ? file.target.instance : file.target.cluster;
  const duplicates = duplicateNames(swap);
  if (duplicates.length > 0) {
    throw new GuardError(
      `The refresh would use these names twice: ${duplicates.join(', ')}; give the instances names that differ in their first 50 characters`,
    );
  }
  const adminPassword = await inspectSecret(clients.secrets, file, targetId);
  const keepHours = file.oldTarget?.keepHours ?? 0;
  const approval = approvalOf(file);
  return {
    file,
    target: {
      kind,
      id: targetId,
      exists: target.exists,
      temporaryId: temporaryName(targetId, runId),
      retiredId: retiredName(targetId, runId),
    },
    writer: swap.writer,
    replicas: swap.replicas,
    renames: swap.renames,
    retired: swap.retired,
    tags: refreshedTags(target.tags, file, runId, source),
    adminPassword,
    steps: {
      approval: approval !== null,
      // A new target has nothing to keep.
      preserve: file.preserve !== undefined && target.exists,
      scripts: file.scripts !== undefined,
      hookBeforeSwap: file.hooks?.beforeSwap !== undefined,
      replicas: file.service === 'rds' && swap.replicas.length > 0,
      rotateSecret: adminPassword.rotate,
      retire: target.exists,
      keepOldTarget: target.exists && keepHours > 0,
      hookAfterRefresh: file.hooks?.afterRefresh !== undefined,
    },
    approval,
    keepOldTargetSeconds: keepHours * 3600,
  };
}

/**
 * The tags of the refreshed target: the live target's own (never `aws:` ones, which AWS owns), the
 * file's, and dbrefresh's: refreshable (so the next refresh and the IAM conditions accept it), the run
 * that created it, the source, and the point in time its data is aligned to.
 */
export function refreshedTags(
  liveTags: readonly Tag[],
  file: RefreshFile,
  runId: string,
  source: SourceFacts,
): { Key: string; Value: string }[] {
  const tags = new Map<string, string>();
  for (const tag of liveTags) {
    if (tag.Key && tag.Value !== undefined && !/^(aws|dbrefresh):/.test(tag.Key))
      tags.set(tag.Key, tag.Value);
  }
  for (const [key, value] of Object.entries(file.tags ?? {})) tags.set(key, value);
  tags.set(REFRESHABLE_TAG.Key, REFRESHABLE_TAG.Value);
  tags.set(RUN_TAG_KEY, runId);
  tags.set(SOURCE_TAG_KEY, source.id);
  tags.set(RESTORE_POINT_TAG_KEY, source.restorePoint);
  if (tags.size > MAX_TAGS) {
    const own = 4;
    throw new GuardError(
      `The refreshed target would carry ${tags.size} tags: the ${tags.size - own} the live target and the ` +
        `file's tags give it, and dbrefresh's own ${own}; RDS allows at most ${MAX_TAGS} per resource, and would refuse the ` +
        `restore. Remove ${tags.size - MAX_TAGS} of them from the target or from the file's tags`,
    );
  }
  return [...tags].map(([Key, Value]) => ({ Key, Value }));
}

/**
 * RDS allows at most 50 tags on a resource.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Tagging.html
 */
const MAX_TAGS = 50;

/** The KMS keys the restore needs must be usable before anything starts. */
async function checkKeys(kms: KMSClient, file: RefreshFile, source: SourceFacts): Promise<void> {
  const keyId = file.target.kmsKeyId;
  if (keyId && file.service === 'rds') {
    throw new GuardError(
      'target.kmsKeyId is only supported for Aurora: an RDS instance restore keeps the key of its snapshot or source. Remove target.kmsKeyId, or share the snapshot encrypted with a key this account can use',
    );
  }
  for (const [what, id] of [
    ['target.kmsKeyId', keyId],
    ['the source snapshot key', file.restore.type === 'fromsnapshot' && !keyId ? source.kmsKeyId : undefined],
  ] as const) {
    if (!id) continue;
    try {
      const out = await kms.send(new DescribeKeyCommand({ KeyId: id }));
      if (out.KeyMetadata?.KeyState !== 'Enabled') {
        throw new GuardError(
          `KMS key ${id} (${what}) is ${out.KeyMetadata?.KeyState}; enable it or use another key`,
        );
      }
    } catch (error: unknown) {
      if (error instanceof GuardError) throw error;
      if (
        error instanceof Error &&
        (error.name === 'NotFoundException' || error.name === 'AccessDeniedException')
      ) {
        throw new GuardError(
          `KMS key ${id} (${what}) is not usable from this account (${error.name}); the key's owner must allow this account to use it (key policy or grant)`,
        );
      }
      throw error;
    }
  }
}

/**
 * A protected target waits for an approval before anything changes. Only the refresh file marks a
 * target protected (DESIGN.md §2): the file is what its owners review, and a tag on the target could be
 * removed by anyone allowed to tag it.
 */
function approvalOf(file: RefreshFile): Plan['approval'] {
  if (file.protected === undefined || file.protected === false) return null;
  const settings = file.protected === true ? {} : file.protected;
  return {
    approvers: settings.approvers ?? [],
    timeoutSeconds: (settings.timeoutHours ?? DEFAULT_APPROVAL_TIMEOUT_HOURS) * 3600,
  };
}

/** Preserved rows and users are read and written with SQL, so the engine needs a SQL dialect. */
function checkPreserve(plan: Plan): void {
  if (plan.file.preserve === undefined) return;
  if (plan.dialect === null) {
    throw new GuardError(
      `dbrefresh preserves tables and users on MySQL, MariaDB and PostgreSQL engines, not on ${plan.engine}; remove preserve, or keep the data with a hook (hooks.beforeSwap)`,
    );
  }
  if (!plan.steps.preserve) {
    logger.info('Nothing to preserve: the target does not exist yet', { target: plan.target.id });
  }
}

function checkScripts(
  plan: Plan,
  scriptRunnerConfigured: boolean | undefined,
  runnerSecretNames: readonly string[] | undefined,
): void {
  const scripts = plan.file.scripts;
  if (!scripts) return;
  if (plan.dialect === null) {
    throw new GuardError(
      `dbrefresh runs SQL scripts on MySQL, MariaDB and PostgreSQL engines, not on ${plan.engine}; remove scripts`,
    );
  }
  if (scripts.method === 'ec2' && scriptRunnerConfigured === false) {
    throw new GuardError(
      'scripts.method is "ec2", but this deployment has no script runner instance; deploy the stack with -c scriptRunner=true (with the vpcId, subnetIds and securityGroupIds context) or -c scriptRunnerInstanceId=<instance>, or remove scripts.method to run the scripts in Lambda',
    );
  }
  if (scripts.method === 'ec2' && runnerSecretNames !== undefined && !plan.adminPassword.managed) {
    const { secretName } = plan.adminPassword;
    if (!runnerMayReadSecret(secretName, runnerSecretNames)) {
      throw new GuardError(
        `scripts.method is "ec2", but the runner instance's role may read only secrets named ${runnerSecretNames.join(', ')}, ` +
          `not adminPassword.secretName "${secretName}", where the copy's admin login is; name a secret the runner may read ` +
          `(for example "dbrefresh/${plan.target.id}"), deploy with -c scriptRunnerSecretNames=<patterns> covering it, ` +
          'or remove scripts.method to run the scripts in Lambda',
      );
    }
  }
}

/**
 * Whether a secret's ARN (its name followed by Secrets Manager's six random characters) matches one of the IAM
 * resource patterns the runner's role reads secrets with (`*` any characters, `?` one).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html
 */
export function runnerMayReadSecret(secretName: string, patterns: readonly string[]): boolean {
  const arnName = `${secretName}-AbCdEf`;
  return patterns.some((pattern) => {
    const expression = pattern
      .split('*')
      .map((part) => part.split('?').map(escapeRegExp).join('.'))
      .join('.*');
    return new RegExp(`^${expression}$`).test(arnName);
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

function parseOrThrow(input: unknown, now: Date): RefreshFile {
  const parsed = parseRefreshFile(input, { now });
  const errors = errorsOf(parsed);
  if (errors.length > 0 || !parsed.refreshFile) {
    throw new RefreshFileError(
      `The refresh file has ${errors.length} problem(s):\n${errors.map((problem) => formatProblem('refresh file', problem)).join('\n')}`,
    );
  }
  return parsed.refreshFile;
}

function checkEngine(file: RefreshFile, source: SourceFacts) {
  const family = engineFamily(source.engine);
  if (file.engine && file.engine !== family) {
    throw new GuardError(
      `engine is "${file.engine}" but the source runs ${source.engine}; set engine to "${family}" or remove it`,
    );
  }
  // Without an engine in the file nothing else ties the source to the service (a Multi-AZ DB cluster reports "mysql").
  const aurora = family === 'aurora-mysql' || family === 'aurora-postgresql';
  if (aurora !== (file.service === 'aurora')) {
    throw new GuardError(
      `Source ${source.id} runs ${source.engine}, which service "${file.service}" does not refresh; use service "${aurora ? 'aurora' : 'rds'}" for ${aurora ? 'an Aurora cluster' : 'an RDS instance'} (Multi-AZ DB clusters are not supported)`,
    );
  }
  return family;
}

function dialectOf(family: Plan['engineFamily']): Plan['dialect'] {
  if (family === 'mysql' || family === 'mariadb' || family === 'aurora-mysql') return 'mysql';
  if (family === 'postgres' || family === 'aurora-postgresql') return 'postgres';
  return null;
}
