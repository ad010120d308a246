import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DBInstanceNotFoundFault,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { RdsStateSchema } from '../../../local/endpoint/rds/state';
import { type RdsHarness, useRdsHarness } from './rds-harness';

const PASSWORD = 'state-Pa55word';

const harness = useRdsHarness({}, 'each');

async function createInstance(rds: RdsHarness['rds'], id: string) {
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: 'mariadb',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'admin',
      MasterUserPassword: PASSWORD,
    }),
  );
}

async function status(h: RdsHarness, id: string) {
  const out = await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  return out.DBInstances?.[0]?.DBInstanceStatus;
}

describe('RdsService state', () => {
  it('saves the whole account to rds.json, without passwords, for the next process', async () => {
    await createInstance(harness.rds, 'kept');
    await harness.finish();

    const text = readFileSync(path.join(harness.stateDir, 'rds.json'), 'utf8');
    const next = await harness.reopen();
    try {
      expect(RdsStateSchema.parse(JSON.parse(text)).instances.map((i) => i.identifier)).toEqual(['kept']);
      expect(text).not.toContain(PASSWORD);
      expect(await status(next, 'kept')).toBe('available');
    } finally {
      await next.close();
    }
  });

  it('fails a restore another process left unfinished, resumes its deletion, keeps one whose final snapshot was cut short', async () => {
    await createInstance(harness.rds, 'source');
    await createInstance(harness.rds, 'doomed');
    await createInstance(harness.rds, 'saved');
    await harness.finish();
    const release = harness.engines.hold();
    await harness.rds.send(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceIdentifier: 'source',
        TargetDBInstanceIdentifier: 'copy',
        UseLatestRestorableTime: true,
      }),
    );
    await harness.rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'doomed', SkipFinalSnapshot: true }),
    );
    await harness.rds.send(
      new DeleteDBInstanceCommand({
        DBInstanceIdentifier: 'saved',
        FinalDBSnapshotIdentifier: 'saved-final',
      }),
    );

    // A new process loads the state while this one's engine work is stuck: as after a crash.
    const next = await harness.reopen();
    try {
      expect(await status(next, 'source')).toBe('available');
      release();
      await next.finish();

      expect(await status(next, 'copy')).toBe('incompatible-restore');
      await expect(status(next, 'doomed')).rejects.toBeInstanceOf(DBInstanceNotFoundFault);
      // Its final snapshot was cut short: the instance is kept rather than deleted without it.
      expect(await status(next, 'saved')).toBe('failed');
    } finally {
      await next.close();
      await harness.finish();
    }
  });
});

describe('RdsService.rotateAdminPassword', () => {
  it('sets a new password on the instance the secret names and returns the new secret value', async () => {
    await createInstance(harness.rds, 'target');
    await harness.finish();
    const secret = JSON.stringify({
      engine: 'mysql',
      username: 'admin',
      password: PASSWORD,
      dbInstanceIdentifier: 'target',
    });

    const rotated = JSON.parse(await harness.service.rotateAdminPassword(secret));

    const server = [...harness.engines.servers.values()][0];
    expect(rotated).toMatchObject({ engine: 'mysql', username: 'admin', dbInstanceIdentifier: 'target' });
    expect(rotated.password).not.toBe(PASSWORD);
    expect(server?.password).toBe(rotated.password);
  });

  it('rotates the password of a cluster named by dbClusterIdentifier', async () => {
    await harness.rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: 'aurora',
        Engine: 'aurora-mysql',
        MasterUsername: 'master',
        MasterUserPassword: PASSWORD,
      }),
    );
    await harness.finish();

    const rotated = JSON.parse(
      await harness.service.rotateAdminPassword(
        JSON.stringify({ username: 'master', dbClusterIdentifier: 'aurora' }),
      ),
    );

    expect([...harness.engines.servers.values()][0]?.password).toBe(rotated.password);
  });

  it('rejects a secret that names no resource or another user, without echoing it', async () => {
    await createInstance(harness.rds, 'target');
    await harness.finish();

    await expect(harness.service.rotateAdminPassword('not json {')).rejects.toThrow(
      'The secret to rotate is not a JSON object',
    );
    await expect(harness.service.rotateAdminPassword(JSON.stringify({ password: 'x' }))).rejects.toThrow(
      /names no DB instance or cluster/,
    );
    await expect(
      harness.service.rotateAdminPassword(
        JSON.stringify({ username: 'app', dbInstanceIdentifier: 'target' }),
      ),
    ).rejects.toThrow(/not the master user/);
    await expect(
      harness.service.rotateAdminPassword(JSON.stringify({ dbInstanceIdentifier: 'missing' })),
    ).rejects.toMatchObject({ code: 'DBInstanceNotFound' });
  });
});

describe('RdsService.handle', () => {
  it('answers an action it does not implement with 400 InvalidAction', async () => {
    const response = await harness.service.handle({
      method: 'POST',
      path: '/',
      query: new URLSearchParams(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from('Action=PurchaseReservedDBInstancesOffering&Version=2014-10-31'),
      service: 'rds',
      region: 'eu-west-1',
      account: '000000000000',
    });

    expect(response.status).toBe(400);
    expect(response.body).toContain('<Code>InvalidAction</Code>');
  });

  it('refuses ManageMasterUserPassword without a Secrets Manager, leaving no instance behind', async () => {
    const create = harness.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'managed',
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        AllocatedStorage: 20,
        MasterUsername: 'admin',
        ManageMasterUserPassword: true,
      }),
    );

    await expect(create).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    await expect(status(harness, 'managed')).rejects.toBeInstanceOf(DBInstanceNotFoundFault);
  });
});
