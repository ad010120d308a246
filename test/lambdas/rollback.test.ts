import {
  DeleteDBInstanceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  DescribeSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { check, start } from '../../lambdas/rollback/handler';
import { checkRollback, startRollback } from '../../lambdas/rollback/roll-back';
import { PollTimeoutError } from '../../lambdas/shared/errors';
import { logger } from '../../lambdas/shared/handler';
import type { PollState } from '../../lambdas/shared/poll';
import type { Plan } from '../../lambdas/shared/run/plan';
import { awsError } from '../fixtures/aws-errors';
import { FakeRds } from '../fixtures/fake-rds';
import { FakeSecret } from '../fixtures/fake-secret';
import { auroraPlan, rdsPlan, runState } from '../fixtures/plans';
import {
  addAuroraTargetAndCopy,
  addRdsTargetAndCopy,
  OLD_RUN_ID,
  RUN_ID,
  RUN_VERSION,
  SwapRunner,
  secretWithPendingRunVersion,
  withTarget,
} from '../fixtures/swap-worlds';

const rds = mockClient(RDSClient);
const sm = mockClient(SecretsManagerClient);
const clients = { rds: new RDSClient({}), secrets: new SecretsManagerClient({}) };
const now = new Date('2026-11-21T04:30:00.000Z');

const COPY = 'app1-dev-new-ab12cd34';
const CLUSTER_COPY = 'app2-test-new-ab12cd34';

let world: FakeRds;
let swap: SwapRunner;

/** The RDS names before the run: the target and its replica, both from an earlier run. */
const RDS_BEFORE = { 'app1-dev': OLD_RUN_ID, 'app1-dev-ro': OLD_RUN_ID };

/** Starts the rollback, then checks with time passing before each until it is done. */
async function rollBackToTheEnd(plan: Plan, maxChecks = 30): Promise<PollState> {
  let poll = await startRollback(clients, plan, now);
  for (let checks = 0; !poll.done; checks += 1) {
    if (checks === maxChecks) throw new Error(`The rollback was not done after ${maxChecks} checks`);
    world.tick();
    poll = await checkRollback(clients, plan, poll, now);
  }
  return poll;
}

beforeEach(() => {
  rds.reset();
  sm.reset();
  jest.restoreAllMocks();
  jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  world = new FakeRds(rds);
  swap = new SwapRunner(world, clients, now);
});

describe('rollback of an RDS refresh', () => {
  it('deletes the copy and drops the pending password when the swap had not started', async () => {
    addRdsTargetAndCopy(world);
    const secret = secretWithPendingRunVersion(sm);

    const done = await rollBackToTheEnd(rdsPlan());

    expect(done).toMatchObject({ done: true, finishedAt: now.toISOString() });
    expect(world.runs('instance')).toEqual(RDS_BEFORE);
    expect(world.renamesSent()).toEqual([]);
    expect(rds).toHaveReceivedCommandWith(DeleteDBInstanceCommand, {
      DBInstanceIdentifier: COPY,
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    });
    expect(world.deletesSent()).toEqual([COPY]);
    expect(secret.versions).toEqual({ 'v-before': ['AWSCURRENT'], [RUN_VERSION]: [] });
  });

  it("gives the target's name back to the old instance when the swap stopped after renaming it", async () => {
    addRdsTargetAndCopy(world);
    secretWithPendingRunVersion(sm);
    const plan = rdsPlan();
    await swap.interruptedAfter(plan, 2);
    expect(world.runs('instance')).not.toHaveProperty('app1-dev');
    rds.resetHistory();

    await rollBackToTheEnd(plan);

    expect(world.renamesSent()).toEqual([
      ['app1-dev-old-ab12cd34', 'app1-dev'],
      ['app1-dev-ro-old-ab12cd34', 'app1-dev-ro'],
    ]);
    expect(world.runs('instance')).toEqual(RDS_BEFORE);
    expect(world.deletesSent()).toEqual([COPY]);
  });

  it('undoes a finished swap last rename first, puts the secret back and deletes the copy', async () => {
    addRdsTargetAndCopy(world);
    const secret = secretWithPendingRunVersion(sm);
    const plan = rdsPlan();
    await swap.toTheEnd(plan);
    expect(world.runs('instance')['app1-dev']).toBe(RUN_ID);
    rds.resetHistory();

    await rollBackToTheEnd(plan);

    expect(world.renamesSent()).toEqual([
      ['app1-dev', COPY],
      ['app1-dev-old-ab12cd34', 'app1-dev'],
      ['app1-dev-ro-old-ab12cd34', 'app1-dev-ro'],
    ]);
    expect(world.runs('instance')).toEqual(RDS_BEFORE);
    expect(world.deletesSent()).toEqual([COPY]);
    expect(sm).toHaveReceivedCommandWith(UpdateSecretVersionStageCommand, {
      SecretId: '/development/app1/app1-dev',
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: 'v-before',
      RemoveFromVersionId: RUN_VERSION,
    });
    expect(secret.versions).toEqual({ 'v-before': ['AWSCURRENT'], [RUN_VERSION]: ['AWSPREVIOUS'] });
  });

  it('waits for each rename it undid to finish before undoing the one before it', async () => {
    addRdsTargetAndCopy(world);
    secretWithPendingRunVersion(sm);
    const plan = rdsPlan();
    await swap.toTheEnd(plan);
    rds.resetHistory();

    const started = await startRollback(clients, plan, now);
    const stillRenaming = await checkRollback(clients, plan, started, now);
    world.tick();
    const next = await checkRollback(clients, plan, stillRenaming, now);

    expect(stillRenaming.done).toBe(false);
    expect(next.done).toBe(false);
    expect(world.renamesSent()).toEqual([
      ['app1-dev', COPY],
      ['app1-dev-old-ab12cd34', 'app1-dev'],
    ]);
  });

  it('turns the deletion protection the swap gave the copy off before deleting it', async () => {
    addRdsTargetAndCopy(world);
    secretWithPendingRunVersion(sm);
    const plan = withTarget(rdsPlan(), { deletionProtection: true });
    await swap.toTheEnd(plan);
    rds.resetHistory();

    await rollBackToTheEnd(plan);

    const calls = rds.calls().map((call) => call.args[0]);
    const unprotect = calls.findIndex(
      (command) =>
        command instanceof ModifyDBInstanceCommand &&
        command.input.DBInstanceIdentifier === COPY &&
        command.input.DeletionProtection === false,
    );
    const deletion = calls.findIndex((command) => command instanceof DeleteDBInstanceCommand);
    expect(unprotect).toBeGreaterThanOrEqual(0);
    expect(deletion).toBeGreaterThan(unprotect);
    expect(world.runs('instance')).toEqual(RDS_BEFORE);
  });

  it('deletes the read replicas the run created from the new target before undoing the swap', async () => {
    addRdsTargetAndCopy(world);
    secretWithPendingRunVersion(sm);
    const plan = rdsPlan();
    await swap.toTheEnd(plan);
    world.add('instance', 'app1-dev-ro', RUN_ID, { status: 'creating', next: 'available' });
    rds.resetHistory();

    const started = await startRollback(clients, plan, now);

    expect(started.done).toBe(false);
    expect(world.deletesSent()).toEqual([]);

    await rollBackToTheEnd(plan);

    expect(world.deletesSent()).toEqual(['app1-dev-ro', COPY]);
    expect(world.renamesSent()[0]).toEqual(['app1-dev', COPY]);
    expect(world.runs('instance')).toEqual(RDS_BEFORE);
  });

  it('waits for a copy that is still being restored, then deletes it', async () => {
    addRdsTargetAndCopy(world);
    world.set('instance', COPY, { status: 'creating' });
    secretWithPendingRunVersion(sm);
    const plan = rdsPlan();

    const waiting = await checkRollback(clients, plan, await startRollback(clients, plan, now), now);
    world.set('instance', COPY, { status: 'available' });
    await rollBackToTheEnd(plan);

    expect(waiting).toMatchObject({ done: false, waitSeconds: 15 });
    expect(world.deletesSent()).toEqual([COPY]);
    expect(world.runs('instance')).toEqual(RDS_BEFORE);
  });

  it('deletes a copy stuck in a terminal status', async () => {
    addRdsTargetAndCopy(world);
    world.set('instance', COPY, { status: 'incompatible-restore' });
    secretWithPendingRunVersion(sm);

    await rollBackToTheEnd(rdsPlan());

    expect(world.deletesSent()).toEqual([COPY]);
  });

  it('never deletes an instance under the temporary name that the run did not create', async () => {
    world.add('instance', 'app1-dev', OLD_RUN_ID);
    world.add('instance', COPY, OLD_RUN_ID);
    secretWithPendingRunVersion(sm);

    const done = await rollBackToTheEnd(rdsPlan());

    expect(done.done).toBe(true);
    expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);
    expect(world.renamesSent()).toEqual([]);
    expect(world.runs('instance')).toEqual({ 'app1-dev': OLD_RUN_ID, [COPY]: OLD_RUN_ID });
  });

  it('is done at once when the run created nothing yet', async () => {
    sm.on(DescribeSecretCommand).rejects(
      awsError('ResourceNotFoundException', "Secrets Manager can't find it"),
    );
    const plan = rdsPlan({
      target: { ...rdsPlan().target, exists: false },
      renames: [{ kind: 'instance', from: COPY, to: 'app1-dev' }],
    });

    const done = await startRollback(clients, plan, now);

    expect(done.done).toBe(true);
    expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });

  it('leaves the secret alone when RDS manages the password', async () => {
    addRdsTargetAndCopy(world);
    const plan = rdsPlan({ adminPassword: { ...rdsPlan().adminPassword, managed: true } });

    await rollBackToTheEnd(plan);

    expect(sm).not.toHaveReceivedAnyCommand();
    expect(world.deletesSent()).toEqual([COPY]);
  });

  it('changes nothing when started again after it finished', async () => {
    addRdsTargetAndCopy(world);
    secretWithPendingRunVersion(sm);
    const plan = rdsPlan();
    await swap.toTheEnd(plan);
    await rollBackToTheEnd(plan);
    rds.resetHistory();
    sm.resetHistory();

    const again = await startRollback(clients, plan, now);

    expect(again.done).toBe(true);
    expect(world.renamesSent()).toEqual([]);
    expect(world.deletesSent()).toEqual([]);
    expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
  });

  it('fails when the copy is not gone by the deadline', async () => {
    addRdsTargetAndCopy(world);
    world.set('instance', COPY, { status: 'modifying' });
    secretWithPendingRunVersion(sm);
    const plan = rdsPlan();
    const started = await startRollback(clients, plan, now);
    const pastDeadline = new Date(now.getTime() + 3 * 3600 * 1000);

    await expect(checkRollback(clients, plan, started, pastDeadline)).rejects.toThrow(PollTimeoutError);
  });
});

describe('rollback of an Aurora refresh', () => {
  const AURORA_BEFORE = {
    clusters: { 'app2-test': OLD_RUN_ID },
    instances: { 'app2-test-1': OLD_RUN_ID, 'app2-test-2': OLD_RUN_ID },
  };

  it("undoes a finished swap, then deletes the copy's instances before the copy", async () => {
    addAuroraTargetAndCopy(world);
    const secret = new FakeSecret(sm, { [RUN_VERSION]: ['AWSCURRENT'] });
    const plan = auroraPlan();
    await swap.toTheEnd(plan);
    rds.resetHistory();

    await rollBackToTheEnd(plan);

    expect(world.renamesSent()).toEqual(
      [...plan.renames].reverse().map((rename) => [rename.to, rename.from]),
    );
    expect(world.deletesSent()).toEqual([
      'app2-test-1-new-ab12cd34',
      'app2-test-2-new-ab12cd34',
      CLUSTER_COPY,
    ]);
    expect(world.runs('cluster')).toEqual(AURORA_BEFORE.clusters);
    expect(world.runs('instance')).toEqual(AURORA_BEFORE.instances);
    expect(world.clusterOf('app2-test-1')).toBe('app2-test');
    expect(secret.versions).toEqual({ [RUN_VERSION]: ['AWSCURRENT'] });
  });

  it('gives the cluster its name back when the swap stopped after retiring it', async () => {
    addAuroraTargetAndCopy(world);
    new FakeSecret(sm, { [RUN_VERSION]: ['AWSCURRENT'] });
    const plan = auroraPlan();
    await swap.interruptedAfter(plan, 3);
    expect(world.runs('cluster')).not.toHaveProperty('app2-test');
    rds.resetHistory();

    await rollBackToTheEnd(plan);

    expect(world.renamesSent()).toEqual([
      ['app2-test-old-ab12cd34', 'app2-test'],
      ['app2-test-1-old-ab12cd34', 'app2-test-1'],
      ['app2-test-2-old-ab12cd34', 'app2-test-2'],
    ]);
    expect(world.runs('cluster')).toEqual(AURORA_BEFORE.clusters);
    expect(world.runs('instance')).toEqual(AURORA_BEFORE.instances);
  });

  it("turns the copy's deletion protection off before deleting it", async () => {
    addAuroraTargetAndCopy(world);
    new FakeSecret(sm, { [RUN_VERSION]: ['AWSCURRENT'] });
    const plan = withTarget(auroraPlan(), { deletionProtection: true });
    await swap.toTheEnd(plan);
    rds.resetHistory();

    await rollBackToTheEnd(plan);

    expect(rds).toHaveReceivedCommandWith(ModifyDBClusterCommand, {
      DBClusterIdentifier: CLUSTER_COPY,
      DeletionProtection: false,
    });
    expect(world.deletesSent()).toContain(CLUSTER_COPY);
    expect(world.runs('cluster')).toEqual(AURORA_BEFORE.clusters);
  });

  it('deletes a copy whose reader failed to be created', async () => {
    addAuroraTargetAndCopy(world);
    world.set('instance', 'app2-test-2-new-ab12cd34', { status: 'incompatible-parameters' });
    new FakeSecret(sm, {});

    await rollBackToTheEnd(auroraPlan());

    expect(world.deletesSent()).toEqual([
      'app2-test-1-new-ab12cd34',
      'app2-test-2-new-ab12cd34',
      CLUSTER_COPY,
    ]);
    expect(world.renamesSent()).toEqual([]);
    expect(world.runs('cluster')).toEqual(AURORA_BEFORE.clusters);
  });
});

describe('rollback handler', () => {
  it('starts the rollback and checks it with the poll state the state machine stored', async () => {
    addRdsTargetAndCopy(world);
    secretWithPendingRunVersion(sm);
    const plan = rdsPlan();

    const started = await start(
      runState(plan, { error: { Error: 'ScriptError' }, failedStep: 'Run scripts' }),
    );
    world.tick();
    const checked = await check(runState(plan, { polls: { rollback: started } }));

    expect(started.done).toBe(false);
    expect(checked.done).toBe(true);
    expect(world.runs('instance')).toEqual(RDS_BEFORE);
  });

  it('rejects a check without the poll state of its start', async () => {
    await expect(check(runState(rdsPlan()))).rejects.toThrow('No poll state at $.polls.rollback');
  });
});
