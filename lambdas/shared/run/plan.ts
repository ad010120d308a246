import * as z from 'zod';
import { ENGINES, RefreshFileSchema } from '../refresh-model/refresh-file-schema';

/** Whether a name belongs to a DB instance or a DB cluster; RDS keeps the two namespaces apart. */
export const ResourceKindSchema = z.enum(['instance', 'cluster']);
export type ResourceKind = z.output<typeof ResourceKindSchema>;

/** One rename of the swap, applied in order and undone in reverse by the rollback. */
export const RenameSchema = z.object({
  kind: ResourceKindSchema,
  from: z.string(),
  to: z.string(),
});
export type Rename = z.output<typeof RenameSchema>;

/** An instance the run creates: the copy's writer or readers (Aurora) or a read replica (RDS). */
export const NewInstanceSchema = z.object({
  /** Its name while the run works on it (the temporary name for Aurora members, the final one for RDS replicas). */
  id: z.string(),
  /** Its name once the refresh is done. */
  finalId: z.string(),
  instanceClass: z.string(),
  port: z.number().int().optional(),
});
export type NewInstance = z.output<typeof NewInstanceSchema>;

export const TagSchema = z.object({ Key: z.string(), Value: z.string() });
export type Tag = z.output<typeof TagSchema>;

/**
 * Everything a run does, resolved once by the plan step from the refresh file and the live resources,
 * so that every later step is a pure function of the plan and the current state of AWS (idempotent).
 * Never holds a password.
 */
export const PlanSchema = z.object({
  /** 8 lowercase letters and digits derived from the execution, suffixing temporary and retired names. */
  runId: z.string(),
  executionArn: z.string(),
  startedAt: z.string(),
  requestedBy: z.string(),
  /** The refresh file with every default resolved (settings carried over from the live target, replicas, secret name). */
  file: RefreshFileSchema,
  /** The source's exact engine name and version, as RDS reports them. */
  engine: z.string(),
  engineFamily: z.enum(ENGINES),
  engineVersion: z.string(),
  /** The SQL client for scripts; null for engines dbrefresh cannot run scripts on (Oracle). */
  dialect: z.enum(['mysql', 'postgres']).nullable(),
  source: z.object({ id: z.string(), arn: z.string() }),
  /** The time the copy's data is aligned to: the restore time, the snapshot's creation time, or the clone time. */
  restorePoint: z.string(),
  /** The snapshot restored (id or ARN), for `fromsnapshot`. */
  snapshot: z.string().nullable(),
  target: z.object({
    kind: ResourceKindSchema,
    id: z.string(),
    /** False on the first refresh: the target is created from the file's settings. */
    exists: z.boolean(),
    /** The restored copy's name until the swap. */
    temporaryId: z.string(),
    /** The old target's name after the swap, until it is retired. */
    retiredId: z.string(),
  }),
  /** Aurora: the copy's writer; RDS: none. */
  writer: NewInstanceSchema.nullable(),
  /** Aurora: readers created in the copy before the swap. RDS: read replicas created from the new target after it. */
  replicas: z.array(NewInstanceSchema),
  /** The swap, in order: the old target's members and itself to retired names, then the copy to the target's names. */
  renames: z.array(RenameSchema),
  /** What the old target leaves behind after the swap, deleted (or stopped, then deleted) by the retire step. */
  retired: z.object({
    /** RDS read replicas, or Aurora instances of the old cluster, by their retired names. */
    instances: z.array(z.string()),
    /** The old target itself by its retired name, or null when there was no target. */
    main: z.string().nullable(),
  }),
  /** Tags of the refreshed target: carried over, from the file, and dbrefresh's own. */
  tags: z.array(TagSchema),
  adminPassword: z.object({
    /** RDS manages the password in its own secret (ManageMasterUserPassword). */
    managed: z.boolean(),
    /** The secret dbrefresh writes, for a generated password. */
    secretName: z.string(),
    /** The secret's current version when the run started, restored by the rollback; null when it did not exist. */
    versionAtStart: z.string().nullable(),
    rotate: z.boolean(),
    /**
     * The secret's rotation function (DescribeSecret RotationLambdaARN), which RotateSecret invokes with the
     * rotate step's permissions; set when a generated password is rotated.
     */
    rotationFunctionArn: z.string().optional(),
    /** What the plan tells about the secret beyond the facts above (an RDS-managed secret's changing ARN). */
    note: z.string().optional(),
  }),
  /** Steps that run; the others are skipped by a Choice. */
  steps: z.object({
    /** A protected target: wait for an approval before anything changes. */
    approval: z.boolean(),
    /** Read the rows and users the target keeps before the restore, and write them into the copy. */
    preserve: z.boolean(),
    scripts: z.boolean(),
    hookBeforeSwap: z.boolean(),
    replicas: z.boolean(),
    rotateSecret: z.boolean(),
    retire: z.boolean(),
    keepOldTarget: z.boolean(),
    hookAfterRefresh: z.boolean(),
  }),
  /** Who may approve a protected target's refresh and how long the run waits; null when not protected. */
  approval: z
    .object({
      /** Shown in the approval request; empty when the file names nobody (anyone allowed to approve may). */
      approvers: z.array(z.string()),
      timeoutSeconds: z.number().int(),
    })
    .nullable(),
  /** How long to keep the old target stopped before deleting it. */
  keepOldTargetSeconds: z.number().int(),
  /** Expected duration per long step, from past runs of the target, for the first wait of each poll. */
  expectedSeconds: z.record(z.string(), z.number()),
});
export type Plan = z.output<typeof PlanSchema>;
