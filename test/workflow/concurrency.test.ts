import type { LocalRunResult, RunEvent } from '../../local/runner/run-refresh';
import {
  notificationFacts,
  openTestAccount,
  SHOP,
  seedShop,
  shopRefreshFile,
  type TestAccount,
} from './refresh-fixture';

/** The states a run refused by the plan step goes through: it never reaches a step that changes anything. */
const REFUSED_RUN = [
  'Plan refresh',
  'Plan refresh failed',
  'Note the execution',
  'Record failure and notify',
  'Refresh failed',
];

let test: TestAccount;

beforeAll(async () => {
  test = await openTestAccount();
  await seedShop(test);
}, 120_000);

afterAll(async () => {
  await test?.close();
}, 60_000);

/** A refresh whose entered states are kept, and which can tell when it reaches a state. */
function startRefresh(executionName: string, onEntered?: (stateName: string) => void) {
  const entered: string[] = [];
  const result = test.refresh(shopRefreshFile(), executionName, {
    onEvent: (event: RunEvent) => {
      if (event.type !== 'entered') return;
      entered.push(event.stateName);
      onEntered?.(event.stateName);
    },
  });
  return { executionName, entered, result };
}

/** A run that ended. */
interface FinishedRun {
  readonly executionName: string;
  readonly entered: readonly string[];
  readonly result: LocalRunResult;
}

async function finished(run: ReturnType<typeof startRefresh>): Promise<FinishedRun> {
  return { executionName: run.executionName, entered: run.entered, result: await run.result };
}

/**
 * A run refused by the lock: it failed in the plan step, reached no step that changes anything, and
 * recorded its own failure (its own run id, not the winner's).
 */
async function expectRefusedByLock(loser: FinishedRun, winnerRunId: unknown) {
  expect(loser.result).toMatchObject({ status: 'FAILED', error: 'TargetLockedError' });
  expect(loser.result.cause).toContain(`Target ${SHOP.target} is being refreshed by run ${winnerRunId}`);
  expect(loser.entered).toEqual(REFUSED_RUN);
  const record = await test.recordOf(SHOP.target, loser.executionName);
  expect(record).toMatchObject({
    status: 'failed',
    failedStep: 'Plan refresh',
    error: 'TargetLockedError',
    rolledBack: false,
    executionArn: loser.result.executionArn,
  });
  expect(record?.runId).not.toBe(winnerRunId);
  expect(String(record?.cause)).toContain(`is being refreshed by run ${winnerRunId}`);
  return record;
}

describe('two refreshes of the same target', () => {
  it('started together: exactly one runs, the other is refused by "Plan refresh" before it touches anything', async () => {
    const sent = test.notifications().length;
    const started = [startRefresh('race-a'), startRefresh('race-b')];

    const runs = await Promise.all(started.map(finished));

    expect(runs.map((run) => run.result.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
    const winner = runs.find((run) => run.result.status === 'SUCCEEDED');
    const loser = runs.find((run) => run.result.status === 'FAILED');
    const record = await test.recordOf(SHOP.target, String(winner?.executionName));
    expect(record).toMatchObject({ status: 'succeeded', executionArn: winner?.result.executionArn });
    expect(record).not.toHaveProperty('failedStep');
    const refused = await expectRefusedByLock(loser as FinishedRun, record?.runId);
    expect(await test.historyOf(SHOP.target)).toEqual(expect.arrayContaining([record, refused]));
    expect(await test.historyOf(SHOP.target)).toHaveLength(2);
    expect(await test.instanceIds()).toEqual([SHOP.target, SHOP.source]);
    expect(await test.lockOf(SHOP.target)).toBeUndefined();
    expect(
      await test.queryTarget(
        SHOP.target,
        SHOP.secretName,
        SHOP.database,
        'SELECT COUNT(*) AS n FROM customers',
      ),
    ).toEqual([{ n: 300 }]);
    const notifications = test.notifications().slice(sent);
    expect(notifications.map((message) => message.subject).sort()).toEqual([
      '[dbrefresh] shop/development shop-dev: FAILED',
      '[dbrefresh] shop/development shop-dev: SUCCEEDED',
    ]);
    expect(notifications.map(notificationFacts).find((facts) => facts.status === 'failed')).toMatchObject({
      failedStep: 'Plan refresh',
      error: 'TargetLockedError',
    });
  }, 110_000);

  it('started while the first one restores its copy: the second is refused the same way, the first finishes', async () => {
    let second: ReturnType<typeof startRefresh> | undefined;
    const first = startRefresh('running-first', (stateName) => {
      if (stateName === 'Restore temporary copy' && !second) second = startRefresh('started-during-restore');
    });

    const firstRun = await finished(first);
    const secondRun = second && (await finished(second));

    expect(firstRun.result.status).toBe('SUCCEEDED');
    expect(secondRun).toBeDefined();
    const record = await test.recordOf(SHOP.target, 'running-first');
    expect(record).toMatchObject({ status: 'succeeded' });
    expect(record).not.toHaveProperty('failedStep');
    await expectRefusedByLock(secondRun as FinishedRun, record?.runId);
    expect(await test.instanceIds()).toEqual([SHOP.target, SHOP.source]);
    expect(await test.lockOf(SHOP.target)).toBeUndefined();
  }, 110_000);
});
