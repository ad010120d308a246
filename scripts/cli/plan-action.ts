import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type PlanClients, resolvePlan } from '../../lambdas/plan/plan-refresh';
import { DbRefreshError, TargetLockedError } from '../../lambdas/shared/errors';
import { logger } from '../../lambdas/shared/handler';
import { HISTORY_KEYS, lockPartition } from '../../lambdas/shared/history/history-keys';
import type { Plan } from '../../lambdas/shared/run/plan';
import { STEP_NAMES } from '../../lib/constructs/refresh-state-machine';
import { callerIdentity, type Deployment, executionArnOf, findDeployment } from './deployment';
import { formatDuration, formatFacts, formatJson, formatTime, plural, secondsBetween } from './format';
import type { Output } from './main';
import type { PlanOptions } from './plan';
import { type RefreshRequest, readRefreshRequest } from './refresh-request';
import { nextExecutionName } from './start-action';

/** The lock item's sort key, as lambdas/shared/history/history-store.ts writes it. */
const LOCK_RUN_KEY = 'lock';
/** Past successful runs the expected duration is taken from. */
const PAST_RUNS = 5;

/** What the plan step checks before a run changes anything; all passed when `plan` shows a plan. */
export const GUARDS = [
  'the refresh file is valid',
  'the source exists and the restore point is in its restorable window (or the snapshot is available)',
  'the engine matches the file and the service',
  'the target is not the source, not tagged as production, marked refreshable and available',
  'the names the run creates are free and distinct',
  'the admin password secret (and its rotation, if asked) and the KMS keys are usable',
  'scripts and preserved data are supported on the engine',
  "no other run holds the target's lock",
] as const;

/** One step of the state machine, and whether this run would take it. */
export interface PlannedStep {
  readonly name: string;
  readonly runs: boolean;
  /** Why it is skipped. */
  readonly skipped?: string;
  /** Its usual duration for this target, from past runs. */
  readonly expectedSeconds?: number;
}

/** A past successful run of the target, for the expected duration. */
export interface PastRun {
  readonly run: string;
  readonly startedAt: string;
  readonly seconds: number;
}

/** What `dbrefresh plan` found: the plan, or why a run would be refused. */
export interface PlanReport {
  readonly file: string;
  readonly requestedBy: string;
  readonly plan?: Plan;
  readonly refusal?: { readonly error: string; readonly message: string };
  readonly steps: readonly PlannedStep[];
  readonly pastRuns: readonly PastRun[];
  /** Median duration of the past successful runs. */
  readonly expectedSeconds?: number;
}

/** `dbrefresh plan <file>`: resolves the plan with the deployment's clients and prints it. */
export async function planCommand(
  file: string,
  options: PlanOptions,
  output: Output,
  now: Date = new Date(),
): Promise<number> {
  const json = options.json === true;
  const request = await readRefreshRequest(file, output, json, now);
  if (!request) return 1;
  const deployment = await findDeployment(options);
  const report = await planReport(deployment, request, now);
  output.out(`${json ? formatJson(planAsJson(report)) : formatPlan(report)}\n`);
  return report.refusal ? 1 : 0;
}

/**
 * Resolves what a run of `request` would do, with the clients of `deployment` and the execution name (so the
 * run id and the temporary names) that `dbrefresh start` would give the run now; reads only.
 */
export async function planReport(
  deployment: Deployment,
  request: RefreshRequest,
  now: Date,
): Promise<PlanReport> {
  // The plan step logs for CloudWatch; on a terminal its JSON lines would only get in the way.
  logger.setLogLevel('SILENT');
  const clients = planClients(deployment);
  try {
    const requestedBy = await callerIdentity(deployment);
    const name = await nextExecutionName(clients.sfn, deployment, request, requestedBy, now);
    const pastRuns = await pastSuccessfulRuns(clients, request.target);
    const expectedSeconds = median(pastRuns.map((run) => run.seconds));
    const base = { file: request.file, requestedBy, pastRuns, expectedSeconds };
    let plan: Plan;
    try {
      plan = await resolvePlan(clients, {
        input: { refreshFile: request.refreshFile, requestedBy },
        executionArn: executionArnOf(deployment, name),
        startTime: now.toISOString(),
      });
      await checkLock(clients, plan.target.id);
    } catch (error: unknown) {
      if (!(error instanceof DbRefreshError)) throw error;
      return { ...base, refusal: { error: error.name, message: error.message }, steps: [] };
    }
    return { ...base, plan, steps: plannedSteps(plan) };
  } finally {
    clients.rds.destroy();
    clients.secrets.destroy();
    clients.kms.destroy();
    clients.history.destroy();
    clients.sfn.destroy();
  }
}

/** The state machine's steps in order (what runs only on a failure aside), each with whether the plan takes it. */
export function plannedSteps(plan: Plan): PlannedStep[] {
  const steps: PlannedStep[] = [];
  for (const [key, name] of Object.entries(STEP_NAMES)) {
    // The failure path, and the undo of a failed rotation, run only when something fails.
    if (key === 'rollback' || key === 'recordFailure' || key === 'undoRotation') continue;
    if (key === 'deleteOldTarget') {
      const kept = plan.steps.keepOldTarget;
      const skipped = kept ? undefined : SKIPPED_BECAUSE.keepOldTarget;
      const keep = kept ? ` (${formatDuration(plan.keepOldTargetSeconds)})` : '';
      steps.push({ name: `Keep old target stopped${keep}`, runs: kept, skipped });
      steps.push({ name, runs: kept, skipped });
      continue;
    }
    const flag = flagOf(key, plan.steps);
    const runs = flag === undefined || plan.steps[flag] === true;
    const expectedSeconds = plan.expectedSeconds[key];
    steps.push({
      name,
      runs,
      ...(!runs && flag !== undefined && { skipped: SKIPPED_BECAUSE[flag] ?? 'not needed' }),
      ...(expectedSeconds !== undefined && { expectedSeconds }),
    });
  }
  return steps;
}

/**
 * The `plan.steps` flag that gates a step: the one named like the step (`scripts`), or contained in its
 * name (`preserve` in `capturePreserved`); none for a step every run takes.
 */
function flagOf(key: string, flags: Plan['steps']): keyof Plan['steps'] | undefined {
  const names = Object.keys(flags) as (keyof Plan['steps'])[];
  return (
    names.find((flag) => flag === key) ?? names.find((flag) => key.toLowerCase().includes(flag.toLowerCase()))
  );
}

const SKIPPED_BECAUSE: Partial<Record<string, string>> = {
  approval: 'the target is not protected',
  preserve: 'nothing to preserve (no preserve section, or no target yet)',
  scripts: 'the file has no scripts',
  hookBeforeSwap: 'no hooks.beforeSwap',
  replicas: 'no read replicas',
  rotateSecret: 'adminPassword.rotate is off',
  retire: 'no old target (the first refresh creates the target)',
  keepOldTarget: 'the old target is deleted at once (oldTarget.keepHours is 0)',
  hookAfterRefresh: 'no hooks.afterRefresh',
};

/** The text `dbrefresh plan` prints. */
export function formatPlan(report: PlanReport): string {
  const { plan, refusal } = report;
  if (refusal || !plan) {
    return [
      `A refresh of ${report.file} would be refused; nothing was changed.`,
      `${refusal?.error ?? 'Error'}: ${refusal?.message ?? 'unknown'}`,
    ].join('\n');
  }
  const target = plan.target;
  const file = plan.file;
  const replicas = plan.replicas.map((replica) => `${replica.finalId} (${replica.instanceClass})`);
  const facts = formatFacts([
    ['Source', `${plan.source.id} (${plan.engine} ${plan.engineVersion})`],
    ['Restore', restoreText(plan)],
    [
      'Target',
      `${target.id} (DB ${target.kind}, ${target.exists ? 'exists: replaced by the copy' : 'does not exist: the refresh creates it'})`,
    ],
    ['Copy', `restored as ${target.temporaryId}, renamed to ${target.id} at the swap`],
    ['Old target', target.exists ? oldTargetText(plan) : undefined],
    ['Settings', settingsText(plan)],
    ['Writer', plan.writer ? `${plan.writer.finalId} (${plan.writer.instanceClass})` : undefined],
    [file.service === 'rds' ? 'Replicas' : 'Readers', replicas.length > 0 ? replicas.join(', ') : 'none'],
    ['Admin password', adminPasswordText(plan)],
    ['Approval', plan.approval ? approvalText(plan.approval) : undefined],
    ['Tags', plan.tags.map((tag) => `${tag.Key}=${tag.Value}`).join(', ')],
    ['Requested by', report.requestedBy],
  ]);
  const width = Math.max(...report.steps.map((step) => step.name.length));
  const steps = report.steps.map((step) => {
    const detail = step.runs
      ? step.expectedSeconds !== undefined
        ? `usually ${formatDuration(step.expectedSeconds)}`
        : ''
      : `skipped: ${step.skipped ?? 'not needed'}`;
    return `  ${step.runs ? '✓' : '-'} ${step.name.padEnd(width)}  ${detail}`.trimEnd();
  });
  return [
    `Plan for ${report.file}; nothing was changed.`,
    facts,
    'Steps',
    ...steps,
    'Guards: all passed',
    ...GUARDS.map((guard) => `  ✓ ${guard}`),
    `Expected duration: ${expectedText(report, target.id)}`,
  ].join('\n');
}

/** What `dbrefresh plan --json` prints. */
export function planAsJson(report: PlanReport) {
  return {
    file: report.file,
    wouldStart: report.refusal === undefined,
    refusal: report.refusal ?? null,
    requestedBy: report.requestedBy,
    guards: report.refusal ? [] : GUARDS,
    steps: report.steps,
    expectedSeconds: report.expectedSeconds ?? null,
    pastRuns: report.pastRuns,
    plan: report.plan ?? null,
  };
}

function restoreText(plan: Plan): string {
  const restore = plan.file.restore;
  const point = formatTime(plan.restorePoint);
  switch (restore.type) {
    case 'latestpoint':
      return `latestpoint: the source's latest restorable time, ${point}`;
    case 'restorepoint':
      return `restorepoint: ${point}`;
    case 'fromsnapshot':
      return `fromsnapshot: snapshot ${plan.snapshot ?? restore.snapshot}, data as of ${point}`;
    case 'fastcloning':
      return `fastcloning: a copy-on-write clone as of the run's start (${point} if it started now)`;
  }
}

function oldTargetText(plan: Plan): string {
  const retired = plan.target.retiredId;
  if (plan.steps.keepOldTarget) {
    return `renamed to ${retired}, kept stopped for ${formatDuration(plan.keepOldTargetSeconds)}, then deleted`;
  }
  return `renamed to ${retired}, then deleted`;
}

/** The target's settings the copy gets: carried over from the live target unless the file sets them. */
function settingsText(plan: Plan): string {
  const target = plan.file.target as Record<string, unknown>;
  const settings = Object.entries(target)
    .filter(([key, value]) => key !== 'instance' && key !== 'cluster' && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return settings.length > 0 ? settings.join(', ') : 'the defaults (nothing to carry over)';
}

function adminPasswordText(plan: Plan): string {
  const password = plan.adminPassword;
  if (password.managed) {
    return `managed by RDS (ManageMasterUserPassword)${password.note ? `. ${password.note}` : ''}`;
  }
  const by = password.rotationFunctionArn ? ` by ${password.rotationFunctionArn}` : '';
  const rotation = password.rotate ? `, then rotated${by}` : '';
  return `generated and stored in secret ${password.secretName}${rotation}`;
}

function approvalText(approval: NonNullable<Plan['approval']>): string {
  const who = approval.approvers.length > 0 ? approval.approvers.join(', ') : 'anyone allowed to approve';
  return `protected: waits up to ${formatDuration(approval.timeoutSeconds)} for ${who} (dbrefresh approve)`;
}

function expectedText(report: PlanReport, target: string): string {
  if (report.expectedSeconds === undefined) return `unknown (${target} has no successful run yet)`;
  const runs = report.pastRuns.map((run) => formatDuration(run.seconds)).join(', ');
  const past =
    report.pastRuns.length === 1
      ? 'the last successful run'
      : `the median of the last ${plural(report.pastRuns.length, 'successful run')}`;
  return `about ${formatDuration(report.expectedSeconds)} (${past} of ${target}: ${runs})`;
}

type Clients = PlanClients & {
  readonly rds: RDSClient;
  readonly secrets: SecretsManagerClient;
  readonly kms: KMSClient;
  readonly history: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
};

function planClients(deployment: Deployment): Clients {
  const config = deployment.clientConfig;
  return {
    rds: new RDSClient(config),
    secrets: new SecretsManagerClient(config),
    kms: new KMSClient(config),
    history: DynamoDBDocumentClient.from(new DynamoDBClient(config)),
    historyTable: deployment.historyTableName,
    sfn: new SFNClient(config),
  };
}

/** Refuses as the run's plan step would when another run holds the target's lock. */
async function checkLock(clients: Clients, target: string): Promise<void> {
  const out = await clients.history.send(
    new GetCommand({
      TableName: clients.historyTable,
      Key: { [HISTORY_KEYS.partitionKey]: lockPartition(target), [HISTORY_KEYS.sortKey]: LOCK_RUN_KEY },
      ConsistentRead: true,
    }),
  );
  const holder = out.Item;
  if (!holder) return;
  throw new TargetLockedError(
    `Target ${target} is being refreshed by run ${String(holder.runId)} (${String(holder.executionArn)}) since ` +
      `${String(holder.acquiredAt)}; a run started now would be refused. Follow that run with ` +
      `\`dbrefresh watch ${String(holder.executionArn)}\`, or wait for it to finish`,
  );
}

/** The target's latest successful runs, newest first, with how long each took. */
async function pastSuccessfulRuns(clients: Clients, target: string): Promise<PastRun[]> {
  const out = await clients.history.send(
    new QueryCommand({
      TableName: clients.historyTable,
      KeyConditionExpression: '#target = :target',
      FilterExpression: '#status = :succeeded',
      ExpressionAttributeNames: { '#target': HISTORY_KEYS.partitionKey, '#status': 'status' },
      ExpressionAttributeValues: { ':target': target, ':succeeded': 'succeeded' },
      ScanIndexForward: false,
      Limit: 50,
    }),
  );
  return (out.Items ?? [])
    .filter((item) => typeof item.startedAt === 'string' && typeof item.finishedAt === 'string')
    .slice(0, PAST_RUNS)
    .map((item) => ({
      run:
        String(item.executionArn ?? '')
          .split(':')
          .at(-1) ?? '',
      startedAt: String(item.startedAt),
      seconds: Math.round(secondsBetween(String(item.startedAt), String(item.finishedAt))),
    }));
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}
