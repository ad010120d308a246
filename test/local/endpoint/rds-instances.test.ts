import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  CreateDBSnapshotCommand,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DeleteDBInstanceCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  InvalidDBInstanceStateFault,
  ListTagsForResourceCommand,
  ModifyDBInstanceCommand,
  RemoveTagsFromResourceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
  StartDBInstanceCommand,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { findInstance } from '../../../lambdas/shared/aws/rds';
import { TerminalStateError } from '../../../lambdas/shared/errors';
import { hasReachedStatus } from '../../../lambdas/shared/rds-status';
import { uniqueName } from './endpoint-fixture';
import { FakeSecrets, useRdsHarness } from './rds-harness';

const PASSWORD = 'first-Pa55word';

const secrets = new FakeSecrets();
const harness = useRdsHarness({ secrets });
let name: string;

beforeEach(() => {
  name = uniqueName('db');
});

/** Sends CreateDBInstance (a MySQL instance with a database and a tag, unless `extra` says otherwise). */
function sendCreateInstance(id: string, extra: Record<string, unknown> = {}) {
  return harness.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: 'mysql',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'admin',
      MasterUserPassword: PASSWORD,
      DBName: 'app',
      Tags: [{ Key: 'team', Value: 'data' }],
      ...extra,
    }),
  );
}

/** Creates an instance and lets its creation finish. */
async function createInstance(id: string, extra: Record<string, unknown> = {}) {
  const out = await sendCreateInstance(id, extra);
  await harness.finish();
  return out.DBInstance;
}

/** Creates the instance `<name>-src` with `rows` in its server; returns the server's id. */
async function createSource(...rows: string[]): Promise<string> {
  const source = await createInstance(`${name}-src`);
  const serverId = serverOf(source?.DbiResourceId).id;
  harness.engines.insert(serverId, ...rows);
  return serverId;
}

/** Restores `sourceId` to its latest restorable time as the instance `name`. */
function restoreToLatest(sourceId: string) {
  return harness.rds.send(
    new RestoreDBInstanceToPointInTimeCommand({
      SourceDBInstanceIdentifier: sourceId,
      TargetDBInstanceIdentifier: name,
      UseLatestRestorableTime: true,
    }),
  );
}

async function describe1(id: string) {
  const out = await harness.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  return out.DBInstances?.[0];
}

function serverOf(dbiResourceId: string | undefined) {
  return harness.engines.server((dbiResourceId ?? '').toLowerCase());
}

describe('CreateDBInstance', () => {
  it('creates an engine server and describes it as RDS does, with the server as Endpoint', async () => {
    const created = await createInstance(name, { VpcSecurityGroupIds: ['sg-1', 'sg-2'] });

    const instance = await describe1(name);

    expect(created?.DBInstanceStatus).toBe('creating');
    expect(instance).toMatchObject({
      DBInstanceIdentifier: name,
      DBInstanceStatus: 'available',
      Engine: 'mysql',
      MasterUsername: 'admin',
      DBName: 'app',
      DBInstanceArn: `arn:aws:rds:eu-west-1:000000000000:db:${name}`,
      TagList: [{ Key: 'team', Value: 'data' }],
      DeletionProtection: false,
      VpcSecurityGroups: [
        { VpcSecurityGroupId: 'sg-1', Status: 'active' },
        { VpcSecurityGroupId: 'sg-2', Status: 'active' },
      ],
      PendingModifiedValues: {},
    });
    expect(instance?.DbiResourceId).toMatch(/^db-[A-Z2-7]{26}$/);
    const server = serverOf(instance?.DbiResourceId);
    expect(instance?.Endpoint).toEqual({
      Address: '127.0.0.1',
      Port: server.port,
      HostedZoneId: expect.any(String),
    });
    expect(server).toMatchObject({
      engine: 'mariadb',
      adminUser: 'admin',
      password: PASSWORD,
      databaseName: 'app',
    });
  });

  it('shows creating, without an endpoint, while the engine works', async () => {
    const release = harness.engines.hold();
    await sendCreateInstance(name, { Engine: 'postgres' });

    const during = await describe1(name);
    release();
    await harness.finish();
    const after = await describe1(name);

    expect(during?.DBInstanceStatus).toBe('creating');
    expect(during?.Endpoint).toBeUndefined();
    expect(after?.DBInstanceStatus).toBe('available');
    expect(serverOf(after?.DbiResourceId).engine).toBe('postgres');
  });

  it('stores identifiers in lower case, as RDS does', async () => {
    await createInstance(`Upper-${name}`);

    expect((await describe1(`UPPER-${name}`))?.DBInstanceIdentifier).toBe(`upper-${name}`);
  });

  it('rejects an identifier that exists with DBInstanceAlreadyExistsFault', async () => {
    await createInstance(name);

    await expect(createInstance(name)).rejects.toBeInstanceOf(DBInstanceAlreadyExistsFault);
  });

  it('rejects a malformed identifier and a password RDS refuses', async () => {
    await expect(createInstance('1-bad')).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('Identifiers must begin with a letter'),
    });
    await expect(createInstance(name, { MasterUserPassword: 'has@sign' })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('creates the master password in Secrets Manager with ManageMasterUserPassword', async () => {
    const instance = await createInstance(name, {
      MasterUserPassword: undefined,
      ManageMasterUserPassword: true,
    });

    const described = await describe1(name);

    expect(instance?.MasterUserSecret?.SecretStatus).toBe('creating');
    expect(described?.MasterUserSecret).toEqual({
      SecretArn: expect.stringContaining(':secret:rds!db-'),
      SecretStatus: 'active',
    });
    const secret = secrets.secrets.get(described?.MasterUserSecret?.SecretArn ?? '');
    expect(JSON.parse(secret?.value ?? '{}')).toEqual({
      username: 'admin',
      password: serverOf(described?.DbiResourceId).password,
    });
  });
});

describe('DescribeDBInstances', () => {
  it('fails with DBInstanceNotFoundFault (404) for an unknown instance, which findInstance reads as absent', async () => {
    await expect(describe1(name)).rejects.toBeInstanceOf(DBInstanceNotFoundFault);
    await expect(describe1(name)).rejects.toMatchObject({
      message: `DBInstance ${name} not found.`,
      $metadata: { httpStatusCode: 404 },
    });
    await expect(findInstance(harness.rds, name)).resolves.toBeUndefined();
  });

  it('accepts an ARN and filters', async () => {
    await createInstance(name);

    const byArn = await harness.rds.send(
      new DescribeDBInstancesCommand({
        DBInstanceIdentifier: `arn:aws:rds:eu-west-1:111122223333:db:${name}`,
      }),
    );
    const filtered = await harness.rds.send(
      new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-instance-id', Values: [name, 'other'] }] }),
    );

    expect(byArn.DBInstances?.map((i) => i.DBInstanceIdentifier)).toEqual([name]);
    expect(filtered.DBInstances?.map((i) => i.DBInstanceIdentifier)).toEqual([name]);
  });
});

describe('RestoreDBInstanceToPointInTime', () => {
  it('restores the data as of RestoreTime into a new server with the source master user', async () => {
    const sourceId = await createSource('before');
    harness.clock.advance(1000);
    const restoreTime = harness.clock.now();
    harness.clock.advance(1000);
    harness.engines.insert(sourceId, 'after');

    const out = await harness.rds.send(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceIdentifier: `${name}-src`,
        TargetDBInstanceIdentifier: name,
        RestoreTime: restoreTime,
        Tags: [{ Key: 'dbrefresh:run', Value: 'r1' }],
        DeletionProtection: false,
      }),
    );
    await harness.finish();
    const restored = await describe1(name);

    expect(out.DBInstance?.DBInstanceStatus).toBe('creating');
    expect(restored).toMatchObject({ DBInstanceStatus: 'available', MasterUsername: 'admin', DBName: 'app' });
    expect(restored?.TagList).toEqual([{ Key: 'dbrefresh:run', Value: 'r1' }]);
    expect(harness.engines.rows(serverOf(restored?.DbiResourceId).id)).toEqual(['before']);
  });

  it('restores to the latest restorable time with UseLatestRestorableTime', async () => {
    await createSource('row');

    await restoreToLatest(`${name}-src`);
    await harness.finish();

    expect(harness.engines.rows(serverOf((await describe1(name))?.DbiResourceId).id)).toEqual(['row']);
  });

  it('rejects a time outside the restorable window', async () => {
    await createInstance(`${name}-src`);

    await expect(
      harness.rds.send(
        new RestoreDBInstanceToPointInTimeCommand({
          SourceDBInstanceIdentifier: `${name}-src`,
          TargetDBInstanceIdentifier: name,
          RestoreTime: new Date('2001-01-01T00:00:00Z'),
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('restorable window'),
    });
  });

  it('fails with DBInstanceNotFoundFault for an unknown source', async () => {
    await expect(restoreToLatest(`${name}-none`)).rejects.toBeInstanceOf(DBInstanceNotFoundFault);
  });

  it('ends in incompatible-restore, with the engine error in StatusInfos, when the engine fails', async () => {
    await createInstance(`${name}-src`);
    harness.engines.failNext('restoreToTime');

    await restoreToLatest(`${name}-src`);
    await harness.finish();
    const failed = await describe1(name);

    expect(failed?.DBInstanceStatus).toBe('incompatible-restore');
    expect(failed?.StatusInfos?.[0]?.Message).toContain('the fake engine was told to fail');
    expect(() => hasReachedStatus(name, failed?.DBInstanceStatus)).toThrow(TerminalStateError);
  });
});

describe('ModifyDBInstance', () => {
  it('renames at once: the new name shows renaming, the old one is gone, the ARN follows, the server stays', async () => {
    await createInstance(name);
    const before = await describe1(name);

    const out = await harness.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: name,
        NewDBInstanceIdentifier: `${name}-new`,
        ApplyImmediately: true,
      }),
    );
    await expect(describe1(name)).rejects.toBeInstanceOf(DBInstanceNotFoundFault);
    const during = await describe1(`${name}-new`);
    await harness.finish();
    const after = await describe1(`${name}-new`);

    expect(out.DBInstance?.DBInstanceStatus).toBe('renaming');
    expect(during?.DBInstanceStatus).toBe('renaming');
    expect(after).toMatchObject({
      DBInstanceStatus: 'available',
      DBInstanceArn: `arn:aws:rds:eu-west-1:000000000000:db:${name}-new`,
      DbiResourceId: before?.DbiResourceId,
      Endpoint: before?.Endpoint,
      TagList: [{ Key: 'team', Value: 'data' }],
    });
  });

  it('refuses to rename onto an existing instance', async () => {
    await createInstance(name);
    await createInstance(`${name}-taken`);

    await expect(
      harness.rds.send(
        new ModifyDBInstanceCommand({ DBInstanceIdentifier: name, NewDBInstanceIdentifier: `${name}-taken` }),
      ),
    ).rejects.toBeInstanceOf(DBInstanceAlreadyExistsFault);
  });

  it('refuses to modify an instance that is not available', async () => {
    const release = harness.engines.hold();
    await sendCreateInstance(name, { Engine: 'mariadb' });

    const attempt = harness.rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: name, NewDBInstanceIdentifier: `${name}-x` }),
    );
    await expect(attempt).rejects.toBeInstanceOf(InvalidDBInstanceStateFault);
    await expect(attempt).rejects.toThrow('Database instance is not in available state.');
    release();
    await harness.finish();
  });

  it('sets the master password on the engine, showing it pending while resetting-master-credentials', async () => {
    const instance = await createInstance(name);
    const release = harness.engines.hold();

    await harness.rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: name, MasterUserPassword: 'second-Pa55word' }),
    );
    const during = await describe1(name);
    release();
    await harness.finish();
    const after = await describe1(name);

    expect(during).toMatchObject({
      DBInstanceStatus: 'resetting-master-credentials',
      PendingModifiedValues: { MasterUserPassword: '****' },
    });
    expect(after).toMatchObject({ DBInstanceStatus: 'available', PendingModifiedValues: {} });
    expect(serverOf(instance?.DbiResourceId).password).toBe('second-Pa55word');
  });

  it('hands the password to RDS (Secrets Manager) with ManageMasterUserPassword', async () => {
    const instance = await createInstance(name);

    await harness.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: name,
        ManageMasterUserPassword: true,
        ApplyImmediately: true,
      }),
    );
    await harness.finish();
    const after = await describe1(name);

    expect(after?.MasterUserSecret?.SecretStatus).toBe('active');
    expect(serverOf(instance?.DbiResourceId).password).not.toBe(PASSWORD);
  });

  it('changes deletion protection and monitoring, and rejects monitoring without a role', async () => {
    await createInstance(name);

    await harness.rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: name, DeletionProtection: true }),
    );
    await harness.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: name,
        MonitoringInterval: 60,
        MonitoringRoleArn: 'arn:aws:iam::000000000000:role/monitoring',
      }),
    );
    await harness.finish();

    expect(await describe1(name)).toMatchObject({ DeletionProtection: true, MonitoringInterval: 60 });
    await expect(
      harness.rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: name,
          MonitoringInterval: 5,
          MonitoringRoleArn: '',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
  });

  it('rejects a request that modifies nothing', async () => {
    await createInstance(name);

    await expect(
      harness.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: name, ApplyImmediately: true })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: 'No modifications were requested',
    });
  });
});

describe('DeleteDBInstance', () => {
  it('refuses while deletion protection is on, then deletes the instance and its server', async () => {
    const instance = await createInstance(name, { DeletionProtection: true });

    await expect(
      harness.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: name, SkipFinalSnapshot: true })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('protected'),
    });
    await harness.rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: name, DeletionProtection: false }),
    );
    const out = await harness.rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: name, SkipFinalSnapshot: true }),
    );
    const again = harness.rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: name, SkipFinalSnapshot: true }),
    );

    await expect(again).rejects.toBeInstanceOf(InvalidDBInstanceStateFault);
    await harness.finish();
    expect(out.DBInstance?.DBInstanceStatus).toBe('deleting');
    await expect(describe1(name)).rejects.toBeInstanceOf(DBInstanceNotFoundFault);
    expect(harness.engines.servers.has((instance?.DbiResourceId ?? '').toLowerCase())).toBe(false);
  });

  it('requires SkipFinalSnapshot or a final snapshot, and takes the final snapshot first', async () => {
    await createInstance(name);

    await expect(
      harness.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: name })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
    });
    await harness.rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: name, FinalDBSnapshotIdentifier: `${name}-final` }),
    );
    await harness.finish();
    const snapshots = await harness.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: name }));

    expect(snapshots.DBSnapshots).toEqual([
      expect.objectContaining({
        DBSnapshotIdentifier: `${name}-final`,
        Status: 'available',
        SnapshotType: 'manual',
        SnapshotCreateTime: expect.any(Date),
      }),
    ]);
  });
});

describe('snapshots', () => {
  it('restores an instance from a manual snapshot with the snapshot data', async () => {
    await createSource('snapshotted');
    await harness.rds.send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: `${name}-src`,
        DBSnapshotIdentifier: `${name}-snap`,
      }),
    );
    await harness.finish();

    await harness.rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: name,
        DBSnapshotIdentifier: `arn:aws:rds:eu-west-1:000000000000:snapshot:${name}-snap`,
      }),
    );
    await harness.finish();
    const restored = await describe1(name);

    expect(restored?.DBInstanceStatus).toBe('available');
    expect(harness.engines.rows(serverOf(restored?.DbiResourceId).id)).toEqual(['snapshotted']);
  });

  it('fails with DBSnapshotNotFoundFault for an unknown snapshot', async () => {
    await expect(
      harness.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: `${name}-none` })),
    ).rejects.toMatchObject({ name: 'DBSnapshotNotFoundFault', $metadata: { httpStatusCode: 404 } });
  });

  it('describes the automated backups restore window by DbiResourceId', async () => {
    const instance = await createInstance(name);

    const out = await harness.rds.send(
      new DescribeDBInstanceAutomatedBackupsCommand({ DbiResourceId: instance?.DbiResourceId }),
    );

    expect(out.DBInstanceAutomatedBackups?.[0]).toMatchObject({
      DBInstanceIdentifier: name,
      RestoreWindow: { EarliestTime: expect.any(Date), LatestTime: expect.any(Date) },
    });
  });
});

describe('StopDBInstance and StartDBInstance', () => {
  it('stops and starts the engine server', async () => {
    const instance = await createInstance(name);

    const stopping = await harness.rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: name }));
    await harness.finish();
    const stopped = await describe1(name);
    const server = serverOf(instance?.DbiResourceId);
    const wasRunning = server.running;
    await harness.rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: name }));
    await harness.finish();

    expect(stopping.DBInstance?.DBInstanceStatus).toBe('stopping');
    expect(stopped?.DBInstanceStatus).toBe('stopped');
    expect(wasRunning).toBe(false);
    expect((await describe1(name))?.DBInstanceStatus).toBe('available');
    expect(server.running).toBe(true);
  });

  it('rejects starting an instance that is not stopped', async () => {
    await createInstance(name);

    await expect(
      harness.rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: name })),
    ).rejects.toThrow(`Instance ${name} is not stopped, cannot be started.`);
  });
});

describe('CreateDBInstanceReadReplica', () => {
  it('clones the source into a replica that both sides name', async () => {
    await createSource('replicated');

    await harness.rds.send(
      new CreateDBInstanceReadReplicaCommand({
        SourceDBInstanceIdentifier: `${name}-src`,
        DBInstanceIdentifier: name,
        Tags: [{ Key: 'role', Value: 'replica' }],
      }),
    );
    await harness.finish();
    const replica = await describe1(name);

    expect(replica).toMatchObject({
      DBInstanceStatus: 'available',
      ReadReplicaSourceDBInstanceIdentifier: `${name}-src`,
    });
    expect((await describe1(`${name}-src`))?.ReadReplicaDBInstanceIdentifiers).toEqual([name]);
    expect(harness.engines.rows(serverOf(replica?.DbiResourceId).id)).toEqual(['replicated']);
  });
});

describe('tags', () => {
  it('adds, lists and removes tags by ARN', async () => {
    const instance = await createInstance(name);
    const arn = instance?.DBInstanceArn ?? '';

    await harness.rds.send(
      new AddTagsToResourceCommand({
        ResourceName: arn,
        Tags: [
          { Key: 'a', Value: '1' },
          { Key: 'team', Value: 'ops' },
        ],
      }),
    );
    await harness.rds.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: ['a'] }));
    const out = await harness.rds.send(new ListTagsForResourceCommand({ ResourceName: arn }));

    expect(out.TagList).toEqual([{ Key: 'team', Value: 'ops' }]);
  });

  it('rejects a name that is not an RDS ARN, and an unknown instance', async () => {
    await expect(
      harness.rds.send(new ListTagsForResourceCommand({ ResourceName: name })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(
      harness.rds.send(
        new ListTagsForResourceCommand({ ResourceName: `arn:aws:rds:eu-west-1:000000000000:db:${name}` }),
      ),
    ).rejects.toBeInstanceOf(DBInstanceNotFoundFault);
  });
});
