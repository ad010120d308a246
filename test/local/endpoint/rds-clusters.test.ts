import {
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  DBClusterAlreadyExistsFault,
  DBClusterNotFoundFault,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  InvalidDBClusterStateFault,
  ModifyDBClusterCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
  StartDBClusterCommand,
  StopDBClusterCommand,
} from '@aws-sdk/client-rds';
import { findCluster } from '../../../lambdas/shared/aws/rds';
import { uniqueName } from './endpoint-fixture';
import { type RdsHarness, useRdsHarness, withRdsHarness } from './rds-harness';

const PASSWORD = 'cluster-Pa55word';

const harness = useRdsHarness();
let name: string;

beforeEach(() => {
  name = uniqueName('cl');
});

/** Sends CreateDBCluster (an Aurora PostgreSQL cluster with a database and a tag, unless `extra` says otherwise). */
function sendCreateCluster(id: string, extra: Record<string, unknown> = {}, on: RdsHarness = harness) {
  return on.rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: id,
      Engine: 'aurora-postgresql',
      MasterUsername: 'master',
      MasterUserPassword: PASSWORD,
      DatabaseName: 'app',
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 2 },
      Tags: [{ Key: 'dbrefresh:refreshable', Value: 'true' }],
      ...extra,
    }),
  );
}

/** Creates a cluster and lets its creation finish. */
async function createCluster(id: string, extra: Record<string, unknown> = {}, on: RdsHarness = harness) {
  await sendCreateCluster(id, extra, on);
  await on.finish();
}

/** Creates the cluster `<name>-src` with `rows` in its server; returns the server's id. */
async function createSource(...rows: string[]): Promise<string> {
  await createCluster(`${name}-src`);
  const serverId = serverOf(await describeCluster(`${name}-src`)).id;
  harness.engines.insert(serverId, ...rows);
  return serverId;
}

/** Sends CreateDBInstance for a Serverless v2 member of an Aurora PostgreSQL cluster, unless `extra` says otherwise. */
function sendAddMember(clusterId: string, id: string, extra: Record<string, unknown> = {}) {
  return harness.rds.send(
    new CreateDBInstanceCommand({
      DBClusterIdentifier: clusterId,
      DBInstanceIdentifier: id,
      Engine: 'aurora-postgresql',
      DBInstanceClass: 'db.serverless',
      ...extra,
    }),
  );
}

/** Adds a member to a cluster and lets its creation finish. */
async function addMember(clusterId: string, id: string) {
  await sendAddMember(clusterId, id);
  await harness.finish();
}

async function describeCluster(id: string, on: RdsHarness = harness) {
  return (await on.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0];
}

async function describeInstance(id: string) {
  return (await harness.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })))
    .DBInstances?.[0];
}

function serverOf(cluster: { DbClusterResourceId?: string } | undefined) {
  return harness.engines.server((cluster?.DbClusterResourceId ?? '').toLowerCase());
}

describe('CreateDBCluster and cluster members', () => {
  it('creates one engine server for the cluster; its instances point at it, the first is the writer', async () => {
    await createCluster(name);
    await addMember(name, `${name}-a`);
    await addMember(name, `${name}-b`);

    const cluster = await describeCluster(name);
    const writer = await describeInstance(`${name}-a`);
    const server = serverOf(cluster);

    expect(cluster).toMatchObject({
      Status: 'available',
      Engine: 'aurora-postgresql',
      Endpoint: '127.0.0.1',
      Port: server.port,
      MasterUsername: 'master',
      DatabaseName: 'app',
      DBClusterArn: `arn:aws:rds:eu-west-1:000000000000:cluster:${name}`,
      DBClusterMembers: [
        expect.objectContaining({ DBInstanceIdentifier: `${name}-a`, IsClusterWriter: true }),
        expect.objectContaining({ DBInstanceIdentifier: `${name}-b`, IsClusterWriter: false }),
      ],
      TagList: [{ Key: 'dbrefresh:refreshable', Value: 'true' }],
      LatestRestorableTime: expect.any(Date),
      EarliestRestorableTime: expect.any(Date),
    });
    expect(writer).toMatchObject({
      DBClusterIdentifier: name,
      DBInstanceStatus: 'available',
      Endpoint: expect.objectContaining({ Address: '127.0.0.1', Port: server.port }),
      MasterUsername: 'master',
    });
    expect(server).toMatchObject({ engine: 'postgres', adminUser: 'master', password: PASSWORD });
  });

  it('keeps a new member creating until its cluster is available', async () => {
    const release = harness.engines.hold();
    await sendCreateCluster(name, { Engine: 'aurora-mysql' });
    await sendAddMember(name, `${name}-a`, { Engine: 'aurora-mysql', DBInstanceClass: 'db.r6g.large' });
    harness.clock.advance(10_000);

    const during = await describeInstance(`${name}-a`);
    release();
    await harness.finish();

    expect(during?.DBInstanceStatus).toBe('creating');
    expect((await describeInstance(`${name}-a`))?.DBInstanceStatus).toBe('available');
  });

  it('rejects a member whose engine differs from its cluster, and an existing cluster name', async () => {
    await createCluster(name);

    await expect(sendAddMember(name, `${name}-a`, { Engine: 'aurora-mysql' })).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
    });
    await expect(createCluster(name)).rejects.toBeInstanceOf(DBClusterAlreadyExistsFault);
  });
});

describe('DescribeDBClusters', () => {
  it('fails with DBClusterNotFoundFault, which findCluster reads as absent', async () => {
    await expect(describeCluster(name)).rejects.toBeInstanceOf(DBClusterNotFoundFault);
    await expect(findCluster(harness.rds, name)).resolves.toBeUndefined();
  });

  it('describes a cluster by ARN with IncludeShared', async () => {
    await createCluster(name);

    const out = await harness.rds.send(
      new DescribeDBClustersCommand({
        DBClusterIdentifier: `arn:aws:rds:eu-west-1:111122223333:cluster:${name}`,
        IncludeShared: true,
      }),
    );

    expect(out.DBClusters?.map((c) => c.DBClusterIdentifier)).toEqual([name]);
  });
});

describe('RestoreDBClusterToPointInTime', () => {
  it('clones the source server for copy-on-write with the latest restorable time', async () => {
    const sourceId = await createSource('now');

    await harness.rds.send(
      new RestoreDBClusterToPointInTimeCommand({
        DBClusterIdentifier: name,
        SourceDBClusterIdentifier: `${name}-src`,
        RestoreType: 'copy-on-write',
        UseLatestRestorableTime: true,
        Tags: [{ Key: 'dbrefresh:run', Value: 'r2' }],
      }),
    );
    const during = await describeCluster(name);
    await harness.finish();
    const clone = await describeCluster(name);

    expect(during?.Status).toBe('creating');
    expect(clone).toMatchObject({ Status: 'available', MasterUsername: 'master', DBClusterMembers: [] });
    expect(harness.engines.calls.filter((call) => call.method === 'clone').at(-1)?.args[0]).toBe(sourceId);
    expect(harness.engines.rows(serverOf(clone).id)).toEqual(['now']);
  });

  it('replays to RestoreToTime for a full copy', async () => {
    const sourceId = await createSource('early');
    harness.clock.advance(1000);
    const restoreTime = harness.clock.now();
    harness.clock.advance(1000);
    harness.engines.insert(sourceId, 'late');

    await harness.rds.send(
      new RestoreDBClusterToPointInTimeCommand({
        DBClusterIdentifier: name,
        SourceDBClusterIdentifier: `${name}-src`,
        RestoreType: 'full-copy',
        RestoreToTime: restoreTime,
      }),
    );
    await harness.finish();

    expect(harness.engines.rows(serverOf(await describeCluster(name)).id)).toEqual(['early']);
  });

  it('ends in the status the terminal-status hook names, and can then be deleted', async () => {
    const terminalStatus = (action: string, id: string) =>
      action === 'RestoreDBClusterToPointInTime' && id.endsWith('-broken')
        ? 'incompatible-restore'
        : undefined;

    await withRdsHarness({ terminalStatus }, async (faulty) => {
      await createCluster('source', { Engine: 'aurora-mysql' }, faulty);

      await faulty.rds.send(
        new RestoreDBClusterToPointInTimeCommand({
          DBClusterIdentifier: 'copy-broken',
          SourceDBClusterIdentifier: 'source',
          UseLatestRestorableTime: true,
        }),
      );
      const during = await describeCluster('copy-broken', faulty);
      await faulty.finish();
      const broken = await describeCluster('copy-broken', faulty);
      await faulty.rds.send(
        new DeleteDBClusterCommand({ DBClusterIdentifier: 'copy-broken', SkipFinalSnapshot: true }),
      );
      await faulty.finish();

      expect(during?.Status).toBe('creating');
      expect(broken?.Status).toBe('incompatible-restore');
      await expect(describeCluster('copy-broken', faulty)).rejects.toBeInstanceOf(DBClusterNotFoundFault);
    });
  });
});

describe('ModifyDBCluster', () => {
  it('renames the cluster, sets its password and Serverless v2 capacity, members follow', async () => {
    await createCluster(name);
    await addMember(name, `${name}-a`);

    await harness.rds.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: name,
        NewDBClusterIdentifier: `${name}-new`,
        ApplyImmediately: true,
      }),
    );
    const renaming = await describeCluster(`${name}-new`);
    await harness.finish();
    await harness.rds.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: `${name}-new`,
        MasterUserPassword: 'new-cluster-Pa55',
        ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
      }),
    );
    const resetting = await describeCluster(`${name}-new`);
    await harness.finish();
    const after = await describeCluster(`${name}-new`);

    expect(renaming?.Status).toBe('renaming');
    expect(resetting).toMatchObject({
      Status: 'resetting-master-credentials',
      PendingModifiedValues: { MasterUserPassword: '****' },
    });
    expect(after).toMatchObject({
      Status: 'available',
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
    });
    expect(serverOf(after).password).toBe('new-cluster-Pa55');
    expect((await describeInstance(`${name}-a`))?.DBClusterIdentifier).toBe(`${name}-new`);
  });

  it('rejects invalid Serverless v2 capacity', async () => {
    await createCluster(name);

    await expect(
      harness.rds.send(
        new ModifyDBClusterCommand({
          DBClusterIdentifier: name,
          ServerlessV2ScalingConfiguration: { MinCapacity: 8, MaxCapacity: 4 },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});

describe('DeleteDBCluster', () => {
  it('refuses while the cluster has instances or deletion protection, then deletes it', async () => {
    await createCluster(name, { DeletionProtection: true });
    await addMember(name, `${name}-a`);

    await expect(
      harness.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: `${name}-a` })),
    ).rejects.toBeInstanceOf(InvalidDBClusterStateFault);
    await harness.rds.send(
      new ModifyDBClusterCommand({ DBClusterIdentifier: name, DeletionProtection: false }),
    );
    await expect(
      harness.rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: name, SkipFinalSnapshot: true })),
    ).rejects.toThrow('Cluster cannot be deleted, it still contains DB instances in non-deleting state.');
    await harness.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: `${name}-a` }));
    const server = serverOf(await describeCluster(name));
    await harness.rds.send(
      new DeleteDBClusterCommand({ DBClusterIdentifier: name, FinalDBSnapshotIdentifier: `${name}-final` }),
    );
    const deleting = await describeCluster(name);
    await harness.finish();

    expect(deleting?.Status).toBe('deleting');
    await expect(describeCluster(name)).rejects.toBeInstanceOf(DBClusterNotFoundFault);
    expect(harness.engines.servers.has(server.id)).toBe(false);
    const snapshots = await harness.rds.send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: name }),
    );
    expect(snapshots.DBClusterSnapshots?.map((s) => [s.DBClusterSnapshotIdentifier, s.Status])).toEqual([
      [`${name}-final`, 'available'],
    ]);
  });
});

describe('StopDBCluster and StartDBCluster', () => {
  it('stops the server; the members show the cluster stopping and stopped', async () => {
    await createCluster(name);
    await addMember(name, `${name}-a`);

    await harness.rds.send(new StopDBClusterCommand({ DBClusterIdentifier: name }));
    const stopping = await describeInstance(`${name}-a`);
    await harness.finish();
    const stopped = await describeInstance(`${name}-a`);
    const running = serverOf(await describeCluster(name)).running;
    await harness.rds.send(new StartDBClusterCommand({ DBClusterIdentifier: name }));
    await harness.finish();

    expect(stopping?.DBInstanceStatus).toBe('stopping');
    expect(stopped?.DBInstanceStatus).toBe('stopped');
    expect(running).toBe(false);
    expect((await describeCluster(name))?.Status).toBe('available');
    expect((await describeInstance(`${name}-a`))?.DBInstanceStatus).toBe('available');
  });
});

describe('cluster snapshots', () => {
  it('restores a cluster from a cluster snapshot with the snapshot data', async () => {
    await createSource('kept');
    await harness.rds.send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: `${name}-src`,
        DBClusterSnapshotIdentifier: `${name}-snap`,
      }),
    );
    await harness.finish();

    await expect(
      harness.rds.send(
        new RestoreDBClusterFromSnapshotCommand({
          DBClusterIdentifier: name,
          SnapshotIdentifier: `${name}-snap`,
          Engine: 'aurora-mysql',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    await harness.rds.send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: name,
        SnapshotIdentifier: `arn:aws:rds:eu-west-1:000000000000:cluster-snapshot:${name}-snap`,
        Engine: 'aurora-postgresql',
      }),
    );
    await harness.finish();

    expect(harness.engines.rows(serverOf(await describeCluster(name)).id)).toEqual(['kept']);
  });

  it('fails with DBClusterSnapshotNotFoundFault for an unknown snapshot', async () => {
    await expect(
      harness.rds.send(
        new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: `${name}-none` }),
      ),
    ).rejects.toMatchObject({ name: 'DBClusterSnapshotNotFoundFault', $metadata: { httpStatusCode: 404 } });
  });
});
