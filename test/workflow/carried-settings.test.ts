import { ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import { describeInstance, sleep } from './examples/example-helpers';
import { openTestAccount, type TestAccount } from './refresh-fixture';

/**
 * Settings a restore does not keep, carried over from the live target by the real state machine in local
 * mode (issue #11 §3.12): the copy is restored private and gets the target's public accessibility once it
 * is masked and swapped.
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
