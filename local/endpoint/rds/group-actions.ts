import { type QueryInput, type XmlStructure, type XmlValue, xmlList } from '../query-protocol';
import type { RdsContext } from './context';
import { rdsErrors } from './errors';
import {
  DEFAULT_SUBNET_GROUP,
  defaultOptionGroupName,
  defaultParameterGroupName,
  findOptionGroup,
  findParameterGroup,
  findSubnetGroup,
  parseFamily,
} from './groups';
import { type ArnScope, checkIdentifier, rdsArn } from './identifiers';
import { ENGINE_VERSIONS, tagsOf } from './settings';
import type { OptionGroupRecord, ParameterGroupRecord, SubnetGroupRecord } from './state';

/**
 * DB parameter groups, DB cluster parameter groups, option groups and DB subnet groups: created so that
 * instances and clusters can name them, described back. Default groups always exist (see groups.ts). Groups
 * hold no parameters or options locally: only their name, family (or engine) and description matter.
 */

type ParameterGroupKind = 'instance' | 'cluster';

const PARAMETER_GROUPS = {
  instance: {
    parameter: 'DBParameterGroupName',
    element: 'DBParameterGroup',
    arnType: 'pg',
    records: (context: RdsContext) => context.account.state.parameterGroups,
  },
  cluster: {
    parameter: 'DBClusterParameterGroupName',
    element: 'DBClusterParameterGroup',
    arnType: 'cluster-pg',
    records: (context: RdsContext) => context.account.state.clusterParameterGroups,
  },
} as const;

export async function createDBParameterGroup(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  return createParameterGroup(context, input, 'instance');
}

export async function createDBClusterParameterGroup(
  context: RdsContext,
  input: QueryInput,
): Promise<XmlValue> {
  return createParameterGroup(context, input, 'cluster');
}

/**
 * A new parameter group of a family local mode knows.
 * @throws AwsError InvalidParameterValue for a malformed name or an unknown family, DBParameterGroupAlreadyExists
 */
// DBParameterGroupName: "Must be 1 to 255 letters, numbers, or hyphens. First character must be a letter. Can't
// end with a hyphen or contain two consecutive hyphens." Stored in lower case.
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html
async function createParameterGroup(
  context: RdsContext,
  input: QueryInput,
  kind: ParameterGroupKind,
): Promise<XmlValue> {
  const type = PARAMETER_GROUPS[kind];
  const name = input.requiredString(type.parameter).toLowerCase();
  checkIdentifier(type.parameter, name, 255);
  const family = input.requiredString('DBParameterGroupFamily');
  if (!parseFamily(family)) {
    throw rdsErrors.invalidValue(
      `The parameter DBParameterGroupFamily is not a valid family: ${family}. Local mode knows the families of ` +
        'mysql, mariadb, postgres, aurora-mysql and aurora-postgresql, e.g. mysql8.0, postgres16, aurora-mysql8.0.',
    );
  }
  const description = input.requiredString('Description');
  if (findParameterGroup(context.account.state, kind, name)) throw rdsErrors.parameterGroupExists(name);
  const group: ParameterGroupRecord = { name, family, description, tags: tagsOf(input) };
  type.records(context).push(group);
  await context.account.save();
  return { [type.element]: renderParameterGroup(group, kind, context.scope) };
}

export async function describeDBParameterGroups(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  return describeParameterGroups(context, input, 'instance');
}

export async function describeDBClusterParameterGroups(
  context: RdsContext,
  input: QueryInput,
): Promise<XmlValue> {
  return describeParameterGroups(context, input, 'cluster');
}

/** The group the request names, or every group created and the default ones of local mode's default versions. */
function describeParameterGroups(context: RdsContext, input: QueryInput, kind: ParameterGroupKind): XmlValue {
  const type = PARAMETER_GROUPS[kind];
  const { state } = context.account;
  const name = input.string(type.parameter);
  let groups: ParameterGroupRecord[];
  if (name !== undefined) {
    const group = findParameterGroup(state, kind, name);
    if (!group) {
      throw kind === 'instance'
        ? rdsErrors.parameterGroupNotFound(name)
        : rdsErrors.clusterParameterGroupNotFound(name);
    }
    groups = [group];
  } else {
    const defaults = defaultEngineVersions()
      .filter(([engine]) => (kind === 'cluster') === engine.startsWith('aurora'))
      .map(([engine, version]) =>
        findParameterGroup(state, kind, defaultParameterGroupName(engine, version)),
      );
    groups = [...defaults.filter((group) => group !== undefined), ...type.records(context)];
  }
  return {
    [`${type.element}s`]: xmlList(
      type.element,
      groups.map((group) => renderParameterGroup(group, kind, context.scope)),
    ),
  };
}

function renderParameterGroup(
  group: ParameterGroupRecord,
  kind: ParameterGroupKind,
  scope: ArnScope,
): XmlStructure {
  const type = PARAMETER_GROUPS[kind];
  return {
    [type.parameter]: group.name,
    DBParameterGroupFamily: group.family,
    Description: group.description,
    [`${type.element}Arn`]: rdsArn(scope, type.arnType, group.name),
  };
}

/**
 * A new option group for an engine and major version local mode plays.
 * @throws AwsError InvalidParameterValue for a malformed name or an engine without option groups, OptionGroupAlreadyExistsFault
 */
// OptionGroupName: "Must be 1 to 255 letters, numbers, or hyphens ..."; EngineName: no Aurora engine.
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateOptionGroup.html
export async function createOptionGroup(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const name = input.requiredString('OptionGroupName').toLowerCase();
  checkIdentifier('OptionGroupName', name, 255);
  const engine = input.requiredString('EngineName');
  if (!['mysql', 'mariadb', 'postgres'].includes(engine)) {
    throw rdsErrors.invalidValue(
      `Invalid EngineName ${engine} for an option group: local mode plays mysql, mariadb and postgres (Aurora has no option groups).`,
    );
  }
  const majorVersion = input.requiredString('MajorEngineVersion');
  if (!parseFamily(`${engine}${majorVersion}`)) {
    throw rdsErrors.invalidValue(
      `Invalid MajorEngineVersion ${majorVersion} for ${engine}: give a major version such as 8.0 or 16.`,
    );
  }
  const description = input.requiredString('OptionGroupDescription');
  if (findOptionGroup(context.account.state, name)) throw rdsErrors.optionGroupExists(name);
  const group: OptionGroupRecord = { name, engine, majorVersion, description, tags: tagsOf(input) };
  context.account.state.optionGroups.push(group);
  await context.account.save();
  return { OptionGroup: renderOptionGroup(group, context.scope) };
}

/** The option group the request names, or every one created and the defaults of local mode's default versions. */
export async function describeOptionGroups(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { state } = context.account;
  const groups = namedOrAll(
    input.string('OptionGroupName'),
    (name) => findOptionGroup(state, name),
    rdsErrors.optionGroupNotFound,
    () => [
      ...defaultEngineVersions()
        .filter(([engine]) => !engine.startsWith('aurora'))
        .flatMap(
          ([engine, version]) => findOptionGroup(state, defaultOptionGroupName(engine, version)) ?? [],
        ),
      ...state.optionGroups,
    ],
  );
  const engine = input.string('EngineName');
  const major = input.string('MajorEngineVersion');
  return {
    OptionGroupsList: xmlList(
      'OptionGroup',
      groups
        .filter((group) => engine === undefined || group.engine === engine)
        .filter((group) => major === undefined || group.majorVersion === major)
        .map((group) => renderOptionGroup(group, context.scope)),
    ),
  };
}

function renderOptionGroup(group: OptionGroupRecord, scope: ArnScope): XmlStructure {
  return {
    OptionGroupName: group.name,
    OptionGroupDescription: group.description,
    EngineName: group.engine,
    MajorEngineVersion: group.majorVersion,
    Options: xmlList('Option', []),
    AllowsVpcAndNonVpcInstanceMemberships: true,
    OptionGroupArn: rdsArn(scope, 'og', group.name),
  };
}

/**
 * A new DB subnet group over at least two subnets (a subnet group spans two Availability Zones or more).
 * @throws AwsError InvalidParameterValue for a malformed or reserved name, DBSubnetGroupDoesNotCoverEnoughAZs,
 * DBSubnetGroupAlreadyExists
 */
// DBSubnetGroupName: "Must contain no more than 255 letters, numbers, periods, underscores, spaces, or hyphens.
// Must not be default. First character must be a letter."
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html
export async function createDBSubnetGroup(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const name = input.requiredString('DBSubnetGroupName').toLowerCase();
  if (!/^[a-z][a-z0-9._ -]{0,254}$/.test(name) || name === DEFAULT_SUBNET_GROUP) {
    throw rdsErrors.invalidValue(
      `The parameter DBSubnetGroupName is not valid: "${name}". Use up to 255 letters, digits, periods, ` +
        'underscores, spaces or hyphens, starting with a letter, other than "default".',
    );
  }
  const description = input.requiredString('DBSubnetGroupDescription');
  const subnetIds = [...new Set(input.strings('SubnetIds') ?? [])];
  // "Each DB subnet group should have subnets in at least two Availability Zones in a given AWS Region."
  // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html#USER_VPC.Subnets
  if (subnetIds.length < 2) {
    throw rdsErrors.subnetGroupTooSmall(
      "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Give SubnetIds in at least two AZs.",
    );
  }
  if (findSubnetGroup(context.account.state, name)) throw rdsErrors.subnetGroupExists(name);
  const group: SubnetGroupRecord = { name, description, subnetIds, tags: tagsOf(input) };
  context.account.state.subnetGroups.push(group);
  await context.account.save();
  return { DBSubnetGroup: renderSubnetGroup(group, context.scope) };
}

/** The subnet group the request names, or `default` and every one created. */
export async function describeDBSubnetGroups(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const { state } = context.account;
  const groups = namedOrAll(
    input.string('DBSubnetGroupName'),
    (name) => findSubnetGroup(state, name),
    rdsErrors.subnetGroupNotFound,
    () =>
      [findSubnetGroup(state, DEFAULT_SUBNET_GROUP), ...state.subnetGroups].filter(
        (group): group is SubnetGroupRecord => group !== undefined,
      ),
  );
  return {
    DBSubnetGroups: xmlList(
      'DBSubnetGroup',
      groups.map((group) => renderSubnetGroup(group, context.scope)),
    ),
  };
}

function renderSubnetGroup(group: SubnetGroupRecord, scope: ArnScope): XmlStructure {
  const zones = ['a', 'b', 'c'];
  return {
    DBSubnetGroupName: group.name,
    DBSubnetGroupDescription: group.description,
    VpcId: 'vpc-local',
    SubnetGroupStatus: 'Complete',
    Subnets: xmlList(
      'Subnet',
      group.subnetIds.map((id, index) => ({
        SubnetIdentifier: id,
        SubnetAvailabilityZone: { Name: `${scope.region}${zones[index % zones.length]}` },
        SubnetStatus: 'Active',
      })),
    ),
    DBSubnetGroupArn: rdsArn(scope, 'subgrp', group.name),
  };
}

/** The group `name` names (or `notFound`), or with no name `all()`: what every Describe action answers. */
function namedOrAll<G>(
  name: string | undefined,
  find: (name: string) => G | undefined,
  notFound: (name: string) => Error,
  all: () => G[],
): G[] {
  if (name === undefined) return all();
  const group = find(name);
  if (!group) throw notFound(name);
  return [group];
}

/** The engines local mode plays with their default versions, whose default groups Describe lists. */
function defaultEngineVersions(): [string, string][] {
  return Object.entries(ENGINE_VERSIONS);
}
