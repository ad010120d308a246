import type { OptionGroupRecord, ParameterGroupRecord, RdsState, SubnetGroupRecord } from './state';

/**
 * DB parameter groups, DB cluster parameter groups, option groups and DB subnet groups: the ones the
 * account created (kept in the state) and the default ones RDS provides, which always exist: one parameter
 * group per family (`default.mysql8.0`, `default.aurora-postgresql15`), one option group per engine and
 * major version (`default:mysql-8-0`) and the `default` subnet group of the default VPC.
 */

/** The engines whose groups local mode knows (those it plays), longest first so prefixes parse right. */
const GROUP_ENGINES = ['aurora-postgresql', 'aurora-mysql', 'postgres', 'mariadb', 'mysql'] as const;

export const DEFAULT_SUBNET_GROUP = 'default';
/** The subnets of the local default VPC's subnet group (one per Availability Zone, as in a default VPC). */
const DEFAULT_SUBNETS = ['subnet-local-a', 'subnet-local-b', 'subnet-local-c'];

/**
 * The major version that names parameter group families and option groups: `8.0` for MySQL-family versions
 * (`8.0.39`, `8.0.mysql_aurora.3.07.1`), `15` for PostgreSQL 10 and later, `9.6` before.
 */
export function majorVersion(engine: string, version: string): string {
  const parts = version.split('.');
  if (engine.includes('postgres') && Number(parts[0]) >= 10) return parts[0] ?? version;
  return parts.slice(0, 2).join('.');
}

/** `mysql8.0`, `postgres15`, `aurora-mysql8.0`: the parameter group family of an engine version. */
export function parameterGroupFamily(engine: string, version: string): string {
  return `${engine}${majorVersion(engine, version)}`;
}

export function defaultParameterGroupName(engine: string, version: string): string {
  return `default.${parameterGroupFamily(engine, version)}`;
}

export function defaultOptionGroupName(engine: string, version: string): string {
  return `default:${engine}-${majorVersion(engine, version).replaceAll('.', '-')}`;
}

/** The engine and major version a family names, or undefined for a family local mode does not know. */
export function parseFamily(family: string): { engine: string; major: string } | undefined {
  for (const engine of GROUP_ENGINES) {
    const major = family.startsWith(engine) ? family.slice(engine.length) : undefined;
    if (major !== undefined && /^\d+(\.\d+)?$/.test(major)) return { engine, major };
  }
  return undefined;
}

/** A DB parameter group (or DB cluster parameter group) by name, created or default. */
export function findParameterGroup(
  state: RdsState,
  kind: 'instance' | 'cluster',
  name: string,
): ParameterGroupRecord | undefined {
  const lower = name.toLowerCase();
  const groups = kind === 'instance' ? state.parameterGroups : state.clusterParameterGroups;
  const created = groups.find((group) => group.name === lower);
  if (created) return created;
  const family = lower.startsWith('default.') ? lower.slice('default.'.length) : undefined;
  if (family === undefined || !parseFamily(family)) return undefined;
  return { name: lower, family, description: `Default parameter group for ${family}`, tags: [] };
}

/** An option group by name, created or default (`default:<engine>-<major with dashes>`). */
export function findOptionGroup(state: RdsState, name: string): OptionGroupRecord | undefined {
  const lower = name.toLowerCase();
  const created = state.optionGroups.find((group) => group.name === lower);
  if (created) return created;
  const match = /^default:([a-z-]+?)-(\d+(?:-\d+)?)$/.exec(lower);
  const engine = GROUP_ENGINES.find((known) => known === match?.[1]);
  if (!match?.[2] || engine === undefined) return undefined;
  const majorVersion = match[2].replaceAll('-', '.');
  return {
    name: lower,
    engine,
    majorVersion,
    description: `Default option group for ${engine} ${majorVersion}`,
    tags: [],
  };
}

/** A DB subnet group by name, created or the default VPC's `default`. */
export function findSubnetGroup(state: RdsState, name: string): SubnetGroupRecord | undefined {
  const lower = name.toLowerCase();
  if (lower === DEFAULT_SUBNET_GROUP) {
    return { name: lower, description: 'default', subnetIds: DEFAULT_SUBNETS, tags: [] };
  }
  return state.subnetGroups.find((group) => group.name === lower);
}
