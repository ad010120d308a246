import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorsOf, formatPath, parseRefreshFile } from '../../../../lambdas/shared/refresh-model';
import { detectForm } from '../../../../lambdas/shared/refresh-model/parse-refresh-file';

// biome-ignore lint/suspicious/noExplicitAny: fixtures are plain JSON, changed freely by each case
const blogFile = (): Record<string, any> =>
  JSON.parse(
    readFileSync(
      join(__dirname, '..', '..', '..', '..', 'refresh-files', 'blog-per-step-rds-mysql.json'),
      'utf8',
    ),
  );

const auroraFile = () => ({
  restore: {
    dbservice: 'aurora',
    sourcecluster: 'auposclup',
    targetcluster: 'auposclud',
    restoretype: 'fastcloning',
    engine: 'aurora-postgresql',
    application: 'app2',
    environment: 'test',
    cluparamgrp: 'default.aurora-postgresql10',
    secgrpids: 'sg-03aa3aa1590daa4d8, sg-0bb3aa1590daa4d81',
    port: '5433',
    wait_time: 60,
    check: { dbservice: 'aurora', cluster: 'auposcludtemp', checktodo: 'checkrestore', torun: 'TRUE' },
    torun: 'True',
  },
  createinstance: {
    dbservice: 'aurora',
    cluster: 'auposcludtemp',
    dbinstance: 'auposinstd',
    dbclass: 'db.r5.large',
    engine: 'aurora-postgresql',
    perfinsights: 'false',
    enhancedmon: 'False',
    wait_time: 60,
    torun: 'true',
  },
  renamecluster: { cluster: 'auposcludtemp', wait_time: 10, torun: 'true' },
  rename: { dbservice: 'aurora', dbinstance: 'auposinstdtemp', wait_time: 10, torun: 'true' },
  createreplicas: {
    dbservice: 'aurora',
    cluster: 'auposclud',
    replicas: 'auposinstd2_db.r5.large, auposinstd3_db.r5.xlarge',
    torun: 'true',
  },
  stopdb: { dbservice: 'aurora', dbinstance: 'auposinstd', torun: 'true' },
});

describe('detectForm', () => {
  it('recognises the blog form by its state elements and the concise form by service', () => {
    expect(detectForm(blogFile())).toBe('per-step');
    expect(detectForm({ restore: { dbservice: 'rds' } })).toBe('per-step');
    expect(detectForm({ sendmsg: {} })).toBe('per-step');
    expect(detectForm({ service: 'rds', restore: { type: 'latestpoint' } })).toBe('concise');
  });
});

describe('parseRefreshFile with the per-step form', () => {
  it('normalises the blog RDS example to the concise model', () => {
    const result = parseRefreshFile(blogFile());

    expect(result.form).toBe('per-step');
    expect(result.refreshFile).toEqual({
      comment: expect.stringContaining('per-step form'),
      application: 'app1',
      environment: 'development',
      service: 'rds',
      engine: 'mysql',
      source: { instance: 'mysqlinstp' },
      target: {
        instance: 'mysqlinstd',
        instanceClass: 'db.t3.micro',
        parameterGroup: 'default.mysql5.7',
        multiAz: false,
        storageType: 'gp2',
        port: 3307,
        subnetGroup: 'db-sub-grp-virginia',
        securityGroupIds: ['sg-03aa3aa1590daa4d8'],
        deletionProtection: false,
        iamAuthentication: false,
        cloudwatchLogsExports: ['audit', 'error', 'general', 'slowquery'],
        copyTagsToSnapshot: true,
        autoMinorVersionUpgrade: false,
      },
      restore: { type: 'latestpoint' },
      replicas: [{ instance: 'mysqlinstdrepl1', instanceClass: 'db.t3.micro', port: 3307 }],
      adminPassword: { secretName: '/development/app1/mysqlinstd' },
      scripts: {
        bucket: 'awsolproj',
        prefix: 'rdsmysql/mysqlinstd',
        keys: ['00test.sql', '01test.sql'],
        method: 'lambda',
      },
      notification: { topicArn: 'arn:aws:sns:us-east-1:111122223333:dbrefresh-notifications' },
    });
  });

  it('reads string booleans in any case, numbers as strings and comma lists with spaces (Aurora)', () => {
    const result = parseRefreshFile(auroraFile());

    expect(errorsOf(result)).toEqual([]);
    expect(result.refreshFile).toMatchObject({
      service: 'aurora',
      engine: 'aurora-postgresql',
      source: { cluster: 'auposclup' },
      target: {
        cluster: 'auposclud',
        writer: 'auposinstd',
        instanceClass: 'db.r5.large',
        clusterParameterGroup: 'default.aurora-postgresql10',
        securityGroupIds: ['sg-03aa3aa1590daa4d8', 'sg-0bb3aa1590daa4d81'],
        port: 5433,
        performanceInsights: false,
      },
      restore: { type: 'fastcloning' },
      replicas: [
        { instance: 'auposinstd2', instanceClass: 'db.r5.large' },
        { instance: 'auposinstd3', instanceClass: 'db.r5.xlarge' },
      ],
    });
  });

  it('maps the blog restore time format to ISO 8601 UTC', () => {
    const file = blogFile();
    file.restore.restoretype = 'restorepoint';
    file.restore.restoretime = '2026-11-20 03:15:00';
    file.updatedynamodb.restoretype = 'restorepoint';
    file.sendmsg.restoretype = 'restorepoint';

    expect(parseRefreshFile(file).refreshFile?.restore).toEqual({
      type: 'restorepoint',
      time: '2026-11-20T03:15:00Z',
    });
  });

  it('warns about a plain-text temppwd at each place and never echoes it', () => {
    const result = parseRefreshFile(blogFile());

    const warnings = result.problems.filter((problem) => problem.severity === 'warning');
    expect(warnings.map((w) => formatPath(w.path))).toEqual(
      expect.arrayContaining(['$.changeadminpwd.temppwd', '$.rotateadminpwd.check.temppwd']),
    );
    expect(warnings.find((w) => formatPath(w.path) === '$.changeadminpwd.temppwd')?.got).toBe('<redacted>');
    expect(JSON.stringify(result)).not.toContain('temppwd123');
  });

  it('warns that stopping the old target first is ignored, and still accepts the file', () => {
    const result = parseRefreshFile(auroraFile());

    expect(result.problems).toContainEqual(
      expect.objectContaining({
        severity: 'warning',
        path: ['stopdb', 'torun'],
        message: expect.stringContaining('never stopped'),
      }),
    );
  });

  it('drops the replicas when the file deletes them and does not recreate them', () => {
    const file = blogFile();
    file.createreplicas.torun = 'false';

    expect(parseRefreshFile(file).refreshFile?.replicas).toEqual([]);
  });

  it('carries the replicas over (no replicas field) when the file neither deletes nor recreates them', () => {
    const file = blogFile();
    file.createreplicas.torun = 'false';
    file.deletereplicas.torun = 'false';

    expect(parseRefreshFile(file).refreshFile).not.toHaveProperty('replicas');
  });
});
