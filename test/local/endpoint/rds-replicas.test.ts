import {
  CreateDBInstanceReadReplicaCommand,
  CreateDBParameterGroupCommand,
  ModifyDBInstanceCommand,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { createInstance, describeInstance, FakeSecrets, useNamedRdsHarness } from './rds-harness';

/** Read replica rules (local/endpoint/rds/rules/replicas.ts, rules/backups.ts, StopDBInstance). */

const { harness, name } = useNamedRdsHarness('rr', { secrets: new FakeSecrets() });

function createReplica(source: string, replica: string, extra: Record<string, unknown> = {}) {
  return harness.rds.send(
    new CreateDBInstanceReadReplicaCommand({
      SourceDBInstanceIdentifier: source,
      DBInstanceIdentifier: replica,
      ...extra,
    }),
  );
}

describe('DBParameterGroupName on CreateDBInstanceReadReplica', () => {
  it.each(['mysql', 'mariadb', 'postgres'])(
    'rejects a parameter group for a same-Region %s replica, naming the fix',
    async (Engine) => {
      const source = await createInstance(harness, `${name()}-src`, { Engine });
      const group = source?.DBParameterGroups?.[0]?.DBParameterGroupName;

      await expect(
        createReplica(`${name()}-src`, name(), { DBParameterGroupName: group }),
      ).rejects.toMatchObject({
        name: 'InvalidParameterCombination',
        message: expect.stringContaining(
          `A parameter group can't be specified during Read Replica creation for the following DB engine: ${Engine}`,
        ),
      });
    },
  );

  it("gives the replica its source's parameter group, which ModifyDBInstance can change afterwards", async () => {
    await harness.rds.send(
      new CreateDBParameterGroupCommand({
        DBParameterGroupName: name(),
        DBParameterGroupFamily: 'mysql8.0',
        Description: 'replica settings',
      }),
    );
    await createInstance(harness, `${name()}-src`, { DBParameterGroupName: name() });

    await createReplica(`${name()}-src`, name());
    await harness.finish();
    const replica = await describeInstance(harness, name());
    await harness.rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: name(), DBParameterGroupName: 'default.mysql8.0' }),
    );

    expect(replica?.DBParameterGroups?.[0]?.DBParameterGroupName).toBe(name());
    expect((await describeInstance(harness, name()))?.DBParameterGroups?.[0]?.DBParameterGroupName).toBe(
      'default.mysql8.0',
    );
  });

  it('takes a parameter group for a MySQL replica of a source in another Region', async () => {
    await createInstance(harness, `${name()}-src`);

    await createReplica(`arn:aws:rds:us-east-1:000000000000:db:${name()}-src`, name(), {
      DBParameterGroupName: 'default.mysql8.0',
    });
    await harness.finish();

    expect((await describeInstance(harness, name()))?.ReadReplicaSourceDBInstanceIdentifier).toBe(
      `${name()}-src`,
    );
  });
});

describe('the source of a replica', () => {
  it('rejects a source without automated backups', async () => {
    await createInstance(harness, `${name()}-src`, { BackupRetentionPeriod: 0 });

    await expect(createReplica(`${name()}-src`, name())).rejects.toMatchObject({
      name: 'InvalidDBInstanceStateFault',
      message: expect.stringContaining('Automated backups are not enabled'),
    });
  });

  it('rejects a source whose master password RDS manages in Secrets Manager', async () => {
    await createInstance(harness, `${name()}-src`, {
      MasterUserPassword: undefined,
      ManageMasterUserPassword: true,
    });

    await expect(createReplica(`${name()}-src`, name())).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('RDS manages its master user password'),
    });
  });

  it('rejects turning off the backups of a source of replicas, and stopping it or its replica', async () => {
    await createInstance(harness, `${name()}-src`);
    await createReplica(`${name()}-src`, name());
    await harness.finish();

    await expect(
      harness.rds.send(
        new ModifyDBInstanceCommand({ DBInstanceIdentifier: `${name()}-src`, BackupRetentionPeriod: 0 }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining(`it is the source of read replicas ${name()}`),
    });
    for (const id of [`${name()}-src`, name()]) {
      await expect(
        harness.rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: id })),
      ).rejects.toMatchObject({
        name: 'InvalidDBInstanceStateFault',
        message: expect.stringContaining('read replica'),
      });
    }
  });

  it("keeps the source's class and storage, but not its protection, log exports or copy-tags setting", async () => {
    await createInstance(harness, `${name()}-src`, {
      DBInstanceClass: 'db.r6g.large',
      AllocatedStorage: 50,
      DeletionProtection: true,
      CopyTagsToSnapshot: true,
      EnableCloudwatchLogsExports: ['error'],
    });

    await createReplica(`${name()}-src`, name());
    await harness.finish();

    expect(await describeInstance(harness, name())).toMatchObject({
      DBInstanceClass: 'db.r6g.large',
      AllocatedStorage: 50,
      DeletionProtection: false,
      CopyTagsToSnapshot: false,
      EnabledCloudwatchLogsExports: [],
      BackupRetentionPeriod: 0,
    });
  });
});
