import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { MANAGED_SECRET_NOTE } from '../../lambdas/plan/inspect-secret';
import * as planRefresh from '../../lambdas/plan/plan-refresh';
import { GuardError } from '../../lambdas/shared/errors';
import { plannedSteps } from '../../scripts/cli/plan-action';
import { rdsPlan } from '../fixtures/plans';
import { app1DevFile, dbrefresh, executionArn, mockStack, STACK, writeRefreshFile } from './cli-harness';

const stack = mockStack();
const doc = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
let resolvePlan: jest.SpyInstance;

beforeEach(() => {
  stack.reset();
  doc.reset();
  doc.on(QueryCommand).resolves({ Items: [] });
  doc.on(GetCommand).resolves({});
  sfn.reset();
  sfn
    .on(DescribeExecutionCommand)
    .rejects(
      Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist', $metadata: {} }),
    );
  resolvePlan = jest.spyOn(planRefresh, 'resolvePlan').mockResolvedValue(rdsPlan());
});

afterEach(() => {
  resolvePlan.mockRestore();
});

const pastRun = (day: number, minutes: number) => ({
  target: 'app1-dev',
  status: 'succeeded',
  startedAt: `2026-05-0${day}T03:00:00.000Z`,
  finishedAt: `2026-05-0${day}T03:${String(minutes).padStart(2, '0')}:00.000Z`,
  executionArn: executionArn(`app1-dev-00000000000${day}`),
});

describe('dbrefresh plan', () => {
  it('resolves the plan read-only as the run would, with the name start would give it', async () => {
    const file = writeRefreshFile(app1DevFile());

    const { code } = await dbrefresh('plan', file);

    expect(code).toBe(0);
    expect(resolvePlan).toHaveBeenCalledWith(
      expect.objectContaining({ historyTable: STACK.historyTableName }),
      {
        input: { refreshFile: app1DevFile(), requestedBy: expect.any(String) },
        executionArn: expect.stringMatching(
          /^arn:aws:states:eu-west-1:111122223333:execution:DbRefresh:app1-dev-[0-9a-f]{12}$/,
        ),
        startTime: expect.any(String),
      },
    );
  });

  it('prints the source, restore point, target, settings, steps, guards and expected duration', async () => {
    doc.on(QueryCommand).resolves({ Items: [pastRun(3, 14), pastRun(2, 10), pastRun(1, 12)] });
    resolvePlan.mockResolvedValue(rdsPlan({ expectedSeconds: { restore: 500 } }));

    const { code, stdout } = await dbrefresh('plan', writeRefreshFile(app1DevFile()));

    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Plan for .*app1-dev\.json; nothing was changed\.$/),
        'Source          app1-prod (mysql 8.0.39)',
        "Restore         latestpoint: the source's latest restorable time, 2026-11-21 02:55:00Z",
        'Target          app1-dev (DB instance, exists: replaced by the copy)',
        'Copy            restored as app1-dev-new-ab12cd34, renamed to app1-dev at the swap',
        'Old target      renamed to app1-dev-old-ab12cd34, then deleted',
        'Settings        instanceClass=db.t4g.medium, multiAz=false, port=3306',
        'Replicas        app1-dev-ro (db.t4g.small)',
        'Admin password  generated and stored in secret /development/app1/app1-dev, then rotated',
        expect.stringMatching(/^ {2}✓ Restore temporary copy +usually 8m 20s$/),
        expect.stringMatching(/^ {2}✓ Run scripts$/),
        expect.stringMatching(/^ {2}- Run hook before swap +skipped: no hooks\.beforeSwap$/),
        'Guards: all passed',
        "  ✓ no other run holds the target's lock",
        'Expected duration: about 12m (the median of the last 3 successful runs of app1-dev: 14m, 10m, 12m)',
      ]),
    );
  });

  it('prints why the secret ARN changes with each refresh when RDS manages the password', async () => {
    doc.on(QueryCommand).resolves({ Items: [] });
    const plan = rdsPlan();
    resolvePlan.mockResolvedValue(
      rdsPlan({ adminPassword: { ...plan.adminPassword, managed: true, note: MANAGED_SECRET_NOTE } }),
    );

    const { code, stdout } = await dbrefresh('plan', writeRefreshFile(app1DevFile()));

    expect(code).toBe(0);
    expect(stdout).toContain(
      `Admin password  managed by RDS (ManageMasterUserPassword). ${MANAGED_SECRET_NOTE}`,
    );
  });

  it('prints the rotation function a rotation invokes', async () => {
    doc.on(QueryCommand).resolves({ Items: [] });
    const plan = rdsPlan();
    const rotationFunctionArn = 'arn:aws:lambda:eu-west-1:111122223333:function:app1-dev-rotation';
    resolvePlan.mockResolvedValue(rdsPlan({ adminPassword: { ...plan.adminPassword, rotationFunctionArn } }));

    const { stdout } = await dbrefresh('plan', writeRefreshFile(app1DevFile()));

    expect(stdout).toContain(`then rotated by ${rotationFunctionArn}`);
  });

  it('refuses with exit 1 and the reason when a guard fails, changing nothing', async () => {
    resolvePlan.mockRejectedValue(new GuardError('Target app1-dev exists but is not marked refreshable'));

    const { code, stdout } = await dbrefresh('plan', writeRefreshFile(app1DevFile()));

    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^A refresh of .*app1-dev\.json would be refused; nothing was changed\.\nGuardError: Target app1-dev exists but is not marked refreshable\n$/,
    );
  });

  it('refuses when another run holds the target lock, naming it', async () => {
    doc.on(GetCommand).resolves({
      Item: {
        runId: 'zz99yy88',
        executionArn: executionArn('app1-dev-aaaaaaaaaaaa'),
        acquiredAt: '2026-05-01T03:00:00Z',
      },
    });

    const { code, stdout } = await dbrefresh('plan', '--json', writeRefreshFile(app1DevFile()));

    expect(code).toBe(1);
    expect(doc).toHaveReceivedCommandWith(GetCommand, {
      TableName: STACK.historyTableName,
      Key: { target: 'lock#app1-dev', runKey: 'lock' },
    });
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({ wouldStart: false, plan: null, refusal: { error: 'TargetLockedError' } });
    expect(json.refusal.message).toContain('is being refreshed by run zz99yy88');
  });

  it('fails like start when the identical run is running', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      status: 'RUNNING',
      startDate: new Date('2026-05-01T10:00:00Z'),
      stateMachineArn: STACK.stateMachineArn,
    });

    const { code, stderr } = await dbrefresh('plan', writeRefreshFile(app1DevFile()));

    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^error: this refresh of app1-dev \(same file, same requester\) is already running as app1-dev-/,
    );
    expect(resolvePlan).not.toHaveBeenCalled();
  });

  it('prints the plan as JSON with --json', async () => {
    const { code, stdout } = await dbrefresh('plan', '--json', writeRefreshFile(app1DevFile()));

    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({ wouldStart: true, refusal: null, plan: { target: { id: 'app1-dev' } } });
    expect(json.steps[0]).toEqual({ name: 'Plan refresh', runs: true });
  });

  it('fails with exit 1 in the validate format when the file is invalid, before reading AWS', async () => {
    const file = writeRefreshFile({ ...app1DevFile(), restore: { type: 'latest' } });

    const { code, stderr } = await dbrefresh('plan', file);

    expect(code).toBe(1);
    expect(stderr).toContain(`${file}: $.restore.type:`);
    expect(resolvePlan).not.toHaveBeenCalled();
    expect(stack.cloudFormation).not.toHaveReceivedAnyCommand();
  });

  it('reports an AWS error that is not a refusal as an error line', async () => {
    resolvePlan.mockRejectedValue(
      Object.assign(new Error('User is not authorized to perform rds:DescribeDBInstances'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      }),
    );

    const { code, stderr } = await dbrefresh('plan', writeRefreshFile(app1DevFile()));

    expect(code).toBe(1);
    expect(stderr).toBe('error: AccessDenied: User is not authorized to perform rds:DescribeDBInstances\n');
  });
});

describe('plannedSteps', () => {
  it('lists the state machine steps in order, skipping those the plan leaves out, with why', () => {
    const plan = rdsPlan();

    const steps = plannedSteps(plan);

    const names = steps.map((step) => step.name);
    expect(names.indexOf('Plan refresh')).toBe(0);
    expect(names.indexOf('Restore temporary copy')).toBeLessThan(names.indexOf('Swap names'));
    expect(names.indexOf('Swap names')).toBeLessThan(names.indexOf('Record success and notify'));
    expect(names).not.toContain('Roll back');
    expect(steps).toEqual(
      expect.arrayContaining([
        { name: 'Run scripts', runs: true },
        { name: 'Create replicas', runs: true },
        { name: 'Rotate secret', runs: true },
        { name: 'Run hook after refresh', runs: false, skipped: 'no hooks.afterRefresh' },
        {
          name: 'Keep old target stopped',
          runs: false,
          skipped: 'the old target is deleted at once (oldTarget.keepHours is 0)',
        },
      ]),
    );
  });

  it('shows how long a kept old target stays stopped', () => {
    const plan = rdsPlan({
      steps: { ...rdsPlan().steps, keepOldTarget: true },
      keepOldTargetSeconds: 86_400,
    });

    expect(plannedSteps(plan)).toContainEqual({ name: 'Keep old target stopped (1d)', runs: true });
  });
});
