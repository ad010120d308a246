import {
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  DBSnapshotAlreadyExistsFault,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBSnapshotsCommand,
} from '@aws-sdk/client-rds';
import {
  createInstance,
  describeInstance,
  restoreToLatest,
  sendCreateCluster,
  snapshotInstance,
  useNamedRdsHarness,
} from './rds-harness';

/** DeleteDBInstance and DeleteDBCluster (local/endpoint/rds/rules/deletion.ts, lifecycle.ts). */

const { harness, name } = useNamedRdsHarness('dl', {
  terminalStatus: (action, identifier) =>
    action === 'RestoreDBInstanceToPointInTime' && identifier.endsWith('-broken')
      ? 'incompatible-restore'
      : undefined,
});

const deleteInstance = (extra: Record<string, unknown>) =>
  harness.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: name(), ...extra }));

describe('DeleteDBInstance final snapshots', () => {
  it('rejects both SkipFinalSnapshot and FinalDBSnapshotIdentifier, and neither', async () => {
    await createInstance(harness, name());

    await expect(
      deleteInstance({ SkipFinalSnapshot: true, FinalDBSnapshotIdentifier: `${name()}-f` }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: 'FinalDBSnapshotIdentifier cannot be specified when SkipFinalSnapshot is true.',
    });
    await expect(deleteInstance({})).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: 'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.',
    });
  });

  it.each([['1-final'], ['final-'], ['fi--nal'], ['f'.repeat(256)], ['with_underscore']])(
    'rejects the final snapshot identifier %s',
    async (identifier) => {
      await createInstance(harness, name());

      await expect(deleteInstance({ FinalDBSnapshotIdentifier: identifier })).rejects.toMatchObject({
        name: 'InvalidParameterValue',
        message: expect.stringContaining('The parameter FinalDBSnapshotIdentifier is not a valid identifier'),
      });
      expect((await describeInstance(harness, name()))?.DBInstanceStatus).toBe('available');
    },
  );

  it('takes a final snapshot identifier of 255 characters, and rejects one already taken', async () => {
    await createInstance(harness, name());
    await createInstance(harness, `${name()}-b`);
    await snapshotInstance(harness, `${name()}-b`, `${name()}-taken`);
    const long = `f${'x'.repeat(254)}`;

    await expect(deleteInstance({ FinalDBSnapshotIdentifier: `${name()}-taken` })).rejects.toBeInstanceOf(
      DBSnapshotAlreadyExistsFault,
    );
    await deleteInstance({ FinalDBSnapshotIdentifier: long });
    await harness.finish();

    const snapshots = await harness.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: long }));
    expect(snapshots.DBSnapshots?.[0]?.Status).toBe('available');
  });

  it('deletes a read replica only with SkipFinalSnapshot', async () => {
    await createInstance(harness, `${name()}-src`);
    await harness.rds.send(
      new CreateDBInstanceReadReplicaCommand({
        SourceDBInstanceIdentifier: `${name()}-src`,
        DBInstanceIdentifier: name(),
      }),
    );
    await harness.finish();

    await expect(deleteInstance({ FinalDBSnapshotIdentifier: `${name()}-f` })).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('A read replica is deleted without a final snapshot'),
    });
    const deleting = await deleteInstance({ SkipFinalSnapshot: true });
    expect(deleting.DBInstance?.DBInstanceStatus).toBe('deleting');
  });

  it('deletes an instance in a failed state only with SkipFinalSnapshot', async () => {
    await createInstance(harness, `${name()}-src`);
    await restoreToLatest(harness, `${name()}-src`, `${name()}-broken`);
    await harness.finish();

    await expect(
      harness.rds.send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: `${name()}-broken`,
          FinalDBSnapshotIdentifier: `${name()}-f`,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidDBInstanceStateFault',
      message: expect.stringContaining('incompatible-restore: it can be deleted only with SkipFinalSnapshot'),
    });
  });
});

describe('DeleteDBCluster', () => {
  it('rejects a deletion-protected cluster, one with instances, and a malformed final snapshot identifier', async () => {
    await sendCreateCluster(harness, name(), { DeletionProtection: true });
    await harness.finish();
    const deleteCluster = (extra: Record<string, unknown>) =>
      harness.rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: name(), ...extra }));

    await expect(deleteCluster({ SkipFinalSnapshot: true })).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('Cannot delete protected Cluster'),
    });
    await sendCreateCluster(harness, `${name()}-b`);
    await harness.rds.send(
      new CreateDBInstanceCommand({
        DBClusterIdentifier: `${name()}-b`,
        DBInstanceIdentifier: `${name()}-b1`,
        Engine: 'aurora-mysql',
        DBInstanceClass: 'db.serverless',
      }),
    );
    await harness.finish();
    await expect(
      harness.rds.send(
        new DeleteDBClusterCommand({ DBClusterIdentifier: `${name()}-b`, SkipFinalSnapshot: true }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidDBClusterStateFault' });
    await expect(
      harness.rds.send(
        new DeleteDBClusterCommand({
          DBClusterIdentifier: `${name()}-b`,
          FinalDBSnapshotIdentifier: 'final--x',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});
