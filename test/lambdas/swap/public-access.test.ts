import { type DBCluster, type DBInstance, ModifyDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { startPoll } from '../../../lambdas/shared/poll';
import type { Plan } from '../../../lambdas/shared/run/plan';
import { applyPublicAccess } from '../../../lambdas/swap/public-access';
import { checkSwap } from '../../../lambdas/swap/swap-names';
import { auroraPlan, rdsPlan } from '../../fixtures/plans';
import { describesFrom } from '../../fixtures/rds-describe';

const rds = mockClient(RDSClient);
const client = new RDSClient({});
const NOW = new Date('2026-11-21T04:00:00.000Z');
let instances: Map<string, DBInstance>;

function instanceIs(id: string, status: string, publiclyAccessible: boolean): void {
  instances.set(id, {
    DBInstanceIdentifier: id,
    DBInstanceStatus: status,
    PubliclyAccessible: publiclyAccessible,
  });
}

/** The plan with the target's public accessibility resolved to `value`. */
function publicly<P extends Plan>(plan: P, value: boolean | undefined): P {
  return {
    ...plan,
    file: { ...plan.file, target: { ...plan.file.target, publiclyAccessible: value } } as Plan['file'],
  };
}

beforeEach(() => {
  rds.reset();
  instances = new Map();
  describesFrom(rds, instances, new Map<string, DBCluster>());
});

describe('applyPublicAccess', () => {
  it.each([false, undefined])(
    'does nothing when the target is private (%s), as the copy already is',
    async (value) => {
      await expect(applyPublicAccess(client, publicly(rdsPlan(), value))).resolves.toBe(true);

      expect(rds).not.toHaveReceivedAnyCommand();
    },
  );

  it('makes a public target public again, and waits for it', async () => {
    instanceIs('app1-dev', 'available', false);

    const applied = await applyPublicAccess(client, publicly(rdsPlan(), true));

    expect(applied).toBe(false);
    expect(rds).toHaveReceivedCommandWith(ModifyDBInstanceCommand, {
      DBInstanceIdentifier: 'app1-dev',
      PubliclyAccessible: true,
      ApplyImmediately: true,
    });
  });

  it.each([
    ['modifying', true, false],
    ['modifying', false, false],
    ['available', true, true],
  ])(
    'sends nothing while the target is %s and public is %s (applied: %s)',
    async (status, shown, applied) => {
      instanceIs('app1-dev', status, shown);

      await expect(applyPublicAccess(client, publicly(rdsPlan(), true))).resolves.toBe(applied);

      expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
    },
  );

  it("makes an Aurora cluster's writer and readers public under their final names", async () => {
    instanceIs('app2-test-1', 'available', false);
    instanceIs('app2-test-2', 'available', true);

    await applyPublicAccess(client, publicly(auroraPlan(), true));

    expect(rds).toHaveReceivedCommandTimes(ModifyDBInstanceCommand, 1);
    expect(rds).toHaveReceivedCommandWith(ModifyDBInstanceCommand, {
      DBInstanceIdentifier: 'app2-test-1',
      PubliclyAccessible: true,
    });
  });

  it('fails when the refreshed target is gone', async () => {
    await expect(applyPublicAccess(client, publicly(rdsPlan(), true))).rejects.toThrow(
      'app1-dev is gone although the swap just gave it its name',
    );
  });
});

describe('swap with a public target', () => {
  it('is not done until the refreshed target is public again', async () => {
    const plan = publicly(
      rdsPlan({ renames: [], adminPassword: { ...rdsPlan().adminPassword, managed: true } }),
      true,
    );
    const poll = { ...startPoll(NOW, { expectedSeconds: 1, timeoutSeconds: 7200 }), position: 0 };
    const clients = { rds: client, secrets: new SecretsManagerClient({}) };
    instanceIs('app1-dev', 'available', false);

    const waiting = await checkSwap(clients, plan, poll, NOW);
    instanceIs('app1-dev', 'available', true);
    const done = await checkSwap(clients, plan, waiting, NOW);

    expect(waiting.done).toBe(false);
    expect(done.done).toBe(true);
  });
});
