import * as z from 'zod';
import {
  backupWindow,
  bucketName,
  caCertificate,
  groupName,
  identifier,
  identifierOrArn,
  instanceClass,
  kmsKeyId,
  label,
  lambdaArn,
  maintenanceWindow,
  performanceInsightsRetentionDays,
  port,
  restoreTime,
  scheduleExpression,
  scriptKey,
  scriptPrefix,
  secretName,
  securityGroupIds,
  snapshotReference,
  tags,
  timeZone,
  topicArn,
  verificationQuery,
} from './fields';
import { listsSomething, preservedTables, preservedUsers } from './preserved-names';

export const RESTORE_TYPES = ['latestpoint', 'restorepoint', 'fromsnapshot', 'fastcloning'] as const;
export const RDS_ENGINES = ['mysql', 'mariadb', 'postgres', 'oracle'] as const;
export const AURORA_ENGINES = ['aurora-mysql', 'aurora-postgresql'] as const;
export const ENGINES = [...RDS_ENGINES, ...AURORA_ENGINES] as const;
export type Engine = (typeof ENGINES)[number];

const restore = z
  .discriminatedUnion('type', [
    z
      .strictObject({ type: z.literal('latestpoint') })
      .describe('Restore the source to its latest restorable time (typically a few minutes ago).'),
    z
      .strictObject({ type: z.literal('restorepoint'), time: restoreTime })
      .describe('Restore the source to a given UTC time within its restorable window.'),
    z
      .strictObject({ type: z.literal('fromsnapshot'), snapshot: snapshotReference })
      .describe('Restore a snapshot of the source, or the newest one with "latest".'),
    z
      .strictObject({ type: z.literal('fastcloning') })
      .describe('Aurora only: copy-on-write clone of the source cluster, the fastest way to copy.'),
  ])
  .describe('Where the data comes from: latestpoint, restorepoint, fromsnapshot or fastcloning.');

const engine = z
  .enum(ENGINES)
  .describe(
    "Engine family: mysql, mariadb, postgres or oracle for rds; aurora-mysql or aurora-postgresql for aurora. Default: the source's engine. Picks the SQL client for scripts.",
  );

/** Settings of the restored copy that RDS instances and Aurora clusters share. */
const sharedTargetSettings = {
  port: port.optional(),
  subnetGroup: groupName('DB subnet group').optional(),
  securityGroupIds: securityGroupIds.optional(),
  kmsKeyId: kmsKeyId.optional(),
  deletionProtection: z
    .boolean()
    .describe("Deletion protection on the refreshed target. Default: the live target's.")
    .optional(),
  iamAuthentication: z
    .boolean()
    .describe("IAM database authentication. Default: the live target's.")
    .optional(),
  cloudwatchLogsExports: z
    .array(
      z
        .string()
        .regex(/^[a-z-]+$/)
        .describe('Log type, for example error, general, slowquery, audit or postgresql'),
    )
    .describe("Log types exported to CloudWatch Logs. Default: the live target's.")
    .optional(),
  copyTagsToSnapshot: z.boolean().describe("Copy tags to snapshots. Default: the live target's.").optional(),
  autoMinorVersionUpgrade: z
    .boolean()
    .describe("Automatic minor version upgrades. Default: the live target's.")
    .optional(),
  backupRetentionDays: z
    .number()
    .int()
    .min(0)
    .max(35)
    .describe("Automated backup retention, 0-35 days (Aurora: 1-35). Default: the live target's.")
    .optional(),
  performanceInsights: z.boolean().describe("Performance Insights. Default: the live target's.").optional(),
  performanceInsightsKmsKeyId: kmsKeyId
    .describe("KMS key that encrypts the Performance Insights data. Default: the live target's.")
    .optional(),
  performanceInsightsRetentionDays: performanceInsightsRetentionDays.optional(),
  publiclyAccessible: z
    .boolean()
    .describe(
      "Whether the refreshed target (Aurora: its instances) gets a public address. The copy stays private until it is masked and swapped, then gets this value. Default: the live target's, else private.",
    )
    .optional(),
  caCertificate: caCertificate.optional(),
  backupWindow: backupWindow.optional(),
  maintenanceWindow: maintenanceWindow.optional(),
  monitoringIntervalSeconds: z
    .union([
      z.literal(0),
      z.literal(1),
      z.literal(5),
      z.literal(10),
      z.literal(15),
      z.literal(30),
      z.literal(60),
    ])
    .describe(
      "Enhanced Monitoring interval: 0 (off), 1, 5, 10, 15, 30 or 60 seconds. Default: the live target's.",
    )
    .optional(),
  monitoringRoleArn: z
    .string()
    .regex(/^arn:aws(-[a-z]+)*:iam::\d{12}:role\/.+$/)
    .describe('IAM role for Enhanced Monitoring, arn:aws:iam::<account>:role/<name>.')
    .optional(),
};

const rdsTarget = z
  .strictObject({
    instance: identifier(
      'The DB instance to refresh. Created by its first refresh when it does not exist yet.',
    ),
    instanceClass: instanceClass.optional(),
    parameterGroup: groupName('DB parameter group').optional(),
    optionGroup: groupName('Option group').optional(),
    multiAz: z.boolean().describe("Multi-AZ deployment. Default: the live target's.").optional(),
    storageType: z
      .enum(['gp2', 'gp3', 'io1', 'io2', 'standard'])
      .describe("Storage type. Default: the live target's.")
      .optional(),
    iops: z
      .number()
      .int()
      .min(1000)
      .max(256000)
      .describe("Provisioned IOPS (io1, io2, gp3). Default: the live target's.")
      .optional(),
    storageThroughput: z
      .number()
      .int()
      .min(125)
      .max(16000)
      .describe("gp3 storage throughput in MiB/s. Default: the live target's.")
      .optional(),
    maxAllocatedStorageGiB: z
      .number()
      .int()
      .min(21)
      .max(65536)
      .describe(
        "Storage autoscaling: the most GiB RDS may grow the storage to, above the copy's allocated storage (the source's). Default: the live target's; off when it has none.",
      )
      .optional(),
    ...sharedTargetSettings,
  })
  .describe('The RDS DB instance to refresh; every setting not given is carried over from the live target.');

const auroraTarget = z
  .strictObject({
    cluster: identifier(
      'The DB cluster to refresh. Created by its first refresh when it does not exist yet.',
    ),
    writer: identifier(
      "The writer instance of the refreshed cluster. Default: the live target's writer, else <cluster>-1.",
    ).optional(),
    instanceClass: instanceClass.optional(),
    clusterParameterGroup: groupName('DB cluster parameter group').optional(),
    parameterGroup: groupName("DB parameter group of the cluster's instances").optional(),
    engineVersion: z
      .string()
      .regex(/^\d+(\.\d+)*(\.[a-z0-9_.-]+)?$/)
      .describe("Engine version of the restored cluster (fromsnapshot may upgrade). Default: the source's.")
      .optional(),
    storageType: z
      .enum(['aurora', 'aurora-iopt1'])
      .describe(
        'Cluster storage: "aurora" (Standard) or "aurora-iopt1" (I/O-Optimized); a restore otherwise gets Standard. Default: the live target\'s.',
      )
      .optional(),
    backtrackWindowSeconds: z
      .number()
      .int()
      .min(0)
      .max(259200)
      .describe('Aurora MySQL backtrack window, 0-259200 seconds.')
      .optional(),
    serverless: z
      .strictObject({
        minCapacity: z
          .number()
          .min(0)
          .max(256)
          .multipleOf(0.5)
          .describe('Minimum ACUs, 0-256 in steps of 0.5'),
        maxCapacity: z
          .number()
          .min(1)
          .max(256)
          .multipleOf(0.5)
          .describe('Maximum ACUs, 1-256 in steps of 0.5'),
      })
      .describe('Aurora Serverless v2 capacity, used with instanceClass "db.serverless".')
      .optional(),
    ...sharedTargetSettings,
  })
  .describe(
    'The Aurora DB cluster to refresh; every setting not given is carried over from the live target.',
  );

const rdsReplica = z
  .strictObject({
    instance: identifier('Read replica name'),
    instanceClass: instanceClass.optional(),
    port: port.optional(),
  })
  .describe('A read replica recreated from the refreshed target.');

const auroraReader = z
  .strictObject({
    instance: identifier('Reader instance name'),
    instanceClass: instanceClass.optional(),
  })
  .describe('A reader instance recreated in the refreshed cluster.');

const replicasDescription =
  'Read replicas (Aurora: readers) to recreate after the swap. Default: the ones the live target has; [] for none.';

const adminPassword = z
  .strictObject({
    secretName: secretName
      .optional()
      .describe('Secret that receives the new admin credentials. Default: "dbrefresh/<target>".'),
    managed: z
      .boolean()
      .describe(
        'Let RDS manage the admin password in its own secret (ManageMasterUserPassword) instead of a dbrefresh-generated one.',
      )
      .optional(),
    rotate: z
      .boolean()
      .describe('Rotate the secret once the refresh is done (the secret must have rotation configured).')
      .optional(),
  })
  .describe(
    "The admin password of the copy is always replaced (never the source's); it is generated and stored in Secrets Manager, never in the file, logs or history.",
  );

const scripts = z
  .strictObject({
    bucket: bucketName,
    prefix: scriptPrefix.optional(),
    keys: z
      .array(scriptKey)
      .min(1)
      .describe('SQL scripts to run on the copy before the swap, in this order.'),
    method: z
      .enum(['lambda', 'ec2'])
      .describe(
        'Where the scripts run: "lambda" (default) or "ec2" (SSM Run Command on the runner instance).',
      )
      .optional(),
    transaction: z
      .enum(['none', 'per-file'])
      .describe(
        '"none" (default): each statement commits as it runs, as with the mysql/mariadb and psql clients, and a long script resumes across invocations. "per-file": each file runs in one transaction, all of it commits or none; the file must then finish within one invocation (15 minutes; longer work belongs in "none" or method "ec2") and may not hold its own BEGIN/COMMIT, MySQL/MariaDB statements that commit implicitly (CREATE, ALTER, DROP, TRUNCATE, GRANT...; TEMPORARY tables are fine) or PostgreSQL statements refused in a transaction block (VACUUM, ... CONCURRENTLY).',
      )
      .optional(),
    verify: z
      .array(verificationQuery)
      .describe('Queries that must return no rows; any row stops the refresh before the swap.')
      .optional(),
  })
  .describe(
    "SQL scripts (masking, clean-up, grants) run on the restored copy before anyone can reach it under the target's name.",
  );

const preserve = z
  .strictObject({
    tables: preservedTables.optional(),
    users: preservedUsers.optional(),
  })
  .superRefine(listsSomething)
  .describe(
    'What the target keeps across the refresh: rows of tables (settings, feature flags) and users with their passwords and privileges. Read from the live target before the restore (the first refresh of a new target has nothing to keep) and written into the copy before the swap; MySQL, MariaDB and PostgreSQL only.',
  );

/** How many final snapshots of a target dbrefresh keeps when the file says `finalSnapshot: true`. */
export const DEFAULT_FINAL_SNAPSHOTS_KEPT = 3;

const oldTarget = z
  .strictObject({
    keepHours: z
      .number()
      .int()
      .min(0)
      .max(168)
      .describe(
        'Keep the old target stopped for this many hours (0-168) as a way back, then delete it. Default: 0, delete once the refresh succeeds.',
      )
      .optional(),
    finalSnapshot: z
      .union([
        z.boolean(),
        z.strictObject({
          keep: z
            .number()
            .int()
            .min(1)
            .max(100)
            .describe(
              `How many of the final snapshots dbrefresh took of this target to keep, newest first; older ones are deleted. Default: ${DEFAULT_FINAL_SNAPSHOTS_KEPT}.`,
            )
            .optional(),
        }),
      ])
      .describe(
        `Take a final snapshot when the old target is deleted: true (keeping the newest ${DEFAULT_FINAL_SNAPSHOTS_KEPT} of this target) or { "keep": n }. Only snapshots dbrefresh took of this target are ever deleted. Default: false.`,
      )
      .optional(),
    keepAutomatedBackups: z
      .boolean()
      .describe(
        "Keep the old target's automated backups when it is deleted, until their retention period ends, instead of deleting them with it. Default: false.",
      )
      .optional(),
  })
  .describe('What happens to the old target after a successful swap.');

const schedule = z
  .strictObject({
    expression: scheduleExpression,
    timezone: timeZone.optional(),
    flexibleWindowMinutes: z
      .number()
      .int()
      .min(1)
      .max(1440)
      .describe('Let the scheduler start up to this many minutes late (1-1440). Default: off.')
      .optional(),
  })
  .describe('Run this refresh on a schedule (EventBridge Scheduler).');

const approval = z
  .strictObject({
    approvers: z
      .array(
        z
          .string()
          .min(1)
          .describe('Who may approve: an e-mail address or IAM principal, shown in the approval request'),
      )
      .min(1)
      .describe('Who may approve, shown in the approval request.')
      .optional(),
    timeoutHours: z
      .number()
      .int()
      .min(1)
      .max(168)
      .describe('Hours to wait for approval (1-168) before failing cleanly. Default: 24.')
      .optional(),
  })
  .describe('Approval settings of a protected target.');

const hooks = z
  .strictObject({
    beforeSwap: lambdaArn
      .optional()
      .describe('Invoked after the scripts, before the swap; a failure rolls the refresh back.'),
    afterRefresh: lambdaArn
      .optional()
      .describe('Invoked after the refresh succeeded, for migrations or reindexing.'),
  })
  .describe("Lambda functions invoked with the run's context (target, endpoint, restore point).");

/** Sections every refresh file may have, whatever the service; the service-specific ones go between. */
const head = {
  $schema: z.string().describe('Path or URL of refresh-file.schema.json, for editor completion.').optional(),
  comment: z.string().describe('Free text: what this refresh is for.').optional(),
  application: label(
    'Application the databases belong to, for history and notifications (for example "app1").',
  ),
  environment: label(
    'Environment of the target (for example "development", "test", "uat"); never production.',
  ),
};

const tail = {
  adminPassword: adminPassword.optional(),
  scripts: scripts.optional(),
  preserve: preserve.optional(),
  tags: tags.optional(),
  oldTarget: oldTarget.optional(),
  schedule: schedule.optional(),
  protected: z
    .union([z.boolean(), approval])
    .describe(
      'A protected target waits for approval before anything changes: true, or approval settings. Default: false.',
    )
    .optional(),
  notification: z
    .strictObject({ topicArn: topicArn.optional() })
    .describe('Extra notification targets.')
    .optional(),
  hooks: hooks.optional(),
};

export const RdsRefreshFileSchema = z
  .strictObject({
    ...head,
    service: z.literal('rds').describe('"rds" for an RDS DB instance, "aurora" for an Aurora DB cluster.'),
    engine: engine.optional(),
    source: z
      .strictObject({
        instance: identifierOrArn(
          'db',
          'The source DB instance (an ARN only for a snapshot shared from another account).',
        ),
      })
      .describe('The DB instance whose data is copied.'),
    target: rdsTarget,
    restore,
    replicas: z.array(rdsReplica).max(15).describe(replicasDescription).optional(),
    ...tail,
  })
  .describe('Refresh of an RDS DB instance.');

export const AuroraRefreshFileSchema = z
  .strictObject({
    ...head,
    service: z.literal('aurora').describe('"rds" for an RDS DB instance, "aurora" for an Aurora DB cluster.'),
    engine: engine.optional(),
    source: z
      .strictObject({
        cluster: identifierOrArn(
          'cluster',
          'The source DB cluster (an ARN for a cluster or snapshot shared from another account).',
        ),
      })
      .describe('The DB cluster whose data is copied.'),
    target: auroraTarget,
    restore,
    replicas: z.array(auroraReader).max(15).describe(replicasDescription).optional(),
    ...tail,
  })
  .describe('Refresh of an Aurora DB cluster.');

/** The refresh file in its concise form, the one model every part of dbrefresh works with. */
export const RefreshFileSchema = z
  .discriminatedUnion('service', [RdsRefreshFileSchema, AuroraRefreshFileSchema])
  .describe(
    'A dbrefresh refresh file: refresh one non-production RDS instance or Aurora cluster from a source.',
  );

export type RefreshFile = z.output<typeof RefreshFileSchema>;
export type RdsRefreshFile = z.output<typeof RdsRefreshFileSchema>;
export type AuroraRefreshFile = z.output<typeof AuroraRefreshFileSchema>;
export type RefreshFileInput = z.input<typeof RefreshFileSchema>;
export type RestoreType = (typeof RESTORE_TYPES)[number];
