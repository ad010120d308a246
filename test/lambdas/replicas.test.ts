import {
  CreateDBInstanceReadReplicaCommand,
  type DBInstance,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RebootDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { checkReplicas, startReplicas } from '../../lambdas/replicas/create-replicas';
import { check, start } from '../../lambdas/replicas/handler';
import { DbRefreshError, GuardError, TerminalStateError } from '../../lambdas/shared/errors';
import { startPoll } from '../../lambdas/shared/poll';
import type { Plan } from '../../lambdas/shared/run/plan';
import { auroraPlan, rdsPlan, runState } from '../fixtures/plans';

const rds = mockClient(RDSClient);
const client = new RDSClient({});
const now = new Date('2026-11-21T04:00:00.000Z');
const REPLICA = 'app1-dev-ro';

function replicaExists(
  status: string,
  tags = [{ Key: 'dbrefresh:run', Value: 'ab12cd34' }],
  extra: Partial<DBInstance> = {},
): void {
  const instance: DBInstance = {
    DBInstanceIdentifier: REPLICA,
    DBInstanceStatus: status,
    TagList: tags,
    ...extra,
  };
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: REPLICA }).resolves({ DBInstances: [instance] });
}

function replicaMissing(): void {
  rds
    .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: REPLICA })
    .rejects(new DBInstanceNotFoundFault({ message: `DBInstance ${REPLICA} not found.`, $metadata: {} }));
}

/** The RDS sample plan whose target file names a subnet group, security groups and a parameter group. */
function planWithNetwork(overrides: Partial<Plan> = {}): Plan {
  const base = rdsPlan();
  return rdsPlan({
    file: {
      ...base.file,
      target: {
        ...base.file.target,
        subnetGroup: 'app1-dev-subnets',
        securityGroupIds: ['sg-0123456789abcdef0'],
        parameterGroup: 'app1-mysql80',
        copyTagsToSnapshot: true,
      },
    } as Plan['file'],
    replicas: [{ id: REPLICA, finalId: REPLICA, instanceClass: 'db.t4g.small', port: 3307 }],
    ...overrides,
  });
}

beforeEach(() => {
  rds.reset();
});

describe('startReplicas', () => {
  it('creates each read replica from the new target with its class, port, tags and the target network', async () => {
    replicaMissing();
    const plan = planWithNetwork();

    const poll = await startReplicas(client, plan, now);

    expect(rds).toHaveReceivedCommandTimes(CreateDBInstanceReadReplicaCommand, 1);
    expect(rds).toHaveReceivedCommandWith(CreateDBInstanceReadReplicaCommand, {
      DBInstanceIdentifier: REPLICA,
      SourceDBInstanceIdentifier: 'app1-dev',
      DBInstanceClass: 'db.t4g.small',
      Port: 3307,
      Tags: plan.tags,
      DBSubnetGroupName: 'app1-dev-subnets',
      VpcSecurityGroupIds: ['sg-0123456789abcdef0'],
      CopyTagsToSnapshot: true,
    });
    expect(poll).toEqual(startPoll(now, { expectedSeconds: 600, timeoutSeconds: 4 * 3600 }));
  });

  it("gives the replicas the target's public accessibility and CA certificate, private by default", async () => {
    replicaMissing();
    const base = planWithNetwork();
    const target = { ...base.file.target, publiclyAccessible: true, caCertificate: 'rds-ca-rsa2048-g1' };

    await startReplicas(client, { ...base, file: { ...base.file, target } as Plan['file'] }, now);
    await startReplicas(client, rdsPlan(), now);

    expect(rds).toHaveReceivedNthCommandWith(2, CreateDBInstanceReadReplicaCommand, {
      PubliclyAccessible: true,
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
    });
    expect(rds).toHaveReceivedNthCommandWith(4, CreateDBInstanceReadReplicaCommand, {
      PubliclyAccessible: false,
    });
  });

  it('leaves the parameter group out for a same-Region MySQL replica, which RDS refuses to name one', async () => {
    replicaMissing();

    await startReplicas(client, planWithNetwork(), now);

    const input = rds.commandCalls(CreateDBInstanceReadReplicaCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ DBInstanceIdentifier: REPLICA, SourceDBInstanceIdentifier: 'app1-dev' });
    expect(input?.DBParameterGroupName).toBeUndefined();
  });

  it('names the parameter group for an Oracle replica, which RDS accepts', async () => {
    replicaMissing();

    await startReplicas(client, planWithNetwork({ engine: 'oracle-ee', engineFamily: 'oracle' }), now);

    expect(rds).toHaveReceivedCommandWith(CreateDBInstanceReadReplicaCommand, {
      DBParameterGroupName: 'app1-mysql80',
    });
  });

  it('leaves out the settings the refresh file does not give', async () => {
    replicaMissing();

    await startReplicas(client, rdsPlan(), now);

    const input = rds.commandCalls(CreateDBInstanceReadReplicaCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ DBInstanceIdentifier: REPLICA, DBInstanceClass: 'db.t4g.small' });
    expect(input?.Port).toBeUndefined();
    expect(input?.DBSubnetGroupName).toBeUndefined();
    expect(input?.DBParameterGroupName).toBeUndefined();
  });

  it('waits first for the time past runs of the target took', async () => {
    replicaMissing();

    const poll = await startReplicas(client, rdsPlan({ expectedSeconds: { replicas: 420 } }), now);

    expect(poll.waitSeconds).toBe(420);
  });

  it('does not create a replica again that this run already created', async () => {
    replicaExists('creating');

    const poll = await startReplicas(client, rdsPlan(), now);

    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceReadReplicaCommand);
    expect(poll.done).toBe(false);
  });

  it('accepts a replica a concurrent attempt created between describe and create', async () => {
    rds
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: REPLICA })
      .rejectsOnce(new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} }))
      .resolves({
        DBInstances: [
          { DBInstanceIdentifier: REPLICA, TagList: [{ Key: 'dbrefresh:run', Value: 'ab12cd34' }] },
        ],
      });
    rds
      .on(CreateDBInstanceReadReplicaCommand)
      .rejects(new DBInstanceAlreadyExistsFault({ message: 'DB instance already exists', $metadata: {} }));

    await expect(startReplicas(client, rdsPlan(), now)).resolves.toMatchObject({ done: false });
  });

  it('fails when the replica name is taken by an instance this run did not create', async () => {
    replicaExists('available', [{ Key: 'dbrefresh:run', Value: 'zz99yy88' }]);

    await expect(startReplicas(client, rdsPlan(), now)).rejects.toThrow(GuardError);
    await expect(startReplicas(client, rdsPlan(), now)).rejects.toThrow(
      'Cannot create read replica app1-dev-ro: a DB instance with that name already exists and was not created by run ab12cd34',
    );
    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceReadReplicaCommand);
  });

  it('rejects an Aurora plan, whose readers are created before the swap', async () => {
    await expect(startReplicas(client, auroraPlan(), now)).rejects.toThrow(DbRefreshError);
    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceReadReplicaCommand);
  });
});

describe('checkReplicas', () => {
  const poll = startPoll(now, { expectedSeconds: 600, timeoutSeconds: 4 * 3600 });
  const later = new Date(now.getTime() + 600_000);

  it('waits while a replica is being created', async () => {
    replicaExists('creating');

    const next = await checkReplicas(client, rdsPlan(), poll, later);

    expect(next).toMatchObject({ done: false, attempt: 1, waitSeconds: 15 });
  });

  it('is done once every replica is available', async () => {
    replicaExists('available');

    const next = await checkReplicas(client, rdsPlan(), poll, later);

    expect(next).toMatchObject({ done: true, finishedAt: later.toISOString() });
  });

  describe("with the target's parameter group", () => {
    const inGroup = (name: string, applyStatus: string) => ({
      DBParameterGroups: [{ DBParameterGroupName: name, ParameterApplyStatus: applyStatus }],
    });

    it('applies the group to an available replica that took another one, and waits', async () => {
      replicaExists('available', undefined, inGroup('default.mysql8.0', 'in-sync'));

      const next = await checkReplicas(client, planWithNetwork(), poll, later);

      expect(rds).toHaveReceivedCommandWith(ModifyDBInstanceCommand, {
        DBInstanceIdentifier: REPLICA,
        DBParameterGroupName: 'app1-mysql80',
        ApplyImmediately: true,
      });
      expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
      expect(next.done).toBe(false);
    });

    it('reboots a replica whose new group waits for a reboot', async () => {
      replicaExists('available', undefined, inGroup('app1-mysql80', 'pending-reboot'));

      const next = await checkReplicas(client, planWithNetwork(), poll, later);

      expect(rds).toHaveReceivedCommandWith(RebootDBInstanceCommand, { DBInstanceIdentifier: REPLICA });
      expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
      expect(next.done).toBe(false);
    });

    it.each([
      ['modifying', 'app1-mysql80', 'applying'],
      ['rebooting', 'app1-mysql80', 'pending-reboot'],
      ['available', 'app1-mysql80', 'applying'],
    ])(
      'waits without a request while the replica is %s and its group %s is %s',
      async (status, name, apply) => {
        replicaExists(status, undefined, inGroup(name, apply));

        const next = await checkReplicas(client, planWithNetwork(), poll, later);

        expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
        expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
        expect(next.done).toBe(false);
      },
    );

    it('is done once the replica is available with the group in sync', async () => {
      replicaExists('available', undefined, inGroup('app1-mysql80', 'in-sync'));

      const next = await checkReplicas(client, planWithNetwork(), poll, later);

      expect(next.done).toBe(true);
      expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
    });

    it('fails when RDS could not apply the group', async () => {
      replicaExists('available', undefined, inGroup('app1-mysql80', 'failed-to-apply'));

      await expect(checkReplicas(client, planWithNetwork(), poll, later)).rejects.toThrow(
        'RDS could not apply the parameter group app1-mysql80 to read replica app1-dev-ro (failed-to-apply)',
      );
    });
  });

  it('fails when a replica reaches a terminal status', async () => {
    replicaExists('incompatible-parameters');

    await expect(checkReplicas(client, rdsPlan(), poll, later)).rejects.toThrow(TerminalStateError);
  });

  it('fails when a replica it created has disappeared', async () => {
    replicaMissing();

    await expect(checkReplicas(client, rdsPlan(), poll, later)).rejects.toThrow(
      'Read replica app1-dev-ro of app1-dev is gone',
    );
  });
});

describe('replicas handler', () => {
  it('starts with the plan and checks the poll state at $.polls.replicas', async () => {
    replicaMissing();
    const started = await start(runState(rdsPlan()));
    rds.reset();
    replicaExists('available');

    const checked = await check(runState(rdsPlan(), { polls: { replicas: started } }));

    expect(started.done).toBe(false);
    expect(checked.done).toBe(true);
  });

  it('rejects a check without the poll state of the start', async () => {
    await expect(check(runState(rdsPlan()))).rejects.toThrow('No poll state at $.polls.replicas');
  });
});
