import { GuardError } from '../shared/errors';
import { logger } from '../shared/handler';
import type { Engine, RdsRefreshFile } from '../shared/refresh-model';

type Target = RdsRefreshFile['target'];

/** What the storage rules need to know of the copy a restore creates. */
export interface CopyStorageFacts {
  readonly engine: Engine;
  /**
   * The copy's allocated storage in GiB: the source's (or its snapshot's), since dbrefresh does not set
   * AllocatedStorage on the restore; undefined when RDS did not report it.
   */
  readonly allocatedStorageGiB?: number;
}

/**
 * gp3 volumes below the engine's threshold run at a baseline of 3,000 IOPS and 125 MiB/s and take neither
 * IOPS nor throughput; from the threshold on (400 GiB for MariaDB, MySQL and PostgreSQL, 200 GiB for
 * Oracle) IOPS may be provisioned from 12,000 to 64,000 and throughput from 500 to 4,000 MiB/s, at most
 * 0.25 MiB/s per IOPS. DescribeDBInstances reports the baseline of a small volume as its Iops and
 * StorageThroughput, which a restore must then not pass on.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html#gp3-storage
 */
const GP3 = {
  thresholdGiB: (engine: Engine) => (engine === 'oracle' ? 200 : 400),
  iops: [12000, 64000],
  throughput: [500, 4000],
  throughputPerIops: 0.25,
  baselineIops: 12000,
} as const;

/**
 * io1 and io2 need IOPS of at least 1,000, "a multiple between .5 and 50 of the storage amount for the DB
 * instance", and at least 100 GiB of storage.
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html (Iops, AllocatedStorage)
 */
const PROVISIONED_IOPS = { min: 1000, max: 256000, ratio: [0.5, 50], minStorageGiB: 100 } as const;

/**
 * The target's IOPS, throughput and storage type as the restore may pass them for the copy. The rules of
 * RDS depend on the copy's size, which is the source's, not the target's: a value carried over from the
 * live target that RDS would refuse for the copy is left out (gp3: the copy runs at its baseline) or
 * brought into the accepted range (io1/io2, which must have IOPS); a value the refresh file sets is kept,
 * or refused here with the fix when RDS would refuse it.
 * @param settings the target settings, the file's over the live target's
 * @param fromFile the refresh file's own target settings, to tell them from carried-over ones
 * @throws GuardError when the file's values, or the storage type, cannot be restored for this copy
 */
export function copyStorage(settings: Target, fromFile: Target, copy: CopyStorageFacts): Target {
  const size = copy.allocatedStorageGiB;
  const type = settings.storageType;
  const performance =
    type === 'gp3'
      ? gp3Storage(settings, fromFile, copy.engine, size)
      : (type === 'io1' || type === 'io2') && size !== undefined
        ? provisionedIops(settings, fromFile, type, size)
        : settings;
  return size === undefined ? performance : autoscaling(performance, fromFile, size);
}

/**
 * Storage autoscaling's maximum threshold must be "at least 10% greater than the current allocated
 * storage" (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.Autoscaling.html): the
 * target's limit may be too low for a copy of a larger source, and is then left out (autoscaling stays off).
 */
function autoscaling(settings: Target, fromFile: Target, size: number): Target {
  const limit = settings.maxAllocatedStorageGiB;
  const minimum = Math.ceil((size * 11) / 10);
  if (limit === undefined || limit >= minimum) return settings;
  if (fromFile.maxAllocatedStorageGiB !== undefined) {
    throw new GuardError(
      `target.maxAllocatedStorageGiB is ${limit}, but the copy gets the source's ${size} GiB and RDS needs a limit at least 10% above it; set target.maxAllocatedStorageGiB to ${minimum} or more, or remove it`,
    );
  }
  logger.info("Not carrying the target's storage autoscaling limit over: the copy starts above it", {
    maxAllocatedStorageGiB: limit,
    allocatedStorageGiB: size,
  });
  return { ...settings, maxAllocatedStorageGiB: undefined };
}

function gp3Storage(settings: Target, fromFile: Target, engine: Engine, size: number | undefined): Target {
  const threshold = GP3.thresholdGiB(engine);
  const small = size === undefined || size < threshold;
  const [minIops, maxIops] = GP3.iops;
  const [minThroughput, maxThroughput] = GP3.throughput;
  const iops = small ? undefined : within(settings.iops, minIops, maxIops);
  const limit = (iops ?? GP3.baselineIops) * GP3.throughputPerIops;
  const throughput = small ? undefined : within(settings.storageThroughput, minThroughput, maxThroughput);
  const accepted = {
    iops,
    storageThroughput: throughput !== undefined && throughput <= limit ? throughput : undefined,
  };
  const where =
    size === undefined
      ? 'the size of the copy is unknown'
      : `the copy gets the source's ${size} GiB of gp3 storage`;
  const rule = small
    ? `RDS for ${engine} takes gp3 IOPS and throughput only from ${threshold} GiB on (below, the volume runs at its baseline of 3,000 IOPS and 125 MiB/s)`
    : `RDS takes ${minIops}-${maxIops} gp3 IOPS and ${minThroughput}-${maxThroughput} MiB/s, at most ${GP3.throughputPerIops} MiB/s per IOPS`;
  for (const field of ['iops', 'storageThroughput'] as const) {
    if (fromFile[field] !== undefined && accepted[field] !== fromFile[field]) {
      throw new GuardError(
        `target.${field} is ${fromFile[field]}, but ${where} and ${rule}; remove target.${field}, or change it to a value RDS accepts for the copy`,
      );
    }
    if (settings[field] !== undefined && accepted[field] === undefined) {
      logger.info(`Not carrying the target's gp3 ${field} over: ${where} and ${rule}`, {
        [field]: settings[field],
      });
    }
  }
  return { ...settings, ...accepted };
}

function provisionedIops(settings: Target, fromFile: Target, type: 'io1' | 'io2', size: number): Target {
  if (size < PROVISIONED_IOPS.minStorageGiB) {
    throw new GuardError(
      `target.storageType is ${type}${fromFile.storageType ? '' : " (the live target's)"}, but the copy gets the source's ${size} GiB of storage and RDS needs at least ${PROVISIONED_IOPS.minStorageGiB} GiB for ${type}; set target.storageType to "gp3" or "gp2"`,
    );
  }
  const [minRatio, maxRatio] = PROVISIONED_IOPS.ratio;
  const min = Math.max(PROVISIONED_IOPS.min, Math.ceil(size * minRatio));
  const max = Math.min(PROVISIONED_IOPS.max, Math.floor(size * maxRatio));
  const iops = settings.iops;
  if (iops === undefined || (iops >= min && iops <= max)) return settings;
  if (fromFile.iops !== undefined) {
    throw new GuardError(
      `target.iops is ${iops}, but the copy gets the source's ${size} GiB of ${type} storage, for which RDS takes ${min} to ${max} IOPS (${minRatio} to ${maxRatio} per GiB); set target.iops within that range`,
    );
  }
  const adjusted = Math.min(Math.max(iops, min), max);
  logger.info(`Adjusting the target's ${type} IOPS to the copy's ${size} GiB`, { iops, adjusted });
  return { ...settings, iops: adjusted };
}

function within(value: number | undefined, min: number, max: number): number | undefined {
  return value !== undefined && value >= min && value <= max ? value : undefined;
}
