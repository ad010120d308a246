import {
  type DBCluster,
  DBClusterNotFoundFault,
  type DBInstance,
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import type { ResourceKind } from '../run/plan';

/** The tag that marks a database as one dbrefresh may replace; the IAM policies require it too. */
export const REFRESHABLE_TAG = { Key: 'dbrefresh:refreshable', Value: 'true' } as const;
/** The run that created a resource; the rollback deletes only resources carrying its own run id. */
export const RUN_TAG_KEY = 'dbrefresh:run';
export const SOURCE_TAG_KEY = 'dbrefresh:source';
/** The target whose old version a final snapshot holds; dbrefresh deletes only the final snapshots carrying it. */
export const FINAL_SNAPSHOT_TAG_KEY = 'dbrefresh:final-snapshot-of';
export const RESTORE_POINT_TAG_KEY = 'dbrefresh:restore-point';

/** What the steps need to know about a DB instance or cluster, whichever it is. */
export interface RdsResource {
  readonly kind: ResourceKind;
  readonly id: string;
  readonly arn: string;
  readonly status: string;
  readonly deletionProtection: boolean;
  readonly tags: readonly Tag[];
  readonly endpoint?: string;
  readonly port?: number;
}

export async function findInstance(rds: RDSClient, id: string): Promise<DBInstance | undefined> {
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    return out.DBInstances?.[0];
  } catch (error: unknown) {
    if (error instanceof DBInstanceNotFoundFault || isNamed(error, 'DBInstanceNotFoundFault'))
      return undefined;
    throw error;
  }
}

export async function findCluster(rds: RDSClient, id: string): Promise<DBCluster | undefined> {
  try {
    const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }));
    return out.DBClusters?.[0];
  } catch (error: unknown) {
    if (error instanceof DBClusterNotFoundFault || isNamed(error, 'DBClusterNotFoundFault')) return undefined;
    throw error;
  }
}

/** The instance or cluster named `id`, or undefined when there is none. */
export async function findResource(
  rds: RDSClient,
  kind: ResourceKind,
  id: string,
): Promise<RdsResource | undefined> {
  if (kind === 'instance') {
    const instance = await findInstance(rds, id);
    return instance && instanceResource(instance);
  }
  const cluster = await findCluster(rds, id);
  return cluster && clusterResource(cluster);
}

export function instanceResource(instance: DBInstance): RdsResource {
  return {
    kind: 'instance',
    id: instance.DBInstanceIdentifier ?? '',
    arn: instance.DBInstanceArn ?? '',
    status: instance.DBInstanceStatus ?? 'unknown',
    deletionProtection: instance.DeletionProtection ?? false,
    tags: instance.TagList ?? [],
    endpoint: instance.Endpoint?.Address,
    port: instance.Endpoint?.Port,
  };
}

export function clusterResource(cluster: DBCluster): RdsResource {
  return {
    kind: 'cluster',
    id: cluster.DBClusterIdentifier ?? '',
    arn: cluster.DBClusterArn ?? '',
    status: cluster.Status ?? 'unknown',
    deletionProtection: cluster.DeletionProtection ?? false,
    tags: cluster.TagList ?? [],
    endpoint: cluster.Endpoint,
    port: cluster.Port,
  };
}

export function tagValue(tags: readonly Tag[], key: string): string | undefined {
  return tags.find((tag) => tag.Key === key)?.Value;
}

export function isRefreshable(tags: readonly Tag[]): boolean {
  return tagValue(tags, REFRESHABLE_TAG.Key) === REFRESHABLE_TAG.Value;
}

/** Whether this run created the resource (and so may delete it). */
export function createdByRun(tags: readonly Tag[], runId: string): boolean {
  return tagValue(tags, RUN_TAG_KEY) === runId;
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}
