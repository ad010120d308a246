import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { type FailingRun, refreshFailing, refused, secretStages, servedByShop } from './fault-outcomes';
import {
  notificationFacts,
  openTestAccount,
  registerRotationFunction,
  SHOP,
  seedShop,
  shopRefreshFile,
  type TestAccount,
} from './refresh-fixture';

/**
 * The admin password and the secret through the real state machine in local mode, where Secrets Manager keeps
 * versions and staging labels as AWS does: CreateSecret's only version is AWSCURRENT, a label is on one version,
 * and RotateSecret is refused while a version other than the current one is AWSPENDING.
 */

const ROTATION_FUNCTION = 'arn:aws:lambda:eu-west-1:000000000000:function:shop-dev-rotation';

let test: TestAccount;

beforeAll(async () => {
  test = await openTestAccount();
  await seedShop(test);
}, 120_000);

beforeEach(() => {
  test.setFaults({});
});

afterAll(async () => {
  await test?.close();
}, 60_000);

/**
 * Configures rotation on the shop's secret, without rotating it now. The local rotation function finds the
 * database by the secret's dbInstanceIdentifier (as the RDS console writes it), which the seeded secret lacks.
 */
async function configureRotation(): Promise<void> {
  registerRotationFunction(test, ROTATION_FUNCTION);
  const current = await test.clients.secrets.send(new GetSecretValueCommand({ SecretId: SHOP.secretName }));
  const login = JSON.parse(current.SecretString ?? '{}');
  if (login.dbInstanceIdentifier === undefined) {
    await test.clients.secrets.send(
      new PutSecretValueCommand({
        SecretId: SHOP.secretName,
        SecretString: JSON.stringify({ ...login, dbInstanceIdentifier: SHOP.target }),
      }),
    );
  }
  await test.clients.secrets.send(
    new RotateSecretCommand({
      SecretId: SHOP.secretName,
      RotationLambdaARN: ROTATION_FUNCTION,
      RotationRules: { AutomaticallyAfterDays: 30 },
      RotateImmediately: false,
    }),
  );
}

describe('the first refresh of a target whose secret does not exist yet', () => {
  it('runs its scripts on the copy with the password of the secret it creates, whose only version is AWSCURRENT', async () => {
    // given a target that does not exist, and no secret
    const file = shopRefreshFile();
    file.target = { instance: 'shop-qa' };
    file.adminPassword = { secretName: '/qa/shop/shop-qa' };

    // when
    const result = await test.refresh(file, 'first-refresh-with-scripts');

    // then
    expect(result.status).toBe('SUCCEEDED');
    const secret = await test.clients.secrets.send(
      new DescribeSecretCommand({ SecretId: '/qa/shop/shop-qa' }),
    );
    expect(Object.values(secret.VersionIdsToStages ?? {})).toEqual([['AWSCURRENT']]);
    const rows = await test.queryTarget(
      'shop-qa',
      '/qa/shop/shop-qa',
      SHOP.database,
      "SELECT COUNT(*) AS n FROM customers WHERE email NOT LIKE '%@example.invalid'",
    );
    expect(rows).toEqual([{ n: 0 }]);
    const [record] = await test.historyOf('shop-qa');
    expect(record).toMatchObject({ status: 'succeeded', source: SHOP.source });
  }, 120_000);
});

describe("a rotation configured on the target's secret", () => {
  it('may rotate the old target between "Set admin password" and the swap; a rollback then gives it back its rotated password', async () => {
    // given rotation on the secret, a rotation as soon as the copy has its password, and "Fix tags" refused
    await configureRotation();
    let rotated: Promise<Date> | undefined;
    const outcome: FailingRun = await refreshFailing(
      test,
      'rotated-during-run',
      { state: 'Fix tags', faults: refused('rds', 'ListTagsForResource') },
      shopRefreshFile(),
      (event) => {
        if (event.stateName === 'Set admin password done?' && event.type === 'entered') {
          rotated ??= test.clients.secrets
            .send(new RotateSecretCommand({ SecretId: SHOP.secretName, RotateImmediately: true }))
            .then(() => new Date());
        }
      },
    );

    // then the rotation was not refused, and happened before the swap
    const swapAt = outcome.run.events.find((event) => event.stateName === 'Swap names')?.at;
    expect(swapAt).toBeDefined();
    const rotatedAt = await rotated;
    expect(rotatedAt?.getTime()).toBeLessThan(swapAt?.getTime() ?? 0);
    // and the rollback made current the version the swap replaced: the old target's rotated password
    expect(outcome.run.entered).toContain('Roll back');
    const now = await servedByShop(test);
    expect(now).toMatchObject({ customers: outcome.before.customers, markers: outcome.before.markers });
    expect(now.endpoint).toEqual(outcome.before.endpoint);
    expect(now.password).not.toBe(outcome.before.password);
    expect(await secretStages(test)).not.toContain('DBREFRESH_PENDING');
    expect(await test.recordOf(SHOP.target, 'rotated-during-run')).toMatchObject({
      status: 'failed',
      failedStep: 'Fix tags',
      rolledBack: true,
    });
  }, 120_000);

  it('records a refresh whose rotation is refused after the swap as succeeded with a warning: refreshed data, a working password, no AWSPENDING left', async () => {
    // given
    await configureRotation();
    const file = shopRefreshFile();
    file.adminPassword.rotate = true;

    // when RotateSecret is refused
    const outcome = await refreshFailing(
      test,
      'rotation-refused',
      {
        state: 'Rotate secret',
        faults: refused('secretsmanager', 'RotateSecret', 'InvalidParameterException'),
      },
      file,
    );

    // then the refresh stands
    expect(outcome.run.result.status).toBe('SUCCEEDED');
    expect(outcome.run.entered).toEqual(
      expect.arrayContaining(['Rotate secret failed', 'Undo failed rotation']),
    );
    expect(outcome.run.entered).not.toContain('Roll back');
    const now = await servedByShop(test);
    expect(now).toMatchObject({ customers: 300, markers: [] });
    expect(now.password).not.toBe(outcome.before.password);
    const current = await test.clients.secrets.send(new GetSecretValueCommand({ SecretId: SHOP.secretName }));
    expect(current.VersionId).toMatch(/^dbrefresh-[a-z0-9]{8}-admin-password$/);
    expect(await secretStages(test)).not.toContain('AWSPENDING');
    expect(await secretStages(test)).not.toContain('DBREFRESH_PENDING');
    // and it is recorded and notified as succeeded, with the rotation's error as a warning
    const warning = {
      step: 'Rotate secret',
      error: 'InvalidParameterException',
      cause: expect.stringContaining('Injected failure of secretsmanager RotateSecret'),
      outcome: expect.stringContaining('The refresh is kept'),
    };
    expect(await test.recordOf(SHOP.target, 'rotation-refused')).toMatchObject({
      status: 'succeeded',
      warnings: [warning],
    });
    expect(await test.lockOf(SHOP.target)).toBeUndefined();
    expect(outcome.run.notifications.map((message) => message.subject)).toEqual([
      '[dbrefresh] shop/development shop-dev: SUCCEEDED',
    ]);
    expect(outcome.run.notifications.map(notificationFacts)).toMatchObject([
      { status: 'succeeded', warnings: [warning] },
    ]);
  }, 120_000);
});
