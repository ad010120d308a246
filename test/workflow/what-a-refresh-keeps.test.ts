import { DescribeDBSnapshotsCommand, ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import { describeInstance, sleep } from './examples/example-helpers';
import { openTestAccount, type TestAccount } from './refresh-fixture';

/**
 * What a refresh keeps of the live target, through the real state machine in local mode (issue #11 §3):
 * the settings a restore does not keep (the copy is restored private and gets the target's public
 * accessibility once it is masked and swapped), and the final snapshots of old targets, kept to a count.
 */

const DATABASE = 'app1';

let test: TestAccount;

beforeAll(async () => {
  test = await openTestAccount();
  await test.seed({
    id: 'app1-prod',
    engine: 'mysql',
    databaseName: DATABASE,
    customers: 20,
    tags: { environment: 'production' },
  });
}, 60_000);

afterAll(async () => {
  await test?.close();
}, 60_000);

async function untilAvailable(id: string): Promise<void> {
  while ((await describeInstance(test.clients.rds, id)).DBInstanceStatus !== 'available') await sleep(200);
}

describe('settings a restore does not keep', () => {
  it('leaves a publicly accessible target publicly accessible after its refresh', async () => {
    // given
    const secretName = '/development/app1/app1-pub';
    await test.seed({
      id: 'app1-pub',
      engine: 'mysql',
      databaseName: DATABASE,
      customers: 5,
      tags: { 'dbrefresh:refreshable': 'true' },
      secretName,
    });
    await test.clients.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'app1-pub',
        PubliclyAccessible: true,
        ApplyImmediately: true,
      }),
    );
    await untilAvailable('app1-pub');
    const file = {
      application: 'app1',
      environment: 'development',
      service: 'rds',
      engine: 'mysql',
      source: { instance: 'app1-prod' },
      target: { instance: 'app1-pub' },
      restore: { type: 'latestpoint' },
      replicas: [],
      adminPassword: { secretName },
    };

    // when
    const result = await test.refresh(file, 'carried-public-access');

    // then
    expect(result.status).toBe('SUCCEEDED');
    const refreshed = await describeInstance(test.clients.rds, 'app1-pub');
    expect(refreshed).toMatchObject({ PubliclyAccessible: true, DBInstanceStatus: 'available' });
    expect((await test.tags('app1-pub'))['dbrefresh:source']).toBe('app1-prod');
  }, 120_000);
});

describe('final snapshots of old targets', () => {
  it('keeps only the newest final snapshots of the target that the file keeps, tagged as its own', async () => {
    // given
    const secretName = '/development/app1/app1-ret';
    await test.seed({
      id: 'app1-ret',
      engine: 'mysql',
      databaseName: DATABASE,
      customers: 5,
      tags: { 'dbrefresh:refreshable': 'true' },
      secretName,
    });
    const file = {
      application: 'app1',
      environment: 'development',
      service: 'rds',
      engine: 'mysql',
      source: { instance: 'app1-prod' },
      target: { instance: 'app1-ret' },
      restore: { type: 'latestpoint' },
      replicas: [],
      adminPassword: { secretName },
      oldTarget: { finalSnapshot: { keep: 1 } },
    };

    // when
    const first = await test.refresh(file, 'retention-first');
    const second = await test.refresh(file, 'retention-second');

    // then
    expect([first.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const secondRun = (await test.recordOf('app1-ret', 'retention-second'))?.runId;
    const finals = async () =>
      ((await test.clients.rds.send(new DescribeDBSnapshotsCommand({}))).DBSnapshots ?? []).filter(
        (snapshot) => snapshot.DBSnapshotIdentifier?.startsWith('app1-ret-old-'),
      );
    while ((await finals()).length > 1) await sleep(200);
    const [kept] = await finals();
    expect(kept?.DBSnapshotIdentifier).toBe(`app1-ret-old-${secondRun}-final`);
    expect(kept?.TagList).toContainEqual({ Key: 'dbrefresh:final-snapshot-of', Value: 'app1-ret' });
  }, 180_000);
});
