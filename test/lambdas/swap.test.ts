import { ModifyDBClusterCommand, ModifyDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  DbRefreshError,
  GuardError,
  PollTimeoutError,
  TerminalStateError,
} from '../../lambdas/shared/errors';
import { logger } from '../../lambdas/shared/handler';
import type { Plan } from '../../lambdas/shared/run/plan';
import { check, start } from '../../lambdas/swap/handler';
import { checkSwap, startSwap } from '../../lambdas/swap/swap-names';
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
const now = new Date('2026-11-21T04:00:00.000Z');

let world: FakeRds;
let swap: SwapRunner;

function managedPassword(plan: Plan): Plan {
  return { ...plan, adminPassword: { ...plan.adminPassword, managed: true } };
}

/** The first refresh of app1-dev: nothing to retire, the copy only takes the target's name. */
function firstRefreshPlan(): Plan {
  const plan = rdsPlan();
  return rdsPlan({
    target: { ...plan.target, exists: false },
    renames: [{ kind: 'instance', from: 'app1-dev-new-ab12cd34', to: 'app1-dev' }],
    retired: { instances: [], main: null },
  });
}

beforeEach(() => {
  rds.reset();
  sm.reset();
  jest.restoreAllMocks();
  jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  world = new FakeRds(rds);
  swap = new SwapRunner(world, clients, now);
});

describe('swap of an RDS instance', () => {
  it('renames the old replica, the old target, then the copy, each once the previous rename finished', async () => {
    addRdsTargetAndCopy(world);
    secretWithPendingRunVersion(sm);
    const plan = rdsPlan();

    const started = await startSwap(clients, plan, now);
    const done = await swap.checkUntilDone(plan, started);

    expect(started).toMatchObject({ done: false, position: 0 });
    expect(done).toMatchObject({ done: true, position: 3, attempt: 3 });
    expect(world.renamesSent()).toEqual([
      ['app1-dev-ro', 'app1-dev-ro-old-ab12cd34'],
      ['app1-dev', 'app1-dev-old-ab12cd34'],
      ['app1-dev-new-ab12cd34', 'app1-dev'],
    ]);
    expect(world.runs('instance')).toEqual({
      'app1-dev': RUN_ID,
      'app1-dev-old-ab12cd34': OLD_RUN_ID,
      'app1-dev-ro-old-ab12cd34': OLD_RUN_ID,
    });
  });

  it("makes the run's password the secret's current version once the copy has the target's name", async () => {
    addRdsTargetAndCopy(world);
    const secret = secretWithPendingRunVersion(sm);

    await swap.toTheEnd(rdsPlan());

    expect(sm).toHaveReceivedCommandWith(UpdateSecretVersionStageCommand, {
      SecretId: '/development/app1/app1-dev',
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: RUN_VERSION,
      RemoveFromVersionId: 'v-before',
    });
    expect(secret.versions).toEqual({ [RUN_VERSION]: ['AWSCURRENT'], 'v-before': ['AWSPREVIOUS'] });
  });

  it('does not touch the secret when RDS manages the password', async () => {
    addRdsTargetAndCopy(world);

    const done = await swap.toTheEnd(managedPassword(rdsPlan()));

    expect(done.done).toBe(true);
    expect(sm).not.toHaveReceivedAnyCommand();
  });

  it('turns deletion protection on for the refreshed target when the file asks for it', async () => {
    addRdsTargetAndCopy(world);
    secretWithPendingRunVersion(sm);

    await swap.toTheEnd(withTarget(rdsPlan(), { deletionProtection: true }));

    expect(rds).toHaveReceivedCommandWith(ModifyDBInstanceCommand, {
      DBInstanceIdentifier: 'app1-dev',
      DeletionProtection: true,
      ApplyImmediately: true,
    });
    expect(world.deletionProtectionOf('instance', 'app1-dev')).toBe(true);
    expect(world.runs('instance')['app1-dev']).toBe(RUN_ID);
  });

  it('leaves deletion protection alone when the file does not ask for it', async () => {
    addRdsTargetAndCopy(world);
    secretWithPendingRunVersion(sm);

    await swap.toTheEnd(rdsPlan());

    const protections = rds
      .commandCalls(ModifyDBInstanceCommand)
      .filter((call) => call.args[0].input.DeletionProtection !== undefined);
    expect(protections).toEqual([]);
  });

  it('only gives the copy the target name on the first refresh', async () => {
    world.add('instance', 'app1-dev-new-ab12cd34', RUN_ID);
    secretWithPendingRunVersion(sm);

    const done = await swap.toTheEnd(firstRefreshPlan());

    expect(done.done).toBe(true);
    expect(world.renamesSent()).toEqual([['app1-dev-new-ab12cd34', 'app1-dev']]);
    expect(world.runs('instance')).toEqual({ 'app1-dev': RUN_ID });
  });

  it('sends a rename once while it is in progress', async () => {
    addRdsTargetAndCopy(world);
    const plan = rdsPlan();

    const started = await startSwap(clients, plan, now);
    const again = await checkSwap(clients, plan, started, now);

    expect(again).toMatchObject({ done: false, position: 0, waitSeconds: 10 });
    expect(world.renamesSent()).toEqual([['app1-dev-ro', 'app1-dev-ro-old-ab12cd34']]);
  });

  it('skips the renames already applied when the check starts over from the first one', async () => {
    addRdsTargetAndCopy(world);
    const plan = rdsPlan();
    const renamedTarget = await swap.interruptedAfter(plan, 2);
    world.tick();
    rds.resetHistory();

    const poll = await checkSwap(clients, plan, { ...renamedTarget, position: 0 }, now);

    expect(poll).toMatchObject({ done: false, position: 2 });
    expect(world.renamesSent()).toEqual([['app1-dev-new-ab12cd34', 'app1-dev']]);
  });

  it('carries on when a check is retried after its rename was sent but its answer was lost', async () => {
    addRdsTargetAndCopy(world);
    const plan = rdsPlan();
    const renamedTarget = await swap.interruptedAfter(plan, 2);
    world.tick();
    await checkSwap(clients, plan, renamedTarget, now);

    const retried = await checkSwap(clients, plan, renamedTarget, now);

    expect(retried).toMatchObject({ done: false, position: 2 });
    expect(world.renamesSent()).toHaveLength(3);
  });

  it('changes nothing when started again after the swap finished', async () => {
    addRdsTargetAndCopy(world);
    secretWithPendingRunVersion(sm);
    const plan = rdsPlan();
    await swap.toTheEnd(plan);
    rds.resetHistory();
    sm.resetHistory();

    const poll = await startSwap(clients, plan, now);

    expect(poll).toMatchObject({ done: true, position: 3 });
    expect(world.renamesSent()).toEqual([]);
    expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
  });

  it('waits for the copy to be available before giving it the target name', async () => {
    addRdsTargetAndCopy(world);
    world.set('instance', 'app1-dev-new-ab12cd34', { status: 'modifying' });
    const plan = rdsPlan();

    const target = await swap.interruptedAfter(plan, 2);
    world.tick();
    const waiting = await checkSwap(clients, plan, target, now);

    expect(waiting).toMatchObject({ done: false, position: 2 });
    expect(world.renamesSent()).toHaveLength(2);
    expect(world.runs('instance')).toHaveProperty('app1-dev-new-ab12cd34', RUN_ID);
  });

  it('fails when another instance took the target name before the copy could', async () => {
    world.add('instance', 'app1-dev-new-ab12cd34', RUN_ID);
    world.add('instance', 'app1-dev', OLD_RUN_ID);

    const started = startSwap(clients, firstRefreshPlan(), now);

    await expect(started).rejects.toThrow(GuardError);
    await expect(started).rejects.toThrow(
      'Cannot rename instance app1-dev-new-ab12cd34 to app1-dev: another instance named app1-dev already exists',
    );
    expect(world.renamesSent()).toEqual([]);
  });

  it('fails when an instance to rename reaches a terminal status', async () => {
    addRdsTargetAndCopy(world);
    world.set('instance', 'app1-dev-ro', { status: 'storage-full' });

    await expect(startSwap(clients, rdsPlan(), now)).rejects.toThrow(TerminalStateError);
    expect(world.renamesSent()).toEqual([]);
  });

  it('fails when the swap has not finished by its deadline', async () => {
    addRdsTargetAndCopy(world);
    world.set('instance', 'app1-dev-ro', { status: 'modifying' });
    const plan = rdsPlan();
    const started = await startSwap(clients, plan, now);
    const pastDeadline = new Date(now.getTime() + 2 * 3600 * 1000);

    await expect(checkSwap(clients, plan, started, pastDeadline)).rejects.toThrow(PollTimeoutError);
  });

  it("fails when the secret has no version of this run's password", async () => {
    addRdsTargetAndCopy(world);
    new FakeSecret(sm, { 'v-before': ['AWSCURRENT'] });

    await expect(swap.toTheEnd(rdsPlan())).rejects.toThrow(DbRefreshError);
    expect(world.runs('instance')['app1-dev']).toBe(RUN_ID);
  });
});

describe('swap of an Aurora cluster', () => {
  it("retires the old cluster and its instances, then gives the copy's cluster and instances the final names", async () => {
    addAuroraTargetAndCopy(world);
    new FakeSecret(sm, { [RUN_VERSION]: ['AWSCURRENT'] });
    const plan = auroraPlan();

    const done = await swap.toTheEnd(plan);

    expect(done).toMatchObject({ done: true, position: 6 });
    expect(world.renamesSent()).toEqual(plan.renames.map((rename) => [rename.from, rename.to]));
    expect(world.runs('cluster')).toEqual({ 'app2-test': RUN_ID, 'app2-test-old-ab12cd34': OLD_RUN_ID });
    expect(world.runs('instance')).toEqual({
      'app2-test-1': RUN_ID,
      'app2-test-2': RUN_ID,
      'app2-test-1-old-ab12cd34': OLD_RUN_ID,
      'app2-test-2-old-ab12cd34': OLD_RUN_ID,
    });
    expect(world.clusterOf('app2-test-1')).toBe('app2-test');
    expect(world.clusterOf('app2-test-1-old-ab12cd34')).toBe('app2-test-old-ab12cd34');
  });

  it("leaves a secret the run created as it is: the run's version is already current", async () => {
    addAuroraTargetAndCopy(world);
    const secret = new FakeSecret(sm, { [RUN_VERSION]: ['AWSCURRENT'] });

    await swap.toTheEnd(auroraPlan());

    expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
    expect(secret.versions).toEqual({ [RUN_VERSION]: ['AWSCURRENT'] });
  });

  it('turns deletion protection on for the refreshed cluster when the file asks for it', async () => {
    addAuroraTargetAndCopy(world);
    new FakeSecret(sm, { [RUN_VERSION]: ['AWSCURRENT'] });

    await swap.toTheEnd(withTarget(auroraPlan(), { deletionProtection: true }));

    expect(rds).toHaveReceivedCommandWith(ModifyDBClusterCommand, {
      DBClusterIdentifier: 'app2-test',
      DeletionProtection: true,
    });
    expect(world.deletionProtectionOf('cluster', 'app2-test')).toBe(true);
  });

  it('fails when a cluster already holds the retired name', async () => {
    addAuroraTargetAndCopy(world);
    world.add('cluster', 'app2-test-old-ab12cd34', OLD_RUN_ID);
    const plan = auroraPlan();
    const retiredReader = await swap.interruptedAfter(plan, 2);
    world.tick();

    await expect(checkSwap(clients, plan, retiredReader, now)).rejects.toThrow(GuardError);
    await expect(checkSwap(clients, plan, retiredReader, now)).rejects.toThrow(
      'Cannot rename cluster app2-test to app2-test-old-ab12cd34',
    );
  });
});

describe('swap handler', () => {
  it('starts the swap and checks it with the poll state the state machine stored', async () => {
    addRdsTargetAndCopy(world);
    const plan = rdsPlan();

    const started = await start(runState(plan));
    world.tick();
    const checked = await check(runState(plan, { polls: { swap: started } }));

    expect(checked).toMatchObject({ done: false, position: 1, attempt: 1 });
    expect(world.renamesSent()).toHaveLength(2);
  });

  it('rejects a check without the poll state of its start', async () => {
    await expect(check(runState(rdsPlan()))).rejects.toThrow('No poll state at $.polls.swap');
  });
});
