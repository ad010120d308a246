import * as z from 'zod';
import { IDENTIFIER_RULE, identifierProblem } from '../naming';
import { isTimeZone, SCHEDULE_EXPRESSION_FORMS, scheduleExpressionProblem } from './schedule-expression';

/** A string checked by `problemOf`, whose answer becomes the error message and `expected` the fix. */
function checkedString(
  description: string,
  expected: string,
  problemOf: (value: string) => string | undefined,
) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = problemOf(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, params: { expected } });
    })
    .describe(description);
}

function matching(pattern: RegExp, whatItIs: string) {
  return (value: string) => (pattern.test(value) ? undefined : `is not ${whatItIs}`);
}

const ARN_PREFIX = 'arn:aws(-[a-z]+)*';
const ACCOUNT_REGION = '[a-z]{2}(-[a-z]+)+-\\d:\\d{12}';

/** An RDS DB instance or cluster identifier in this account and region (RDS stores it in lowercase). */
export function identifier(description: string) {
  return checkedString(description, IDENTIFIER_RULE, identifierProblem).toLowerCase();
}

const rdsArnPattern = (resource: string) =>
  new RegExp(`^${ARN_PREFIX}:rds:${ACCOUNT_REGION}:${resource}:(.+)$`);
export const DB_ARN = rdsArnPattern('db');
export const CLUSTER_ARN = rdsArnPattern('cluster');
export const SNAPSHOT_ARN = rdsArnPattern('snapshot');
export const CLUSTER_SNAPSHOT_ARN = rdsArnPattern('cluster-snapshot');

export function isArn(value: string): boolean {
  return value.startsWith('arn:');
}

/** An identifier, or the ARN of a resource shared from another account. */
export function identifierOrArn(resource: 'db' | 'cluster', description: string) {
  const arnPattern = resource === 'db' ? DB_ARN : CLUSTER_ARN;
  return checkedString(
    description,
    `${IDENTIFIER_RULE}, or an ARN arn:aws:rds:<region>:<account>:${resource}:<id>`,
    (value) => {
      if (!isArn(value)) return identifierProblem(value);
      const match = value.match(arnPattern);
      if (!match) return `is not an RDS ${resource} ARN`;
      const problem = identifierProblem(match[match.length - 1] ?? '');
      return problem ? `names an identifier that ${problem}` : undefined;
    },
  );
}

export const snapshotReference = checkedString(
  'The snapshot to restore: "latest" (the newest available snapshot of the source, manual or automated), a snapshot identifier, or the ARN of a snapshot shared from another account.',
  '"latest", a snapshot identifier such as "app1-prod-2026-11-20" or "rds:app1-prod-2026-11-20-03-10", or a snapshot ARN',
  (value) => {
    if (value === 'latest' || isArn(value)) {
      return !isArn(value) || SNAPSHOT_ARN.test(value) || CLUSTER_SNAPSHOT_ARN.test(value)
        ? undefined
        : 'is not an RDS snapshot or cluster snapshot ARN';
    }
    return /^(rds:)?[A-Za-z][A-Za-z0-9-]{0,254}$/.test(value) ? undefined : 'is not a snapshot identifier';
  },
);

export const instanceClass = checkedString(
  "DB instance class, for example db.t4g.medium or db.r6g.large (db.serverless for Aurora Serverless v2). Default: the live target's class.",
  'a DB instance class such as db.t4g.medium',
  matching(/^db\.(serverless|[a-z][a-z0-9-]*\.[a-z0-9]+)$/, 'a DB instance class'),
);

export const port = z
  .number()
  .int()
  .min(1150)
  .max(65535)
  .describe("Port the database listens on, 1150-65535. Default: the live target's port.");

export const securityGroupIds = z
  .array(
    checkedString(
      'VPC security group id',
      'a security group id such as sg-0123456789abcdef0',
      matching(/^sg-([0-9a-f]{8}|[0-9a-f]{17})$/, 'a security group id'),
    ),
  )
  .min(1)
  .max(5)
  .describe("VPC security group ids (1-5). Default: the live target's.");

export const kmsKeyId = checkedString(
  "KMS key for the restored copy (key id, alias/name, or key/alias ARN). Needed when restoring a snapshot or cluster shared from another account. Default: the source's key.",
  'a KMS key id (uuid), alias/<name>, or arn:aws:kms:<region>:<account>:key/<id>',
  matching(
    new RegExp(
      `^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]+|${ARN_PREFIX}:kms:${ACCOUNT_REGION}:(key|alias)/.+)$`,
    ),
    'a KMS key id, alias or ARN',
  ),
);

export const groupName = (what: string) =>
  checkedString(
    `${what}. Default: the live target's.`,
    'a name of letters, digits, hyphens, dots or underscores, starting with a letter',
    matching(/^[A-Za-z][A-Za-z0-9._-]{0,254}$/, `a valid ${what.toLowerCase()} name`),
  );

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const MINUTES_PER_DAY = 24 * 60;

/** Minutes since the start of the day ("hh24:mi") or of the week ("ddd:hh24:mi"); undefined when malformed. */
function minutesOf(time: string, withDay: boolean): number | undefined {
  const match = (withDay ? /^([a-z]{3}):(\d{2}):(\d{2})$/ : /^()(\d{2}):(\d{2})$/).exec(time);
  if (!match) return undefined;
  const [, day = '', hours, minutes] = match;
  const dayIndex = withDay ? DAYS.indexOf(day) : 0;
  if (dayIndex < 0 || Number(hours) > 23 || Number(minutes) > 59) return undefined;
  return dayIndex * MINUTES_PER_DAY + Number(hours) * 60 + Number(minutes);
}

/**
 * A window "start-end" of at least 30 minutes, in UTC, as CreateDBInstance and ModifyDBInstance take
 * PreferredBackupWindow ("hh24:mi-hh24:mi") and PreferredMaintenanceWindow ("ddd:hh24:mi-ddd:hh24:mi").
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html
 */
function windowProblem(value: string, withDay: boolean): string | undefined {
  const [start, end, ...rest] = value.split('-');
  const from = start === undefined ? undefined : minutesOf(start, withDay);
  const to = end === undefined ? undefined : minutesOf(end, withDay);
  if (from === undefined || to === undefined || rest.length > 0)
    return 'is not a window in the expected format';
  const period = withDay ? 7 * MINUTES_PER_DAY : MINUTES_PER_DAY;
  return (to - from + period) % period < 30 ? 'is shorter than 30 minutes' : undefined;
}

export const backupWindow = checkedString(
  "Daily time range (UTC) in which automated backups are taken, hh24:mi-hh24:mi, at least 30 minutes, not overlapping the maintenance window. Default: the live target's.",
  'a UTC window such as "03:00-03:30"',
  (value) => windowProblem(value, false),
);

export const maintenanceWindow = checkedString(
  "Weekly time range (UTC) for system maintenance, ddd:hh24:mi-ddd:hh24:mi, at least 30 minutes. Default: the live target's.",
  'a UTC window such as "sun:04:00-sun:04:30"',
  (value) => windowProblem(value, true),
);

export const caCertificate = checkedString(
  "Identifier of the CA certificate of the database's TLS server certificate, for example rds-ca-rsa2048-g1. Default: the live target's.",
  'a CA certificate identifier such as "rds-ca-rsa2048-g1"',
  matching(/^[a-z][a-z0-9-]{0,127}$/, 'a CA certificate identifier'),
);

/**
 * "7, month * 31, where month is a number of months from 1-23, 731"
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html, PerformanceInsightsRetentionPeriod).
 */
export const performanceInsightsRetentionDays = z
  .number()
  .int()
  .min(7)
  .max(731)
  .refine((days) => days === 7 || days === 731 || (days % 31 === 0 && days >= 31 && days <= 713), {
    message: 'is not a Performance Insights retention period',
    params: { expected: '7, a multiple of 31 from 31 to 713 (1-23 months), or 731' },
  })
  .describe(
    "Days Performance Insights keeps its data: 7, 31 × months (1-23) or 731. Default: the live target's.",
  );

export const secretName = checkedString(
  "Secrets Manager secret (name or ARN) that holds the admin user's credentials (username, password, host, port, engine).",
  'a secret name of letters, digits and /_+=.@- (for example /development/app1/app1-dev), or a secret ARN',
  matching(
    /^([A-Za-z0-9/_+=.@-]{1,512}|arn:aws(-[a-z]+)*:secretsmanager:.+:secret:.+)$/,
    'a Secrets Manager secret name or ARN',
  ),
);

export const bucketName = checkedString(
  'S3 bucket holding the SQL scripts.',
  '3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit',
  (value) => {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value)) return 'is not a valid S3 bucket name';
    if (/\.\.|^\d+\.\d+\.\d+\.\d+$/.test(value)) return 'is not a valid S3 bucket name';
    return undefined;
  },
);

export const scriptPrefix = checkedString(
  'Key prefix (folder) of the scripts in the bucket, for example "app1-dev/".',
  'a relative key prefix without a leading "/" or ".." segments, for example "app1-dev/"',
  (value) =>
    value.startsWith('/') || value.split('/').includes('..') ? 'must be a relative key prefix' : undefined,
);

export const scriptKey = checkedString(
  'A SQL script key relative to the prefix; scripts run in the order listed.',
  'a relative path ending in .sql, for example "01-mask.sql"',
  (value) => {
    if (value.startsWith('/')) return 'must be relative to the prefix, not start with "/"';
    if (value.split('/').some((part) => part === '..' || part === '.' || part === ''))
      return 'must not contain empty, "." or ".." segments';
    if (!/\.sql$/i.test(value)) return 'must be a .sql file';
    return undefined;
  },
);

export const verificationQuery = checkedString(
  'A query that must return no rows, run read-only after the scripts, for example "SELECT id FROM users WHERE email NOT LIKE \'%@example.invalid\'". Any row stops the refresh before the swap.',
  'a single SELECT (or WITH ... SELECT) query',
  (value) => (/^\s*(select|with)\b/i.test(value) ? undefined : 'must be a SELECT query'),
);

export const lambdaArn = checkedString(
  "ARN of a Lambda function invoked with the run's context.",
  'arn:aws:lambda:<region>:<account>:function:<name>',
  matching(
    new RegExp(`^${ARN_PREFIX}:lambda:${ACCOUNT_REGION}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$`),
    'a Lambda function ARN',
  ),
);

export const topicArn = checkedString(
  "An SNS topic that also receives this refresh's notifications, besides the stack's topic.",
  'arn:aws:sns:<region>:<account>:<topic>',
  matching(
    new RegExp(`^${ARN_PREFIX}:sns:${ACCOUNT_REGION}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$`),
    'an SNS topic ARN',
  ),
);

export const label = (what: string) =>
  checkedString(
    what,
    '1-64 letters, digits, dots, underscores or hyphens, starting with a letter or digit',
    matching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a valid name'),
  );

export const tags = z
  .record(
    checkedString('Tag key', 'a key of 1-128 characters not starting with "aws:" or "dbrefresh:"', (key) => {
      if (key.length < 1 || key.length > 128) return 'must be 1-128 characters long';
      if (/^(aws|dbrefresh):/i.test(key)) return 'uses a reserved prefix';
      return undefined;
    }),
    z.string().max(256).describe('Tag value, at most 256 characters'),
  )
  .describe(
    'Tags added to the refreshed target and its replicas, on top of the tags carried over from the live target.',
  );

export const scheduleExpression = checkedString(
  'EventBridge Scheduler expression, for example "cron(0 3 ? * MON-FRI *)" or "rate(1 day)".',
  SCHEDULE_EXPRESSION_FORMS,
  scheduleExpressionProblem,
);

export const timeZone = checkedString(
  'IANA time zone the cron expression is read in, for example "Europe/London". Default: UTC.',
  'an IANA time zone name such as "UTC", "Europe/London" or "America/New_York"',
  (value) => (isTimeZone(value) ? undefined : 'is not an IANA time zone name'),
);

/** ISO 8601 UTC, or the blog's "%Y-%m-%d %H:%M:%S" read as UTC. */
const RESTORE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]00:?00)?$/;

/** The restore time as an ISO 8601 UTC string, or undefined when `value` is not a UTC time. */
export function parseRestoreTime(value: string): string | undefined {
  const match = value.match(RESTORE_TIME);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, , zone] = match;
  if (value.includes('T') && zone === undefined) return undefined;
  const iso = `${year}-${month}-${day}T${hour}:${minute}:${second}Z`;
  const date = new Date(iso);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(iso.slice(0, 19)) ? iso : undefined;
}

export const restoreTime = checkedString(
  'Point in time to restore to, in UTC: ISO 8601 "2026-11-20T03:00:00Z" (the blog\'s "2026-11-20 03:00:00" is read as UTC). Must lie within the source\'s restorable window.',
  'a UTC time such as "2026-11-20T03:00:00Z"',
  (value) => (parseRestoreTime(value) ? undefined : 'is not a valid UTC time in ISO 8601'),
).overwrite((value) => parseRestoreTime(value) ?? value);
