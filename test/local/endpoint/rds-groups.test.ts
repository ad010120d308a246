import {
  CreateDBClusterParameterGroupCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBParameterGroupCommand,
  CreateDBSubnetGroupCommand,
  CreateOptionGroupCommand,
  DBParameterGroupAlreadyExistsFault,
  DBParameterGroupNotFoundFault,
  DBSubnetGroupAlreadyExistsFault,
  DescribeDBClusterParameterGroupsCommand,
  DescribeDBParameterGroupsCommand,
  DescribeDBSubnetGroupsCommand,
  DescribeOptionGroupsCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  OptionGroupNotFoundFault,
  RestoreDBClusterFromSnapshotCommand,
} from '@aws-sdk/client-rds';
import {
  createInstance,
  describeInstance,
  restoreToLatest,
  sendCreateCluster,
  sendCreateInstance,
  useNamedRdsHarness,
} from './rds-harness';

/**
 * Parameter, option and subnet groups: the Create and Describe actions (group-actions.ts) and the rules that
 * the groups an instance or cluster names exist and fit its engine version (rules/groups.ts).
 */

const { harness, name } = useNamedRdsHarness('gr');

function createParameterGroup(groupName: string, family: string) {
  return harness.rds.send(
    new CreateDBParameterGroupCommand({
      DBParameterGroupName: groupName,
      DBParameterGroupFamily: family,
      Description: `${family} settings`,
    }),
  );
}

describe('CreateDBParameterGroup and DescribeDBParameterGroups', () => {
  it('creates a group in lower case, describes it by name(), and lists it with the default groups', async () => {
    const created = await createParameterGroup(`App-${name()}`, 'mysql8.0');

    const one = await harness.rds.send(
      new DescribeDBParameterGroupsCommand({ DBParameterGroupName: `app-${name()}` }),
    );
    const all = await harness.rds.send(new DescribeDBParameterGroupsCommand({}));

    expect(created.DBParameterGroup).toEqual({
      DBParameterGroupName: `app-${name()}`,
      DBParameterGroupFamily: 'mysql8.0',
      Description: 'mysql8.0 settings',
      DBParameterGroupArn: `arn:aws:rds:eu-west-1:000000000000:pg:app-${name()}`,
    });
    expect(one.DBParameterGroups?.map((group) => group.DBParameterGroupName)).toEqual([`app-${name()}`]);
    expect(all.DBParameterGroups?.map((group) => group.DBParameterGroupName)).toEqual(
      expect.arrayContaining(['default.mysql8.0', 'default.postgres15', `app-${name()}`]),
    );
  });

  it('describes a default group of any family without creating it', async () => {
    const out = await harness.rds.send(
      new DescribeDBParameterGroupsCommand({ DBParameterGroupName: 'default.mysql5.7' }),
    );

    expect(out.DBParameterGroups?.[0]).toMatchObject({ DBParameterGroupFamily: 'mysql5.7' });
  });

  it('rejects a taken name(), a malformed name(), an unknown family and an unknown group', async () => {
    await createParameterGroup(name(), 'postgres16');

    await expect(createParameterGroup(name(), 'postgres16')).rejects.toBeInstanceOf(
      DBParameterGroupAlreadyExistsFault,
    );
    await expect(createParameterGroup(`${name()}--x`, 'postgres16')).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('two consecutive hyphens'),
    });
    await expect(createParameterGroup(`${name()}-x`, 'sybase12')).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('not a valid family: sybase12'),
    });
    await expect(
      harness.rds.send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: `${name()}-none` })),
    ).rejects.toBeInstanceOf(DBParameterGroupNotFoundFault);
  });
});

describe('the other groups', () => {
  it('creates and describes cluster parameter groups, option groups and subnet groups', async () => {
    await harness.rds.send(
      new CreateDBClusterParameterGroupCommand({
        DBClusterParameterGroupName: name(),
        DBParameterGroupFamily: 'aurora-mysql8.0',
        Description: 'cluster settings',
      }),
    );
    await harness.rds.send(
      new CreateOptionGroupCommand({
        OptionGroupName: name(),
        EngineName: 'mysql',
        MajorEngineVersion: '8.0',
        OptionGroupDescription: 'audit',
      }),
    );
    await harness.rds.send(
      new CreateDBSubnetGroupCommand({
        DBSubnetGroupName: name(),
        DBSubnetGroupDescription: 'private',
        SubnetIds: ['subnet-1', 'subnet-2'],
      }),
    );

    const cluster = await harness.rds.send(
      new DescribeDBClusterParameterGroupsCommand({ DBClusterParameterGroupName: name() }),
    );
    const options = await harness.rds.send(new DescribeOptionGroupsCommand({ EngineName: 'mysql' }));
    const subnets = await harness.rds.send(new DescribeDBSubnetGroupsCommand({}));

    expect(cluster.DBClusterParameterGroups?.[0]).toMatchObject({
      DBClusterParameterGroupName: name(),
      DBParameterGroupFamily: 'aurora-mysql8.0',
    });
    expect(options.OptionGroupsList?.map((group) => group.OptionGroupName)).toEqual([
      'default:mysql-8-0',
      name(),
    ]);
    expect(subnets.DBSubnetGroups?.map((group) => group.DBSubnetGroupName)).toEqual(
      expect.arrayContaining(['default', name()]),
    );
    expect(subnets.DBSubnetGroups?.find((group) => group.DBSubnetGroupName === name())?.Subnets).toEqual([
      expect.objectContaining({
        SubnetIdentifier: 'subnet-1',
        SubnetAvailabilityZone: { Name: 'eu-west-1a' },
      }),
      expect.objectContaining({
        SubnetIdentifier: 'subnet-2',
        SubnetAvailabilityZone: { Name: 'eu-west-1b' },
      }),
    ]);
  });

  it('rejects a subnet group named default, one over a single subnet, a taken name(), and an Aurora option group', async () => {
    const subnetGroup = (groupName: string, SubnetIds: string[]) =>
      harness.rds.send(
        new CreateDBSubnetGroupCommand({
          DBSubnetGroupName: groupName,
          DBSubnetGroupDescription: 'd',
          SubnetIds,
        }),
      );
    await subnetGroup(name(), ['subnet-1', 'subnet-2']);

    await expect(subnetGroup('default', ['subnet-1', 'subnet-2'])).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(subnetGroup(`${name()}-one`, ['subnet-1'])).rejects.toMatchObject({
      name: 'DBSubnetGroupDoesNotCoverEnoughAZs',
    });
    await expect(subnetGroup(name(), ['subnet-3', 'subnet-4'])).rejects.toBeInstanceOf(
      DBSubnetGroupAlreadyExistsFault,
    );
    await expect(
      harness.rds.send(
        new CreateOptionGroupCommand({
          OptionGroupName: `${name()}-a`,
          EngineName: 'aurora-mysql',
          MajorEngineVersion: '8.0',
          OptionGroupDescription: 'd',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});

describe('groups an instance names', () => {
  it('rejects a parameter group that does not exist', async () => {
    await expect(
      sendCreateInstance(harness, name(), { DBParameterGroupName: `${name()}-none` }),
    ).rejects.toMatchObject({
      name: 'DBParameterGroupNotFoundFault',
      message: `DBParameterGroup not found: ${name()}-none`,
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("rejects a parameter group of another family than the engine version's, naming the family to use", async () => {
    await expect(
      sendCreateInstance(harness, name(), { DBParameterGroupName: 'default.mysql5.7' }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('Use a parameter group with DBParameterGroupFamily mysql8.0'),
    });
    await createParameterGroup(name(), 'postgres16');
    await expect(
      sendCreateInstance(harness, `${name()}-pg`, {
        Engine: 'postgres',
        EngineVersion: '15.8',
        DBParameterGroupName: name(),
      }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('DBParameterGroupFamily postgres15'),
    });
  });

  it('takes a created group of the right family, and the default group when none is named', async () => {
    await createParameterGroup(name(), 'postgres16');

    const named = await createInstance(harness, name(), {
      Engine: 'postgres',
      EngineVersion: '16.4',
      DBParameterGroupName: name(),
    });
    const defaulted = await createInstance(harness, `${name()}-d`, { Engine: 'mariadb' });

    expect(named?.DBParameterGroups?.[0]?.DBParameterGroupName).toBe(name());
    expect(defaulted?.DBParameterGroups?.[0]?.DBParameterGroupName).toBe('default.mariadb10.11');
    expect(defaulted?.OptionGroupMemberships?.[0]?.OptionGroupName).toBe('default:mariadb-10-11');
  });

  it('rejects an option group that does not exist, or is for another engine or major version', async () => {
    await expect(
      sendCreateInstance(harness, name(), { OptionGroupName: `${name()}-none` }),
    ).rejects.toBeInstanceOf(OptionGroupNotFoundFault);
    await expect(
      sendCreateInstance(harness, name(), { OptionGroupName: 'default:mariadb-10-11' }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('Use an option group for mysql 8.0'),
    });
  });

  it('rejects a subnet group that does not exist', async () => {
    await expect(
      sendCreateInstance(harness, name(), { DBSubnetGroupName: `${name()}-none` }),
    ).rejects.toMatchObject({
      name: 'DBSubnetGroupNotFoundFault',
      message: `DBSubnetGroup '${name()}-none' not found.`,
    });
  });

  it("checks a restore's groups against the source's version, and a modification's against the instance's", async () => {
    await createInstance(harness, `${name()}-src`);

    await expect(
      restoreToLatest(harness, `${name()}-src`, name(), { DBParameterGroupName: 'default.mysql5.7' }),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    await expect(
      harness.rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: `${name()}-src`,
          DBParameterGroupName: `${name()}-none`,
        }),
      ),
    ).rejects.toBeInstanceOf(DBParameterGroupNotFoundFault);
    await expect(
      harness.rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: `${name()}-src`,
          DBSubnetGroupName: `${name()}-none`,
        }),
      ),
    ).rejects.toMatchObject({ name: 'DBSubnetGroupNotFoundFault' });
  });

  it("gives a restore the default parameter group, not its source's", async () => {
    await createParameterGroup(name(), 'mysql8.0');
    await createInstance(harness, `${name()}-src`, { DBParameterGroupName: name() });

    await restoreToLatest(harness, `${name()}-src`, name());
    await harness.finish();

    expect((await describeInstance(harness, name()))?.DBParameterGroups?.[0]?.DBParameterGroupName).toBe(
      'default.mysql8.0',
    );
  });
});

describe('groups a cluster names', () => {
  it('rejects a cluster parameter group that does not exist or does not fit', async () => {
    await expect(
      sendCreateCluster(harness, name(), { DBClusterParameterGroupName: `${name()}-none` }),
    ).rejects.toMatchObject({
      name: 'DBClusterParameterGroupNotFoundFault',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      sendCreateCluster(harness, name(), { DBClusterParameterGroupName: 'default.aurora-postgresql15' }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('DBParameterGroupFamily aurora-mysql8.0'),
    });
    await sendCreateCluster(harness, name());
    await harness.finish();
    await expect(
      harness.rds.send(
        new ModifyDBClusterCommand({
          DBClusterIdentifier: name(),
          DBClusterParameterGroupName: 'default.mysql8.0',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
  });

  it('checks the groups of a snapshot restore against the version the restore will have', async () => {
    await sendCreateCluster(harness, `${name()}-src`, { EngineVersion: '5.7.mysql_aurora.2.12.1' });
    await harness.finish();
    await harness.rds.send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: `${name()}-src`,
        DBClusterSnapshotIdentifier: `${name()}-snap`,
      }),
    );
    await harness.finish();
    const restore = (extra: Record<string, string>) =>
      harness.rds.send(
        new RestoreDBClusterFromSnapshotCommand({
          DBClusterIdentifier: name(),
          SnapshotIdentifier: `${name()}-snap`,
          Engine: 'aurora-mysql',
          ...extra,
        }),
      );

    await expect(
      restore({
        EngineVersion: '8.0.mysql_aurora.3.07.1',
        DBClusterParameterGroupName: 'default.aurora-mysql5.7',
      }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('DBParameterGroupFamily aurora-mysql8.0'),
    });
    const restored = await restore({
      EngineVersion: '8.0.mysql_aurora.3.07.1',
      DBClusterParameterGroupName: 'default.aurora-mysql8.0',
    });
    await harness.finish();

    expect(restored.DBCluster).toMatchObject({
      EngineVersion: '8.0.mysql_aurora.3.07.1',
      DBClusterParameterGroup: 'default.aurora-mysql8.0',
    });
    await expect(
      restore({ DBClusterIdentifier: `${name()}-old`, EngineVersion: '5.7.mysql_aurora.2.11.0' }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('older version'),
    });
  });
});
