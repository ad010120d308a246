import { derivedNameProblem, identifierProblem, MAX_TARGET_LENGTH } from '../naming';
import { CLUSTER_SNAPSHOT_ARN, isArn, parseRestoreTime, SNAPSHOT_ARN } from './fields';
import { type JsonPath, type Problem, problemAt, valueAt } from './problems';
import { AURORA_ENGINES, type Engine, RDS_ENGINES } from './refresh-file-schema';

/**
 * Rules that relate several fields of a concise refresh file. They read the raw input and check only
 * fields that are well-formed, so they report alongside the schema's field-level problems instead of
 * waiting for those to be fixed first.
 */
type Rule = (file: FileView, now: Date) => Problem[];

class FileView {
  constructor(readonly input: unknown) {}

  string(...path: JsonPath): string | undefined {
    const value = valueAt(this.input, path);
    return typeof value === 'string' ? value : undefined;
  }

  /** A valid RDS identifier at `path`, lowercased as RDS stores it. */
  identifier(...path: JsonPath): string | undefined {
    const value = this.string(...path);
    return value !== undefined && identifierProblem(value) === undefined ? value.toLowerCase() : undefined;
  }

  has(...path: JsonPath): boolean {
    return valueAt(this.input, path) !== undefined;
  }

  array(...path: JsonPath): unknown[] {
    const value = valueAt(this.input, path);
    return Array.isArray(value) ? value : [];
  }

  get service(): 'rds' | 'aurora' | undefined {
    const service = this.string('service');
    return service === 'rds' || service === 'aurora' ? service : undefined;
  }

  get resource(): 'instance' | 'cluster' {
    return this.service === 'aurora' ? 'cluster' : 'instance';
  }

  get engine(): Engine | undefined {
    const engine = this.string('engine');
    return [...RDS_ENGINES, ...AURORA_ENGINES].find((known) => known === engine);
  }

  error(path: JsonPath, message: string, expected: string): Problem {
    return problemAt(this.input, path, message, expected);
  }

  warning(path: JsonPath, message: string, expected: string): Problem {
    return problemAt(this.input, path, message, expected, 'warning');
  }
}

const engineMatchesService: Rule = (file) => {
  const { service, engine } = file;
  if (!service || !engine) return [];
  const allowed: readonly string[] = service === 'aurora' ? AURORA_ENGINES : RDS_ENGINES;
  if (allowed.includes(engine)) return [];
  const other = service === 'aurora' ? 'rds' : 'aurora';
  return [
    file.error(
      ['engine'],
      `is an ${other === 'aurora' ? 'Aurora' : 'RDS'} engine but service is "${service}"`,
      `one of ${allowed.join(', ')} for ${service}, or set service to "${other}"`,
    ),
  ];
};

const fastCloningOnlyForAurora: Rule = (file) =>
  file.service === 'rds' && file.string('restore', 'type') === 'fastcloning'
    ? [
        file.error(
          ['restore', 'type'],
          'fast cloning is an Aurora feature and cannot copy an RDS instance',
          'latestpoint, restorepoint or fromsnapshot for rds, or service "aurora" with clusters',
        ),
      ]
    : [];

const targetIsNotSource: Rule = (file) => {
  const target = file.identifier('target', file.resource);
  const source = file.identifier('source', file.resource);
  if (!target || !source || target !== source) return [];
  return [
    file.error(
      ['target', file.resource],
      'is the same database as the source; a refresh would overwrite the source',
      `a different ${file.resource} than the source "${source}"`,
    ),
  ];
};

const derivedNamesFit: Rule = (file) =>
  [
    ['target', file.resource],
    ['target', 'writer'],
  ].flatMap((path) => {
    const name = file.identifier(...path);
    const problem = name ? derivedNameProblem(name) : undefined;
    return problem ? [file.error(path, problem, `at most ${MAX_TARGET_LENGTH} characters`)] : [];
  });

const restorePointIsPast: Rule = (file, now) => {
  const time = file.string('restore', 'time');
  const iso = time !== undefined ? parseRestoreTime(time) : undefined;
  if (file.string('restore', 'type') !== 'restorepoint' || !iso || new Date(iso) <= now) return [];
  return [
    file.error(
      ['restore', 'time'],
      'is in the future',
      `a UTC time before now (${now.toISOString().slice(0, 19)}Z), within the source's restorable window`,
    ),
  ];
};

const sourceArnNeedsSharedRestore: Rule = (file) => {
  const source = file.string('source', file.resource);
  const type = file.string('restore', 'type');
  if (!source || !isArn(source) || !file.service || !type) return [];
  const allowed = file.service === 'aurora' ? ['fromsnapshot', 'fastcloning'] : ['fromsnapshot'];
  if (allowed.includes(type)) return [];
  return [
    file.error(
      ['source', file.resource],
      `is an ARN, but a ${type} restore needs a source in this account and region`,
      `the source's identifier, or restore type ${allowed.join(' or ')} for a source shared from another account`,
    ),
  ];
};

const snapshotMatchesService: Rule = (file) => {
  const snapshot = file.string('restore', 'snapshot');
  if (!snapshot || !isArn(snapshot) || !file.service) return [];
  if (file.service === 'rds' && CLUSTER_SNAPSHOT_ARN.test(snapshot)) {
    return [
      file.error(
        ['restore', 'snapshot'],
        'is an Aurora cluster snapshot, which cannot restore an RDS instance',
        'a DB snapshot ARN (arn:aws:rds:<region>:<account>:snapshot:<id>)',
      ),
    ];
  }
  if (file.service === 'aurora' && SNAPSHOT_ARN.test(snapshot)) {
    return [
      file.error(
        ['restore', 'snapshot'],
        'is an RDS instance snapshot, which cannot restore an Aurora cluster',
        'a DB cluster snapshot ARN (arn:aws:rds:<region>:<account>:cluster-snapshot:<id>)',
      ),
    ];
  }
  return [];
};

const PRODUCTION = /^(prod|production|prd|live)$/i;

const notProduction: Rule = (file) => {
  const environment = file.string('environment');
  return environment && PRODUCTION.test(environment)
    ? [
        file.error(
          ['environment'],
          'names a production environment; dbrefresh only overwrites non-production databases',
          'a non-production environment such as "development", "test" or "uat"',
        ),
      ]
    : [];
};

const replicaNamesAreFree: Rule = (file) => {
  const taken = new Map<string, string>();
  for (const [path, role] of [
    [['target', file.resource], 'the target'],
    [['target', 'writer'], 'the writer'],
    [['source', file.resource], 'the source'],
  ] as const) {
    const name = file.identifier(...path);
    if (name) taken.set(name, role);
  }
  return file.array('replicas').flatMap((_, index) => {
    const path = ['replicas', index, 'instance'];
    const name = file.identifier(...path);
    if (!name) return [];
    const clash = taken.get(name);
    taken.set(name, `replica ${index}`);
    return clash
      ? [file.error(path, `is already used by ${clash}`, 'a name used by no other database of this refresh')]
      : [];
  });
};

const backtrackOnlyForAuroraMysql: Rule = (file) =>
  file.has('target', 'backtrackWindowSeconds') && file.engine === 'aurora-postgresql'
    ? [
        file.error(
          ['target', 'backtrackWindowSeconds'],
          'backtrack is an Aurora MySQL feature',
          'remove it for aurora-postgresql',
        ),
      ]
    : [];

const managedPasswordHasNoSecretName: Rule = (file) =>
  valueAt(file.input, ['adminPassword', 'managed']) === true && file.has('adminPassword', 'secretName')
    ? [
        file.error(
          ['adminPassword', 'secretName'],
          'cannot be set with managed: true, because RDS creates and names the managed secret',
          'remove secretName, or set managed to false to store a generated password in this secret',
        ),
      ]
    : [];

const storageSettingsMatchType: Rule = (file) => {
  const type = file.string('target', 'storageType');
  const problems: Problem[] = [];
  if ((type === 'io1' || type === 'io2') && !file.has('target', 'iops')) {
    problems.push(
      file.error(
        ['target', 'iops'],
        `is required with storageType "${type}"`,
        'provisioned IOPS, for example 3000',
      ),
    );
  }
  if ((type === 'gp2' || type === 'standard') && file.has('target', 'iops')) {
    problems.push(
      file.error(
        ['target', 'iops'],
        `cannot be set with storageType "${type}"`,
        'remove iops, or use gp3, io1 or io2',
      ),
    );
  }
  if (type !== undefined && type !== 'gp3' && file.has('target', 'storageThroughput')) {
    problems.push(
      file.error(
        ['target', 'storageThroughput'],
        `only applies to gp3 storage, not "${type}"`,
        'remove storageThroughput, or use storageType "gp3"',
      ),
    );
  }
  return problems;
};

const serverlessNeedsServerlessClass: Rule = (file) => {
  if (!file.has('target', 'serverless')) return [];
  const problems: Problem[] = [];
  const instanceClass = file.string('target', 'instanceClass');
  if (instanceClass !== undefined && instanceClass !== 'db.serverless') {
    problems.push(
      file.error(
        ['target', 'instanceClass'],
        'must be "db.serverless" when serverless capacity is set',
        '"db.serverless", or remove target.serverless',
      ),
    );
  }
  const min = valueAt(file.input, ['target', 'serverless', 'minCapacity']);
  const max = valueAt(file.input, ['target', 'serverless', 'maxCapacity']);
  if (typeof min === 'number' && typeof max === 'number' && min > max) {
    problems.push(
      file.error(
        ['target', 'serverless', 'maxCapacity'],
        `is smaller than minCapacity (${min})`,
        `at least ${min}`,
      ),
    );
  }
  return problems;
};

const scriptsNeedASqlClient: Rule = (file) =>
  file.has('scripts') && file.engine === 'oracle'
    ? [
        file.error(
          ['scripts'],
          'SQL scripts run with the MySQL and PostgreSQL clients; Oracle is not supported',
          'remove scripts for oracle, or run them from a hook (hooks.beforeSwap)',
        ),
      ]
    : [];

const cronScheduleNamesItsTimeZone: Rule = (file) =>
  file.string('schedule', 'expression')?.startsWith('cron(') && !file.has('schedule', 'timezone')
    ? [
        file.warning(
          ['schedule', 'timezone'],
          'is not set, so the cron expression is read in UTC',
          'the IANA time zone the times are meant in, for example "Europe/London"',
        ),
      ]
    : [];

const RULES: readonly Rule[] = [
  engineMatchesService,
  fastCloningOnlyForAurora,
  targetIsNotSource,
  derivedNamesFit,
  restorePointIsPast,
  sourceArnNeedsSharedRestore,
  snapshotMatchesService,
  notProduction,
  replicaNamesAreFree,
  backtrackOnlyForAuroraMysql,
  managedPasswordHasNoSecretName,
  storageSettingsMatchType,
  serverlessNeedsServerlessClass,
  scriptsNeedASqlClient,
  cronScheduleNamesItsTimeZone,
];

/** Problems that span several fields of a concise refresh file. */
export function crossFieldProblems(input: unknown, now: Date): Problem[] {
  const file = new FileView(input);
  return RULES.flatMap((rule) => rule(file, now));
}
