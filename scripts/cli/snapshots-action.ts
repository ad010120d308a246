import {
  type DBCluster,
  type DBInstance,
  DescribeDBInstanceAutomatedBackupsCommand,
  paginateDescribeDBClusterSnapshots,
  paginateDescribeDBSnapshots,
  RDSClient,
} from '@aws-sdk/client-rds';
import { findCluster, findInstance } from '../../lambdas/shared/aws/rds';
import { CliError, findDeployment } from './deployment';
import { formatFacts, formatJson, formatTable, formatTime, plural } from './format';
import type { Output } from './main';
import type { SnapshotsOptions } from './snapshots';

/** What a refresh from the source can restore to a point in time. */
export interface RestorableSource {
  readonly kind: 'cluster' | 'instance';
  readonly id: string;
  readonly engine?: string;
  readonly status?: string;
  readonly earliestRestorableTime?: string;
  readonly latestRestorableTime?: string;
  readonly backupRetentionDays?: number;
  /** Why there is no window, or where it is instead. */
  readonly note?: string;
}

export interface SnapshotRow {
  readonly id: string;
  readonly arn?: string;
  /** When the snapshot's data was current: a copy keeps its original's time. */
  readonly takenAt?: string;
  readonly type?: string;
  readonly sizeGiB?: number;
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
  readonly status?: string;
}

export interface SourceSnapshots {
  readonly source: RestorableSource;
  readonly snapshots: readonly SnapshotRow[];
}

/** `dbrefresh snapshots <source>`. */
export async function snapshotsCommand(
  sourceId: string,
  options: SnapshotsOptions,
  output: Output,
): Promise<number> {
  const deployment = await findDeployment(options);
  const rds = new RDSClient(deployment.clientConfig);
  try {
    const found = await sourceSnapshots(rds, sourceId);
    if (!found) {
      throw new CliError(
        `no DB cluster or DB instance named "${sourceId}" in ${deployment.region}${deployment.local ? ' (local mode)' : ''}; ` +
          `check the identifier (list them with \`${deployment.local ? 'dbrefresh local status' : 'aws rds describe-db-instances'}\`)`,
      );
    }
    output.out(`${options.json ? formatJson(found) : formatSourceSnapshots(found)}\n`);
    return 0;
  } finally {
    rds.destroy();
  }
}

/** The source's restorable window and snapshots, newest first; undefined when there is no such cluster or instance. */
export async function sourceSnapshots(rds: RDSClient, id: string): Promise<SourceSnapshots | undefined> {
  const cluster = await findCluster(rds, id);
  if (cluster)
    return { source: clusterWindow(cluster, id), snapshots: newestFirst(await clusterSnapshots(rds, id)) };
  const instance = await findInstance(rds, id);
  if (!instance) return undefined;
  return {
    source: await instanceWindow(rds, instance, id),
    snapshots: newestFirst(await instanceSnapshots(rds, id)),
  };
}

function clusterWindow(cluster: DBCluster, id: string): RestorableSource {
  return {
    kind: 'cluster',
    id: cluster.DBClusterIdentifier ?? id,
    engine: cluster.Engine,
    status: cluster.Status,
    earliestRestorableTime: cluster.EarliestRestorableTime?.toISOString(),
    latestRestorableTime: cluster.LatestRestorableTime?.toISOString(),
    backupRetentionDays: cluster.BackupRetentionPeriod,
  };
}

async function instanceWindow(rds: RDSClient, instance: DBInstance, id: string): Promise<RestorableSource> {
  const base = {
    kind: 'instance' as const,
    id: instance.DBInstanceIdentifier ?? id,
    engine: instance.Engine,
    status: instance.DBInstanceStatus,
    backupRetentionDays: instance.BackupRetentionPeriod,
  };
  if (instance.DBClusterIdentifier) {
    return {
      ...base,
      note: `it is an instance of cluster ${instance.DBClusterIdentifier}, whose window and snapshots are the cluster's: dbrefresh snapshots ${instance.DBClusterIdentifier}`,
    };
  }
  if (!instance.LatestRestorableTime) {
    return {
      ...base,
      note: 'automated backups are off (backup retention 0): restore types latestpoint and restorepoint are not possible, only fromsnapshot',
    };
  }
  return {
    ...base,
    earliestRestorableTime: (await earliestRestorableTime(rds, instance))?.toISOString(),
    latestRestorableTime: instance.LatestRestorableTime.toISOString(),
  };
}

async function earliestRestorableTime(rds: RDSClient, instance: DBInstance): Promise<Date | undefined> {
  if (!instance.DbiResourceId) return undefined;
  try {
    const out = await rds.send(
      new DescribeDBInstanceAutomatedBackupsCommand({ DbiResourceId: instance.DbiResourceId }),
    );
    return out.DBInstanceAutomatedBackups?.[0]?.RestoreWindow?.EarliestTime;
  } catch (error: unknown) {
    if (error instanceof Error && error.name === 'DBInstanceAutomatedBackupNotFoundFault') return undefined;
    throw error;
  }
}

/** Manual and automated snapshots: without SnapshotType, RDS returns both (shared and public ones aside). */
async function instanceSnapshots(rds: RDSClient, id: string): Promise<SnapshotRow[]> {
  const rows: SnapshotRow[] = [];
  for await (const page of paginateDescribeDBSnapshots({ client: rds }, { DBInstanceIdentifier: id })) {
    for (const snapshot of page.DBSnapshots ?? []) {
      rows.push({
        id: snapshot.DBSnapshotIdentifier ?? '?',
        arn: snapshot.DBSnapshotArn,
        takenAt: (snapshot.OriginalSnapshotCreateTime ?? snapshot.SnapshotCreateTime)?.toISOString(),
        type: snapshot.SnapshotType,
        sizeGiB: snapshot.AllocatedStorage,
        encrypted: snapshot.Encrypted === true,
        kmsKeyId: snapshot.KmsKeyId,
        status: snapshot.Status,
      });
    }
  }
  return rows;
}

async function clusterSnapshots(rds: RDSClient, id: string): Promise<SnapshotRow[]> {
  const rows: SnapshotRow[] = [];
  for await (const page of paginateDescribeDBClusterSnapshots({ client: rds }, { DBClusterIdentifier: id })) {
    for (const snapshot of page.DBClusterSnapshots ?? []) {
      rows.push({
        id: snapshot.DBClusterSnapshotIdentifier ?? '?',
        arn: snapshot.DBClusterSnapshotArn,
        takenAt: snapshot.SnapshotCreateTime?.toISOString(),
        type: snapshot.SnapshotType,
        sizeGiB: snapshot.AllocatedStorage,
        encrypted: snapshot.StorageEncrypted === true,
        kmsKeyId: snapshot.KmsKeyId,
        status: snapshot.Status,
      });
    }
  }
  return rows;
}

function newestFirst(rows: SnapshotRow[]): SnapshotRow[] {
  return rows.sort((a, b) => (b.takenAt ?? '').localeCompare(a.takenAt ?? ''));
}

/** The text `dbrefresh snapshots` prints. */
export function formatSourceSnapshots({ source, snapshots }: SourceSnapshots): string {
  const described = [source.engine, source.status].filter((part) => part !== undefined).join(', ');
  const retention =
    source.backupRetentionDays !== undefined
      ? ` (backups kept ${plural(source.backupRetentionDays, 'day')})`
      : '';
  const window = source.latestRestorableTime
    ? `${source.earliestRestorableTime ? formatTime(source.earliestRestorableTime) : 'its earliest backup'} to ${formatTime(source.latestRestorableTime)}${retention}`
    : `none: ${source.note ?? 'no restorable time'}`;
  const facts = formatFacts([
    ['Source', `${source.id} (DB ${source.kind}${described ? `, ${described}` : ''})`],
    ['Restorable window', window],
  ]);
  if (snapshots.length === 0) return `${facts}\nNo snapshots.`;
  const table = formatTable(
    ['SNAPSHOT', 'TAKEN', 'TYPE', 'SIZE', 'ENCRYPTION', 'STATUS'],
    snapshots.map((snapshot) => [
      snapshot.id,
      formatTime(snapshot.takenAt),
      snapshot.type ?? '-',
      snapshot.sizeGiB !== undefined ? `${snapshot.sizeGiB} GiB` : '-',
      snapshot.encrypted ? `KMS ${snapshot.kmsKeyId ?? '(default key)'}` : 'not encrypted',
      snapshot.status ?? '-',
    ]),
  );
  return `${facts}\n${plural(snapshots.length, 'snapshot')}, newest first:\n${table}`;
}
