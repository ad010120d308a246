import { CreateDBInstanceReadReplicaCommand, ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import {
  createInstance,
  describeInstance,
  restoreSnapshot,
  restoreToLatest,
  sendCreateInstance,
  snapshotInstance,
  useNamedRdsHarness,
} from './rds-harness';

/** The storage rules of local RDS (local/endpoint/rds/rules/storage.ts), through the real RDS client. */

const { harness, name } = useNamedRdsHarness('st');

const refusal = (code: string, message: string | RegExp) => ({
  name: code,
  message: typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message),
});

describe('allocated storage', () => {
  it('rejects CreateDBInstance without AllocatedStorage: 0 GiB is no size RDS allocates', async () => {
    await expect(sendCreateInstance(harness, name(), { AllocatedStorage: undefined })).rejects.toMatchObject(
      refusal(
        'InvalidParameterCombination',
        'Invalid storage size for engine name mysql and storage type gp3: 0',
      ),
    );
  });

  it('rejects sizes outside the range of the engine and storage type', async () => {
    await expect(sendCreateInstance(harness, name(), { AllocatedStorage: 19 })).rejects.toMatchObject(
      refusal('InvalidParameterCombination', 'storage type gp3: 19'),
    );
    await expect(
      sendCreateInstance(harness, name(), { StorageType: 'io1', Iops: 1000, AllocatedStorage: 99 }),
    ).rejects.toMatchObject(refusal('InvalidParameterCombination', 'storage type io1: 99'));
    await expect(
      sendCreateInstance(harness, name(), { StorageType: 'standard', AllocatedStorage: 3073 }),
    ).rejects.toMatchObject(refusal('InvalidParameterCombination', 'Allocate 5 to 3072 GiB'));
  });

  it('rejects a storage type RDS does not have', async () => {
    await expect(sendCreateInstance(harness, name(), { StorageType: 'gp4' })).rejects.toMatchObject(
      refusal('StorageTypeNotSupportedFault', 'Invalid storage type: gp4'),
    );
  });

  it('creates gp3 by default, and io1 when only Iops is given', async () => {
    const gp3 = await createInstance(harness, name());
    const io1 = await createInstance(harness, `${name()}-io`, { AllocatedStorage: 100, Iops: 3000 });

    expect(gp3).toMatchObject({ StorageType: 'gp3', AllocatedStorage: 20 });
    expect(io1).toMatchObject({ StorageType: 'io1', Iops: 3000 });
  });
});

describe('gp3 IOPS and throughput', () => {
  it('shows the baseline of a gp3 volume below 400 GiB (3,000 IOPS, 125 MiB/s), and from 400 GiB (12,000, 500)', async () => {
    const small = await createInstance(harness, name(), { StorageType: 'gp3', AllocatedStorage: 100 });
    const large = await createInstance(harness, `${name()}-l`, { StorageType: 'gp3', AllocatedStorage: 400 });

    expect(small).toMatchObject({ Iops: 3000, StorageThroughput: 125 });
    expect(large).toMatchObject({ Iops: 12000, StorageThroughput: 500 });
  });

  it('rejects Iops or StorageThroughput on gp3 below 400 GiB, even at the baseline DescribeDBInstances shows', async () => {
    for (const extra of [
      { Iops: 3000 },
      { StorageThroughput: 125 },
      { Iops: 12000, StorageThroughput: 500 },
    ]) {
      await expect(
        sendCreateInstance(harness, name(), { StorageType: 'gp3', AllocatedStorage: 399, ...extra }),
      ).rejects.toMatchObject(
        refusal(
          'InvalidParameterCombination',
          "You can't specify IOPS or storage throughput for engine mysql and a storage size less than 400.",
        ),
      );
    }
  });

  it('takes IOPS of 12,000 to 64,000 and throughput of 500 to 4,000 MiB/s from 400 GiB, at most 0.25 MiB/s per IOPS', async () => {
    const gp3 = { StorageType: 'gp3', AllocatedStorage: 400 };

    const provisioned = await createInstance(harness, name(), {
      ...gp3,
      Iops: 16000,
      StorageThroughput: 1000,
    });

    expect(provisioned).toMatchObject({ Iops: 16000, StorageThroughput: 1000 });
    await expect(sendCreateInstance(harness, `${name()}-a`, { ...gp3, Iops: 11999 })).rejects.toMatchObject(
      refusal('InvalidParameterValue', 'use 12000 to 64000'),
    );
    await expect(sendCreateInstance(harness, `${name()}-b`, { ...gp3, Iops: 64001 })).rejects.toMatchObject(
      refusal('InvalidParameterValue', 'use 12000 to 64000'),
    );
    await expect(
      sendCreateInstance(harness, `${name()}-c`, { ...gp3, StorageThroughput: 499 }),
    ).rejects.toMatchObject(refusal('InvalidParameterValue', 'use 500 to 4000'));
    await expect(
      sendCreateInstance(harness, `${name()}-d`, { ...gp3, Iops: 12000, StorageThroughput: 3001 }),
    ).rejects.toMatchObject(refusal('InvalidParameterCombination', 'per provisioned IOPS'));
  });

  it('applies the same threshold to PostgreSQL and MariaDB', async () => {
    for (const Engine of ['postgres', 'mariadb']) {
      await expect(
        sendCreateInstance(harness, name(), {
          Engine,
          StorageType: 'gp3',
          AllocatedStorage: 200,
          Iops: 12000,
        }),
      ).rejects.toMatchObject(
        refusal('InvalidParameterCombination', `engine ${Engine} and a storage size less than 400`),
      );
    }
  });
});

describe('io1, io2, gp2 and standard', () => {
  it('rejects io1 and io2 without Iops', async () => {
    for (const StorageType of ['io1', 'io2']) {
      await expect(
        sendCreateInstance(harness, name(), { StorageType, AllocatedStorage: 100 }),
      ).rejects.toMatchObject(
        refusal(
          'InvalidParameterCombination',
          `The storage type ${StorageType} requires iops to be specified.`,
        ),
      );
    }
  });

  it('rejects provisioned IOPS below 1,000 or outside 0.5 to 50 times the storage', async () => {
    const io1 = { StorageType: 'io1', AllocatedStorage: 100 };

    await expect(sendCreateInstance(harness, name(), { ...io1, Iops: 999 })).rejects.toMatchObject(
      refusal('InvalidParameterValue', 'use 1000 to 256000'),
    );
    await expect(sendCreateInstance(harness, name(), { ...io1, Iops: 5001 })).rejects.toMatchObject(
      refusal('InvalidParameterCombination', '0.5 to 50 times'),
    );
    await expect(
      sendCreateInstance(harness, name(), { StorageType: 'io2', AllocatedStorage: 3000, Iops: 1000 }),
    ).rejects.toMatchObject(refusal('InvalidParameterCombination', '0.5 to 50 times'));
    expect(await createInstance(harness, name(), { ...io1, Iops: 5000 })).toMatchObject({ Iops: 5000 });
  });

  it('rejects Iops on gp2 and standard, and StorageThroughput on anything but gp3', async () => {
    await expect(
      sendCreateInstance(harness, name(), { StorageType: 'gp2', Iops: 1000, AllocatedStorage: 100 }),
    ).rejects.toMatchObject(refusal('InvalidParameterCombination', 'io1, io2 and gp3 storage only'));
    await expect(
      sendCreateInstance(harness, name(), {
        StorageType: 'io1',
        Iops: 1000,
        AllocatedStorage: 100,
        StorageThroughput: 500,
      }),
    ).rejects.toMatchObject(
      refusal('InvalidParameterCombination', 'StorageThroughput applies only to the gp3'),
    );
  });
});

describe('storage autoscaling', () => {
  it('rejects MaxAllocatedStorage below AllocatedStorage or less than 10 % above it, and turns autoscaling off when they are equal', async () => {
    for (const MaxAllocatedStorage of [99, 109, 65537]) {
      await expect(
        sendCreateInstance(harness, name(), { AllocatedStorage: 100, MaxAllocatedStorage }),
      ).rejects.toMatchObject({
        name: 'InvalidParameterCombination',
        message: expect.stringContaining('Invalid max storage size for engine name mysql'),
      });
    }

    const scaling = await createInstance(harness, name(), {
      AllocatedStorage: 100,
      MaxAllocatedStorage: 110,
    });
    const off = await createInstance(harness, `${name()}-o`, {
      AllocatedStorage: 100,
      MaxAllocatedStorage: 100,
    });

    expect(scaling?.MaxAllocatedStorage).toBe(110);
    expect(off?.MaxAllocatedStorage).toBeUndefined();
  });
});

describe('ModifyDBInstance storage', () => {
  it('rejects a decrease and rounds an increase of less than 10 % up to 10 %', async () => {
    await createInstance(harness, name(), { AllocatedStorage: 100 });

    await expect(
      harness.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: name(), AllocatedStorage: 50 })),
    ).rejects.toMatchObject(refusal('InvalidParameterCombination', "allocated storage can't be decreased"));
    await harness.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: name(),
        AllocatedStorage: 105,
        ApplyImmediately: true,
      }),
    );
    await harness.finish();

    expect((await describeInstance(harness, name()))?.AllocatedStorage).toBe(110);
  });

  it('rejects provisioning gp3 IOPS on a small volume', async () => {
    await createInstance(harness, name(), { AllocatedStorage: 100 });

    await expect(
      harness.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: name(), Iops: 3000 })),
    ).rejects.toMatchObject(refusal('InvalidParameterCombination', 'a storage size less than 400'));
  });
});

describe('storage of restores and replicas', () => {
  it("keeps the source's storage unless the request gives it, and checks what the request gives", async () => {
    await createInstance(harness, `${name()}-src`, { StorageType: 'io1', AllocatedStorage: 200, Iops: 4000 });

    await restoreToLatest(harness, `${name()}-src`, name());
    await harness.finish();
    const restored = await describeInstance(harness, name());

    expect(restored).toMatchObject({ StorageType: 'io1', AllocatedStorage: 200, Iops: 4000 });
    await expect(
      restoreToLatest(harness, `${name()}-src`, `${name()}-gp3`, {
        StorageType: 'gp3',
        Iops: 3000,
        StorageThroughput: 125,
      }),
    ).rejects.toMatchObject(refusal('InvalidParameterCombination', 'a storage size less than 400'));
  });

  it("restores a snapshot with its instance's storage (the IOPS are taken from the backup)", async () => {
    await createInstance(harness, `${name()}-src`, { StorageType: 'io2', AllocatedStorage: 100, Iops: 2000 });
    await snapshotInstance(harness, `${name()}-src`, `${name()}-snap`);

    await restoreSnapshot(harness, `${name()}-snap`, name());
    await harness.finish();

    expect(await describeInstance(harness, name())).toMatchObject({
      StorageType: 'io2',
      AllocatedStorage: 100,
      Iops: 2000,
    });
  });

  it('rejects a replica whose own storage RDS refuses', async () => {
    await createInstance(harness, `${name()}-src`, { AllocatedStorage: 100 });

    await expect(
      harness.rds.send(
        new CreateDBInstanceReadReplicaCommand({
          SourceDBInstanceIdentifier: `${name()}-src`,
          DBInstanceIdentifier: name(),
          Iops: 3000,
        }),
      ),
    ).rejects.toMatchObject(refusal('InvalidParameterCombination', 'a storage size less than 400'));
  });
});
