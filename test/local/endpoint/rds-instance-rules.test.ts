import {
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  CreateDBSubnetGroupCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import {
  createInstance,
  describeInstance,
  restoreSnapshot,
  restoreToLatest,
  sendCreateCluster,
  sendCreateInstance,
  snapshotInstance,
  useNamedRdsHarness,
} from './rds-harness';

/**
 * Instance classes, engine versions, placement, backup retention, stopped instances, snapshot identifiers and
 * what restores keep of their source (rules/instances.ts, rules/engines.ts, rules/backups.ts, settings.ts).
 */

const { harness, name } = useNamedRdsHarness('ir');

function addMember(clusterId: string, id: string, instanceClass: string) {
  return harness.rds.send(
    new CreateDBInstanceCommand({
      DBClusterIdentifier: clusterId,
      DBInstanceIdentifier: id,
      Engine: 'aurora-mysql',
      DBInstanceClass: instanceClass,
    }),
  );
}

describe('instance classes', () => {
  it('rejects a malformed class, and db.serverless outside Aurora', async () => {
    for (const DBInstanceClass of ['t4g.micro', 'db.t4g', 'db.serverless']) {
      await expect(sendCreateInstance(harness, name(), { DBInstanceClass })).rejects.toMatchObject({
        name: 'InvalidParameterCombination',
        message: expect.stringContaining(`DBInstanceClass=${DBInstanceClass}, Engine=mysql`),
      });
    }
  });

  it('rejects an Aurora member on a class Aurora does not run, and db.serverless in a cluster without capacity', async () => {
    await sendCreateCluster(harness, name());
    await sendCreateCluster(harness, `${name()}-p`, { ServerlessV2ScalingConfiguration: undefined });
    await harness.finish();

    await expect(addMember(name(), `${name()}-1`, 'db.t4g.micro')).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('Aurora runs on'),
    });
    await expect(addMember(`${name()}-p`, `${name()}-2`, 'db.serverless')).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('has no ServerlessV2ScalingConfiguration'),
    });
    const provisioned = await addMember(`${name()}-p`, `${name()}-3`, 'db.r6g.large');
    expect(provisioned.DBInstance?.DBInstanceClass).toBe('db.r6g.large');
  });

  it('rejects Serverless v2 capacity off the half-ACU steps', async () => {
    await expect(
      sendCreateCluster(harness, name(), {
        ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 2.25 },
      }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('steps of 0.5'),
    });
  });
});

describe('engine versions and placement', () => {
  it('rejects a version the engine does not have, and a Multi-AZ instance with an Availability Zone', async () => {
    await expect(sendCreateInstance(harness, name(), { EngineVersion: 'latest' })).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('Cannot find version latest for mysql'),
    });
    await expect(sendCreateCluster(harness, name(), { EngineVersion: '8.0.39' })).rejects.toMatchObject({
      message: expect.stringContaining('Cannot find version 8.0.39 for aurora-mysql'),
    });
    await expect(
      sendCreateInstance(harness, name(), { MultiAZ: true, AvailabilityZone: 'eu-west-1a' }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('not valid for Multi-AZ instances'),
    });
  });

  it("rejects a restore to another engine than its source's", async () => {
    await createInstance(harness, `${name()}-src`);

    await expect(
      restoreToLatest(harness, `${name()}-src`, name(), { Engine: 'postgres' }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('postgres'),
    });
  });
});

describe('backup retention', () => {
  it('takes 0 to 35 days for instances and 1 to 35 for Aurora clusters', async () => {
    await expect(sendCreateInstance(harness, name(), { BackupRetentionPeriod: 36 })).rejects.toMatchObject({
      message: expect.stringContaining('use 0 to 35 days'),
    });
    await expect(sendCreateCluster(harness, name(), { BackupRetentionPeriod: 0 })).rejects.toMatchObject({
      message: expect.stringContaining('use 1 to 35 days'),
    });
    await sendCreateCluster(harness, name(), { BackupRetentionPeriod: 35 });
    await harness.finish();
    await expect(
      harness.rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: name(), BackupRetentionPeriod: 0 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});

describe('stopped instances', () => {
  it('rejects modifying a stopped instance, except its parameter group', async () => {
    await createInstance(harness, name());
    await harness.rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: name() }));
    await harness.finish();

    await expect(
      harness.rds.send(
        new ModifyDBInstanceCommand({ DBInstanceIdentifier: name(), DeletionProtection: true }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidDBInstanceStateFault',
      message: expect.stringContaining(
        "is stopped and can't be modified (DeletionProtection); start it first",
      ),
    });
    const changed = await harness.rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: name(), DBParameterGroupName: 'default.mysql8.0' }),
    );
    expect(changed.DBInstance?.DBInstanceStatus).toBe('stopped');
  });
});

describe('snapshot identifiers', () => {
  it('takes DB snapshot identifiers of 255 characters and DB cluster snapshot identifiers of 63', async () => {
    await createInstance(harness, name());
    await sendCreateCluster(harness, `${name()}-c`);
    await harness.finish();

    await snapshotInstance(harness, name(), `s${'x'.repeat(254)}`);
    await expect(
      harness.rds.send(
        new CreateDBSnapshotCommand({
          DBInstanceIdentifier: name(),
          DBSnapshotIdentifier: `s${'x'.repeat(255)}`,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('1 to 255') });
    await expect(
      harness.rds.send(
        new CreateDBClusterSnapshotCommand({
          DBClusterIdentifier: `${name()}-c`,
          DBClusterSnapshotIdentifier: `s${'x'.repeat(63)}`,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('1 to 63') });
  });
});

describe('what a restore keeps of its source', () => {
  it('keeps the class and backup retention; not the groups, security groups, Multi-AZ, protection, logs or public access', async () => {
    await harness.rds.send(
      new CreateDBSubnetGroupCommand({
        DBSubnetGroupName: name(),
        DBSubnetGroupDescription: 'private',
        SubnetIds: ['subnet-1', 'subnet-2'],
      }),
    );
    await createInstance(harness, `${name()}-src`, {
      DBInstanceClass: 'db.r6g.large',
      BackupRetentionPeriod: 7,
      DBSubnetGroupName: name(),
      VpcSecurityGroupIds: ['sg-1'],
      MultiAZ: true,
      PubliclyAccessible: true,
      DeletionProtection: true,
      CopyTagsToSnapshot: true,
      EnableCloudwatchLogsExports: ['error'],
      MaxAllocatedStorage: 100,
    });

    await restoreToLatest(harness, `${name()}-src`, name());
    await harness.finish();

    expect(await describeInstance(harness, name())).toMatchObject({
      DBInstanceClass: 'db.r6g.large',
      BackupRetentionPeriod: 7,
      DBSubnetGroup: { DBSubnetGroupName: 'default' },
      VpcSecurityGroups: [],
      MultiAZ: false,
      PubliclyAccessible: false,
      DeletionProtection: false,
      CopyTagsToSnapshot: false,
      EnabledCloudwatchLogsExports: [],
    });
    expect((await describeInstance(harness, name()))?.MaxAllocatedStorage).toBeUndefined();
  });

  it("gives a snapshot restore the snapshot's class and storage, with backups at the default", async () => {
    await createInstance(harness, `${name()}-src`, {
      DBInstanceClass: 'db.m7g.large',
      BackupRetentionPeriod: 7,
    });
    await snapshotInstance(harness, `${name()}-src`, `${name()}-snap`);

    await restoreSnapshot(harness, `${name()}-snap`, name());
    await harness.finish();

    expect(await describeInstance(harness, name())).toMatchObject({
      DBInstanceClass: 'db.m7g.large',
      AllocatedStorage: 20,
      StorageType: 'gp3',
      BackupRetentionPeriod: 1,
    });
  });
});

describe('ApplyImmediately', () => {
  it('keeps a rename and a class change pending without ApplyImmediately; a later request with it applies them', async () => {
    await createInstance(harness, name());

    const deferred = await harness.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: name(),
        NewDBInstanceIdentifier: `${name()}-new`,
        DBInstanceClass: 'db.r6g.large',
        DeletionProtection: true,
      }),
    );
    await harness.finish();
    const waiting = await describeInstance(harness, name());
    await harness.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: name(),
        DeletionProtection: false,
        ApplyImmediately: true,
      }),
    );
    await harness.finish();
    const applied = await describeInstance(harness, `${name()}-new`);

    expect(deferred.DBInstance?.DBInstanceStatus).toBe('available');
    expect(waiting).toMatchObject({
      DBInstanceIdentifier: name(),
      DBInstanceClass: 'db.t4g.micro',
      DeletionProtection: true,
      PendingModifiedValues: { DBInstanceIdentifier: `${name()}-new`, DBInstanceClass: 'db.r6g.large' },
    });
    expect(applied).toMatchObject({
      DBInstanceClass: 'db.r6g.large',
      DeletionProtection: false,
      PendingModifiedValues: {},
    });
  });

  it('keeps a cluster rename pending without ApplyImmediately', async () => {
    await sendCreateCluster(harness, name());
    await harness.finish();

    const out = await harness.rds.send(
      new ModifyDBClusterCommand({ DBClusterIdentifier: name(), NewDBClusterIdentifier: `${name()}-new` }),
    );

    expect(out.DBCluster).toMatchObject({
      DBClusterIdentifier: name(),
      PendingModifiedValues: { DBClusterIdentifier: `${name()}-new` },
    });
  });
});
