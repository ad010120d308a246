import { STEP_NAMES } from '../../lib/constructs/refresh-state-machine';
import { type ApprovalRuns, approvalRuns, dbrefreshLocal as dbrefresh } from './approval-run';
import { secretStages, servedByShop } from './fault-outcomes';
import {
  notificationFacts,
  openTestAccount,
  SHOP,
  seedShop,
  shopRefreshFile,
  type TestAccount,
} from './refresh-fixture';

/**
 * A protected target through the real state machine in local mode: the run waits for approval before
 * anything changes, and `dbrefresh approve` / `dbrefresh reject` (the CLI, against this local account)
 * answer it.
 */

const APPROVER = 'dba@example.com';

let test: TestAccount;
let runs: ApprovalRuns;

beforeAll(async () => {
  test = await openTestAccount();
  await seedShop(test);
  runs = approvalRuns(test);
}, 120_000);

afterAll(async () => {
  runs?.close();
  await test?.close();
}, 60_000);

function protectedShop() {
  const file = shopRefreshFile();
  file.protected = { approvers: [APPROVER] };
  return file;
}

describe('a protected target', () => {
  it('waits for approval, is rejected through dbrefresh reject, and fails leaving the target untouched', async () => {
    const name = 'approval-rejected';
    await test.markTarget(SHOP.target, SHOP.secretName, SHOP.database, name);
    const before = await servedByShop(test);
    const sent = test.notifications().length;

    const executionArn = await runs.start(protectedShop(), name);
    const pending = await runs.pendingRecord(SHOP.target, name);

    expect(pending.approval).toMatchObject({
      status: 'pending',
      approvers: [APPROVER],
      taskToken: expect.any(String),
      expiresAt: expect.any(String),
    });
    expect(await test.lockOf(SHOP.target)).toMatchObject({ executionArn });
    const [request] = test.notifications().slice(sent);
    expect(request?.subject).toBe('[dbrefresh] shop/development shop-dev: APPROVAL NEEDED');
    expect(request?.message).toContain(`Who may approve: ${APPROVER}`);
    expect(request?.message).toContain(`dbrefresh approve ${name}`);
    expect(request?.message).toContain(`dbrefresh reject ${name} --reason "..."`);
    expect(request?.message).not.toContain(String((pending.approval as { taskToken: string }).taskToken));

    const answer = await dbrefresh('reject', name, '--reason', 'UAT sign-off this week', '--by', APPROVER);

    expect(answer).toMatchObject({ code: 0, stderr: '' });
    expect(answer.stdout).toContain(`Rejected run ${name}`);
    const execution = await runs.finished(executionArn);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'ApprovalRejected' });
    const entered = await runs.enteredStates(executionArn);
    expect(entered).toContain(STEP_NAMES.approval);
    expect(entered).not.toContain(STEP_NAMES.restore);
    expect(entered).not.toContain(STEP_NAMES.rollback);
    expect(await servedByShop(test)).toEqual(before);
    expect(await test.instanceIds()).toEqual([SHOP.target, SHOP.source]);
    expect(await secretStages(test)).not.toContain('AWSPENDING');
    expect(await test.lockOf(SHOP.target)).toBeUndefined();
    const record = await test.recordOf(SHOP.target, name);
    expect(record).toMatchObject({
      status: 'failed',
      failedStep: STEP_NAMES.approval,
      error: 'ApprovalRejected',
      rolledBack: false,
      approval: { status: 'rejected', by: APPROVER, reason: 'UAT sign-off this week' },
    });
    expect(String(record?.cause)).toContain(`Rejected by ${APPROVER}`);
    expect(record?.approval).not.toHaveProperty('taskToken');
    const outcome = test.notifications().slice(sent + 1);
    expect(outcome.map((message) => message.subject)).toEqual([
      '[dbrefresh] shop/development shop-dev: FAILED',
    ]);
    expect(outcome[0]?.message).toContain(`was rejected by ${APPROVER}; nothing was changed.`);
    expect(outcome.map(notificationFacts)).toMatchObject([
      { failedStep: STEP_NAMES.approval, approval: { status: 'rejected', by: APPROVER } },
    ]);
    const late = await dbrefresh('approve', name);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain(`run ${name} has ended (FAILED), so it waits for no approval`);
  }, 120_000);

  it('waits for approval, is approved through dbrefresh approve, and completes recording who approved', async () => {
    const name = 'approval-approved';
    const before = await servedByShop(test);
    const sent = test.notifications().length;

    const executionArn = await runs.start(protectedShop(), name);
    await runs.pendingRecord(SHOP.target, name);

    expect(await test.instanceIds()).toEqual([SHOP.target, SHOP.source]);
    const answer = await dbrefresh('approve', name, '--by', APPROVER);
    const again = await dbrefresh('approve', name, '--by', APPROVER);

    expect(answer).toMatchObject({ code: 0, stderr: '' });
    expect(answer.stdout).toContain(`Approved run ${name}: the refresh of ${SHOP.target} goes on.`);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already decided|has ended/);
    const execution = await runs.finished(executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    const served = await servedByShop(test);
    expect(served).toMatchObject({ customers: 300, markers: [] });
    expect(served.password).not.toBe(before.password);
    const record = await test.recordOf(SHOP.target, name);
    expect(record).toMatchObject({
      status: 'succeeded',
      approval: { status: 'approved', approvers: [APPROVER], by: APPROVER, at: expect.any(String) },
    });
    expect(record?.approval).not.toHaveProperty('taskToken');
    const messages = test.notifications().slice(sent);
    expect(messages.map((message) => message.subject)).toEqual([
      '[dbrefresh] shop/development shop-dev: APPROVAL NEEDED',
      '[dbrefresh] shop/development shop-dev: SUCCEEDED',
    ]);
    expect(messages[1]?.message).toContain(`approved by ${APPROVER}`);
  }, 180_000);
});
