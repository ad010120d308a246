import { ModifyDBClusterCommand, ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import { checkMasterPassword } from '../../../local/endpoint/rds/rules/passwords';
import { createInstance, sendCreateCluster, sendCreateInstance, useNamedRdsHarness } from './rds-harness';

/** Master passwords per engine (local/endpoint/rds/rules/passwords.ts). */

const { harness, name } = useNamedRdsHarness('pw');

const tooLong = (length: number) => 'a'.repeat(length);

describe('checkMasterPassword', () => {
  it.each([
    ['mysql', 41],
    ['mariadb', 41],
    ['postgres', 128],
    ['oracle-ee', 30],
    ['sqlserver-se', 128],
    ['aurora-mysql', 41],
    ['aurora-postgresql', 41],
  ])('takes 8 to %s characters for %s', (engine, max) => {
    expect(() => checkMasterPassword(engine, tooLong(8))).not.toThrow();
    expect(() => checkMasterPassword(engine, tooLong(max))).not.toThrow();
  });

  it.each([
    ['mysql', 42],
    ['mariadb', 42],
    ['postgres', 129],
    ['oracle-se2', 31],
    ['aurora-postgresql', 42],
  ])(
    'rejects a password longer than the engine allows (%s, %s characters) or shorter than 8',
    (engine, length) => {
      expect(() => checkMasterPassword(engine, tooLong(length))).toThrow(/longer than/);
      expect(() => checkMasterPassword(engine, tooLong(7))).toThrow(/shorter than 8/);
    },
  );

  it.each([
    'with/slash',
    'with"quote',
    'with@sign',
    "with'apostrophe",
    'with space',
    'with\ttab',
    'with\u00e9accent',
  ])('rejects %j for every engine, without repeating it', (password) => {
    for (const engine of ['mysql', 'postgres', 'aurora-mysql']) {
      expect(() => checkMasterPassword(engine, password)).toThrow(/Only printable ASCII characters besides/);
      expect(() => checkMasterPassword(engine, password)).not.toThrow(password);
    }
  });

  it('rejects an ampersand for Oracle only', () => {
    expect(() => checkMasterPassword('oracle-ee', 'pass&word')).toThrow(/'&'/);
    expect(() => checkMasterPassword('mysql', 'pass&word')).not.toThrow();
  });
});

describe('master passwords through the API', () => {
  it('rejects a 42-character password for MySQL but takes it for PostgreSQL', async () => {
    await expect(
      sendCreateInstance(harness, name(), { MasterUserPassword: tooLong(42) }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('longer than 41'),
    });

    const postgres = await createInstance(harness, name(), {
      Engine: 'postgres',
      MasterUserPassword: tooLong(42),
    });

    expect(postgres?.DBInstanceStatus).toBe('available');
  });

  it('rejects a bad new password on ModifyDBInstance and ModifyDBCluster, and a long one on CreateDBCluster', async () => {
    await createInstance(harness, name());
    await sendCreateCluster(harness, `${name()}-c`);
    await harness.finish();

    await expect(
      harness.rds.send(
        new ModifyDBInstanceCommand({ DBInstanceIdentifier: name(), MasterUserPassword: 'no spaces here' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(
      harness.rds.send(
        new ModifyDBClusterCommand({ DBClusterIdentifier: `${name()}-c`, MasterUserPassword: 'short' }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('shorter than 8'),
    });
    await expect(
      sendCreateCluster(harness, `${name()}-d`, {
        Engine: 'aurora-postgresql',
        MasterUserPassword: tooLong(42),
      }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('longer than 41'),
    });
  });
});
