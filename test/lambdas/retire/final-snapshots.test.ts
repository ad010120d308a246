import {
  AddTagsToResourceCommand,
  type DBClusterSnapshot,
  type DBSnapshot,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { finalSnapshotsKept, keepFinalSnapshots } from '../../../lambdas/retire/final-snapshots';
import type { Plan } from '../../../lambdas/shared/run/plan';
import { awsError } from '../../fixtures/aws-errors';
import { auroraPlan, rdsPlan } from '../../fixtures/plans';
import { RDS_ARN } from '../../fixtures/rds-describe';

const rds = mockClient(RDSClient);
const client = new RDSClient({});
const OWN = 'app1-dev-old-ab12cd34-final';
const OF_TARGET = { Key: 'dbrefresh:final-snapshot-of', Value: 'app1-dev' };

function snapshot(id: string, day: number, extra: Partial<DBSnapshot> = {}): DBSnapshot {
  return {
    DBSnapshotIdentifier: id,
    DBSnapshotArn: `${RDS_ARN}:snapshot:${id}`,
    Status: 'available',
    SnapshotCreateTime: new Date(`2026-11-${String(day).padStart(2, '0')}T03:00:00Z`),
    TagList: [OF_TARGET],
    ...extra,
  };
}

function withFinalSnapshot(plan: Plan, finalSnapshot: boolean | { keep?: number }): Plan {
  return { ...plan, file: { ...plan.file, oldTarget: { finalSnapshot } } as Plan['file'] };
}

beforeEach(() => {
  rds.reset();
});

describe('finalSnapshotsKept', () => {
  it.each([
    [undefined, undefined],
    [false, undefined],
    [true, 3],
    [{}, 3],
    [{ keep: 1 }, 1],
  ])('keeps %o final snapshots: %s', (finalSnapshot, kept) => {
    const plan = { ...rdsPlan(), file: { ...rdsPlan().file, oldTarget: { finalSnapshot } } as Plan['file'] };

    expect(finalSnapshotsKept(plan)).toBe(kept);
  });

  it('keeps none when there was no old target', () => {
    const plan = withFinalSnapshot(rdsPlan({ retired: { instances: [], main: null } }), true);

    expect(finalSnapshotsKept(plan)).toBeUndefined();
  });
});

describe('keepFinalSnapshots', () => {
  it("waits while this run's final snapshot is being created", async () => {
    rds
      .on(DescribeDBSnapshotsCommand)
      .resolves({ DBSnapshots: [snapshot(OWN, 21, { Status: 'creating', TagList: [] })] });

    await expect(keepFinalSnapshots(client, rdsPlan(), 3)).resolves.toBe(false);

    expect(rds).not.toHaveReceivedCommand(AddTagsToResourceCommand);
    expect(rds).not.toHaveReceivedCommand(DeleteDBSnapshotCommand);
  });

  it("tags this run's final snapshot as the target's, then deletes the oldest beyond those kept", async () => {
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        snapshot('app1-dev-old-aaaa0001-final', 18),
        snapshot(OWN, 21, { TagList: [] }),
        snapshot('app1-dev-old-aaaa0003-final', 20),
        snapshot('app1-dev-old-aaaa0002-final', 19),
      ],
    });

    await expect(keepFinalSnapshots(client, rdsPlan(), 2)).resolves.toBe(true);

    expect(rds).toHaveReceivedCommandWith(AddTagsToResourceCommand, {
      ResourceName: `${RDS_ARN}:snapshot:${OWN}`,
      Tags: [OF_TARGET],
    });
    expect(
      rds.commandCalls(DeleteDBSnapshotCommand).map((call) => call.args[0].input.DBSnapshotIdentifier),
    ).toEqual(['app1-dev-old-aaaa0002-final', 'app1-dev-old-aaaa0001-final']);
    expect(rds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { SnapshotType: 'manual' });
  });

  it('never deletes a snapshot dbrefresh did not take of this target', async () => {
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        snapshot(OWN, 21),
        snapshot('app1-dev-old-aaaa0001-final', 18, { TagList: [] }),
        snapshot('app1-dev-before-upgrade', 17),
        snapshot('app1-test-old-aaaa0002-final', 16, { TagList: [{ ...OF_TARGET, Value: 'app1-test' }] }),
        snapshot('app1-dev-old-aaaa0003-final', 15, { Status: 'deleting' }),
      ],
    });

    await keepFinalSnapshots(client, rdsPlan(), 1);

    expect(rds).not.toHaveReceivedCommand(DeleteDBSnapshotCommand);
    expect(rds).not.toHaveReceivedCommand(AddTagsToResourceCommand);
  });

  it('reads every page of snapshots', async () => {
    rds
      .on(DescribeDBSnapshotsCommand)
      .resolvesOnce({ DBSnapshots: [snapshot(OWN, 21)], Marker: 'page-2' })
      .resolvesOnce({ DBSnapshots: [snapshot('app1-dev-old-aaaa0001-final', 18)] });

    await keepFinalSnapshots(client, rdsPlan(), 1);

    expect(rds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { Marker: 'page-2' });
    expect(rds).toHaveReceivedCommandWith(DeleteDBSnapshotCommand, {
      DBSnapshotIdentifier: 'app1-dev-old-aaaa0001-final',
    });
  });

  it('takes a snapshot already gone or being deleted as deleted, and rethrows other errors', async () => {
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [snapshot(OWN, 21), snapshot('app1-dev-old-aaaa0001-final', 18)],
    });
    rds
      .on(DeleteDBSnapshotCommand)
      .rejectsOnce(awsError('DBSnapshotNotFoundFault'))
      .rejects(awsError('Throttling'));

    await expect(keepFinalSnapshots(client, rdsPlan(), 1)).resolves.toBe(true);
    await expect(keepFinalSnapshots(client, rdsPlan(), 1)).rejects.toThrow('Throttling');
  });

  it('keeps the final cluster snapshots of an Aurora target', async () => {
    const own = 'app2-test-old-ab12cd34-final';
    const older: DBClusterSnapshot = {
      DBClusterSnapshotIdentifier: 'app2-test-old-aaaa0001-final',
      Status: 'available',
      SnapshotCreateTime: new Date('2026-11-18T03:00:00Z'),
      TagList: [{ Key: 'dbrefresh:final-snapshot-of', Value: 'app2-test' }],
    };
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        older,
        {
          DBClusterSnapshotIdentifier: own,
          DBClusterSnapshotArn: `${RDS_ARN}:cluster-snapshot:${own}`,
          Status: 'available',
          SnapshotCreateTime: new Date('2026-11-21T03:00:00Z'),
        },
      ],
    });

    await keepFinalSnapshots(client, auroraPlan(), 1);

    expect(rds).toHaveReceivedCommandWith(AddTagsToResourceCommand, {
      ResourceName: `${RDS_ARN}:cluster-snapshot:${own}`,
      Tags: [{ Key: 'dbrefresh:final-snapshot-of', Value: 'app2-test' }],
    });
    expect(rds).toHaveReceivedCommandWith(DeleteDBClusterSnapshotCommand, {
      DBClusterSnapshotIdentifier: 'app2-test-old-aaaa0001-final',
    });
  });
});
