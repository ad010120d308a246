import {
  CreateDBInstanceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  type RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { createdByRun, findInstance, findResource } from '../shared/aws/rds';
import { GuardError } from '../shared/errors';
import { continuePoll, type PollState, startPoll } from '../shared/poll';
import { hasReachedStatus } from '../shared/rds-status';
import type { AuroraRefreshFile, RdsRefreshFile } from '../shared/refresh-model';
import { isCrossAccount } from '../shared/run/accounts';
import type { NewInstance, Plan } from '../shared/run/plan';
import {
  clusterMemberSettings,
  clusterRestoreSettings,
  clusterSettingsAfterRestore,
  instanceRestoreSettings,
  instanceSettingsAfterRestore,
} from './restore-settings';

const STEP = 'Restore temporary copy';
const TIMEOUT_SECONDS = 12 * 3600;
const DEFAULT_EXPECTED_SECONDS = { instance: 900, cluster: 600 } as const;

/**
 * Phases of the restore, kept in the poll state's `position`.
 * RDS: the instance is restoring → settings RDS accepts only afterwards are being applied.
 * Aurora: the cluster is restoring → its writer is being created → its readers are being created.
 */
export const RestorePhase = { copy: 0, settings: 1, writer: 1, readers: 2 } as const;

/** Starts restoring the source into the temporary copy, unless this run already did. */
export async function startRestore(rds: RDSClient, plan: Plan, now: Date): Promise<PollState> {
  const { kind, temporaryId } = plan.target;
  const existing = await findResource(rds, kind, temporaryId);
  if (existing && !createdByRun(existing.tags, plan.runId)) {
    throw new GuardError(
      `${temporaryId} already exists and was not created by run ${plan.runId}; delete or rename it, then start the refresh again`,
    );
  }
  if (!existing) await sendRestore(rds, plan);
  return {
    ...startPoll(now, {
      expectedSeconds: plan.expectedSeconds.restore ?? DEFAULT_EXPECTED_SECONDS[kind],
      timeoutSeconds: TIMEOUT_SECONDS,
    }),
    position: RestorePhase.copy,
  };
}

/** Advances the restore: waits for each phase and starts the next one; done when the whole copy is available. */
export async function checkRestore(
  rds: RDSClient,
  plan: Plan,
  poll: PollState,
  now: Date,
): Promise<PollState> {
  const phase = poll.position ?? RestorePhase.copy;
  const next =
    plan.file.service === 'rds'
      ? await advanceInstance(rds, plan, plan.file, phase)
      : await advanceCluster(rds, plan, plan.file, phase);
  if (next === 'done') return continuePoll(poll, now, true, STEP);
  return { ...continuePoll(poll, now, false, STEP), position: next };
}

type Advance = number | 'done';

async function advanceInstance(
  rds: RDSClient,
  plan: Plan,
  file: RdsRefreshFile,
  phase: number,
): Promise<Advance> {
  const id = plan.target.temporaryId;
  const instance = await findInstance(rds, id);
  if (!hasReachedStatus(id, instance?.DBInstanceStatus ?? 'creating')) return phase;
  const later = instanceSettingsAfterRestore(file.target, file.restore.type);
  if (phase === RestorePhase.copy && later) {
    await rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, ApplyImmediately: true, ...later }),
    );
    return RestorePhase.settings;
  }
  return phase === RestorePhase.settings &&
    instance?.PendingModifiedValues &&
    hasPending(instance.PendingModifiedValues)
    ? phase
    : 'done';
}

async function advanceCluster(
  rds: RDSClient,
  plan: Plan,
  file: AuroraRefreshFile,
  phase: number,
): Promise<Advance> {
  const clusterId = plan.target.temporaryId;
  const cluster = await findResource(rds, 'cluster', clusterId);
  if (!hasReachedStatus(clusterId, cluster?.status ?? 'creating')) return phase;
  if (phase === RestorePhase.copy) {
    const later = clusterSettingsAfterRestore(file.target);
    if (later) {
      await rds.send(
        new ModifyDBClusterCommand({ DBClusterIdentifier: clusterId, ApplyImmediately: true, ...later }),
      );
    }
    if (plan.writer) await createMember(rds, plan, file, plan.writer, 0);
    return RestorePhase.writer;
  }
  const members = phase === RestorePhase.writer ? (plan.writer ? [plan.writer] : []) : plan.replicas;
  if (!(await allAvailable(rds, members))) return phase;
  if (phase === RestorePhase.writer && plan.replicas.length > 0) {
    for (const reader of plan.replicas) await createMember(rds, plan, file, reader, 1);
    return RestorePhase.readers;
  }
  return 'done';
}

async function createMember(
  rds: RDSClient,
  plan: Plan,
  file: AuroraRefreshFile,
  member: NewInstance,
  promotionTier: number,
): Promise<void> {
  if (await findInstance(rds, member.id)) return;
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: member.id,
      DBInstanceClass: member.instanceClass,
      PromotionTier: promotionTier,
      ...clusterMemberSettings(plan, file.target, plan.tags),
    }),
  );
}

async function allAvailable(rds: RDSClient, members: readonly NewInstance[]): Promise<boolean> {
  for (const member of members) {
    const instance = await findInstance(rds, member.id);
    if (!hasReachedStatus(member.id, instance?.DBInstanceStatus ?? 'creating')) return false;
  }
  return true;
}

function hasPending(pending: object): boolean {
  return Object.values(pending).some((value) => value !== undefined && value !== null);
}

/** The one RDS call that creates the copy, for each service and restore type. */
export async function sendRestore(rds: RDSClient, plan: Plan): Promise<void> {
  const { file, target, restorePoint, snapshot } = plan;
  const sourceId = isCrossAccount(plan) ? plan.source.arn : plan.source.id;
  if (file.service === 'rds') {
    const settings = instanceRestoreSettings(file.target, plan.tags, file.restore.type);
    if (file.restore.type === 'fromsnapshot') {
      await rds.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          DBInstanceIdentifier: target.temporaryId,
          DBSnapshotIdentifier: snapshot ?? undefined,
          ...settings,
        }),
      );
      return;
    }
    await rds.send(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceIdentifier: sourceId,
        TargetDBInstanceIdentifier: target.temporaryId,
        RestoreTime: new Date(restorePoint),
        ...settings,
      }),
    );
    return;
  }
  const settings = clusterRestoreSettings(file.target, plan.tags);
  if (file.restore.type === 'fromsnapshot') {
    await rds.send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: target.temporaryId,
        SnapshotIdentifier: snapshot ?? undefined,
        Engine: plan.engine,
        // Without EngineVersion RDS restores to the Region's default version, not the snapshot's
        // (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html);
        // the plan checked the file's version against the snapshot's and the groups against both.
        EngineVersion: file.target.engineVersion ?? knownVersion(plan.engineVersion),
        ...settings,
      }),
    );
    return;
  }
  const clone = file.restore.type === 'fastcloning';
  await rds.send(
    new RestoreDBClusterToPointInTimeCommand({
      DBClusterIdentifier: target.temporaryId,
      SourceDBClusterIdentifier: sourceId,
      RestoreType: clone ? 'copy-on-write' : 'full-copy',
      ...(clone ? { UseLatestRestorableTime: true } : { RestoreToTime: new Date(restorePoint) }),
      ...settings,
    }),
  );
}

/** The source's engine version, unless RDS did not report it (the plan then records "unknown"). */
function knownVersion(version: string): string | undefined {
  return version === 'unknown' ? undefined : version;
}
