import { copyStorage } from '../../../lambdas/plan/copy-storage';
import { GuardError } from '../../../lambdas/shared/errors';
import type { RdsRefreshFile } from '../../../lambdas/shared/refresh-model';

type Target = RdsRefreshFile['target'];

const live = (settings: Partial<Target>): Target => ({ instance: 'app1-dev', ...settings });
const file = (settings: Partial<Target> = {}): Target => ({ instance: 'app1-dev', ...settings });

describe('copyStorage for gp3', () => {
  it.each([
    ['mysql', 100, { iops: 3000, storageThroughput: 125 }],
    ['postgres', 399, { iops: 12000, storageThroughput: 500 }],
    ['oracle', 150, { iops: 3000, storageThroughput: 125 }],
  ] as const)(
    'leaves out the carried IOPS and throughput of a %s copy of %i GiB, below the threshold',
    (engine, size, values) => {
      const settings = live({ storageType: 'gp3', ...values });

      const copy = copyStorage(settings, file(), { engine, allocatedStorageGiB: size });

      expect(copy).toEqual({ ...settings, iops: undefined, storageThroughput: undefined });
    },
  );

  it.each([
    ['mysql', 400],
    ['oracle', 200],
  ] as const)('keeps the provisioned values of a %s copy from %i GiB on', (engine, size) => {
    const settings = live({ storageType: 'gp3', iops: 16000, storageThroughput: 1000 });

    expect(copyStorage(settings, file(), { engine, allocatedStorageGiB: size })).toEqual(settings);
  });

  it('leaves out the baseline of a small target when the copy is large, so RDS gives it its own', () => {
    const settings = live({ storageType: 'gp3', iops: 3000, storageThroughput: 125 });

    const copy = copyStorage(settings, file(), { engine: 'mariadb', allocatedStorageGiB: 1000 });

    expect(copy).toMatchObject({ iops: undefined, storageThroughput: undefined });
  });

  it('leaves out a carried throughput above 0.25 MiB/s per IOPS', () => {
    const settings = live({ storageType: 'gp3', iops: 12000, storageThroughput: 4000 });

    const copy = copyStorage(settings, file(), { engine: 'mysql', allocatedStorageGiB: 500 });

    expect(copy).toMatchObject({ iops: 12000, storageThroughput: undefined });
  });

  it('leaves out carried values when the size of the copy is unknown', () => {
    const settings = live({ storageType: 'gp3', iops: 12000, storageThroughput: 500 });

    expect(copyStorage(settings, file(), { engine: 'mysql' })).toMatchObject({
      iops: undefined,
      storageThroughput: undefined,
    });
  });

  it.each([
    [
      { iops: 12000 },
      100,
      "target.iops is 12000, but the copy gets the source's 100 GiB of gp3 storage and RDS for mysql takes gp3 IOPS and throughput only from 400 GiB on",
    ],
    [{ storageThroughput: 125 }, 100, 'target.storageThroughput is 125'],
    [{ iops: 3000 }, 500, 'RDS takes 12000-64000 gp3 IOPS and 500-4000 MiB/s'],
    [{ iops: 12000, storageThroughput: 3500 }, 500, 'at most 0.25 MiB/s per IOPS'],
  ])("rejects the file's %o for a copy of %i GiB", (values, size, message) => {
    const settings = live({ storageType: 'gp3', ...values });

    const attempt = () =>
      copyStorage(settings, file({ storageType: 'gp3', ...values }), {
        engine: 'mysql',
        allocatedStorageGiB: size,
      });

    expect(attempt).toThrow(GuardError);
    expect(attempt).toThrow(message);
  });
});

describe('copyStorage for io1 and io2', () => {
  it.each(['io1', 'io2'] as const)('keeps %s IOPS within 0.5 to 50 per GiB of the copy', (type) => {
    const settings = live({ storageType: type, iops: 5000 });

    expect(copyStorage(settings, file(), { engine: 'postgres', allocatedStorageGiB: 100 })).toEqual(settings);
  });

  it.each([
    [20000, 100, 5000],
    [1000, 4000, 2000],
  ])('brings carried IOPS of %i into the range of a %i GiB copy (%i)', (iops, size, adjusted) => {
    const settings = live({ storageType: 'io1', iops });

    expect(copyStorage(settings, file(), { engine: 'mysql', allocatedStorageGiB: size })).toMatchObject({
      iops: adjusted,
    });
  });

  it("rejects the file's IOPS outside the range of the copy", () => {
    const target = { storageType: 'io2', iops: 20000 } as const;

    expect(() =>
      copyStorage(live(target), file(target), { engine: 'mysql', allocatedStorageGiB: 100 }),
    ).toThrow(
      "target.iops is 20000, but the copy gets the source's 100 GiB of io2 storage, for which RDS takes 1000 to 5000 IOPS",
    );
  });

  it('rejects provisioned IOPS storage for a copy below 100 GiB, naming the fix', () => {
    const settings = live({ storageType: 'io1', iops: 3000 });

    expect(() => copyStorage(settings, file(), { engine: 'mysql', allocatedStorageGiB: 20 })).toThrow(
      `target.storageType is io1 (the live target's), but the copy gets the source's 20 GiB of storage and RDS needs at least 100 GiB for io1; set target.storageType to "gp3" or "gp2"`,
    );
  });
});

describe('copyStorage for other storage', () => {
  it('leaves gp2 and unknown storage types as they are', () => {
    const gp2 = live({ storageType: 'gp2' });
    const unknown = live({});

    expect(copyStorage(gp2, file(), { engine: 'mysql', allocatedStorageGiB: 20 })).toEqual(gp2);
    expect(copyStorage(unknown, file(), { engine: 'mysql', allocatedStorageGiB: 20 })).toEqual(unknown);
  });
});

describe('copyStorage for storage autoscaling', () => {
  it('keeps a limit at least 10% above the copy', () => {
    const settings = live({ storageType: 'gp2', maxAllocatedStorageGiB: 110 });

    expect(copyStorage(settings, file(), { engine: 'mysql', allocatedStorageGiB: 100 })).toEqual(settings);
  });

  it("leaves out the target's limit when the copy starts above it", () => {
    const settings = live({ storageType: 'gp2', maxAllocatedStorageGiB: 200 });

    const copy = copyStorage(settings, file(), { engine: 'mysql', allocatedStorageGiB: 500 });

    expect(copy.maxAllocatedStorageGiB).toBeUndefined();
  });

  it("rejects the file's limit below 10% above the copy, naming the least it may be", () => {
    const settings = live({ maxAllocatedStorageGiB: 105 });

    expect(() =>
      copyStorage(settings, file({ maxAllocatedStorageGiB: 105 }), {
        engine: 'mysql',
        allocatedStorageGiB: 100,
      }),
    ).toThrow(
      "target.maxAllocatedStorageGiB is 105, but the copy gets the source's 100 GiB and RDS needs a limit at least 10% above it; set target.maxAllocatedStorageGiB to 110 or more",
    );
  });
});
