import { engineAndVersion } from '../../endpoint/rds/settings';
import type { LocalRequest } from '../../endpoint/service';
import type { AccessRequest, RequestContext } from '../access';
import type { KeyResolver } from './customer-keys';
import { DEFAULT_SUBNET_GROUP, defaultGroups } from './rds-default-groups';
import { type RdsArnType, RdsRequest, type RdsResource, type RdsResources } from './rds-resources';
import { queryRequest, unknownOperation } from './requests';
import { type AccessSpec, describedAccesses } from './service-authorization';
import { tagKeysKey } from './tags';

/**
 * What IAM authorizes for each action of the local RDS, as the Service Authorization Reference lists it
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html): the resource the
 * action is on, and every other resource it names or uses. A restore or create is authorized against the new
 * instance or cluster, its source (instance, cluster or snapshot, possibly another account's), and each group
 * the request names or, naming none, the default RDS gives it; tags on create, an Enhanced Monitoring role and
 * a customer managed key are authorized as their own actions.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/security_iam_service-with-iam.html
 */

export interface RdsAccessOptions {
  /** Resolves key ids and aliases (the local KMS). @default - key ARNs and ids stand for themselves */
  readonly keys?: KeyResolver;
}

/**
 * The accesses an RDS request asks IAM for.
 * @throws AwsError for a request RDS refuses before authorizing it (no Action, an action the local RDS does not
 *   have, a malformed identifier or ARN, a key that does not exist)
 */
export async function rdsAccessRequests(
  request: LocalRequest,
  resources: RdsResources,
  options: RdsAccessOptions = {},
): Promise<AccessRequest[]> {
  const { action, input } = queryRequest(request);
  const describe = Object.hasOwn(RDS_ACTIONS, action) ? RDS_ACTIONS[action] : undefined;
  if (!describe) throw unknownOperation('rds', action, 'InvalidAction');
  return describedAccesses(describe(new RdsRequest(request, input, resources, options.keys)));
}

type Describe = (r: RdsRequest) => AccessSpec[];

/** Every action of the local RDS (local/endpoint/rds/rds-service.ts), by name. */
export const RDS_ACTIONS: Readonly<Record<string, Describe>> = {
  DescribeDBInstances: (r) => [r.access('DescribeDBInstances', namedOrAll(r, 'DBInstanceIdentifier', 'db'))],
  DescribeDBClusters: (r) => [
    r.access('DescribeDBClusters', namedOrAll(r, 'DBClusterIdentifier', 'cluster')),
  ],
  DescribeDBSnapshots: (r) => [
    r.access(
      'DescribeDBSnapshots',
      firstNamed(r, ['DBSnapshotIdentifier', 'snapshot'], ['DBInstanceIdentifier', 'db']),
    ),
  ],
  DescribeDBClusterSnapshots: (r) => [
    r.access(
      'DescribeDBClusterSnapshots',
      firstNamed(r, ['DBClusterSnapshotIdentifier', 'cluster-snapshot'], ['DBClusterIdentifier', 'cluster']),
    ),
  ],
  DescribeDBInstanceAutomatedBackups: describeAutomatedBackups,
  ListTagsForResource: (r) => [r.access('ListTagsForResource', r.byArn('ResourceName'))],
  CreateDBParameterGroup: (r) => createGroup(r, 'CreateDBParameterGroup', 'DBParameterGroupName', 'pg'),
  DescribeDBParameterGroups: (r) => [
    r.access('DescribeDBParameterGroups', namedGroupOrAll(r, 'DBParameterGroupName', 'pg')),
  ],
  CreateDBClusterParameterGroup: (r) =>
    createGroup(r, 'CreateDBClusterParameterGroup', 'DBClusterParameterGroupName', 'cluster-pg'),
  DescribeDBClusterParameterGroups: (r) => [
    r.access(
      'DescribeDBClusterParameterGroups',
      namedGroupOrAll(r, 'DBClusterParameterGroupName', 'cluster-pg'),
    ),
  ],
  CreateOptionGroup: (r) => createGroup(r, 'CreateOptionGroup', 'OptionGroupName', 'og'),
  DescribeOptionGroups: (r) => [
    r.access('DescribeOptionGroups', namedGroupOrAll(r, 'OptionGroupName', 'og')),
  ],
  CreateDBSubnetGroup: (r) => createGroup(r, 'CreateDBSubnetGroup', 'DBSubnetGroupName', 'subgrp'),
  DescribeDBSubnetGroups: (r) => [
    r.access('DescribeDBSubnetGroups', namedGroupOrAll(r, 'DBSubnetGroupName', 'subgrp')),
  ],
  AddTagsToResource: (r) => [
    r.access('AddTagsToResource', r.byArn('ResourceName'), { 'rds:TagsFromRequest': true }),
  ],
  RemoveTagsFromResource: (r) => [
    r.access('RemoveTagsFromResource', r.byArn('ResourceName'), tagKeysKey(r.input.strings('TagKeys') ?? [])),
  ],
  CreateDBInstance: createDBInstance,
  CreateDBInstanceReadReplica: createDBInstanceReadReplica,
  RestoreDBInstanceToPointInTime: restoreDBInstanceToPointInTime,
  RestoreDBInstanceFromDBSnapshot: restoreDBInstanceFromDBSnapshot,
  ModifyDBInstance: (r) => [
    r.access('ModifyDBInstance', r.existing('DBInstanceIdentifier', 'db')),
    ...namedGroups(r, 'ModifyDBInstance', {
      pg: r.named('DBParameterGroupName'),
      og: r.named('OptionGroupName'),
      subgrp: r.named('DBSubnetGroupName'),
    }),
    ...r.passMonitoringRole(),
  ],
  DeleteDBInstance: (r) => {
    const db = r.existing('DBInstanceIdentifier', 'db');
    return [
      r.access('DeleteDBInstance', db),
      ...finalSnapshot(r, db, 'FinalDBSnapshotIdentifier', 'DeleteDBInstance'),
    ];
  },
  StopDBInstance: (r) => {
    const db = r.existing('DBInstanceIdentifier', 'db');
    return [
      r.access('StopDBInstance', db),
      ...finalSnapshot(r, db, 'DBSnapshotIdentifier', 'StopDBInstance'),
    ];
  },
  StartDBInstance: (r) => [r.access('StartDBInstance', r.existing('DBInstanceIdentifier', 'db'))],
  CreateDBCluster: createDBCluster,
  RestoreDBClusterToPointInTime: restoreDBClusterToPointInTime,
  RestoreDBClusterFromSnapshot: restoreDBClusterFromSnapshot,
  ModifyDBCluster: (r) => [
    r.access('ModifyDBCluster', r.existing('DBClusterIdentifier', 'cluster')),
    ...namedGroups(r, 'ModifyDBCluster', {
      'cluster-pg': r.named('DBClusterParameterGroupName'),
      pg: r.named('DBInstanceParameterGroupName'),
      og: r.named('OptionGroupName'),
    }),
    ...r.passMonitoringRole(),
  ],
  DeleteDBCluster: (r) => {
    const cluster = r.existing('DBClusterIdentifier', 'cluster');
    return [r.access('DeleteDBCluster', cluster), ...finalClusterSnapshot(r, cluster)];
  },
  StopDBCluster: (r) => [r.access('StopDBCluster', r.existing('DBClusterIdentifier', 'cluster'))],
  StartDBCluster: (r) => [r.access('StartDBCluster', r.existing('DBClusterIdentifier', 'cluster'))],
  CreateDBSnapshot: (r) => manualSnapshot(r, 'CreateDBSnapshot', ['DBInstanceIdentifier', 'db'], 'snapshot'),
  CreateDBClusterSnapshot: (r) =>
    manualSnapshot(r, 'CreateDBClusterSnapshot', ['DBClusterIdentifier', 'cluster'], 'cluster-snapshot'),
  DeleteDBSnapshot: (r) => [r.access('DeleteDBSnapshot', r.existing('DBSnapshotIdentifier', 'snapshot'))],
  DeleteDBClusterSnapshot: (r) => [
    r.access('DeleteDBClusterSnapshot', r.existing('DBClusterSnapshotIdentifier', 'cluster-snapshot')),
  ],
};

/**
 * A new parameter, option or subnet group: authorized on itself, with the request's tags (and tagging on create).
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
 */
function createGroup(r: RdsRequest, action: string, parameter: string, type: GroupType): AccessSpec[] {
  const group = r.group(type, r.input.requiredString(parameter));
  return [r.access(action, group), ...r.tagOnCreate(group)];
}

/** The group a describe names, else every group of the type (the SAR lists the group as optional). */
function namedGroupOrAll(r: RdsRequest, parameter: string, type: GroupType): RdsResource {
  const value = r.named(parameter);
  return value === undefined ? r.all(type) : r.group(type, value);
}

/** The named resource, or (for a describe without one) every resource of the type: `db:*`. */
function namedOrAll(r: RdsRequest, parameter: string, type: 'db' | 'cluster'): RdsResource {
  const value = r.named(parameter);
  return value === undefined ? r.all(type) : r.existing(parameter, type, value);
}

/** A manual snapshot: authorized on its source and on itself, with the tags it is given or inherits. */
function manualSnapshot(
  r: RdsRequest,
  action: string,
  [sourceParameter, sourceType]: ['DBInstanceIdentifier', 'db'] | ['DBClusterIdentifier', 'cluster'],
  type: 'snapshot' | 'cluster-snapshot',
): AccessSpec[] {
  const snapshot = r.created(
    type === 'snapshot' ? 'DBSnapshotIdentifier' : 'DBClusterSnapshotIdentifier',
    type,
  );
  return [
    r.access(action, r.existing(sourceParameter, sourceType)),
    r.access(action, snapshot),
    ...r.tagOnCreate(snapshot),
    ...r.copiedTags(snapshot, r.record(sourceParameter, sourceType)),
  ];
}

/** The resource the first parameter present names, else every resource of the first type. */
function firstNamed(
  r: RdsRequest,
  ...candidates: [string, 'db' | 'cluster' | 'snapshot' | 'cluster-snapshot'][]
): RdsResource {
  for (const [parameter, type] of candidates) {
    const value = r.named(parameter);
    if (value !== undefined) return r.existing(parameter, type, value);
  }
  return r.all(candidates[0]?.[1] ?? 'db');
}

/** The automated backups of the instance named (by identifier or resource id), or all of them. */
function describeAutomatedBackups(r: RdsRequest): AccessSpec[] {
  const byResourceId = r.resources.instanceByResourceId(r.named('DbiResourceId'));
  const resource =
    r.named('DBInstanceIdentifier') !== undefined
      ? r.existing('DBInstanceIdentifier', 'db')
      : byResourceId
        ? r.instanceResource(byResourceId)
        : r.all('auto-backup');
  return [r.access('DescribeDBInstanceAutomatedBackups', resource)];
}

/** An instance the request creates from `source` (an instance or snapshot), with its engine and class. */
function newInstance(
  r: RdsRequest,
  parameter: string,
  source: { engine: string; instanceClass: string } | undefined,
): RdsResource {
  return r.created(
    parameter,
    'db',
    newInstanceKeys(source?.engine, r.named('DBInstanceClass') ?? source?.instanceClass),
  );
}

/** The keys RDS knows of an instance the request creates: its engine and class. */
function newInstanceKeys(engine: string | undefined, instanceClass: string | undefined): RequestContext {
  return {
    ...(engine === undefined ? {} : { 'rds:DatabaseEngine': engine }),
    ...(instanceClass === undefined ? {} : { 'rds:DatabaseClass': instanceClass }),
  };
}

type GroupType = 'pg' | 'cluster-pg' | 'og' | 'subgrp';

/** `action` on each group named (undefined ones are left out). */
function namedGroups(
  r: RdsRequest,
  action: string,
  groups: Partial<Record<GroupType, string | undefined>>,
): AccessSpec[] {
  return (Object.entries(groups) as [GroupType, string | undefined][]).flatMap(([type, name]) =>
    name === undefined ? [] : [r.access(action, r.group(type, name))],
  );
}

/**
 * `action` on the groups a new instance gets: those the request names, else the engine version's defaults
 * (the SAR marks og, pg and subgrp required for restores: a policy must cover the default groups too).
 */
function instanceGroups(
  r: RdsRequest,
  action: string,
  engine: { engine: string; engineVersion: string } | undefined,
  inherited: { parameterGroup?: string; optionGroup?: string; subnetGroup?: string } = {},
): AccessSpec[] {
  const defaults = engine ? defaultGroups(engine.engine, engine.engineVersion) : undefined;
  return namedGroups(r, action, {
    pg: r.named('DBParameterGroupName') ?? inherited.parameterGroup ?? defaults?.parameterGroup,
    og: r.named('OptionGroupName') ?? inherited.optionGroup ?? defaults?.optionGroup,
    subgrp: r.named('DBSubnetGroupName') ?? inherited.subnetGroup ?? DEFAULT_SUBNET_GROUP,
  });
}

/** The groups a new cluster gets: named, else the defaults (the SAR marks cluster-pg, og and subgrp required). */
function clusterGroups(
  r: RdsRequest,
  action: string,
  engine: { engine: string; engineVersion: string } | undefined,
): AccessSpec[] {
  const defaults = engine ? defaultGroups(engine.engine, engine.engineVersion) : undefined;
  return namedGroups(r, action, {
    'cluster-pg': r.named('DBClusterParameterGroupName') ?? defaults?.clusterParameterGroup,
    og: r.named('OptionGroupName') ?? defaults?.optionGroup,
    subgrp: r.named('DBSubnetGroupName') ?? DEFAULT_SUBNET_GROUP,
  });
}

/** What every create and restore adds: tags on create, the monitoring role passed, the keys used. */
function createExtras(r: RdsRequest, created: RdsResource, ...keys: (string | undefined)[]): AccessSpec[] {
  return [...r.tagOnCreate(created), ...r.passMonitoringRole(), ...r.keyUse(...keys)];
}

/** A standalone instance on the engine's default groups, or an instance in an Aurora cluster. */
function createDBInstance(r: RdsRequest): AccessSpec[] {
  const clusterId = r.named('DBClusterIdentifier');
  const cluster = r.record('DBClusterIdentifier', 'cluster');
  const engine =
    cluster ?? toEngine(engineAndVersion(r.input.requiredString('Engine'), r.input.string('EngineVersion')));
  const db = r.created(
    'DBInstanceIdentifier',
    'db',
    newInstanceKeys(engine.engine, r.named('DBInstanceClass')),
  );
  if (clusterId !== undefined) {
    // An Aurora instance stores nothing of its own: no subnet group or key of its own; its cluster's are used.
    return [
      r.access('CreateDBInstance', db),
      r.access('CreateDBInstance', r.existing('DBClusterIdentifier', 'cluster', clusterId)),
      ...namedGroups(r, 'CreateDBInstance', {
        pg:
          r.named('DBParameterGroupName') ??
          defaultGroups(engine.engine, engine.engineVersion).parameterGroup,
        og: r.named('OptionGroupName') ?? defaultGroups(engine.engine, engine.engineVersion).optionGroup,
      }),
      ...createExtras(r, db),
    ];
  }
  return [
    r.access('CreateDBInstance', db),
    ...instanceGroups(r, 'CreateDBInstance', engine),
    ...createExtras(r, db, r.named('KmsKeyId')),
  ];
}

/**
 * A read replica: the groups it does not name are its source's (same Region), and its key is the source's
 * unless it names one.
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html
 */
function createDBInstanceReadReplica(r: RdsRequest): AccessSpec[] {
  const source = r.record('SourceDBInstanceIdentifier', 'db');
  const db = newInstance(r, 'DBInstanceIdentifier', source);
  return [
    r.access('CreateDBInstanceReadReplica', db),
    r.access('CreateDBInstanceReadReplica', r.existing('SourceDBInstanceIdentifier', 'db')),
    ...namedGroups(r, 'CreateDBInstanceReadReplica', {
      pg: r.named('DBParameterGroupName') ?? source?.parameterGroup,
      og: r.named('OptionGroupName') ?? source?.optionGroup,
      subgrp: r.named('DBSubnetGroupName') ?? source?.subnetGroup,
    }),
    ...createExtras(r, db, r.named('KmsKeyId') ?? encryptionKey(source), encryptionKey(source)),
  ];
}

/**
 * A new instance from an instance's backups: the source is named by identifier (or ARN), by resource id, or by
 * its retained automated backups' ARN.
 */
function restoreDBInstanceToPointInTime(r: RdsRequest): AccessSpec[] {
  const action = 'RestoreDBInstanceToPointInTime';
  const byResourceId = r.resources.instanceByResourceId(r.named('SourceDbiResourceId'));
  const source = r.record('SourceDBInstanceIdentifier', 'db') ?? byResourceId;
  const sourceResources: RdsResource[] = [];
  if (r.named('SourceDBInstanceIdentifier') !== undefined) {
    sourceResources.push(r.existing('SourceDBInstanceIdentifier', 'db'));
  } else if (byResourceId) {
    sourceResources.push(r.instanceResource(byResourceId));
  }
  const backups = r.named('SourceDBInstanceAutomatedBackupsArn');
  if (backups !== undefined)
    sourceResources.push(r.automatedBackups('SourceDBInstanceAutomatedBackupsArn', backups));
  const db = newInstance(r, 'TargetDBInstanceIdentifier', source);
  return [
    r.access(action, db),
    ...sourceResources.map((resource) => r.access(action, resource)),
    ...instanceGroups(r, action, source),
    ...createExtras(r, db, r.named('KmsKeyId') ?? encryptionKey(source), encryptionKey(source)),
  ];
}

/** A new instance from a DB snapshot (possibly another account's, shared): RDS reads it with its key. */
function restoreDBInstanceFromDBSnapshot(r: RdsRequest): AccessSpec[] {
  const action = 'RestoreDBInstanceFromDBSnapshot';
  const snapshot = r.record('DBSnapshotIdentifier', 'snapshot');
  const db = newInstance(r, 'DBInstanceIdentifier', snapshot);
  return [
    r.access(action, db),
    r.access(action, r.existing('DBSnapshotIdentifier', 'snapshot')),
    ...instanceGroups(r, action, snapshot),
    // The copy keeps the snapshot's key: this action has no KmsKeyId (CopyDBSnapshot changes keys).
    ...createExtras(r, db, encryptionKey(snapshot)),
  ];
}

/** A new Aurora cluster on the engine's default groups unless it names others. */
function createDBCluster(r: RdsRequest): AccessSpec[] {
  const cluster = r.created('DBClusterIdentifier', 'cluster');
  const engine = toEngine(
    engineAndVersion(r.input.requiredString('Engine'), r.input.string('EngineVersion')),
  );
  return [
    r.access('CreateDBCluster', cluster),
    ...clusterGroups(r, 'CreateDBCluster', engine),
    ...createExtras(r, cluster, r.named('KmsKeyId')),
  ];
}

/** A clone or point-in-time copy of a cluster (possibly another account's, shared through AWS RAM). */
function restoreDBClusterToPointInTime(r: RdsRequest): AccessSpec[] {
  const action = 'RestoreDBClusterToPointInTime';
  const source = r.record('SourceDBClusterIdentifier', 'cluster');
  const cluster = r.created('DBClusterIdentifier', 'cluster');
  return [
    r.access(action, cluster),
    r.access(action, r.existing('SourceDBClusterIdentifier', 'cluster')),
    ...clusterGroups(r, action, source),
    ...createExtras(r, cluster, r.named('KmsKeyId') ?? encryptionKey(source), encryptionKey(source)),
  ];
}

/** A new cluster from a DB cluster snapshot, at the snapshot's engine version unless the request names one. */
function restoreDBClusterFromSnapshot(r: RdsRequest): AccessSpec[] {
  const action = 'RestoreDBClusterFromSnapshot';
  const snapshot = r.record('SnapshotIdentifier', 'cluster-snapshot');
  const cluster = r.created('DBClusterIdentifier', 'cluster');
  const engineVersion = r.named('EngineVersion') ?? snapshot?.engineVersion;
  const engine =
    engineVersion === undefined ? undefined : { engine: r.input.requiredString('Engine'), engineVersion };
  return [
    r.access(action, cluster),
    r.access(action, r.existing('SnapshotIdentifier', 'cluster-snapshot')),
    ...clusterGroups(r, action, engine),
    ...createExtras(r, cluster, r.named('KmsKeyId') ?? encryptionKey(snapshot), encryptionKey(snapshot)),
  ];
}

/**
 * A DB snapshot that a deletion or a stop takes: since August 2024 RDS authorizes it as rds:CreateDBSnapshot on
 * the instance and the snapshot, and its inherited tags as rds:AddTagsToResource on the snapshot. The SAR lists
 * the snapshot among the resources of StopDBInstance too.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html#amazonrds-CreateDBSnapshot
 */
function finalSnapshot(r: RdsRequest, db: RdsResource, parameter: string, action: string): AccessSpec[] {
  if (r.input.boolean('SkipFinalSnapshot') === true || r.named(parameter) === undefined) return [];
  const snapshot = r.created(parameter, 'snapshot');
  return [
    ...(action === 'StopDBInstance' ? [r.access(action, snapshot)] : []),
    r.access('CreateDBSnapshot', db),
    r.access('CreateDBSnapshot', snapshot),
    ...r.copiedTags(snapshot, r.record('DBInstanceIdentifier', 'db')),
  ];
}

/**
 * A cluster's final snapshot: the SAR makes the cluster snapshot a resource of DeleteDBCluster, and RDS also
 * authorizes rds:CreateDBClusterSnapshot on the cluster and the snapshot, and its inherited tags.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html#amazonrds-DeleteDBCluster
 */
function finalClusterSnapshot(r: RdsRequest, cluster: RdsResource): AccessSpec[] {
  const parameter = 'FinalDBSnapshotIdentifier';
  if (r.input.boolean('SkipFinalSnapshot') === true || r.named(parameter) === undefined) return [];
  const snapshot = r.created(parameter, 'cluster-snapshot');
  return [
    r.access('DeleteDBCluster', snapshot),
    r.access('CreateDBClusterSnapshot', cluster),
    r.access('CreateDBClusterSnapshot', snapshot),
    ...r.copiedTags(snapshot, r.record('DBClusterIdentifier', 'cluster')),
  ];
}

/** The customer key a resource's storage is encrypted with, if any. */
function encryptionKey(
  resource: { storageEncrypted: boolean; kmsKeyId?: string } | undefined,
): string | undefined {
  return resource?.storageEncrypted ? resource.kmsKeyId : undefined;
}

function toEngine(value: { engine: string; version: string }): { engine: string; engineVersion: string } {
  return { engine: value.engine, engineVersion: value.version };
}

export type { RdsArnType, RdsResources };
