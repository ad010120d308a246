import { rdsErrors } from '../errors';

/** Engine versions, and what a restore may change about its source's engine and version. */

/** How each engine's versions are written: a major version alone (RDS picks its default minor) or a full one. */
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBEngineVersions.html
const VERSION_FORMATS: Readonly<Record<string, RegExp>> = {
  mysql: /^\d+\.\d+(\.\d+)?$/,
  mariadb: /^\d+\.\d+(\.\d+)?$/,
  postgres: /^\d+(\.\d+){0,2}$/,
  'aurora-mysql': /^\d+\.\d+(\.mysql_aurora\.\d+\.\d+\.\d+)?$/,
  'aurora-postgresql': /^\d+(\.\d+){0,2}$/,
};

/**
 * @throws AwsError InvalidParameterCombination for a version the engine does not have
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html (EngineVersion)
export function checkEngineVersion(engine: string, version: string): void {
  const format = VERSION_FORMATS[engine];
  if (format && !format.test(version)) {
    throw rdsErrors.invalidCombination(
      `Cannot find version ${version} for ${engine}. Give a version DescribeDBEngineVersions lists, e.g. ` +
        `${engine === 'aurora-mysql' ? '8.0.mysql_aurora.3.07.1' : engine.includes('postgres') ? '15.8' : '8.0.39'}.`,
    );
  }
}

/** Versions compared part by part, numbers as numbers (`8.0.mysql_aurora.3.10.0` > `8.0.mysql_aurora.3.9.1`). */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.');
  const right = b.split('.');
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const x = left[index] ?? '0';
    const y = right[index] ?? '0';
    const difference =
      /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/**
 * A restore may not go back to an older version than its snapshot's.
 * @throws AwsError InvalidParameterCombination
 */
// EngineVersion "Must be compatible with the engine of the source"; RDS restores a snapshot to its own
// version or upgrades it. https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html
export function checkRestoreVersion(engine: string, requested: string, snapshotVersion: string): void {
  checkEngineVersion(engine, requested);
  if (compareVersions(requested, snapshotVersion) < 0) {
    throw rdsErrors.invalidCombination(
      `Cannot restore a ${engine} ${snapshotVersion} snapshot to the older version ${requested}. Give ${snapshotVersion} or a later version.`,
    );
  }
}

/**
 * A restore's Engine, when given, must be its source's: local mode converts no engine.
 * @throws AwsError InvalidParameterCombination
 */
// Engine: "Default: The same as source. Constraint: Must be compatible with the engine of the source."
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceFromDBSnapshot.html
export function checkRestoreEngine(requested: string | undefined, source: string): void {
  if (requested !== undefined && requested !== source) {
    throw rdsErrors.invalidCombination(
      `The engine ${requested} is not the engine ${source} of the restore's source. Leave Engine out or give ${source}.`,
    );
  }
}
