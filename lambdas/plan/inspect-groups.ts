import {
  DescribeDBClusterParameterGroupsCommand,
  DescribeDBParameterGroupsCommand,
  DescribeOptionGroupsCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { GuardError } from '../shared/errors';
import type { RefreshFile } from '../shared/refresh-model';
import type { SourceFacts } from './inspect-source';

/** The engine and engine version the restored copy will run. */
export interface RestoredEngine {
  /** As RDS names it: mysql, mariadb, postgres, oracle-ee, aurora-mysql, ... */
  readonly engine: string;
  readonly version: string;
}

/**
 * The engine version the copy will have. Only RestoreDBClusterFromSnapshot takes an EngineVersion, and
 * without one it uses "the default version for the database engine in the AWS Region", not the
 * snapshot's (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html),
 * so the restore passes the file's version or the snapshot's. The other restores keep their source's
 * version (RestoreDBInstanceFromDBSnapshot, RestoreDBInstanceToPointInTime and RestoreDBClusterToPointInTime
 * have no EngineVersion), so a file that asks for another version there is refused rather than ignored.
 * @throws GuardError when target.engineVersion cannot be honoured
 */
export function restoredEngine(file: RefreshFile, source: SourceFacts): RestoredEngine {
  const wanted = file.service === 'aurora' ? file.target.engineVersion : undefined;
  if (wanted === undefined || wanted === source.engineVersion) {
    return { engine: source.engine, version: source.engineVersion };
  }
  if (file.restore.type !== 'fromsnapshot') {
    throw new GuardError(
      `target.engineVersion is ${wanted}, but a ${file.restore.type} restore keeps the source's engine version ${source.engineVersion}; remove target.engineVersion, or restore a snapshot (restore.type "fromsnapshot") to upgrade it`,
    );
  }
  if (compareVersions(wanted, source.engineVersion) < 0) {
    throw new GuardError(
      `target.engineVersion is ${wanted}, older than the snapshot's ${source.engineVersion}, and RDS restores a snapshot to its own version or a later one; remove target.engineVersion or give ${source.engineVersion} or later`,
    );
  }
  return { engine: source.engine, version: wanted };
}

/**
 * Checks that the parameter and option groups the copy will get exist and fit the engine version it will
 * run. "A DB parameter group can be associated with one and only one DB parameter group family, and can be
 * applied only to a DB instance running a database engine and engine version compatible with that DB
 * parameter group family" (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html,
 * likewise https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBClusterParameterGroup.html),
 * and an option group is made for one engine (EngineName) and major version (MajorEngineVersion)
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateOptionGroup.html). A group carried
 * over from a target that runs an older version than the source would otherwise fail the restore.
 * @param file the refresh file with the live target's settings resolved
 * @param fromFile the refresh file as given, to tell the file's groups from carried-over ones
 * @throws GuardError naming the group, its family and the one the copy needs
 */
export async function checkGroups(
  rds: RDSClient,
  file: RefreshFile,
  fromFile: RefreshFile,
  restored: RestoredEngine,
): Promise<void> {
  if (restored.version === UNKNOWN) return;
  const family = parameterGroupFamily(restored);
  const given = fromFile.target as Partial<Record<GroupField, string>>;
  const label = (field: GroupField) =>
    given[field] !== undefined
      ? `target.${field}`
      : `The live target's ${field === 'optionGroup' ? 'option group' : 'parameter group'} (target.${field})`;
  const expectations: [string | undefined, GroupField, GroupKind][] =
    file.service === 'rds'
      ? [[file.target.parameterGroup, 'parameterGroup', 'instance']]
      : [
          [file.target.clusterParameterGroup, 'clusterParameterGroup', 'cluster'],
          [file.target.parameterGroup, 'parameterGroup', 'instance'],
        ];
  for (const [name, field, kind] of expectations) {
    if (name === undefined) continue;
    const actual = await parameterGroupFamilyOf(rds, kind, name);
    if (actual === undefined) {
      throw new GuardError(
        `${label(field)} is "${name}", which does not exist in this account and region; create it with family ${family}, or name an existing ${KIND_NAMES[kind]} of that family`,
      );
    }
    if (actual !== family) {
      throw new GuardError(
        `${label(field)} is "${name}", a ${KIND_NAMES[kind]} of family ${actual}, but the copy will run ${restored.engine} ${restored.version} (family ${family}), and RDS applies a group only to its own family; set target.${field} to a group of family ${family} (for example "default.${family}")`,
      );
    }
  }
  if (file.service === 'rds' && file.target.optionGroup !== undefined) {
    await checkOptionGroup(rds, file.target.optionGroup, restored, label('optionGroup'));
  }
}

type GroupKind = 'instance' | 'cluster';
type GroupField = 'parameterGroup' | 'clusterParameterGroup' | 'optionGroup';

/** What SourceFacts holds when RDS did not report the engine version: no family can be told. */
const UNKNOWN = 'unknown';

const KIND_NAMES: Record<GroupKind, string> = {
  instance: 'DB parameter group',
  cluster: 'DB cluster parameter group',
};

/**
 * The parameter group family of an engine version, as RDS names it: mysql8.0, mariadb10.11, postgres16
 * (postgres9.6 before 10), oracle-ee-19 (oracle-ee-12.2 before 18), aurora-mysql8.0, aurora-postgresql16.
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeEngineDefaultParameters.html
 * (DBParameterGroupFamily, valid values)
 */
export function parameterGroupFamily(restored: RestoredEngine): string {
  const major = majorVersion(restored);
  if (restored.engine.startsWith('oracle')) return `${restored.engine}-${major}`;
  return `${restored.engine}${major}`;
}

/** The major version that names families and option groups: 8.0 for MySQL-like versions, 16 for PostgreSQL 16, 19 for Oracle 19c. */
function majorVersion({ engine, version }: RestoredEngine): string {
  const parts = version.split('.');
  const first = Number(parts[0]);
  const singleNumber =
    (engine.startsWith('oracle') && first >= 18) || (engine.includes('postgres') && first >= 10);
  return singleNumber ? (parts[0] ?? version) : parts.slice(0, 2).join('.');
}

/** `default.<family>` always exists and is of that family; the others are read from RDS. */
async function parameterGroupFamilyOf(
  rds: RDSClient,
  kind: GroupKind,
  name: string,
): Promise<string | undefined> {
  if (name.toLowerCase().startsWith('default.')) return name.slice('default.'.length).toLowerCase();
  try {
    if (kind === 'instance') {
      const out = await rds.send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: name }));
      return out.DBParameterGroups?.[0]?.DBParameterGroupFamily;
    }
    const out = await rds.send(
      new DescribeDBClusterParameterGroupsCommand({ DBClusterParameterGroupName: name }),
    );
    return out.DBClusterParameterGroups?.[0]?.DBParameterGroupFamily;
  } catch (error: unknown) {
    if (isNamed(error, 'DBParameterGroupNotFoundFault', 'DBClusterParameterGroupNotFoundFault')) {
      return undefined;
    }
    throw error;
  }
}

async function checkOptionGroup(
  rds: RDSClient,
  name: string,
  restored: RestoredEngine,
  label: string,
): Promise<void> {
  const major = majorVersion(restored);
  let group: { EngineName?: string; MajorEngineVersion?: string } | undefined;
  try {
    const out = await rds.send(new DescribeOptionGroupsCommand({ OptionGroupName: name }));
    group = out.OptionGroupsList?.[0];
  } catch (error: unknown) {
    if (!isNamed(error, 'OptionGroupNotFoundFault')) throw error;
  }
  if (!group) {
    throw new GuardError(
      `${label} is "${name}", which does not exist in this account and region; create it for ${restored.engine} ${major}, or remove target.optionGroup to use the default option group`,
    );
  }
  if (group.EngineName !== restored.engine || group.MajorEngineVersion !== major) {
    throw new GuardError(
      `${label} is "${name}", an option group for ${group.EngineName} ${group.MajorEngineVersion}, but the copy will run ${restored.engine} ${restored.version}; set target.optionGroup to an option group for ${restored.engine} ${major}, or remove it to use the default option group`,
    );
  }
}

/**
 * -1, 0 or 1 as version `a` is older than, the same as or newer than `b`, part by part, numbers as
 * numbers (8.0.mysql_aurora.3.10.0 is newer than 8.0.mysql_aurora.3.9.1).
 */
function compareVersions(a: string, b: string): number {
  const left = a.split('.');
  const right = b.split('.');
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const x = left[index] ?? '0';
    const y = right[index] ?? '0';
    const numeric = /^\d+$/.test(x) && /^\d+$/.test(y);
    const order = numeric ? Math.sign(Number(x) - Number(y)) : x.localeCompare(y);
    if (order !== 0) return order;
  }
  return 0;
}

function isNamed(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}
