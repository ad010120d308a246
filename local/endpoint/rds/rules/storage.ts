import { rdsErrors } from '../errors';

/**
 * The storage rules of RDS DB instances (not Aurora: its storage belongs to the cluster): storage types,
 * allocated storage per engine and type, provisioned IOPS and gp3 throughput, and storage autoscaling.
 */

/** The storage settings of a DB instance, as a request leaves them. */
export interface InstanceStorage {
  readonly storageType: string;
  readonly allocatedStorage: number;
  readonly iops?: number;
  readonly storageThroughput?: number;
  readonly maxAllocatedStorage?: number;
}

// Valid Values: gp2 | gp3 | io1 | io2 | standard
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html
const STORAGE_TYPES = ['gp2', 'gp3', 'io1', 'io2', 'standard'];
const PROVISIONED_IOPS_TYPES = ['io1', 'io2'];

/** Inclusive GiB ranges of AllocatedStorage for RDS for MySQL, MariaDB and PostgreSQL, by storage type. */
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html (AllocatedStorage)
const ALLOCATED_STORAGE_GIB: Readonly<Record<string, readonly [number, number]>> = {
  gp2: [20, 65536],
  gp3: [20, 65536],
  io1: [100, 65536],
  io2: [100, 65536],
  standard: [5, 3072],
};

/**
 * gp3 volumes below this size (GiB) run at the baseline and take no IOPS or throughput; from it on, both may
 * be provisioned within GP3_PROVISIONED. Db2 shares MySQL's threshold, Oracle's is 200 GiB, SQL Server has
 * none (3,000–16,000 IOPS from 20 GiB); local mode plays MySQL, MariaDB and PostgreSQL only.
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html#gp3-storage
const GP3_THRESHOLD_GIB: Readonly<Record<string, number>> = { mysql: 400, mariadb: 400, postgres: 400 };
const GP3_BASELINE = {
  small: { iops: 3000, throughput: 125 },
  large: { iops: 12000, throughput: 500 },
} as const;
const GP3_PROVISIONED = { iops: [12000, 64000], throughput: [500, 4000], throughputPerIops: 0.25 } as const;

/** io1 and io2: IOPS from 1,000, and between 0.5 and 50 times the allocated storage. */
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html (Iops)
const PROVISIONED_IOPS = { min: 1000, max: 256000, ratio: [0.5, 50] } as const;

/**
 * Checks an instance's storage as RDS does on CreateDBInstance, the restores, CreateDBInstanceReadReplica
 * and ModifyDBInstance.
 * @throws AwsError InvalidParameterValue, InvalidParameterCombination or StorageTypeNotSupported, naming the fix
 */
export function checkInstanceStorage(engine: string, storage: InstanceStorage): void {
  const { storageType: type, allocatedStorage: size, iops, storageThroughput: throughput } = storage;
  if (!STORAGE_TYPES.includes(type)) {
    throw rdsErrors.storageTypeNotSupported(
      `Invalid storage type: ${type}. Use one of ${STORAGE_TYPES.join(', ')}.`,
    );
  }
  const [min, max] = ALLOCATED_STORAGE_GIB[type] as readonly [number, number];
  if (size < min || size > max) {
    throw rdsErrors.invalidCombination(
      `Invalid storage size for engine name ${engine} and storage type ${type}: ${size}. Allocate ${min} to ${max} GiB.`,
    );
  }
  // StorageThroughput: "This setting applies only to the gp3 storage type."
  // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html
  if (throughput !== undefined && type !== 'gp3') {
    throw rdsErrors.invalidCombination(
      `StorageThroughput applies only to the gp3 storage type, not ${type}; leave it out or use gp3.`,
    );
  }
  if (type === 'gp3') checkGp3(engine, size, iops, throughput);
  else if (PROVISIONED_IOPS_TYPES.includes(type)) checkProvisionedIops(type, size, iops);
  else if (iops !== undefined) {
    // Provisioned IOPS exist for io1, io2 and gp3 only.
    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html
    throw rdsErrors.invalidCombination(
      `Invalid storage type ${type} with Iops ${iops}: IOPS can be provisioned for io1, io2 and gp3 storage only.`,
    );
  }
  checkAutoscaling(engine, storage);
}

function checkGp3(engine: string, size: number, iops?: number, throughput?: number): void {
  const threshold = GP3_THRESHOLD_GIB[engine] ?? 400;
  if (size < threshold) {
    if (iops !== undefined || throughput !== undefined) {
      // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html#gp3-storage
      throw rdsErrors.invalidCombination(
        `You can't specify IOPS or storage throughput for engine ${engine} and a storage size less than ${threshold}. ` +
          `Leave Iops and StorageThroughput out (the volume runs at its baseline of ${GP3_BASELINE.small.iops} IOPS and ` +
          `${GP3_BASELINE.small.throughput} MiB/s) or allocate at least ${threshold} GiB.`,
      );
    }
    return;
  }
  const [minIops, maxIops] = GP3_PROVISIONED.iops;
  if (iops !== undefined && (iops < minIops || iops > maxIops)) {
    throw rdsErrors.invalidValue(
      `Invalid Iops ${iops} for gp3 storage of ${size} GiB (engine ${engine}): use ${minIops} to ${maxIops}.`,
    );
  }
  const [minThroughput, maxThroughput] = GP3_PROVISIONED.throughput;
  if (throughput !== undefined && (throughput < minThroughput || throughput > maxThroughput)) {
    throw rdsErrors.invalidValue(
      `Invalid StorageThroughput ${throughput} MiB/s for gp3 storage of ${size} GiB (engine ${engine}): use ${minThroughput} to ${maxThroughput}.`,
    );
  }
  const effectiveIops = iops ?? GP3_BASELINE.large.iops;
  if (throughput !== undefined && throughput > effectiveIops * GP3_PROVISIONED.throughputPerIops) {
    throw rdsErrors.invalidCombination(
      `StorageThroughput ${throughput} MiB/s is more than ${GP3_PROVISIONED.throughputPerIops} MiB/s per provisioned IOPS ` +
        `(${effectiveIops} IOPS); raise Iops or lower StorageThroughput.`,
    );
  }
}

function checkProvisionedIops(type: string, size: number, iops?: number): void {
  if (iops === undefined) {
    throw rdsErrors.invalidCombination(`The storage type ${type} requires iops to be specified.`);
  }
  const [minRatio, maxRatio] = PROVISIONED_IOPS.ratio;
  if (iops < PROVISIONED_IOPS.min || iops > PROVISIONED_IOPS.max) {
    throw rdsErrors.invalidValue(
      `Invalid Iops ${iops} for ${type} storage: use ${PROVISIONED_IOPS.min} to ${PROVISIONED_IOPS.max}.`,
    );
  }
  if (iops < size * minRatio || iops > size * maxRatio) {
    throw rdsErrors.invalidCombination(
      `Invalid Iops ${iops} for ${size} GiB of ${type} storage: IOPS must be ${minRatio} to ${maxRatio} times the ` +
        `allocated storage (${Math.ceil(size * minRatio)} to ${size * maxRatio}).`,
    );
  }
}

/**
 * Storage autoscaling's limit is at least 10 % above the allocated storage ("Otherwise, you get an error such
 * as Invalid max storage size for engine_name"); equal to it turns autoscaling off.
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.Autoscaling.html
function checkAutoscaling(engine: string, storage: InstanceStorage): void {
  const { maxAllocatedStorage: limit, allocatedStorage: size, storageType: type } = storage;
  if (limit === undefined || limit === size) return;
  const least = Math.ceil((size * 11) / 10);
  const [, max] = ALLOCATED_STORAGE_GIB[type] as readonly [number, number];
  if (limit < least || limit > max) {
    throw rdsErrors.invalidCombination(
      `Invalid max storage size for engine name ${engine}: MaxAllocatedStorage ${limit} must be at least 10 % above ` +
        `AllocatedStorage ${size} (${least} GiB or more) and at most ${max}, or equal to it to turn autoscaling off.`,
    );
  }
}

/**
 * The allocated storage a ModifyDBInstance leaves: never less than now, and an increase of less than 10 % is
 * rounded up to 10 %.
 * @throws AwsError InvalidParameterCombination for a decrease
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html (AllocatedStorage)
export function modifiedAllocatedStorage(current: number, requested: number): number {
  if (requested < current) {
    throw rdsErrors.invalidCombination(
      `Invalid storage size ${requested}: allocated storage can't be decreased (it is ${current} GiB).`,
    );
  }
  if (requested === current) return current;
  return Math.max(requested, Math.ceil((current * 11) / 10));
}

/**
 * The IOPS and throughput DescribeDBInstances shows: the provisioned values, or for gp3 the baseline of its size.
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html#gp3-storage
export function shownPerformance(
  engine: string,
  storage: InstanceStorage,
): { iops?: number; storageThroughput?: number } {
  if (storage.storageType !== 'gp3')
    return { iops: storage.iops, storageThroughput: storage.storageThroughput };
  const baseline =
    storage.allocatedStorage < (GP3_THRESHOLD_GIB[engine] ?? 400) ? GP3_BASELINE.small : GP3_BASELINE.large;
  return {
    iops: storage.iops ?? baseline.iops,
    storageThroughput: storage.storageThroughput ?? baseline.throughput,
  };
}
