/**
 * The groups RDS gives a new DB instance or cluster that names none: the engine's default DB parameter group
 * `default.<family>` (`default.mysql8.0`, `default.postgres15`), DB cluster parameter group (the same name for
 * Aurora), option group `default:<engine>-<major with dashes>` (`default:mysql-8-0`) and the `default` DB subnet
 * group. RDS authorizes a create or restore against them as against groups the request names.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithParamGroups.Creating.html
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithOptionGroups.html
 */

export interface DefaultGroups {
  readonly parameterGroup: string;
  readonly clusterParameterGroup: string;
  readonly optionGroup: string;
  readonly subnetGroup: string;
}

/** The default subnet group, which RDS uses when a request names none. */
export const DEFAULT_SUBNET_GROUP = 'default';

/** The default groups of an engine version, e.g. `mysql` `8.0.39` → `default.mysql8.0`, `default:mysql-8-0`. */
export function defaultGroups(engine: string, engineVersion: string): DefaultGroups {
  const major = majorVersion(engine, engineVersion);
  const parameterGroup = `default.${engine}${major}`;
  return {
    parameterGroup,
    clusterParameterGroup: parameterGroup,
    optionGroup: `default:${engine}-${major.replaceAll('.', '-')}`,
    subnetGroup: DEFAULT_SUBNET_GROUP,
  };
}

/**
 * The version part of the parameter group family: PostgreSQL's major version from 10 on (`15`), its first two
 * numbers before (`9.6`); the first two numbers for MySQL, MariaDB and Aurora MySQL (`8.0`, `10.11`).
 */
function majorVersion(engine: string, engineVersion: string): string {
  const parts = engineVersion.split('.');
  const first = parts[0] ?? engineVersion;
  if (engine.includes('postgres') && Number(first) >= 10) return first;
  return parts.slice(0, 2).join('.');
}
