import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';

/**
 * The local RDS "account": every DB instance, DB cluster and snapshot, persisted as one JSON file
 * (`<stateDir>/rds.json`) so the next process of the local endpoint sees the same account. It holds no
 * password: those live only in the engines (and in the secrets the caller keeps).
 */

const TagSchema = z.object({ Key: z.string(), Value: z.string() });
export type RdsTag = z.output<typeof TagSchema>;

/**
 * A change under way: the statuses it shows, what it ends in, and its engine work.
 * See status-clock.ts for how the status follows from it.
 */
export const TransitionSchema = z.object({
  /** The API action that started it, e.g. `RestoreDBInstanceToPointInTime`. */
  action: z.string(),
  /** Shown in order: the first while the engine works, the others one phase each afterwards. */
  phases: z.array(z.string()).min(1),
  /** The status it ends in; `deleted` removes the resource. */
  outcome: z.string(),
  /** Shown when the engine work fails. */
  failedStatus: z.string(),
  startedAt: z.iso.datetime(),
  /** The minimum time each phase is shown. */
  phaseMilliseconds: z.number().nonnegative(),
  work: z.enum(['running', 'done', 'failed']),
  workFinishedAt: z.iso.datetime().optional(),
});
export type Transition = z.output<typeof TransitionSchema>;

const MasterUserSecretSchema = z.object({
  arn: z.string(),
  status: z.enum(['creating', 'active', 'rotating', 'impaired']),
});

/** Changes RDS has accepted but not applied yet (shown in PendingModifiedValues). */
const PendingSchema = z.object({
  masterUserPassword: z.boolean().optional(),
  /** A rename waiting for the maintenance window (see deferred-changes.ts). */
  identifier: z.string().optional(),
  /** Settings waiting for the maintenance window, by setting name. */
  settings: z.record(z.string(), z.unknown()).optional(),
});

/** What every instance and cluster has: identity, status, credentials, protection, tags. */
const ResourceBaseSchema = z.object({
  /** The current identifier (lower case, as RDS stores it); a rename changes it. */
  identifier: z.string(),
  /** `db-…` or `cluster-…`: never changes, names the engine server. */
  resourceId: z.string(),
  engine: z.string(),
  engineVersion: z.string(),
  createdAt: z.iso.datetime(),
  status: z.string(),
  transition: TransitionSchema.optional(),
  /** Why the last engine work failed, shown in StatusInfos. */
  failure: z.string().optional(),
  deletionProtection: z.boolean(),
  tags: z.array(TagSchema),
  masterUserSecret: MasterUserSecretSchema.optional(),
  pending: PendingSchema.default({}),
  copyTagsToSnapshot: z.boolean(),
  backupRetentionPeriod: z.number().int(),
  iamAuthentication: z.boolean(),
  cloudwatchLogsExports: z.array(z.string()),
  storageEncrypted: z.boolean(),
  kmsKeyId: z.string().optional(),
  subnetGroup: z.string().optional(),
  securityGroupIds: z.array(z.string()),
});

/** The engine server playing a standalone instance or a cluster's storage, once it exists. */
const ServerSchema = z.object({
  /** The EngineManager server id (the resource id in lower case). */
  serverId: z.string(),
  port: z.number().int(),
  /** Whether the engine server was created (restores and creations make it in the background). */
  serverReady: z.boolean(),
  masterUsername: z.string(),
  databaseName: z.string().optional(),
});
export type ServerRecord = z.output<typeof ServerSchema>;

export const InstanceRecordSchema = ResourceBaseSchema.extend({
  /** A standalone instance's own server; absent for an Aurora cluster member (it uses its cluster's). */
  server: ServerSchema.optional(),
  /** An Aurora member's cluster, by resource id (so a cluster rename needs no update here). */
  clusterResourceId: z.string().optional(),
  isClusterWriter: z.boolean().optional(),
  promotionTier: z.number().int().optional(),
  /** A read replica's source, by resource id. */
  replicaSourceResourceId: z.string().optional(),
  instanceClass: z.string(),
  allocatedStorage: z.number().int(),
  /** Storage autoscaling's upper limit, when on. */
  maxAllocatedStorage: z.number().int().optional(),
  storageType: z.string(),
  /** Provisioned IOPS; absent for gp3 storage at its baseline (DescribeDBInstances shows the baseline). */
  iops: z.number().int().optional(),
  /** Provisioned gp3 throughput in MiB/s; absent at the baseline. */
  storageThroughput: z.number().int().optional(),
  multiAz: z.boolean(),
  publiclyAccessible: z.boolean(),
  availabilityZone: z.string(),
  parameterGroup: z.string(),
  optionGroup: z.string(),
  autoMinorVersionUpgrade: z.boolean(),
  performanceInsights: z.boolean(),
  monitoringInterval: z.number().int(),
  monitoringRoleArn: z.string().optional(),
});
export type InstanceRecord = z.output<typeof InstanceRecordSchema>;

export const ClusterRecordSchema = ResourceBaseSchema.extend({
  server: ServerSchema,
  clusterParameterGroup: z.string(),
  serverless: z.object({ minCapacity: z.number(), maxCapacity: z.number() }).optional(),
  backtrackWindow: z.number().int().optional(),
});
export type ClusterRecord = z.output<typeof ClusterRecordSchema>;

const SnapshotBaseSchema = z.object({
  identifier: z.string(),
  /** The EngineManager snapshot name. */
  engineSnapshot: z.string(),
  engine: z.string(),
  engineVersion: z.string(),
  masterUsername: z.string(),
  databaseName: z.string().optional(),
  port: z.number().int(),
  /** `manual`, or `automated` for none here (automated backups are the engines' base backups). */
  snapshotType: z.string(),
  status: z.string(),
  transition: TransitionSchema.optional(),
  failure: z.string().optional(),
  /** When the engine copy finished: the data is as of this time. */
  createdAt: z.iso.datetime().optional(),
  startedAt: z.iso.datetime(),
  tags: z.array(TagSchema),
  storageEncrypted: z.boolean(),
  kmsKeyId: z.string().optional(),
});

export const SnapshotRecordSchema = SnapshotBaseSchema.extend({
  /** The instance's identifier when the snapshot was taken (RDS keeps it through later renames). */
  instanceIdentifier: z.string(),
  dbiResourceId: z.string(),
  instanceCreatedAt: z.iso.datetime(),
  allocatedStorage: z.number().int(),
  instanceClass: z.string(),
  /** The instance's storage when the snapshot was taken: a restore keeps it unless told otherwise. */
  storageType: z.string().default('gp2'),
  iops: z.number().int().optional(),
  storageThroughput: z.number().int().optional(),
});
export type SnapshotRecord = z.output<typeof SnapshotRecordSchema>;

export const ClusterSnapshotRecordSchema = SnapshotBaseSchema.extend({
  clusterIdentifier: z.string(),
  clusterResourceId: z.string(),
  clusterCreatedAt: z.iso.datetime(),
});
export type ClusterSnapshotRecord = z.output<typeof ClusterSnapshotRecordSchema>;

/** A DB parameter group or DB cluster parameter group the account created (default ones are implied). */
const ParameterGroupSchema = z.object({
  /** Stored in lower case, as RDS stores it. */
  name: z.string(),
  /** `mysql8.0`, `postgres15`, `aurora-mysql8.0`, ... */
  family: z.string(),
  description: z.string(),
  tags: z.array(TagSchema),
});
export type ParameterGroupRecord = z.output<typeof ParameterGroupSchema>;

/** An option group the account created, for one engine and major version. */
const OptionGroupSchema = z.object({
  name: z.string(),
  engine: z.string(),
  majorVersion: z.string(),
  description: z.string(),
  tags: z.array(TagSchema),
});
export type OptionGroupRecord = z.output<typeof OptionGroupSchema>;

/** A DB subnet group the account created (`default` is implied). */
const SubnetGroupSchema = z.object({
  name: z.string(),
  description: z.string(),
  subnetIds: z.array(z.string()),
  tags: z.array(TagSchema),
});
export type SubnetGroupRecord = z.output<typeof SubnetGroupSchema>;

export const RdsStateSchema = z.object({
  version: z.literal(1),
  instances: z.array(InstanceRecordSchema),
  clusters: z.array(ClusterRecordSchema),
  snapshots: z.array(SnapshotRecordSchema),
  clusterSnapshots: z.array(ClusterSnapshotRecordSchema),
  parameterGroups: z.array(ParameterGroupSchema).default([]),
  clusterParameterGroups: z.array(ParameterGroupSchema).default([]),
  optionGroups: z.array(OptionGroupSchema).default([]),
  subnetGroups: z.array(SubnetGroupSchema).default([]),
});
export type RdsState = z.output<typeof RdsStateSchema>;

export function emptyState(): RdsState {
  return {
    version: 1,
    instances: [],
    clusters: [],
    snapshots: [],
    clusterSnapshots: [],
    parameterGroups: [],
    clusterParameterGroups: [],
    optionGroups: [],
    subnetGroups: [],
  };
}

/** The state file: read once at start, rewritten whole (atomically) after every change. */
export class RdsStateFile {
  readonly file: string;
  private writing: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'rds.json');
  }

  /** The saved account, or an empty one when there is no file yet. */
  async read(): Promise<RdsState> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
      throw error;
    }
    const parsed = RdsStateSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new Error(
        `The local RDS state ${this.file} is not valid (${z.prettifyError(parsed.error)}); ` +
          'move it away to start with an empty local account',
      );
    }
    return parsed.data;
  }

  /** Writes a copy of `state`; writes happen in call order, each replacing the file atomically. */
  write(state: RdsState): Promise<void> {
    const text = `${JSON.stringify(state, null, 2)}\n`;
    const next = this.writing.then(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      const temporary = `${this.file}.${randomUUID()}.tmp`;
      await writeFile(temporary, text);
      await rename(temporary, this.file);
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}
