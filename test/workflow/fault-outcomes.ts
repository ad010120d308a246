import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { FaultConfig } from '../../local/endpoint/faults';
import type { RunEvent } from '../../local/runner/run-refresh';
import {
  type ArmedFault,
  notificationFacts,
  type ObservedRun,
  type ServedData,
  SHOP,
  shopRefreshFile,
  type TestAccount,
} from './refresh-fixture';

/**
 * What the fault workflow tests assert about a failed refresh of the demo's shop (seeded by seedShop):
 * rolled back before the point of no return, recorded without rollback past it.
 */

/** A failure the SDK and the state machine do not retry: the request itself is refused. */
export function refused(service: string, action: string, code = 'InvalidParameterCombination'): FaultConfig {
  return { failOnce: [{ service, action, code }] };
}

/** How a run failed, as its history record and notification must tell it. */
export interface Failure {
  readonly step: string;
  readonly error: string;
  /** A part of the cause the record must contain. */
  readonly cause: string;
}

/** A refresh run by refreshFailing: its name, what the target served just before, and the run. */
export interface FailingRun {
  readonly executionName: string;
  readonly before: ServedData;
  readonly run: ObservedRun;
}

/** What the shop's target serves now, as its applications see it through its secret. */
export function servedByShop(test: TestAccount): Promise<ServedData> {
  return test.served(SHOP.target, SHOP.secretName, SHOP.database);
}

/** Every staging label on the target's secret: a rolled-back run leaves no pending password (DBREFRESH_PENDING) behind. */
export async function secretStages(test: TestAccount): Promise<string[]> {
  const secret = await test.clients.secrets.send(new DescribeSecretCommand({ SecretId: SHOP.secretName }));
  return Object.values(secret.VersionIdsToStages ?? {}).flat();
}

/** Leaves a row in the target that only the target has, then runs the refresh with the fault armed. */
export async function refreshFailing(
  test: TestAccount,
  executionName: string,
  fault?: ArmedFault,
  file: unknown = shopRefreshFile(),
  onEvent?: (event: RunEvent) => void,
): Promise<FailingRun> {
  await test.markTarget(SHOP.target, SHOP.secretName, SHOP.database, executionName);
  const before = await servedByShop(test);
  const run = await test.refreshWithFault(file, executionName, fault, onEvent);
  return { executionName, before, run };
}

/**
 * The run failed as `failure` says, released its lock, and wrote one failed record and one notification;
 * `rolledBack` as the finish step reports it. Returns the record.
 */
export async function expectRecordedFailure(
  test: TestAccount,
  { executionName, run }: FailingRun,
  failure: Failure,
  rolledBack: boolean,
): Promise<Record<string, unknown> | undefined> {
  expect(run.result).toMatchObject({ status: 'FAILED', error: failure.error });
  expect(await test.lockOf(SHOP.target)).toBeUndefined();
  const record = await test.recordOf(SHOP.target, executionName);
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

/** Before the point of no return: the copy is gone, the target serves what it served before, all recorded. */
export async function expectRolledBack(test: TestAccount, outcome: FailingRun, failure: Failure) {
  expect(outcome.run.entered).toContain('Roll back');
  expect(await servedByShop(test)).toEqual(outcome.before);
  expect(await test.instanceIds()).toEqual([SHOP.target, SHOP.source]);
  const stages = await secretStages(test);
  expect(stages).not.toContain('AWSPENDING');
  expect(stages).not.toContain('DBREFRESH_PENDING');
  await expectRecordedFailure(test, outcome, failure, true);
}

/**
 * Past the point of no return: nothing is rolled back, the target serves the refreshed, masked copy.
 * Returns the failed record.
 */
export async function expectRefreshedWithoutRollback(
  test: TestAccount,
  outcome: FailingRun,
  failure: Failure,
) {
  expect(outcome.run.entered).not.toContain('Roll back');
  const now = await servedByShop(test);
  expect(now).toMatchObject({ customers: 300, markers: [] });
  expect(now.password).not.toBe(outcome.before.password);
  expect(now.endpoint).not.toEqual(outcome.before.endpoint);
  expect(
    await test.queryTarget(
      SHOP.target,
      SHOP.secretName,
      SHOP.database,
      "SELECT COUNT(*) AS n FROM customers WHERE email NOT LIKE '%@example.invalid'",
    ),
  ).toEqual([{ n: 0 }]);
  return expectRecordedFailure(test, outcome, failure, false);
}
