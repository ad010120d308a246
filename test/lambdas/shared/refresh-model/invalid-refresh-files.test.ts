import { errorsOf, formatPath, parseRefreshFile } from '../../../../lambdas/shared/refresh-model';

/**
 * Each case breaks one thing in a valid file and names where the error must be reported, what it
 * must say and what fix it must offer. Every case must also leave the file without a model.
 */
// biome-ignore lint/suspicious/noExplicitAny: fixtures are plain JSON, changed freely by each case
type Json = Record<string, any>;

interface Case {
  readonly name: string;
  readonly base: () => Json;
  readonly change: (file: Json) => void;
  readonly path: string;
  readonly message: RegExp;
  readonly expected: RegExp;
}

const NOW = new Date('2026-11-21T12:00:00Z');

const rds = (): Json => ({
  application: 'app1',
  environment: 'development',
  service: 'rds',
  engine: 'mysql',
  source: { instance: 'app1-prod' },
  target: { instance: 'app1-dev' },
  restore: { type: 'latestpoint' },
});

const aurora = (): Json => ({
  application: 'shop',
  environment: 'integration',
  service: 'aurora',
  engine: 'aurora-postgresql',
  source: { cluster: 'shop-prod' },
  target: { cluster: 'shop-int', writer: 'shop-int-1' },
  restore: { type: 'fastcloning' },
});

const step = (extra: Json): Json => ({ torun: 'true', wait_time: 10, ...extra });

const perStep = (): Json => ({
  comment: 'blog form',
  restore: step({
    dbservice: 'rds',
    source: 'mysqlinstp',
    target: 'mysqlinstd',
    restoretype: 'latestpoint',
    application: 'app1',
    environment: 'development',
    port: 3307,
    multiaz: 'False',
    check: { dbservice: 'rds', dbinstance: 'mysqlinstdtemp', checktodo: 'checkrestore', torun: 'true' },
  }),
  rename: step({ dbservice: 'rds', dbinstance: 'mysqlinstdtemp' }),
  changeadminpwd: step({
    dbservice: 'rds',
    dbinstance: 'mysqlinstd',
    secret: 'true',
    secretname: '/development/app1/mysqlinstd',
  }),
  runscripts: step({
    dbservice: 'rds',
    dbinstance: 'mysqlinstd',
    engine: 'mysql',
    access: 'secret',
    method: 'lambda',
    bucketname: 'awsolproj',
    prefix: 'rdsmysql/mysqlinstd',
    keys: '00test.sql,01test.sql',
  }),
});

const cases: Case[] = [
  // Unknown fields, with "did you mean"
  {
    name: 'misspelt top-level field',
    base: rds,
    change: (f) => {
      f.servce = f.service;
      delete f.service;
    },
    path: '$.servce',
    message: /not a known field/,
    expected: /did you mean "service"/,
  },
  {
    name: 'misspelt target field',
    base: rds,
    change: (f) => {
      f.target.instanceclass = 'db.t4g.medium';
    },
    path: '$.target.instanceclass',
    message: /not a known field/,
    expected: /did you mean "instanceClass"/,
  },
  {
    name: 'misspelt restore field',
    base: rds,
    change: (f) => {
      f.restore = { type: 'restorepoint', tme: '2026-11-20T03:00:00Z' };
    },
    path: '$.restore.tme',
    message: /not a known field/,
    expected: /did you mean "time"/,
  },
  {
    name: 'unknown field far from any known one',
    base: rds,
    change: (f) => {
      f.target.colour = 'blue';
    },
    path: '$.target.colour',
    message: /not a known field/,
    expected: /remove it; known fields here: instance, instanceClass/,
  },
  {
    name: 'aurora target named as an instance',
    base: aurora,
    change: (f) => {
      f.target = { instance: 'shop-int' };
    },
    path: '$.target.instance',
    message: /not a known field/,
    expected: /known fields here: cluster/,
  },
  // Service, engine and restore type
  {
    name: 'misspelt service',
    base: rds,
    change: (f) => {
      f.service = 'rdss';
    },
    path: '$.service',
    message: /not an allowed value/,
    expected: /did you mean "rds"/,
  },
  {
    name: 'missing service',
    base: rds,
    change: (f) => {
      delete f.service;
    },
    path: '$.service',
    message: /is required/,
    expected: /"rds", "aurora"/,
  },
  {
    name: 'engine spelt as in the blog',
    base: rds,
    change: (f) => {
      f.engine = 'postgresql';
    },
    path: '$.engine',
    message: /not an allowed value/,
    expected: /did you mean "postgres"/,
  },
  {
    name: 'Aurora engine on an RDS instance',
    base: rds,
    change: (f) => {
      f.engine = 'aurora-mysql';
    },
    path: '$.engine',
    message: /Aurora engine but service is "rds"/,
    expected: /set service to "aurora"/,
  },
  {
    name: 'RDS engine on an Aurora cluster',
    base: aurora,
    change: (f) => {
      f.engine = 'mysql';
    },
    path: '$.engine',
    message: /RDS engine but service is "aurora"/,
    expected: /aurora-mysql, aurora-postgresql for aurora/,
  },
  {
    name: 'unknown restore type',
    base: rds,
    change: (f) => {
      f.restore = { type: 'pitr' };
    },
    path: '$.restore.type',
    message: /not an allowed value/,
    expected: /"latestpoint", "restorepoint", "fromsnapshot", "fastcloning"/,
  },
  {
    name: 'fast cloning of an RDS instance',
    base: rds,
    change: (f) => {
      f.restore = { type: 'fastcloning' };
    },
    path: '$.restore.type',
    message: /Aurora feature/,
    expected: /latestpoint, restorepoint or fromsnapshot for rds/,
  },
  // Identifiers
  {
    name: 'target equal to source',
    base: rds,
    change: (f) => {
      f.target.instance = 'APP1-PROD';
    },
    path: '$.target.instance',
    message: /same database as the source/,
    expected: /different instance than the source "app1-prod"/,
  },
  {
    name: 'target cluster equal to source cluster',
    base: aurora,
    change: (f) => {
      f.target.cluster = 'shop-prod';
    },
    path: '$.target.cluster',
    message: /same database as the source/,
    expected: /different cluster/,
  },
  {
    name: 'target too long for the derived names',
    base: rds,
    change: (f) => {
      f.target.instance = `a${'b'.repeat(50)}`;
    },
    path: '$.target.instance',
    message: /temporary copy .* would exceed/,
    expected: /at most 50 characters/,
  },
  {
    name: 'writer too long for the derived names',
    base: aurora,
    change: (f) => {
      f.target.writer = `w${'x'.repeat(55)}`;
    },
    path: '$.target.writer',
    message: /would exceed/,
    expected: /at most 50 characters/,
  },
  {
    name: 'target starting with a digit',
    base: rds,
    change: (f) => {
      f.target.instance = '1app';
    },
    path: '$.target.instance',
    message: /must start with a letter/,
    expected: /starting with a letter/,
  },
  {
    name: 'target with two consecutive hyphens',
    base: rds,
    change: (f) => {
      f.target.instance = 'app1--dev';
    },
    path: '$.target.instance',
    message: /two consecutive hyphens/,
    expected: /no two consecutive hyphens/,
  },
  {
    name: 'target ending with a hyphen',
    base: rds,
    change: (f) => {
      f.target.instance = 'app1-dev-';
    },
    path: '$.target.instance',
    message: /must not end with a hyphen/,
    expected: /no trailing hyphen/,
  },
  {
    name: 'target with an underscore',
    base: rds,
    change: (f) => {
      f.target.instance = 'app1_dev';
    },
    path: '$.target.instance',
    message: /contains "_"/,
    expected: /letters, digits or hyphens/,
  },
  {
    name: 'source longer than 63 characters',
    base: rds,
    change: (f) => {
      f.source.instance = `s${'x'.repeat(63)}`;
    },
    path: '$.source.instance',
    message: /more than RDS allows/,
    expected: /1-63 letters/,
  },
  {
    name: 'replica named like the target',
    base: rds,
    change: (f) => {
      f.replicas = [{ instance: 'app1-dev' }];
    },
    path: '$.replicas[0].instance',
    message: /already used by the target/,
    expected: /used by no other database/,
  },
  {
    name: 'two replicas with one name',
    base: aurora,
    change: (f) => {
      f.replicas = [{ instance: 'shop-int-2' }, { instance: 'shop-int-2' }];
    },
    path: '$.replicas[1].instance',
    message: /already used by replica 0/,
    expected: /used by no other database/,
  },
  // Restore point and snapshot
  {
    name: 'restorepoint without a time',
    base: rds,
    change: (f) => {
      f.restore = { type: 'restorepoint' };
    },
    path: '$.restore.time',
    message: /is required/,
    expected: /UTC/,
  },
  {
    name: 'restore time in a local format',
    base: rds,
    change: (f) => {
      f.restore = { type: 'restorepoint', time: '20/11/2026 03:00' };
    },
    path: '$.restore.time',
    message: /not a valid UTC time/,
    expected: /"2026-11-20T03:00:00Z"/,
  },
  {
    name: 'restore time with a non-UTC offset',
    base: rds,
    change: (f) => {
      f.restore = { type: 'restorepoint', time: '2026-11-20T03:00:00+02:00' };
    },
    path: '$.restore.time',
    message: /not a valid UTC time/,
    expected: /UTC time/,
  },
  {
    name: 'ISO restore time without a zone',
    base: aurora,
    change: (f) => {
      f.restore = { type: 'restorepoint', time: '2026-11-20T03:00:00' };
    },
    path: '$.restore.time',
    message: /not a valid UTC time/,
    expected: /UTC time/,
  },
  {
    name: 'restore time on a day that does not exist',
    base: rds,
    change: (f) => {
      f.restore = { type: 'restorepoint', time: '2026-02-30 03:00:00' };
    },
    path: '$.restore.time',
    message: /not a valid UTC time/,
    expected: /UTC time/,
  },
  {
    name: 'restore time in the future',
    base: rds,
    change: (f) => {
      f.restore = { type: 'restorepoint', time: '2026-11-22 03:00:00' };
    },
    path: '$.restore.time',
    message: /in the future/,
    expected: /before now \(2026-11-21T12:00:00Z\)/,
  },
  {
    name: 'fromsnapshot without a snapshot',
    base: rds,
    change: (f) => {
      f.restore = { type: 'fromsnapshot' };
    },
    path: '$.restore.snapshot',
    message: /is required/,
    expected: /"latest"/,
  },
  {
    name: 'snapshot that is not an identifier',
    base: rds,
    change: (f) => {
      f.restore = { type: 'fromsnapshot', snapshot: 'my snapshot' };
    },
    path: '$.restore.snapshot',
    message: /not a snapshot identifier/,
    expected: /"latest", a snapshot identifier/,
  },
  {
    name: 'cluster snapshot for an RDS instance',
    base: rds,
    change: (f) => {
      f.restore = {
        type: 'fromsnapshot',
        snapshot: 'arn:aws:rds:eu-west-1:111122223333:cluster-snapshot:shop-1',
      };
    },
    path: '$.restore.snapshot',
    message: /Aurora cluster snapshot/,
    expected: /DB snapshot ARN/,
  },
  {
    name: 'instance snapshot for an Aurora cluster',
    base: aurora,
    change: (f) => {
      f.restore = { type: 'fromsnapshot', snapshot: 'arn:aws:rds:eu-west-1:111122223333:snapshot:app1-1' };
    },
    path: '$.restore.snapshot',
    message: /RDS instance snapshot/,
    expected: /cluster snapshot ARN/,
  },
  {
    name: 'source ARN with a point-in-time restore',
    base: rds,
    change: (f) => {
      f.source.instance = 'arn:aws:rds:eu-west-1:111122223333:db:app1-prod';
    },
    path: '$.source.instance',
    message: /needs a source in this account/,
    expected: /restore type fromsnapshot/,
  },
  {
    name: 'source ARN of the wrong resource type',
    base: aurora,
    change: (f) => {
      f.source.cluster = 'arn:aws:rds:eu-west-1:111122223333:db:shop-prod';
    },
    path: '$.source.cluster',
    message: /not an RDS cluster ARN/,
    expected: /arn:aws:rds:<region>:<account>:cluster:<id>/,
  },
  // Scripts
  {
    name: 'absolute script key',
    base: rds,
    change: (f) => {
      f.scripts = { bucket: 'app1-scripts', keys: ['/etc/mask.sql'] };
    },
    path: '$.scripts.keys[0]',
    message: /relative to the prefix/,
    expected: /relative path ending in \.sql/,
  },
  {
    name: 'script key that is not .sql',
    base: rds,
    change: (f) => {
      f.scripts = { bucket: 'app1-scripts', keys: ['01-mask.sql', '02-notes.txt'] };
    },
    path: '$.scripts.keys[1]',
    message: /must be a \.sql file/,
    expected: /ending in \.sql/,
  },
  {
    name: 'script key climbing out of the prefix',
    base: rds,
    change: (f) => {
      f.scripts = { bucket: 'app1-scripts', keys: ['../other/mask.sql'] };
    },
    path: '$.scripts.keys[0]',
    message: /"\.\." segments/,
    expected: /relative path/,
  },
  {
    name: 'no script keys',
    base: rds,
    change: (f) => {
      f.scripts = { bucket: 'app1-scripts', keys: [] };
    },
    path: '$.scripts.keys',
    message: /at least 1 item/,
    expected: /SQL scripts to run/,
  },
  {
    name: 'bucket name with capitals',
    base: rds,
    change: (f) => {
      f.scripts = { bucket: 'App1_Scripts', keys: ['a.sql'] };
    },
    path: '$.scripts.bucket',
    message: /not a valid S3 bucket name/,
    expected: /lowercase letters/,
  },
  {
    name: 'verification query that changes data',
    base: rds,
    change: (f) => {
      f.scripts = { bucket: 'app1-scripts', keys: ['a.sql'], verify: ['DELETE FROM users'] };
    },
    path: '$.scripts.verify[0]',
    message: /must be a SELECT query/,
    expected: /single SELECT/,
  },
  {
    name: 'scripts on Oracle',
    base: rds,
    change: (f) => {
      f.engine = 'oracle';
      f.scripts = { bucket: 'app1-scripts', keys: ['a.sql'] };
    },
    path: '$.scripts',
    message: /Oracle is not supported/,
    expected: /hooks\.beforeSwap/,
  },
  // Schedule
  {
    name: 'cron with five fields',
    base: rds,
    change: (f) => {
      f.schedule = { expression: 'cron(0 3 * * 1-5)', timezone: 'UTC' };
    },
    path: '$.schedule.expression',
    message: /needs 6 fields/,
    expected: /cron\(minutes hours day-of-month month day-of-week year\)/,
  },
  {
    name: 'cron with both day fields',
    base: rds,
    change: (f) => {
      f.schedule = { expression: 'cron(0 3 * * MON-FRI *)', timezone: 'UTC' };
    },
    path: '$.schedule.expression',
    message: /"\?" in exactly one/,
    expected: /"\?" in day-of-month or day-of-week/,
  },
  {
    name: 'rate with a plural for one',
    base: rds,
    change: (f) => {
      f.schedule = { expression: 'rate(1 days)' };
    },
    path: '$.schedule.expression',
    message: /singular unit: rate\(1 day\)/,
    expected: /rate\(value/,
  },
  {
    name: 'time zone that does not exist',
    base: rds,
    change: (f) => {
      f.schedule = { expression: 'rate(1 day)', timezone: 'Europe/Londn' };
    },
    path: '$.schedule.timezone',
    message: /not an IANA time zone/,
    expected: /"Europe\/London"/,
  },
  {
    name: 'one-time schedule',
    base: rds,
    change: (f) => {
      f.schedule = { expression: 'at(2026-12-01T00:00:00)' };
    },
    path: '$.schedule.expression',
    message: /one-time/,
    expected: /cron\(/,
  },
  // Guards and settings
  {
    name: 'production environment',
    base: rds,
    change: (f) => {
      f.environment = 'Production';
    },
    path: '$.environment',
    message: /production environment/,
    expected: /non-production environment/,
  },
  {
    name: 'application with a space',
    base: rds,
    change: (f) => {
      f.application = 'app 1';
    },
    path: '$.application',
    message: /not a valid name/,
    expected: /letters, digits, dots/,
  },
  {
    name: 'security group id that is too short',
    base: rds,
    change: (f) => {
      f.target.securityGroupIds = ['sg-123'];
    },
    path: '$.target.securityGroupIds[0]',
    message: /not a security group id/,
    expected: /sg-0123456789abcdef0/,
  },
  {
    name: 'instance class without the db. prefix',
    base: rds,
    change: (f) => {
      f.target.instanceClass = 't3.micro';
    },
    path: '$.target.instanceClass',
    message: /not a DB instance class/,
    expected: /db\.t4g\.medium/,
  },
  {
    name: 'reserved port',
    base: rds,
    change: (f) => {
      f.target.port = 80;
    },
    path: '$.target.port',
    message: /must be at least 1150/,
    expected: /1150-65535/,
  },
  {
    name: 'port written as a string',
    base: rds,
    change: (f) => {
      f.target.port = '3306';
    },
    path: '$.target.port',
    message: /must be a number/,
    expected: /Port the database listens on/,
  },
  {
    name: 'managed password with a secret name',
    base: rds,
    change: (f) => {
      f.adminPassword = { managed: true, secretName: 'x' };
    },
    path: '$.adminPassword.secretName',
    message: /RDS creates and names the managed secret/,
    expected: /remove secretName/,
  },
  {
    name: 'iops on gp2',
    base: rds,
    change: (f) => {
      f.target.storageType = 'gp2';
      f.target.iops = 3000;
    },
    path: '$.target.iops',
    message: /cannot be set with storageType "gp2"/,
    expected: /gp3, io1 or io2/,
  },
  {
    name: 'io1 without iops',
    base: rds,
    change: (f) => {
      f.target.storageType = 'io1';
    },
    path: '$.target.iops',
    message: /required with storageType "io1"/,
    expected: /provisioned IOPS/,
  },
  {
    name: 'backtrack on Aurora PostgreSQL',
    base: aurora,
    change: (f) => {
      f.target.backtrackWindowSeconds = 3600;
    },
    path: '$.target.backtrackWindowSeconds',
    message: /Aurora MySQL feature/,
    expected: /remove it for aurora-postgresql/,
  },
  {
    name: 'serverless capacity on a provisioned class',
    base: aurora,
    change: (f) => {
      f.target.instanceClass = 'db.r6g.large';
      f.target.serverless = { minCapacity: 1, maxCapacity: 4 };
    },
    path: '$.target.instanceClass',
    message: /must be "db\.serverless"/,
    expected: /remove target\.serverless/,
  },
  {
    name: 'serverless minimum above maximum',
    base: aurora,
    change: (f) => {
      f.target.serverless = { minCapacity: 8, maxCapacity: 4 };
    },
    path: '$.target.serverless.maxCapacity',
    message: /smaller than minCapacity/,
    expected: /at least 8/,
  },
  {
    name: 'old target kept for more than a week',
    base: rds,
    change: (f) => {
      f.oldTarget = { keepHours: 200 };
    },
    path: '$.oldTarget.keepHours',
    message: /at most 168/,
    expected: /Keep the old target stopped/,
  },
  {
    name: 'hook that is not a Lambda ARN',
    base: rds,
    change: (f) => {
      f.hooks = { beforeSwap: 'my-function' };
    },
    path: '$.hooks.beforeSwap',
    message: /not a Lambda function ARN/,
    expected: /arn:aws:lambda/,
  },
  {
    name: 'tag with a reserved prefix',
    base: rds,
    change: (f) => {
      f.tags = { 'aws:owner': 'me' };
    },
    path: '$.tags["aws:owner"]',
    message: /reserved prefix/,
    expected: /not starting with "aws:"/,
  },
  {
    name: 'protected written as a string',
    base: rds,
    change: (f) => {
      f.protected = 'yes';
    },
    path: '$.protected',
    message: /wrong type/,
    expected: /approval/,
  },
  {
    name: 'protected with no approvers',
    base: rds,
    change: (f) => {
      f.protected = { approvers: [] };
    },
    path: '$.protected.approvers',
    message: /at least 1 item/,
    expected: /Who may approve/,
  },
  // Per-step form
  {
    name: 'per-step: unknown restore type',
    base: perStep,
    change: (f) => {
      f.restore.restoretype = 'pitr';
    },
    path: '$.restore.restoretype',
    message: /not an allowed value/,
    expected: /"latestpoint", "restorepoint"/,
  },
  {
    name: 'per-step: boolean that is not true or false',
    base: perStep,
    change: (f) => {
      f.restore.multiaz = 'yes';
    },
    path: '$.restore.multiaz',
    message: /required format/,
    expected: /"true" or "false"/,
  },
  {
    name: 'per-step: misspelt element',
    base: perStep,
    change: (f) => {
      f.renam = f.rename;
      delete f.rename;
    },
    path: '$.renam',
    message: /not a known field/,
    expected: /did you mean "rename"/,
  },
  {
    name: 'per-step: misspelt parameter',
    base: perStep,
    change: (f) => {
      f.restore.sorce = f.restore.source;
    },
    path: '$.restore.sorce',
    message: /not a known field/,
    expected: /did you mean "source"/,
  },
  {
    name: 'per-step: misspelt check kind',
    base: perStep,
    change: (f) => {
      f.restore.check.checktodo = 'checkrestor';
    },
    path: '$.restore.check.checktodo',
    message: /not an allowed value/,
    expected: /did you mean "checkrestore"/,
  },
  {
    name: 'per-step: rename of another database',
    base: perStep,
    change: (f) => {
      f.rename.dbinstance = 'otherdbtemp';
    },
    path: '$.rename.dbinstance',
    message: /does not match the restore element/,
    expected: /"mysqlinstd" or "mysqlinstdtemp"/,
  },
  {
    name: 'per-step: element on another service',
    base: perStep,
    change: (f) => {
      f.changeadminpwd.dbservice = 'aurora';
    },
    path: '$.changeadminpwd.dbservice',
    message: /does not match the restore element/,
    expected: /"rds"/,
  },
  {
    name: 'per-step: invalid target identifier',
    base: perStep,
    change: (f) => {
      f.restore.target = 'mysql_inst_d';
    },
    path: '$.restore.target',
    message: /contains "_"/,
    expected: /letters, digits or hyphens/,
  },
  {
    name: 'per-step: missing target',
    base: perStep,
    change: (f) => {
      delete f.restore.target;
    },
    path: '$.restore.target',
    message: /is required/,
    expected: /The DB instance to refresh/,
  },
  {
    name: 'per-step: impossible restore time',
    base: perStep,
    change: (f) => {
      f.restore.restoretype = 'restorepoint';
      f.restore.restoretime = '2026-13-01 00:00:00';
    },
    path: '$.restore.restoretime',
    message: /not a valid UTC time/,
    expected: /UTC time/,
  },
  {
    name: 'per-step: restore skipped',
    base: perStep,
    change: (f) => {
      f.restore.torun = 'false';
    },
    path: '$.restore.torun',
    message: /restores a fresh copy/,
    expected: /"true"/,
  },
  {
    name: 'per-step: script that is not .sql',
    base: perStep,
    change: (f) => {
      f.runscripts.keys = '00test.sql,01test.txt';
    },
    path: '$.runscripts.keys',
    message: /must be a \.sql file/,
    expected: /ending in \.sql/,
  },
  {
    name: 'per-step: fast cloning on rds',
    base: perStep,
    change: (f) => {
      f.restore.restoretype = 'fastcloning';
    },
    path: '$.restore.restoretype',
    message: /Aurora feature/,
    expected: /service "aurora"/,
  },
  {
    name: 'per-step: port that is not a number',
    base: perStep,
    change: (f) => {
      f.restore.port = 'abc';
    },
    path: '$.restore.port',
    message: /required format/,
    expected: /whole number/,
  },
  {
    name: 'per-step: both password elements',
    base: perStep,
    change: (f) => {
      f.changemasterpwd = { ...f.changeadminpwd };
    },
    path: '$.changemasterpwd',
    message: /duplicates changeadminpwd/,
    expected: /only one of/,
  },
  {
    name: 'per-step: production environment',
    base: perStep,
    change: (f) => {
      f.restore.environment = 'prod';
    },
    path: '$.restore.environment',
    message: /production environment/,
    expected: /non-production/,
  },
  // Settings a restore does not keep
  {
    name: 'backup window shorter than 30 minutes',
    base: rds,
    change: (f) => {
      f.target.backupWindow = '03:00-03:15';
    },
    path: '$.target.backupWindow',
    message: /shorter than 30 minutes/,
    expected: /a UTC window such as "03:00-03:30"/,
  },
  {
    name: 'maintenance window without days',
    base: aurora,
    change: (f) => {
      f.target.maintenanceWindow = '04:00-04:30';
    },
    path: '$.target.maintenanceWindow',
    message: /not a window in the expected format/,
    expected: /sun:04:00-sun:04:30/,
  },
  {
    name: 'Performance Insights retention of 94 days',
    base: rds,
    change: (f) => {
      f.target.performanceInsightsRetentionDays = 94;
    },
    path: '$.target.performanceInsightsRetentionDays',
    message: /not a Performance Insights retention period/,
    expected: /7, a multiple of 31 from 31 to 713/,
  },
  {
    name: 'RDS storage type on an Aurora cluster',
    base: aurora,
    change: (f) => {
      f.target.storageType = 'gp3';
    },
    path: '$.target.storageType',
    message: /not an allowed value/,
    expected: /aurora/,
  },
  {
    name: 'final snapshot retention of none',
    base: rds,
    change: (f) => {
      f.oldTarget = { finalSnapshot: { keep: 0 } };
    },
    path: '$.oldTarget.finalSnapshot.keep',
    message: /too small|at least|>=/,
    expected: /How many of the final snapshots/,
  },
];

describe('parseRefreshFile with invalid files', () => {
  it('is fed at least 40 invalid files in both forms', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(cases.filter((c) => c.base === perStep).length).toBeGreaterThanOrEqual(10);
  });

  it.each(cases.map((c) => [c.name, c] as const))('rejects a file with a %s', (_, c) => {
    const file = c.base();
    c.change(file);

    const result = parseRefreshFile(file, { now: NOW });

    expect(result.refreshFile).toBeUndefined();
    const errors = errorsOf(result).map((problem) => ({ ...problem, path: formatPath(problem.path) }));
    expect(errors).toContainEqual(
      expect.objectContaining({
        path: c.path,
        message: expect.stringMatching(c.message),
        expected: expect.stringMatching(c.expected),
      }),
    );
  });

  it('accepts each base file unchanged, so every case fails for its own change', () => {
    for (const base of [rds, aurora, perStep]) {
      expect(errorsOf(parseRefreshFile(base(), { now: NOW }))).toEqual([]);
    }
  });

  it('reports every problem of a file at once, not only the first', () => {
    const file = rds();
    file.servce = 'rds';
    file.target.instance = '1app';
    file.restore = { type: 'restorepoint', time: '2099-01-01T00:00:00Z' };
    file.schedule = { expression: 'rate(1 days)' };

    const paths = errorsOf(parseRefreshFile(file, { now: NOW })).map((problem) => formatPath(problem.path));

    expect(paths).toEqual(
      expect.arrayContaining(['$.servce', '$.target.instance', '$.restore.time', '$.schedule.expression']),
    );
  });

  it('rejects a file that is not an object', () => {
    const result = parseRefreshFile([rds()]);

    expect(errorsOf(result)).toEqual([
      expect.objectContaining({ path: [], message: 'must be a JSON object' }),
    ]);
  });
});

describe('parseRefreshFile with deeply nested input', () => {
  it('rejects a file nested 5,000 levels deep with one problem naming the limit, without overflowing the stack', () => {
    let comment: unknown = 'x';
    for (let level = 0; level < 5000; level += 1) comment = [comment];

    const result = parseRefreshFile({ service: 'rds', comment }, { now: new Date('2026-01-01T00:00:00Z') });

    expect(result.refreshFile).toBeUndefined();
    expect(result.problems).toEqual([
      expect.objectContaining({
        severity: 'error',
        path: [],
        message: 'nests objects and arrays 5001 levels deep, deeper than the limit of 100',
      }),
    ]);
  });
});
