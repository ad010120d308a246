import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';

/** A manual snapshot once it is available: its data is as of `createdAt`. */
export interface SeededSnapshot {
  readonly id: string;
  readonly arn: string;
  readonly createdAt: Date;
}

/** Takes a manual DB snapshot of an instance (CreateDBSnapshot) and waits until it is available. */
export async function snapshotInstance(
  rds: RDSClient,
  instanceId: string,
  snapshotId: string,
  timeoutMs = 120_000,
): Promise<SeededSnapshot> {
  await rds.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: instanceId, DBSnapshotIdentifier: snapshotId }),
  );
  return waitFor(`DB snapshot ${snapshotId}`, timeoutMs, async () => {
    const snapshot = (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotId })))
      .DBSnapshots?.[0];
    return {
      status: snapshot?.Status,
      ready: snapshot?.SnapshotCreateTime && {
        id: snapshotId,
        arn: snapshot.DBSnapshotArn ?? snapshotId,
        createdAt: snapshot.SnapshotCreateTime,
      },
    };
  });
}

/** Takes a manual DB cluster snapshot (CreateDBClusterSnapshot) and waits until it is available. */
export async function snapshotCluster(
  rds: RDSClient,
  clusterId: string,
  snapshotId: string,
  timeoutMs = 120_000,
): Promise<SeededSnapshot> {
  await rds.send(
    new CreateDBClusterSnapshotCommand({
      DBClusterIdentifier: clusterId,
      DBClusterSnapshotIdentifier: snapshotId,
    }),
  );
  return waitFor(`DB cluster snapshot ${snapshotId}`, timeoutMs, async () => {
    const snapshot = (
      await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: snapshotId }))
    ).DBClusterSnapshots?.[0];
    return {
      status: snapshot?.Status,
      ready: snapshot?.SnapshotCreateTime && {
        id: snapshotId,
        arn: snapshot.DBClusterSnapshotArn ?? snapshotId,
        createdAt: snapshot.SnapshotCreateTime,
      },
    };
  });
}

async function waitFor(
  what: string,
  timeoutMs: number,
  look: () => Promise<{ status: string | undefined; ready: SeededSnapshot | undefined }>,
): Promise<SeededSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, ready } = await look();
    if (status === 'available' && ready) return ready;
    if (status === 'failed') throw new Error(`${what} failed`);
    if (Date.now() > deadline) throw new Error(`${what} is still ${status} after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
