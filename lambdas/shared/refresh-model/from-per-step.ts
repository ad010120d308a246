import type { PerStepRefreshFile } from './per-step-schema';
import { type JsonPath, type Problem, problemAt } from './problems';

/**
 * Turns a per-step (blog) refresh file into the concise form. Every concise field remembers the
 * per-step field it came from, so a problem found in the concise form is reported where the user wrote it.
 */
export interface Conversion {
  /** The concise refresh file, before validation. */
  readonly concise: Record<string, unknown>;
  /** Warnings about what dbrefresh does differently, and inconsistencies between elements. */
  readonly problems: readonly Problem[];
  /** The per-step path a concise path came from. */
  perStepPathOf(concisePath: JsonPath): JsonPath;
}

type Element = Record<string, unknown> & { torun?: unknown; check?: Record<string, unknown> };

const asBoolean = (value: unknown): boolean | undefined =>
  typeof value === 'boolean' ? value : typeof value === 'string' ? value.toLowerCase() === 'true' : undefined;

const asNumber = (value: unknown): number | undefined =>
  typeof value === 'number'
    ? value
    : typeof value === 'string' && /^\d+$/.test(value)
      ? Number(value)
      : undefined;

const asList = (value: unknown): string[] | undefined =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '')
    : undefined;

const ENGINE_NAMES: Record<string, string> = { postgresql: 'postgres', aurora: 'aurora-mysql' };

/** An element runs when present and its `torun` is not "false". */
function runs(element: Element | undefined): element is Element {
  return element !== undefined && asBoolean(element.torun ?? true) === true;
}

/** Steps dbrefresh always performs; a per-step file cannot skip them. */
const ALWAYS_RUN = ['rename', 'renamecluster', 'fixtags', 'updatedynamodb', 'sendmsg'] as const;

class ConciseBuilder {
  readonly concise: Record<string, unknown> = {};
  private readonly origins: { concise: JsonPath; perStep: JsonPath }[] = [];

  /** Sets `concisePath` to `value` (skipped when undefined) and records where it came from either way. */
  set(concisePath: JsonPath, perStepPath: JsonPath, value: unknown): void {
    this.origins.push({ concise: concisePath, perStep: perStepPath });
    if (value === undefined) return;
    let node = this.concise;
    for (const segment of concisePath.slice(0, -1)) {
      node[segment] ??= {};
      node = node[segment] as Record<string, unknown>;
    }
    node[concisePath[concisePath.length - 1] as string] = value;
  }

  perStepPathOf(concisePath: JsonPath): JsonPath {
    const isPrefix = (prefix: JsonPath) => prefix.every((segment, index) => concisePath[index] === segment);
    const origin = this.origins
      .filter((candidate) => isPrefix(candidate.concise))
      .sort((a, b) => b.concise.length - a.concise.length)[0];
    return origin?.perStep ?? [];
  }
}

export function fromPerStep(file: PerStepRefreshFile, input: unknown): Conversion {
  const out = new ConciseBuilder();
  const problems: Problem[] = [];
  const warn = (path: JsonPath, message: string, expected: string) =>
    problems.push(problemAt(input, path, message, expected, 'warning'));
  const fail = (path: JsonPath, message: string, expected: string) =>
    problems.push(problemAt(input, path, message, expected));

  const restore: Element = file.restore;
  const service = file.restore.dbservice;
  const aurora = service === 'aurora';
  const createinstance: Element | undefined = file.createinstance;
  const runscripts: Element | undefined = file.runscripts;
  const r = (key: string): JsonPath => ['restore', key];

  out.set(['comment'], ['comment'], file.comment);
  out.set(['application'], r('application'), restore.application);
  out.set(['environment'], r('environment'), restore.environment);
  out.set(['service'], r('dbservice'), service);
  const engineSource =
    runscripts?.engine !== undefined ? ['runscripts', 'engine'] : aurora ? r('engine') : undefined;
  if (engineSource) {
    const engine = String(engineSource[0] === 'runscripts' ? runscripts?.engine : restore.engine);
    out.set(['engine'], engineSource, ENGINE_NAMES[engine] ?? engine);
  }

  const resource = aurora ? 'cluster' : 'instance';
  out.set(
    ['source', resource],
    r(aurora ? 'sourcecluster' : 'source'),
    aurora ? restore.sourcecluster : restore.source,
  );
  out.set(
    ['target', resource],
    r(aurora ? 'targetcluster' : 'target'),
    aurora ? restore.targetcluster : restore.target,
  );

  out.set(['restore', 'type'], r('restoretype'), restore.restoretype);
  if (restore.restoretype === 'restorepoint')
    out.set(['restore', 'time'], r('restoretime'), restore.restoretime);
  if (restore.restoretype === 'fromsnapshot')
    out.set(['restore', 'snapshot'], r('snapshot'), restore.snapshot);
  if (!runs(restore)) {
    fail(r('torun'), 'skips the restore, but every dbrefresh run restores a fresh copy', '"true"');
  }

  const target = (key: string, perStepPath: JsonPath, value: unknown) => {
    if (value !== undefined) out.set(['target', key], perStepPath, value);
  };
  target('port', r('port'), asNumber(restore.port));
  target('subnetGroup', r('subgrp'), restore.subgrp);
  target('securityGroupIds', r('secgrpids'), asList(restore.secgrpids));
  target('iamAuthentication', r('iamdbauth'), asBoolean(restore.iamdbauth));
  target('cloudwatchLogsExports', r('cwalogs'), asList(restore.cwalogs));
  target('copyTagsToSnapshot', r('copytagstosnap'), asBoolean(restore.copytagstosnap));
  target('deletionProtection', r('deletionprotection'), asBoolean(restore.deletionprotection));
  if (aurora) {
    target('clusterParameterGroup', r('cluparamgrp'), restore.cluparamgrp);
    target('engineVersion', r('engineversion'), restore.engineversion);
    target('backtrackWindowSeconds', r('backtrack'), asNumber(restore.backtrack));
    if (runs(createinstance)) {
      const c = (key: string): JsonPath => ['createinstance', key];
      target('writer', c('dbinstance'), createinstance.dbinstance);
      target('instanceClass', c('dbclass'), createinstance.dbclass);
      target('parameterGroup', c('dbparamgrp'), createinstance.dbparamgrp);
      target('autoMinorVersionUpgrade', c('autominor'), asBoolean(createinstance.autominor));
      target('performanceInsights', c('perfinsights'), asBoolean(createinstance.perfinsights));
      if (asBoolean(createinstance.enhancedmon)) {
        target(
          'monitoringIntervalSeconds',
          c('enhancedmoninterval'),
          asNumber(createinstance.enhancedmoninterval),
        );
        target('monitoringRoleArn', c('enhancedmonrolearn'), createinstance.enhancedmonrolearn);
      }
    }
  } else {
    target('instanceClass', r('dbclass'), restore.dbclass);
    target('parameterGroup', r('dbparamgrp'), restore.dbparamgrp);
    target('multiAz', r('multiaz'), asBoolean(restore.multiaz));
    target('storageType', r('storagetype'), restore.storagetype);
    target('iops', r('iops'), asNumber(restore.iops));
    target('autoMinorVersionUpgrade', r('autominor'), asBoolean(restore.autominor));
  }
  if (restore.dbname !== undefined) {
    warn(
      r('dbname'),
      "is ignored: a restore keeps the databases of the source, as in the blog's own code",
      'remove dbname',
    );
  }

  convertReplicas(file, out, aurora);
  convertPassword(file, out, warn, fail);
  if (runs(runscripts)) {
    const s = (key: string): JsonPath => ['runscripts', key];
    out.set(['scripts', 'bucket'], s('bucketname'), runscripts.bucketname);
    out.set(['scripts', 'prefix'], s('prefix'), runscripts.prefix);
    out.set(['scripts', 'keys'], s('keys'), asList(runscripts.keys));
    out.set(['scripts', 'method'], s('method'), runscripts.method);
  }
  if (runs(file.sendmsg) && file.sendmsg.topicarn !== undefined) {
    out.set(['notification', 'topicArn'], ['sendmsg', 'topicarn'], file.sendmsg.topicarn);
  }

  if (runs(file.stopdb)) {
    warn(
      ['stopdb', 'torun'],
      'is ignored: dbrefresh keeps the old target serving until the swap, so it is never stopped before the restore',
      '"false", or in the concise form oldTarget.keepHours to keep the old target stopped after the swap',
    );
  }
  for (const name of ALWAYS_RUN) {
    const step: Element | undefined = file[name];
    if (step !== undefined && !runs(step)) {
      warn(
        [name, 'torun'],
        'is ignored: dbrefresh always performs this step',
        '"true", or remove the element',
      );
    }
  }
  if (file.updatedynamodb?.tablename !== undefined) {
    warn(
      ['updatedynamodb', 'tablename'],
      "is ignored: every run is recorded in the stack's history table",
      'remove tablename',
    );
  }
  if (file.createsecret !== undefined) {
    warn(
      ['createsecret'],
      "is ignored, as in the blog's state machine: the admin secret is written by the password step",
      'remove createsecret; use changeadminpwd.secretname',
    );
  }
  problems.push(...referenceProblems(file, input));

  return { concise: out.concise, problems, perStepPathOf: (path) => out.perStepPathOf(path) };
}

/** rds "name_class_port,..." and aurora "name_class,...", recreated after the swap. */
function convertReplicas(file: PerStepRefreshFile, out: ConciseBuilder, aurora: boolean): void {
  const path: JsonPath = ['createreplicas', 'replicas'];
  if (runs(file.createreplicas)) {
    const replicas = (asList(file.createreplicas.replicas) ?? []).map((spec) => {
      const [instance, instanceClass, port] = spec.split('_');
      const replica: Record<string, unknown> = { instance };
      if (instanceClass) replica.instanceClass = instanceClass;
      if (port && !aurora) replica.port = asNumber(port) ?? port;
      return replica;
    });
    out.set(['replicas'], path, replicas);
  } else if (runs(file.deletereplicas)) {
    out.set(['replicas'], ['deletereplicas', 'torun'], []);
  }
}

function convertPassword(
  file: PerStepRefreshFile,
  out: ConciseBuilder,
  warn: (path: JsonPath, message: string, expected: string) => void,
  fail: (path: JsonPath, message: string, expected: string) => void,
): void {
  if (file.changeadminpwd && file.changemasterpwd) {
    fail(['changemasterpwd'], 'duplicates changeadminpwd', 'only one of changeadminpwd and changemasterpwd');
  }
  const name = file.changeadminpwd ? 'changeadminpwd' : 'changemasterpwd';
  const change = file[name];
  if (change && !runs(change)) {
    warn(
      [name, 'torun'],
      "is ignored: dbrefresh always replaces the admin password on the copy, so production's password never reaches it",
      '"true", or remove the element',
    );
  }
  if (runs(change) && asBoolean(change.secret) && change.secretname !== undefined) {
    out.set(['adminPassword', 'secretName'], [name, 'secretname'], change.secretname);
  }
  const rotateName = file.rotateadminpwd ? 'rotateadminpwd' : 'rotatemasterpwd';
  const rotate = file[rotateName];
  if (runs(rotate)) {
    out.set(['adminPassword', 'rotate'], [rotateName, 'torun'], true);
    if (!(runs(change) && asBoolean(change.secret)) && rotate.secretname !== undefined) {
      out.set(['adminPassword', 'secretName'], [rotateName, 'secretname'], rotate.secretname);
    }
  }
  for (const [element, holder] of [
    [name, change],
    ['runscripts', file.runscripts],
    ['createsecret', file.createsecret],
  ] as const) {
    if (holder?.temppwd !== undefined) {
      warn(
        [element, 'temppwd'],
        'is a plain-text password; dbrefresh ignores it and never stores or prints it: it generates the admin password and keeps it in Secrets Manager',
        `remove temppwd from the file`,
      );
    }
  }
  for (const element of [name, rotateName] as const) {
    if (file[element]?.check?.temppwd !== undefined) {
      warn(
        [element, 'check', 'temppwd'],
        'is a plain-text password; dbrefresh ignores it and never stores or prints it',
        'remove temppwd from the file',
      );
    }
  }
}

/**
 * The blog's file repeats the same names in about ten places; a mismatch means the file would act on
 * another database than the one restored, so it is an error here.
 */
function referenceProblems(file: PerStepRefreshFile, input: unknown): Problem[] {
  const restore = file.restore;
  const aurora = restore.dbservice === 'aurora';
  const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : undefined);
  const withTemp = (name: unknown) =>
    typeof name === 'string' ? [name.toLowerCase(), `${name.toLowerCase()}temp`] : [];
  const writer = file.createinstance?.dbinstance;
  const expected: Record<string, string[]> = {
    dbservice: restore.dbservice ? [restore.dbservice] : [],
    application: withTemp(restore.application).slice(0, 1),
    environment: withTemp(restore.environment).slice(0, 1),
    restoretype: restore.restoretype ? [restore.restoretype] : [],
    source: withTemp(aurora ? restore.sourcecluster : restore.source).slice(0, 1),
    cluster: aurora ? withTemp(restore.targetcluster) : [],
    // An Aurora file without createinstance does not name the writer, so its instance names cannot be checked.
    dbinstance: aurora
      ? writer
        ? [...withTemp(writer), ...withTemp(restore.targetcluster)]
        : []
      : withTemp(restore.target),
  };
  const problems: Problem[] = [];
  for (const [name, element] of Object.entries(file)) {
    if (element === null || typeof element !== 'object' || !runs(element as Element)) continue;
    const blocks: [JsonPath, Record<string, unknown>][] = [];
    if (name !== 'restore') blocks.push([[name], element as Record<string, unknown>]);
    const check = (element as Element).check;
    if (check) blocks.push([[name, 'check'], check]);
    for (const [path, block] of blocks) {
      for (const [key, allowed] of Object.entries(expected)) {
        const value = lower(block[key]);
        if (value === undefined || allowed.length === 0 || allowed.includes(value)) continue;
        const names = allowed.map((a) => `"${a}"`).join(' or ');
        problems.push(
          problemAt(
            input,
            [...path, key],
            `does not match the restore element (${names})`,
            `${names}, as named by the restore element`,
          ),
        );
      }
    }
  }
  return problems;
}
