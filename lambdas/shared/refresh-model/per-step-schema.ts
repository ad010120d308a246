import * as z from 'zod';
import { RESTORE_TYPES } from './refresh-file-schema';

/**
 * The per-step refresh file of the AWS Database Blog post "Orchestrating database refreshes for Amazon
 * RDS and Amazon Aurora": one element per state, each with `torun`, `wait_time` and a `check` block,
 * booleans written as strings ("true", "False") and lists as comma-separated strings. Accepted as
 * written so existing files run unchanged; `fromPerStep` turns it into the concise model.
 */

/** "true", "False", ... or a JSON boolean. The pattern spells out the cases because JSON Schema has no /i. */
const STRING_BOOLEAN = '"true" or "false" (any case), or a JSON boolean';
export const stringBoolean = z
  .union([
    z.boolean(),
    z
      .string()
      .regex(/^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$/)
      .describe(STRING_BOOLEAN),
  ])
  .describe(STRING_BOOLEAN);

/** A whole number, also when written as a string ("3306"). */
const WHOLE_NUMBER = 'a whole number, such as 3306 or "3306"';
export const wholeNumber = z
  .union([z.number().int().min(0), z.string().regex(/^\d+$/).describe(WHOLE_NUMBER)])
  .describe(WHOLE_NUMBER);

const text = (description: string) => z.string().describe(description);

export const PER_STEP_SERVICES = ['rds', 'aurora'] as const;
export const PER_STEP_ENGINES = [
  'aurora',
  'aurora-mysql',
  'mysql',
  'mariadb',
  'oracle',
  'aurora-postgresql',
  'postgresql',
] as const;

export const CHECK_KINDS = [
  'checkdeletereplicas',
  'checkstopdb',
  'checkstopcluster',
  'checkrestore',
  'checkdelete',
  'checkdeletecluster',
  'checkupdate',
  'checkrename',
  'checkrenamecluster',
  'checkfixtags',
  'checkreplicas',
  'checkcreate',
  'checkpwd',
  'rotatepwd',
  'runscripts',
  'checkcreatesecret',
] as const;

const dbservice = z.enum(PER_STEP_SERVICES).describe('"rds" or "aurora"');
const engine = z
  .enum(PER_STEP_ENGINES)
  .describe('aurora-mysql, mysql, mariadb, oracle, aurora-postgresql or postgresql');

const check = z
  .strictObject({
    dbservice: dbservice.optional(),
    dbinstance: text('DB instance the check looks at').optional(),
    cluster: text('DB cluster the check looks at').optional(),
    checktodo: z.enum(CHECK_KINDS).describe('Which check runs').optional(),
    bucketname: text('Scripts bucket').optional(),
    prefix: text('Scripts prefix').optional(),
    secretname: text('Secret name').optional(),
    temppwd: text('Plain-text password (ignored by dbrefresh, which generates one)').optional(),
    replicas: text('Comma-separated replica names').optional(),
    torun: stringBoolean.optional(),
  })
  .describe(
    'Parameters of the check that polls the step; dbrefresh derives them, so they are only checked for consistency.',
  );

/** `torun`, `wait_time` and `check`, which every element has. */
const step = {
  torun: stringBoolean.optional().describe('"true" to run this step, "false" to skip it'),
  wait_time: wholeNumber
    .optional()
    .describe('Seconds between checks (dbrefresh adapts its waits; kept for compatibility)'),
  check: check.optional(),
};

const element = <T extends z.ZodRawShape>(description: string, shape: T) =>
  z.strictObject({ ...shape, ...step }).describe(description);

const restore = element('perform-restore: restores the source into <target>temp', {
  dbservice: dbservice.optional(),
  restoretype: z
    .enum(RESTORE_TYPES)
    .describe('latestpoint, restorepoint, fromsnapshot or fastcloning')
    .optional(),
  application: text('Application name').optional(),
  environment: text('Environment name').optional(),
  source: text('Source DB instance (rds)').optional(),
  target: text('Target DB instance (rds)').optional(),
  sourcecluster: text('Source DB cluster (aurora)').optional(),
  targetcluster: text('Target DB cluster (aurora)').optional(),
  engine: engine.optional(),
  engineversion: text('Engine version (aurora fromsnapshot)').optional(),
  restoretime: text('Restore time "%Y-%m-%d %H:%M:%S", UTC (restorepoint)').optional(),
  snapshot: text('Snapshot identifier or ARN (fromsnapshot)').optional(),
  port: wholeNumber.optional(),
  subgrp: text('DB subnet group').optional(),
  secgrpids: text('Security group id(s), comma-separated').optional(),
  dbparamgrp: text('DB parameter group (rds)').optional(),
  cluparamgrp: text('DB cluster parameter group (aurora)').optional(),
  dbclass: text('DB instance class (rds)').optional(),
  dbname: text("Database name (ignored, as in the blog's code)").optional(),
  multiaz: stringBoolean.optional(),
  autominor: stringBoolean.optional(),
  storagetype: text('Storage type').optional(),
  iops: wholeNumber.optional(),
  iamdbauth: stringBoolean.optional(),
  cwalogs: text('Log types exported to CloudWatch Logs, comma-separated').optional(),
  copytagstosnap: stringBoolean.optional(),
  deletionprotection: stringBoolean.optional(),
  backtrack: wholeNumber.optional(),
});

const createinstance = element('create-instance: creates the writer of the restored Aurora cluster', {
  dbservice: dbservice.optional(),
  cluster: text('Restored (temp) cluster').optional(),
  dbinstance: text('Final name of the writer instance').optional(),
  application: text('Application name').optional(),
  environment: text('Environment name').optional(),
  dbclass: text('DB instance class').optional(),
  engine: engine.optional(),
  subgrp: text('DB subnet group').optional(),
  dbparamgrp: text('DB parameter group').optional(),
  autominor: stringBoolean.optional(),
  copytagstosnap: stringBoolean.optional(),
  perfinsights: stringBoolean.optional(),
  perfinsightsretention: wholeNumber.optional(),
  perfinsightskmskeyid: text('Performance Insights KMS key').optional(),
  enhancedmon: stringBoolean.optional(),
  enhancedmoninterval: wholeNumber.optional(),
  enhancedmonrolearn: text('Enhanced Monitoring role ARN').optional(),
});

const instanceStep = (description: string) =>
  element(description, {
    dbservice: dbservice.optional(),
    dbinstance: text('DB instance').optional(),
    cluster: text('DB cluster').optional(),
  });

const fixtags = element('fix-tags: tags the refreshed target', {
  dbservice: dbservice.optional(),
  dbinstance: text('DB instance').optional(),
  dbarn: text('DB instance ARN').optional(),
  cluster: text('DB cluster').optional(),
  cluarn: text('DB cluster ARN').optional(),
});

const createreplicas = element('create-read-replicas: recreates the replicas (rds) or readers (aurora)', {
  dbservice: dbservice.optional(),
  application: text('Application name').optional(),
  environment: text('Environment name').optional(),
  dbinstance: text('Primary DB instance (rds)').optional(),
  cluster: text('DB cluster (aurora)').optional(),
  engine: engine.optional(),
  replicas: text('rds: "name_class_port,..."; aurora: "name_class,..."').optional(),
  autominor: stringBoolean.optional(),
  copytagstosnap: stringBoolean.optional(),
  multiaz: stringBoolean.optional(),
  iamdbauth: stringBoolean.optional(),
  secgrpids: text('Security group id(s)').optional(),
  storagetype: text('Storage type').optional(),
  iops: wholeNumber.optional(),
  subgrp: text('DB subnet group').optional(),
  dbparamgrp: text('DB parameter group').optional(),
});

const changepwd = element('change-admin-pwd: sets a new admin password', {
  dbservice: dbservice.optional(),
  dbinstance: text('DB instance').optional(),
  cluster: text('DB cluster').optional(),
  temppwd: text('Plain-text password (ignored: dbrefresh generates one)').optional(),
  secret: stringBoolean.optional(),
  secretname: text('Secret that receives the credentials').optional(),
});

const rotatepwd = element('rotate-admin-pwd: rotates the admin secret', {
  dbservice: dbservice.optional(),
  dbinstance: text('DB instance').optional(),
  cluster: text('DB cluster').optional(),
  secretname: text('Secret to rotate').optional(),
});

const runscripts = element('runscripts: runs SQL scripts from S3', {
  dbservice: dbservice.optional(),
  dbinstance: text('DB instance').optional(),
  cluster: text('DB cluster').optional(),
  engine: engine.optional(),
  access: z.enum(['pwd', 'secret']).describe('"pwd" or "secret"').optional(),
  temppwd: text('Plain-text password (ignored: dbrefresh uses the generated one)').optional(),
  secretname: text('Secret with the credentials').optional(),
  method: z.enum(['lambda', 'ec2']).describe('"lambda" or "ec2"').optional(),
  bucketname: text('Scripts bucket').optional(),
  prefix: text('Scripts prefix').optional(),
  keys: text('Script file names, comma-separated, run in that order').optional(),
});

const record = element('update-dynamodb: records the run', {
  dbservice: dbservice.optional(),
  dbinstance: text('DB instance').optional(),
  cluster: text('DB cluster').optional(),
  application: text('Application name').optional(),
  environment: text('Environment name').optional(),
  source: text('Source').optional(),
  restoretype: z.enum(RESTORE_TYPES).optional(),
  tablename: text('DynamoDB table (dbrefresh uses its own history table)').optional(),
  snapshot: text('Snapshot').optional(),
  restoretime: text('Restore time').optional(),
});

const sendmsg = element('send-msg: notifies through SNS', {
  dbservice: dbservice.optional(),
  dbinstance: text('DB instance').optional(),
  cluster: text('DB cluster').optional(),
  application: text('Application name').optional(),
  environment: text('Environment name').optional(),
  source: text('Source').optional(),
  restoretype: z.enum(RESTORE_TYPES).optional(),
  topicarn: text('SNS topic ARN').optional(),
});

const createsecret = element(
  "create-secret (documented in the blog's guide, never wired into its state machine)",
  {
    temppwd: text('Plain-text password').optional(),
    secretname: text('Secret name').optional(),
    rotation: stringBoolean.optional(),
    lambdaarn: text('Rotation Lambda ARN').optional(),
    rotationdays: wholeNumber.optional(),
  },
);

export const PerStepRefreshFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    comment: z.string().optional(),
    restore,
    deletereplicas: instanceStep("delete-replicas: deletes the target's replicas").optional(),
    stopdb: instanceStep('stop-old-database: stops the old target').optional(),
    createinstance: createinstance.optional(),
    delete: instanceStep('delete-old-database: deletes the old target').optional(),
    deletecluster: instanceStep('delete-old-cluster: deletes the old target cluster').optional(),
    renamecluster: instanceStep('rename-cluster: renames <cluster>temp to <cluster>').optional(),
    rename: instanceStep('rename-database: renames <instance>temp to <instance>').optional(),
    fixtags: fixtags.optional(),
    createreplicas: createreplicas.optional(),
    changeadminpwd: changepwd.optional(),
    changemasterpwd: changepwd.optional(),
    rotateadminpwd: rotatepwd.optional(),
    rotatemasterpwd: rotatepwd.optional(),
    createsecret: createsecret.optional(),
    runscripts: runscripts.optional(),
    updatedynamodb: record.optional(),
    sendmsg: sendmsg.optional(),
  })
  .describe('A refresh file in the per-step form of the AWS Database Blog post.');

export type PerStepRefreshFile = z.output<typeof PerStepRefreshFileSchema>;

/** Top-level elements that only the per-step form has. */
export const PER_STEP_ELEMENTS = Object.keys(PerStepRefreshFileSchema.shape).filter(
  (key) => !['$schema', 'comment', 'restore'].includes(key),
);
