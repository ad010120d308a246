import {
  type DBCluster,
  DBClusterNotFoundFault,
  type DBInstance,
  DBInstanceNotFoundFault,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  InvalidDBInstanceStateFault,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  StartDBClusterCommand,
  StartDBInstanceCommand,
  StopDBClusterCommand,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { check, deleteCheck, start } from '../../lambdas/retire/handler';
import {
  checkDeletion,
  checkRetire,
  startDeletion,
  startRetire,
} from '../../lambdas/retire/retire-old-target';
import { GuardError, TerminalStateError } from '../../lambdas/shared/errors';
import { startPoll } from '../../lambdas/shared/poll';
import type { Plan } from '../../lambdas/shared/run/plan';
import { auroraPlan, rdsPlan, runState } from '../fixtures/plans';

const rds = mockClient(RDSClient);
const client = new RDSClient({});
const now = new Date('2026-11-21T05:00:00.000Z');
const later = new Date(now.getTime() + 300_000);
const poll = startPoll(now, { expectedSeconds: 300, timeoutSeconds: 3 * 3600 });

const REFRESHABLE = [{ Key: 'dbrefresh:refreshable', Value: 'true' }];
const OLD_RDS = 'app1-dev-old-ab12cd34';
const OLD_REPLICA = 'app1-dev-ro-old-ab12cd34';
const OLD_CLUSTER = 'app2-test-old-ab12cd34';
const OLD_WRITER = 'app2-test-1-old-ab12cd34';
const OLD_READER = 'app2-test-2-old-ab12cd34';

function instance(id: string, status: string, extra: Partial<DBInstance> = {}): void {
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: id }).resolves({
    DBInstances: [{ DBInstanceIdentifier: id, DBInstanceStatus: status, TagList: REFRESHABLE, ...extra }],
  });
}

function cluster(id: string, status: string, extra: Partial<DBCluster> = {}): void {
  rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: id }).resolves({
    DBClusters: [{ DBClusterIdentifier: id, Status: status, TagList: REFRESHABLE, ...extra }],
  });
}

function withSteps(plan: Plan, steps: Partial<Plan['steps']>): Plan {
  return { ...plan, steps: { ...plan.steps, ...steps } };
}

function withOldTarget(plan: Plan, oldTarget: NonNullable<Plan['file']['oldTarget']>): Plan {
  return { ...plan, file: { ...plan.file, oldTarget } as Plan['file'] };
}

/** Asserts that the step only described resources: no delete, modify, start or stop. */
function expectNoMutation(): void {
  const requests = rds.calls().map((call) => call.args[0].constructor.name);
  expect(requests.filter((name) => !name.startsWith('Describe'))).toEqual([]);
}

beforeEach(() => {
  rds.reset();
  rds
    .on(DescribeDBInstancesCommand)
    .rejects(new DBInstanceNotFoundFault({ message: 'DBInstance not found.', $metadata: {} }));
  rds
    .on(DescribeDBClustersCommand)
    .rejects(new DBClusterNotFoundFault({ message: 'DBCluster not found.', $metadata: {} }));
});

describe('retire an RDS instance (delete)', () => {
  const plan = rdsPlan();

  it('deletes the old read replicas first, without a snapshot, and keeps the old target until they are gone', async () => {
    instance(OLD_REPLICA, 'available');
    instance(OLD_RDS, 'available');

    const started = await startRetire(client, plan, now);

    expect(rds).toHaveReceivedCommandTimes(DeleteDBInstanceCommand, 1);
    expect(rds).toHaveReceivedCommandWith(DeleteDBInstanceCommand, {
      DBInstanceIdentifier: OLD_REPLICA,
      SkipFinalSnapshot: true,
    });
    expect(started).toEqual(poll);
  });

  it('deletes the old target without a final snapshot once its replicas are gone', async () => {
    instance(OLD_RDS, 'available');

    const next = await checkRetire(client, plan, poll, later);

    expect(rds).toHaveReceivedCommandWith(DeleteDBInstanceCommand, {
      DBInstanceIdentifier: OLD_RDS,
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    });
    expect(
      rds.commandCalls(DeleteDBInstanceCommand)[0]?.args[0].input.FinalDBSnapshotIdentifier,
    ).toBeUndefined();
    expect(next).toMatchObject({ done: false, attempt: 1 });
  });

  it('takes a final snapshot when the refresh file asks for one', async () => {
    instance(OLD_RDS, 'available');

    await startRetire(client, withOldTarget(plan, { finalSnapshot: true }), now);

    expect(rds).toHaveReceivedCommandWith(DeleteDBInstanceCommand, {
      DBInstanceIdentifier: OLD_RDS,
      SkipFinalSnapshot: false,
      FinalDBSnapshotIdentifier: `${OLD_RDS}-final`,
      DeleteAutomatedBackups: true,
    });
  });

  it("keeps the old target's automated backups when the refresh file says so", async () => {
    instance(OLD_RDS, 'available');

    await startRetire(client, withOldTarget(plan, { keepAutomatedBackups: true }), now);

    expect(rds).toHaveReceivedCommandWith(DeleteDBInstanceCommand, {
      DBInstanceIdentifier: OLD_RDS,
      DeleteAutomatedBackups: false,
    });
  });

  it('is done only once the final snapshots the file keeps are sorted out', async () => {
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: `${OLD_RDS}-final`, Status: 'creating' }],
    });

    const next = await checkRetire(client, withOldTarget(plan, { finalSnapshot: true }), poll, later);

    expect(next.done).toBe(false);
    expect(rds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { SnapshotType: 'manual' });
  });

  it('turns deletion protection off first and deletes at the next check', async () => {
    instance(OLD_RDS, 'available', { DeletionProtection: true });

    await startRetire(client, plan, now);

    expect(rds).toHaveReceivedCommandWith(ModifyDBInstanceCommand, {
      DBInstanceIdentifier: OLD_RDS,
      DeletionProtection: false,
      ApplyImmediately: true,
    });
    expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);

    instance(OLD_RDS, 'available', { DeletionProtection: false });
    await checkRetire(client, plan, poll, later);

    expect(rds).toHaveReceivedCommandTimes(ModifyDBInstanceCommand, 1);
    expect(rds).toHaveReceivedCommandWith(DeleteDBInstanceCommand, { DBInstanceIdentifier: OLD_RDS });
  });

  it('starts a stopped old target whose deletion protection must be turned off', async () => {
    instance(OLD_RDS, 'stopped', { DeletionProtection: true });

    await startDeletion(client, plan, now);

    expect(rds).toHaveReceivedCommandWith(StartDBInstanceCommand, { DBInstanceIdentifier: OLD_RDS });
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
    expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);
  });

  it('starts a stopped old target without deletion protection before its final snapshot', async () => {
    instance(OLD_RDS, 'stopped', { DeletionProtection: false });

    await startDeletion(client, withOldTarget(plan, { keepHours: 24, finalSnapshot: true }), now);

    expect(rds).toHaveReceivedCommandWith(StartDBInstanceCommand, { DBInstanceIdentifier: OLD_RDS });
    expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);
  });

  it('waits while the old target starts, then deletes it with its final snapshot once available', async () => {
    const keep = withOldTarget(plan, { keepHours: 24, finalSnapshot: true });
    instance(OLD_RDS, 'starting');

    const starting = await checkDeletion(client, keep, poll, later);
    instance(OLD_RDS, 'available');
    await checkDeletion(client, keep, starting, later);

    expect(starting.done).toBe(false);
    expect(rds).not.toHaveReceivedCommand(StartDBInstanceCommand);
    expect(rds).toHaveReceivedCommandTimes(DeleteDBInstanceCommand, 1);
    expect(rds).toHaveReceivedCommandWith(DeleteDBInstanceCommand, {
      DBInstanceIdentifier: OLD_RDS,
      FinalDBSnapshotIdentifier: `${OLD_RDS}-final`,
    });
  });

  it('deletes a stopped old target at once when neither protection nor a final snapshot needs it running', async () => {
    instance(OLD_RDS, 'stopped');

    await startDeletion(client, plan, now);

    expect(rds).not.toHaveReceivedCommand(StartDBInstanceCommand);
    expect(rds).toHaveReceivedCommandWith(DeleteDBInstanceCommand, {
      DBInstanceIdentifier: OLD_RDS,
      SkipFinalSnapshot: true,
    });
  });

  it('waits for resources that are already being deleted', async () => {
    instance(OLD_RDS, 'deleting');

    const next = await checkRetire(client, plan, poll, later);

    expectNoMutation();
    expect(next.done).toBe(false);
  });

  it('tries again at the next check when RDS is busy', async () => {
    instance(OLD_RDS, 'backing-up');
    rds
      .on(DeleteDBInstanceCommand)
      .rejects(new InvalidDBInstanceStateFault({ message: 'Instance is backing up', $metadata: {} }));

    await expect(checkRetire(client, plan, poll, later)).resolves.toMatchObject({ done: false });
  });

  it('is done once every retired resource is gone', async () => {
    const next = await checkRetire(client, plan, poll, later);

    expectNoMutation();
    expect(next).toMatchObject({ done: true, finishedAt: later.toISOString() });
  });

  it('refuses to delete an old target without the refreshable tag', async () => {
    instance(OLD_RDS, 'available', { TagList: [{ Key: 'team', Value: 'payments' }] });

    await expect(startRetire(client, plan, now)).rejects.toThrow(GuardError);
    await expect(startRetire(client, plan, now)).rejects.toThrow(
      `Refusing to delete or stop the old target's DB instance ${OLD_RDS}: it does not carry the tag dbrefresh:refreshable=true`,
    );
    expectNoMutation();
  });

  it('refuses to retire anything when the plan names the refreshed target as retired', async () => {
    instance('app1-dev', 'available');

    await expect(
      startRetire(client, { ...plan, retired: { instances: [], main: 'app1-dev' } }, now),
    ).rejects.toThrow('Refusing to retire app1-dev');
    expectNoMutation();
  });
});

describe('retire an Aurora cluster (delete)', () => {
  const plan = withSteps(auroraPlan(), { keepOldTarget: false });

  it('deletes the members first and keeps the cluster while they exist', async () => {
    cluster(OLD_CLUSTER, 'available');
    instance(OLD_WRITER, 'available');
    instance(OLD_READER, 'deleting');

    const started = await startRetire(client, plan, now);

    expect(rds).toHaveReceivedCommandTimes(DeleteDBInstanceCommand, 1);
    expect(rds).toHaveReceivedCommandWith(DeleteDBInstanceCommand, { DBInstanceIdentifier: OLD_WRITER });
    expect(rds).not.toHaveReceivedCommand(DeleteDBClusterCommand);
    expect(started.done).toBe(false);
  });

  it('deletes the cluster once its members are gone', async () => {
    cluster(OLD_CLUSTER, 'available');

    await checkRetire(client, plan, poll, later);

    expect(rds).toHaveReceivedCommandWith(DeleteDBClusterCommand, {
      DBClusterIdentifier: OLD_CLUSTER,
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    });
  });

  it("keeps the old cluster's automated backups when the refresh file says so", async () => {
    cluster(OLD_CLUSTER, 'available');

    await checkRetire(client, withOldTarget(plan, { keepAutomatedBackups: true }), poll, later);

    expect(rds).toHaveReceivedCommandWith(DeleteDBClusterCommand, {
      DBClusterIdentifier: OLD_CLUSTER,
      DeleteAutomatedBackups: false,
    });
  });

  it('takes a final cluster snapshot when the refresh file asks for one', async () => {
    cluster(OLD_CLUSTER, 'available');

    await checkRetire(client, withOldTarget(plan, { finalSnapshot: true }), poll, later);

    expect(rds).toHaveReceivedCommandWith(DeleteDBClusterCommand, {
      DBClusterIdentifier: OLD_CLUSTER,
      SkipFinalSnapshot: false,
      FinalDBSnapshotIdentifier: `${OLD_CLUSTER}-final`,
    });
  });

  it('starts a stopped cluster before deleting its members', async () => {
    cluster(OLD_CLUSTER, 'stopped');
    instance(OLD_WRITER, 'stopped');
    instance(OLD_READER, 'stopped');

    await startDeletion(client, plan, now);

    expect(rds).toHaveReceivedCommandWith(StartDBClusterCommand, { DBClusterIdentifier: OLD_CLUSTER });
    expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);
  });

  it('turns off the cluster deletion protection before deleting anything', async () => {
    cluster(OLD_CLUSTER, 'available', { DeletionProtection: true });
    instance(OLD_WRITER, 'available');

    await startRetire(client, plan, now);

    expect(rds).toHaveReceivedCommandWith(ModifyDBClusterCommand, {
      DBClusterIdentifier: OLD_CLUSTER,
      DeletionProtection: false,
      ApplyImmediately: true,
    });
    expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);
  });

  it('refuses to delete a cluster that has an instance the plan does not retire', async () => {
    cluster(OLD_CLUSTER, 'available', {
      DBClusterMembers: [{ DBInstanceIdentifier: OLD_WRITER }, { DBInstanceIdentifier: 'app2-test-3' }],
    });
    instance('app2-test-3', 'available');

    await expect(checkRetire(client, plan, poll, later)).rejects.toThrow(
      `Cannot delete the old cluster ${OLD_CLUSTER}: it has the instance app2-test-3`,
    );
    expectNoMutation();
  });

  it('refuses to delete a member without the refreshable tag', async () => {
    cluster(OLD_CLUSTER, 'available');
    instance(OLD_WRITER, 'available', { TagList: [] });

    await expect(startRetire(client, plan, now)).rejects.toThrow(GuardError);
    expectNoMutation();
  });
});

describe('retire an RDS instance (keep it stopped)', () => {
  const plan = withSteps(rdsPlan(), { keepOldTarget: true });

  it('deletes the old read replicas and leaves the old target running until they are gone', async () => {
    instance(OLD_REPLICA, 'available');
    instance(OLD_RDS, 'available');

    await startRetire(client, plan, now);

    expect(rds).toHaveReceivedCommandWith(DeleteDBInstanceCommand, {
      DBInstanceIdentifier: OLD_REPLICA,
      SkipFinalSnapshot: true,
    });
    expect(rds).not.toHaveReceivedCommand(StopDBInstanceCommand);
  });

  it('stops the old target once its replicas are gone', async () => {
    instance(OLD_RDS, 'available');

    const next = await checkRetire(client, plan, poll, later);

    expect(rds).toHaveReceivedCommandWith(StopDBInstanceCommand, { DBInstanceIdentifier: OLD_RDS });
    expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);
    expect(next.done).toBe(false);
  });

  it('is done once the old target is stopped', async () => {
    instance(OLD_RDS, 'stopped');

    const next = await checkRetire(client, plan, poll, later);

    expectNoMutation();
    expect(next.done).toBe(true);
  });
});

describe('retire an Aurora cluster (keep it stopped)', () => {
  const plan = auroraPlan();

  it('stops the cluster and leaves its instances alone', async () => {
    cluster(OLD_CLUSTER, 'available');
    instance(OLD_WRITER, 'available');

    await startRetire(client, plan, now);

    expect(rds).toHaveReceivedCommandWith(StopDBClusterCommand, { DBClusterIdentifier: OLD_CLUSTER });
    expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);
  });

  it.each([
    ['stopping', false],
    ['stopped', true],
  ])('waits without a new request while the cluster is %s (done: %s)', async (status, done) => {
    cluster(OLD_CLUSTER, status);

    const next = await checkRetire(client, plan, poll, later);

    expectNoMutation();
    expect(next.done).toBe(done);
  });

  it('fails when the cluster reaches a terminal status', async () => {
    cluster(OLD_CLUSTER, 'inaccessible-encryption-credentials');

    await expect(checkRetire(client, plan, poll, later)).rejects.toThrow(TerminalStateError);
  });

  it('refuses to stop a cluster without the refreshable tag', async () => {
    cluster(OLD_CLUSTER, 'available', { TagList: [] });

    await expect(startRetire(client, plan, now)).rejects.toThrow(GuardError);
    expectNoMutation();
  });

  it('deletes the kept cluster later, whatever the plan says about keeping it', async () => {
    cluster(OLD_CLUSTER, 'available');

    const next = await checkDeletion(client, plan, poll, later);

    expect(rds).toHaveReceivedCommandWith(DeleteDBClusterCommand, { DBClusterIdentifier: OLD_CLUSTER });
    expect(rds).not.toHaveReceivedCommand(StopDBClusterCommand);
    expect(next.done).toBe(false);
  });
});

describe('retire handler', () => {
  it('retires with the plan of the run state', async () => {
    instance(OLD_RDS, 'available');

    await expect(start(runState(rdsPlan()))).resolves.toMatchObject({ done: false, attempt: 0 });
    expect(rds).toHaveReceivedCommandWith(DeleteDBInstanceCommand, { DBInstanceIdentifier: OLD_RDS });
  });

  it('checks the deletion with the poll state at $.polls.deleteOldTarget', async () => {
    const state = runState(auroraPlan(), { polls: { deleteOldTarget: poll } });

    await expect(deleteCheck(state)).resolves.toMatchObject({ done: true, attempt: 1 });
  });

  it('rejects a check without the poll state of the start', async () => {
    await expect(check(runState(rdsPlan()))).rejects.toThrow('No poll state at $.polls.retire');
    await expect(deleteCheck(runState(rdsPlan()))).rejects.toThrow(
      'No poll state at $.polls.deleteOldTarget',
    );
  });
});
