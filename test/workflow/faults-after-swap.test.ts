import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DeleteDBInstanceCommand } from '@aws-sdk/client-rds';
import { DescribeSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { FaultConfig } from '../../local/endpoint/faults';
import type { RunEvent } from '../../local/runner/run-refresh';
import {
  type ArmedFault,
  notificationFacts,
  type ObservedRun,
  openTestAccount,
  query,
  type ServedData,
  type TestAccount,
} from './refresh-fixture';

const DEMO = path.join(__dirname, '..', '..', 'local', 'demo');
const TARGET = 'shop-dev';
const SECRET = '/development/shop/shop-dev';
const AFTER_REFRESH_HOOK = 'arn:aws:lambda:eu-west-1:000000000000:function:shop-after-refresh';
const demoFile = () => JSON.parse(readFileSync(path.join(DEMO, 'shop-dev.json'), 'utf8'));

/** A failure the SDK and the state machine do not retry: the request itself is refused. */
const refused = (service: string, action: string, code = 'InvalidParameterCombination'): FaultConfig => ({
  failOnce: [{ service, action, code }],
});

let test: TestAccount;

beforeAll(async () => {
  test = await openTestAccount();
  await test.seed({
    id: 'shop-prod',
    engine: 'mariadb',
    databaseName: 'shop',
    customers: 300,
    tags: { environment: 'production' },
  });
  await test.seed({
    id: TARGET,
    engine: 'mariadb',
    databaseName: 'shop',
    customers: 7,
    tags: { 'dbrefresh:refreshable': 'true', team: 'checkout' },
    secretName: SECRET,
  });
  await test.upload(
    'shop-refresh-scripts',
    'shop-dev/01-mask-customers.sql',
    readFileSync(path.join(DEMO, '01-mask-customers.sql'), 'utf8'),
  );
  await new Promise((resolve) => setTimeout(resolve, 1100));
}, 120_000);

beforeEach(() => {
  test.setFaults({});
});

afterAll(async () => {
  await test?.close();
}, 60_000);

const served = () => test.served(TARGET, SECRET, 'shop');

/** Every staging label on the target's secret: a rolled-back run leaves no pending password behind. */
async function secretStages(): Promise<string[]> {
  const secret = await test.clients.secrets.send(new DescribeSecretCommand({ SecretId: SECRET }));
  return Object.values(secret.VersionIdsToStages ?? {}).flat();
}

/** Leaves a row in the target that only the target has, then runs the refresh with the fault armed. */
async function refreshFailing(
  executionName: string,
  fault?: ArmedFault,
  file: unknown = demoFile(),
  onEvent?: (event: RunEvent) => void,
) {
  await test.markTarget(TARGET, SECRET, 'shop', executionName);
  const before = await served();
  const run = await test.refreshWithFault(file, executionName, fault, onEvent);
  return { before, run };
}

interface Failure {
  readonly step: string;
  readonly error: string;
  readonly cause: string;
}

/** Checks the failed record and notification of a run; `rolledBack` as the finish step reports it. */
async function expectRecordedFailure(
  executionName: string,
  run: ObservedRun,
  failure: Failure,
  rolledBack: boolean,
) {
  expect(run.result).toMatchObject({ status: 'FAILED', error: failure.error });
  expect(await test.lockOf(TARGET)).toBeUndefined();
  const record = await test.recordOf(TARGET, executionName);
  expect(record).toMatchObject({
    status: 'failed',
    failedStep: failure.step,
    error: failure.error,
    rolledBack,
  });
  expect(String(record?.cause)).toContain(failure.cause);
  expect(run.notifications.map((message) => message.subject)).toEqual([
    '[dbrefresh] shop/development shop-dev: FAILED',
  ]);
  expect(run.notifications.map(notificationFacts)).toMatchObject([
    { status: 'failed', failedStep: failure.step, error: failure.error, rolledBack },
  ]);
  return record;
}

/** Before the point of no return: the swap is undone and the target serves what it served before. */
async function expectRolledBack(
  executionName: string,
  { before, run }: { before: ServedData; run: ObservedRun },
  failure: Failure,
) {
  expect(run.entered).toContain('Roll back');
  expect(await served()).toEqual(before);
  expect(await test.instanceIds()).toEqual([TARGET, 'shop-prod']);
  expect(await secretStages()).not.toContain('AWSPENDING');
  await expectRecordedFailure(executionName, run, failure, true);
}

/** Past the point of no return: nothing is rolled back, the target serves the refreshed, masked copy. */
async function expectRefreshedWithoutRollback(
  executionName: string,
  { before, run }: { before: ServedData; run: ObservedRun },
  failure: Failure,
) {
  expect(run.entered).not.toContain('Roll back');
  const now = await served();
  expect(now).toMatchObject({ customers: 300, markers: [] });
  expect(now.password).not.toBe(before.password);
  expect(now.endpoint).not.toEqual(before.endpoint);
  expect(
    await test.queryTarget(
      TARGET,
      SECRET,
      'shop',
      "SELECT COUNT(*) AS n FROM customers WHERE email NOT LIKE '%@example.invalid'",
    ),
  ).toEqual([{ n: 0 }]);
  return expectRecordedFailure(executionName, run, failure, false);
}

describe('a refresh that fails from the swap on', () => {
  it('undoes a partial swap when the second rename in "Swap names" is refused', async () => {
    // The start of the swap renames the old target away; the checks rename the copy to the target's name.
    let atFailure: Promise<string[]> | undefined;
    const outcome = await refreshFailing(
      'second-rename-refused',
      { state: 'Swap names', on: 'succeeded', faults: refused('rds', 'ModifyDBInstance') },
      demoFile(),
      (event) => {
        // Read as the failure is caught, before the rollback's first request.
        if (event.type === 'caught') atFailure ??= test.instanceIds();
      },
    );

    const caught = outcome.run.events
      .filter((event) => event.type === 'caught')
      .map((event) => event.stateName);
    expect(caught).toEqual(['Check swap names']);
    const record = await test.recordOf(TARGET, 'second-rename-refused');
    expect(await atFailure).toEqual([
      `${TARGET}-new-${record?.runId}`,
      `${TARGET}-old-${record?.runId}`,
      'shop-prod',
    ]);
    await expectRolledBack('second-rename-refused', outcome, {
      step: 'Swap names',
      error: 'InvalidParameterCombination',
      cause: 'Injected failure of rds ModifyDBInstance',
    });
  }, 60_000);

  it('rolls back when RDS refuses a read replica in "Create replicas"', async () => {
    const file = demoFile();
    file.replicas = [{ instance: 'shop-dev-replica' }];

    const outcome = await refreshFailing(
      'replica-refused',
      { state: 'Create replicas', faults: refused('rds', 'CreateDBInstanceReadReplica') },
      file,
    );

    await expectRolledBack('replica-refused', outcome, {
      step: 'Create replicas',
      error: 'InvalidParameterCombination',
      cause: 'Injected failure of rds CreateDBInstanceReadReplica',
    });
  }, 60_000);

  it('rolls back when RDS refuses to list the tags in "Fix tags"', async () => {
    const outcome = await refreshFailing('tags-refused', {
      state: 'Fix tags',
      faults: refused('rds', 'ListTagsForResource'),
    });

    await expectRolledBack('tags-refused', outcome, {
      step: 'Fix tags',
      error: 'InvalidParameterCombination',
      cause: 'Injected failure of rds ListTagsForResource',
    });
  }, 60_000);

  it('rolls back, secret included, when Secrets Manager refuses the rotation in "Rotate secret"', async () => {
    await test.clients.secrets.send(
      new RotateSecretCommand({
        SecretId: SECRET,
        RotationLambdaARN: 'arn:aws:lambda:eu-west-1:000000000000:function:shop-dev-rotation',
        RotationRules: { AutomaticallyAfterDays: 30 },
        RotateImmediately: false,
      }),
    );
    const file = demoFile();
    file.adminPassword.rotate = true;

    const outcome = await refreshFailing(
      'rotation-refused',
      {
        state: 'Rotate secret',
        faults: refused('secretsmanager', 'RotateSecret', 'InvalidParameterException'),
      },
      file,
    );

    await expectRolledBack('rotation-refused', outcome, {
      step: 'Rotate secret',
      error: 'InvalidParameterException',
      cause: 'Injected failure of secretsmanager RotateSecret',
    });
  }, 60_000);

  it('records a failure in "Retire old target" without rollback: the target keeps the refreshed data, the old one stays under its retired name', async () => {
    const outcome = await refreshFailing('retire-refused', {
      state: 'Retire old target',
      faults: refused('rds', 'DeleteDBInstance'),
    });

    const record = await expectRefreshedWithoutRollback('retire-refused', outcome, {
      step: 'Retire old target',
      error: 'InvalidParameterCombination',
      cause: 'Injected failure of rds DeleteDBInstance',
    });
    const retired = `${TARGET}-old-${record?.runId}`;
    expect(await test.instanceIds()).toEqual([TARGET, retired, 'shop-prod']);
    const oldCredentials = { username: 'dbadmin', password: outcome.before.password };
    expect(
      await query(outcome.before.endpoint, oldCredentials, 'shop', 'SELECT COUNT(*) AS n FROM customers'),
    ).toEqual([{ n: 7 }]);
    await test.clients.rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: retired, SkipFinalSnapshot: true }),
    );
    await waitUntilGone(retired);
  }, 90_000);

  it('records a failure in "Run hook after refresh" without rollback: the target keeps the refreshed data', async () => {
    test.account.lambda.register(AFTER_REFRESH_HOOK, () => {
      throw new Error('The search index could not be rebuilt');
    });
    const file = demoFile();
    file.hooks = { afterRefresh: AFTER_REFRESH_HOOK };

    const outcome = await refreshFailing('after-hook-fails', undefined, file);

    await expectRefreshedWithoutRollback('after-hook-fails', outcome, {
      step: 'Run hook after refresh',
      error: 'HookError',
      cause: 'The search index could not be rebuilt',
    });
    expect(await test.instanceIds()).toEqual([TARGET, 'shop-prod']);
  }, 60_000);

  it('records a failure in "Record success and notify" without rollback: the target keeps the refreshed data, the old one is gone', async () => {
    const outcome = await refreshFailing('record-refused', {
      state: 'Record success and notify',
      faults: refused('dynamodb', 'UpdateItem', 'ValidationException'),
    });

    await expectRefreshedWithoutRollback('record-refused', outcome, {
      step: 'Record success and notify',
      error: 'ValidationException',
      cause: 'Injected failure of dynamodb UpdateItem',
    });
    expect(await test.instanceIds()).toEqual([TARGET, 'shop-prod']);
  }, 60_000);
});

async function waitUntilGone(id: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await test.instanceIds()).includes(id)) {
    if (Date.now() > deadline) throw new Error(`${id} was not deleted within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
