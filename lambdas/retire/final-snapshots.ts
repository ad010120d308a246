import {
  AddTagsToResourceCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import { FINAL_SNAPSHOT_TAG_KEY, tagValue } from '../shared/aws/rds';
import { logger } from '../shared/handler';
import { retiredName } from '../shared/naming';
import { DEFAULT_FINAL_SNAPSHOTS_KEPT } from '../shared/refresh-model/refresh-file-schema';
import type { Plan } from '../shared/run/plan';

/**
 * The final snapshots dbrefresh takes when it deletes an old target, and their retention: RDS keeps a
 * final snapshot until someone deletes it ("RDS retains both the final snapshot and any manual snapshots
 * that you took previously", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html),
 * so each refresh would leave one more. dbrefresh keeps the newest few of each target and deletes the
 * older ones, and only its own: a snapshot must carry the tag FINAL_SNAPSHOT_TAG_KEY naming the target
 * (which dbrefresh adds once the snapshot exists, since DeleteDBInstance and DeleteDBCluster take no tags
 * for it) and be named as dbrefresh names final snapshots.
 */

/** What the final snapshot of a deletion is named. */
export function finalSnapshotName(retiredId: string): string {
  return `${retiredId}-final`;
}

/** How many final snapshots of the target the refresh file keeps; undefined when it takes none. */
export function finalSnapshotsKept(plan: Plan): number | undefined {
  const wanted = plan.file.oldTarget?.finalSnapshot;
  if (wanted === undefined || wanted === false || plan.retired.main === null) return undefined;
  return wanted === true ? DEFAULT_FINAL_SNAPSHOTS_KEPT : (wanted.keep ?? DEFAULT_FINAL_SNAPSHOTS_KEPT);
}

/** The few facts retention needs of a DB snapshot or a DB cluster snapshot. */
interface FinalSnapshot {
  readonly id: string;
  readonly arn: string;
  readonly status: string;
  readonly createdAt: number;
  readonly tags: readonly Tag[];
}

/**
 * Tags this run's final snapshot as the target's, then deletes the target's final snapshots beyond the
 * newest `keep`, one step per check.
 * @returns true once done; false while this run's final snapshot is still being created
 */
export async function keepFinalSnapshots(rds: RDSClient, plan: Plan, keep: number): Promise<boolean> {
  const snapshots = snapshotsOf(plan.target.kind);
  const ownId = finalSnapshotName(plan.retired.main ?? '');
  const all = await listManual(rds, snapshots);
  const own = all.find((snapshot) => snapshot.id === ownId);
  if (own && own.status !== 'available') return false;
  if (own && tagValue(own.tags, FINAL_SNAPSHOT_TAG_KEY) !== plan.target.id) {
    await rds.send(
      new AddTagsToResourceCommand({
        ResourceName: own.arn,
        Tags: [{ Key: FINAL_SNAPSHOT_TAG_KEY, Value: plan.target.id }],
      }),
    );
    logger.info('Tagged the final snapshot of the old target', { snapshot: ownId, target: plan.target.id });
  }
  const named = new RegExp(`^${escapeRegExp(retiredName(plan.target.id, ''))}[a-z0-9]{8}-final$`);
  const targets = all
    .filter(
      (snapshot) =>
        snapshot.status === 'available' &&
        named.test(snapshot.id) &&
        (snapshot.id === ownId || tagValue(snapshot.tags, FINAL_SNAPSHOT_TAG_KEY) === plan.target.id),
    )
    .sort((a, b) => b.createdAt - a.createdAt);
  for (const old of targets.slice(keep)) {
    await ignoreGone(() => snapshots.delete(rds, old.id));
    logger.info('Deleting a final snapshot beyond those the refresh file keeps', {
      snapshot: old.id,
      target: plan.target.id,
      keep,
    });
  }
  return true;
}

interface SnapshotApi {
  /** One page of the account's manual snapshots (final snapshots are manual), and the marker of the next. */
  page(rds: RDSClient, marker: string | undefined): Promise<{ found: FinalSnapshot[]; marker?: string }>;
  delete(rds: RDSClient, id: string): Promise<unknown>;
}

const DB_SNAPSHOTS: SnapshotApi = {
  async page(rds, marker) {
    const out = await rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual', Marker: marker }));
    const found = (out.DBSnapshots ?? []).map((snapshot) => ({
      id: snapshot.DBSnapshotIdentifier ?? '',
      arn: snapshot.DBSnapshotArn ?? '',
      status: snapshot.Status ?? 'unknown',
      createdAt: snapshot.SnapshotCreateTime?.getTime() ?? 0,
      tags: snapshot.TagList ?? [],
    }));
    return { found, marker: out.Marker };
  },
  delete: (rds, id) => rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id })),
};

const CLUSTER_SNAPSHOTS: SnapshotApi = {
  async page(rds, marker) {
    const out = await rds.send(
      new DescribeDBClusterSnapshotsCommand({ SnapshotType: 'manual', Marker: marker }),
    );
    const found = (out.DBClusterSnapshots ?? []).map((snapshot) => ({
      id: snapshot.DBClusterSnapshotIdentifier ?? '',
      arn: snapshot.DBClusterSnapshotArn ?? '',
      status: snapshot.Status ?? 'unknown',
      createdAt: snapshot.SnapshotCreateTime?.getTime() ?? 0,
      tags: snapshot.TagList ?? [],
    }));
    return { found, marker: out.Marker };
  },
  delete: (rds, id) => rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: id })),
};

/** Every manual snapshot of the account, page by page: the newest may be on any page. */
async function listManual(rds: RDSClient, api: SnapshotApi): Promise<FinalSnapshot[]> {
  const all: FinalSnapshot[] = [];
  let marker: string | undefined;
  do {
    const page = await api.page(rds, marker);
    all.push(...page.found);
    marker = page.marker;
  } while (marker);
  return all;
}

function snapshotsOf(kind: Plan['target']['kind']): SnapshotApi {
  return kind === 'instance' ? DB_SNAPSHOTS : CLUSTER_SNAPSHOTS;
}

/** A snapshot already gone, or already being deleted by an earlier attempt of this step, is what we want. */
async function ignoreGone(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error: unknown) {
    const gone = [
      'DBSnapshotNotFoundFault',
      'DBClusterSnapshotNotFoundFault',
      'InvalidDBSnapshotStateFault',
      'InvalidDBClusterSnapshotStateFault',
    ];
    if (!(error instanceof Error && gone.includes(error.name))) throw error;
    logger.info('Final snapshot already gone or being deleted', { reason: error.message });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
