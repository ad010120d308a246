import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { SeededDatabase } from '../../local/seed/seed-database';
import { seedGroups } from '../../local/seed/seed-groups';
import { snapshotInstance } from '../../local/seed/seed-snapshot';
import { type ApprovalRuns, approvalRuns, dbrefreshLocal } from './approval-run';
import {
  acceptsPassword,
  configureRotation,
  describeInstance,
  exampleFile,
  execute,
  fixtureScript,
  insertCustomers,
  isoSeconds,
  notificationsOf,
  pointBetweenWrites,
  rows,
  sampleData,
  secretLogin,
  snapshotIds,
  uploadScripts,
} from './examples/example-helpers';
import { openTestAccount, type TestAccount } from './refresh-fixture';

/**
 * The RDS for MySQL example files of refresh-files/, run as shipped through the real state machine
 * (local mode plays RDS for MySQL with MariaDB servers). Every app1 file refreshes from app1-prod.
 */

const DATABASE = 'app1';
const BLOG_MYSQL_VERSION = '5.7.44';
const PRODUCTION = { environment: 'production' };
const REFRESHABLE = { 'dbrefresh:refreshable': 'true' };

let test: TestAccount;
let app1Prod: SeededDatabase;

beforeAll(async () => {
  test = await openTestAccount();
  app1Prod = await test.seed({
    id: 'app1-prod',
    engine: 'mysql',
    databaseName: DATABASE,
    customers: 200,
    tags: PRODUCTION,
  });
}, 60_000);

afterAll(async () => {
  await test?.close();
}, 60_000);

const seedTarget = (
  id: string,
  secretName: string,
  tags: Record<string, string> = {},
  engineVersion?: string,
) =>
  test.seed({
    id,
    engine: 'mysql',
    engineVersion,
    databaseName: DATABASE,
    customers: 5,
    tags: { ...REFRESHABLE, ...tags },
    secretName,
  });

describe('refresh-files/uat-protected-weekly.json', () => {
  let runs: ApprovalRuns;

  beforeAll(() => {
    runs = approvalRuns(test);
  });

  afterAll(() => runs?.close());

  it("waits for the DBA team's approval with nothing changed, then refreshes app1-uat from the newest snapshot, recording who approved", async () => {
    const secretName = '/uat/app1/app1-uat';
    const oldTarget = await seedTarget('app1-uat', secretName, { team: 'app1-uat' });
    await configureRotation(test, secretName);
    await snapshotInstance(test.clients.rds, 'app1-prod', 'app1-prod-weekly');
    const [atSnapshot] = await rows(
      'mysql',
      app1Prod.endpoint,
      app1Prod,
      DATABASE,
      'SELECT COUNT(*) AS n FROM customers',
    );
    const file = exampleFile('uat-protected-weekly');
    await uploadScripts(test, 'uat-protected-weekly', file.scripts);
    const secretBefore = await secretLogin(test.clients.secrets, secretName);
    const instancesBefore = await test.instanceIds();

    const executionArn = await runs.start(file, 'uat-protected-weekly');
    const pending = await runs.pendingRecord('app1-uat', 'uat-protected-weekly');

    // Waiting changes nothing: same instances, snapshots, secret and data; the request says who and how.
    const approval = pending.approval as Record<string, string>;
    expect(approval).toMatchObject({ status: 'pending', approvers: ['dba-team@example.com'] });
    expect(Date.parse(approval.expiresAt ?? '') - Date.parse(approval.requestedAt ?? '')).toBe(
      8 * 3600 * 1000,
    );
    expect(await test.instanceIds()).toEqual(instancesBefore);
    expect(await snapshotIds(test.clients.rds)).toEqual(['app1-prod-weekly']);
    expect(await secretLogin(test.clients.secrets, secretName)).toEqual(secretBefore);
    expect(
      await rows('mysql', oldTarget.endpoint, oldTarget, DATABASE, 'SELECT COUNT(*) AS n FROM customers'),
    ).toEqual([{ n: 5 }]);
    const [request] = notificationsOf(test, 'app1-uat');
    expect(request?.subject).toBe('[dbrefresh] app1/uat app1-uat: APPROVAL NEEDED');
    expect(request?.message).toContain('Who may approve: dba-team@example.com');
    expect(request?.message).toContain('dbrefresh approve uat-protected-weekly');
    expect(request?.message).toContain('(8 h); then the refresh fails and nothing changes');

    const answer = await dbrefreshLocal('approve', 'uat-protected-weekly', '--by', 'dba-team@example.com');

    expect(answer.code).toBe(0);
    expect((await runs.finished(executionArn)).status).toBe('SUCCEEDED');
    const login = await secretLogin(test.clients.secrets, secretName);
    const target = await test.endpointOf('app1-uat');
    expect(await rows('mysql', target, login, DATABASE, 'SELECT COUNT(*) AS n FROM customers')).toEqual([
      atSnapshot,
    ]);
    expect(
      await rows(
        'mysql',
        target,
        login,
        DATABASE,
        "SELECT COUNT(*) AS n FROM customers WHERE email NOT LIKE '%@example.invalid'",
      ),
    ).toEqual([{ n: 0 }]);
    expect(await acceptsPassword('mysql', target, { ...login, password: oldTarget.password }, DATABASE)).toBe(
      false,
    );
    const record = await test.recordOf('app1-uat', 'uat-protected-weekly');
    expect(record).toMatchObject({
      status: 'succeeded',
      restoreType: 'fromsnapshot',
      snapshot: expect.stringMatching(/:snapshot:app1-prod-weekly$/),
      approval: { status: 'approved', approvers: ['dba-team@example.com'], by: 'dba-team@example.com' },
    });
    expect(record?.approval).not.toHaveProperty('taskToken');
    // keepHours 24 (a Wait the local runner shortens) and finalSnapshot: the old app1-uat was kept
    // stopped, then deleted, leaving its final snapshot.
    expect(await test.instanceIds()).toEqual(instancesBefore);
    expect(await snapshotIds(test.clients.rds)).toEqual(
      ['app1-prod-weekly', `app1-uat-old-${record?.runId}-final`].sort(),
    );
    expect(await test.lockOf('app1-uat')).toBeUndefined();
    const notification = notificationsOf(test, 'app1-uat').at(-1);
    expect(notification?.subject).toBe('[dbrefresh] app1/uat app1-uat: SUCCEEDED');
    expect(notification?.message).toContain('approved by dba-team@example.com');
  }, 120_000);
});

describe('refresh-files/rds-mysql-latestpoint.json', () => {
  it('replaces app1-dev with app1-prod at its latest restorable time, with a new password, its tags, a record and a notification', async () => {
    const secretName = '/development/app1/app1-dev';
    const oldTarget = await seedTarget('app1-dev', secretName, { team: 'app1', 'cost-center': 'cc-1001' });
    const before = await test.instanceIds();
    const startedAt = Date.now();

    const result = await test.refresh(exampleFile('rds-mysql-latestpoint'), 'rds-mysql-latestpoint');

    const finishedAt = Date.now();
    expect(result.status).toBe('SUCCEEDED');
    const login = await secretLogin(test.clients.secrets, secretName);
    const target = await test.endpointOf('app1-dev');
    expect(await sampleData('mysql', target, login, DATABASE)).toEqual(
      await sampleData('mysql', app1Prod.endpoint, app1Prod, DATABASE),
    );
    expect(login.password).not.toBe(oldTarget.password);
    expect(await acceptsPassword('mysql', target, { ...login, password: oldTarget.password }, DATABASE)).toBe(
      false,
    );
    expect(await acceptsPassword('mysql', target, { ...login, password: app1Prod.password }, DATABASE)).toBe(
      false,
    );
    const instance = await describeInstance(test.clients.rds, 'app1-dev');
    expect(instance).toMatchObject({ DBInstanceClass: 'db.t4g.medium', MultiAZ: false, Engine: 'mysql' });
    const [record] = await test.historyOf('app1-dev');
    expect(record).toMatchObject({
      status: 'succeeded',
      application: 'app1',
      environment: 'development',
      source: 'app1-prod',
      restoreType: 'latestpoint',
      engine: 'mysql',
    });
    // Nothing writes to app1-prod during the run: its latest restorable time holds the data it has now.
    const restorePoint = Date.parse(String(record?.restorePoint));
    expect(restorePoint).toBeGreaterThanOrEqual(startedAt);
    expect(restorePoint).toBeLessThanOrEqual(finishedAt);
    expect(await test.tags('app1-dev')).toEqual({
      ...REFRESHABLE,
      team: 'app1',
      'cost-center': 'cc-1001',
      'dbrefresh:source': 'app1-prod',
      'dbrefresh:restore-point': record?.restorePoint,
      'dbrefresh:run': record?.runId,
    });
    // keepHours 0: the old app1-dev is deleted at once, and nothing temporary is left.
    expect(await test.instanceIds()).toEqual(before);
    expect(await test.lockOf('app1-dev')).toBeUndefined();
    const notification = notificationsOf(test, 'app1-dev').at(-1);
    expect(notification?.subject).toBe('[dbrefresh] app1/development app1-dev: SUCCEEDED');
    expect(notification?.message).toContain(`Data aligned to: ${record?.restorePoint} (latestpoint)`);
  }, 90_000);
});

describe('refresh-files/rds-mysql-restorepoint.json', () => {
  it('replaces app1-test with app1-prod as it was at the restore point: rows written after it are absent', async () => {
    const secretName = '/test/app1/app1-test';
    const oldTarget = await seedTarget('app1-test', secretName, { team: 'app1-qa' });
    await configureRotation(test, secretName);
    await execute('mysql', app1Prod.endpoint, app1Prod, DATABASE, insertCustomers(10_001, 5, 'Before'));
    const point = await pointBetweenWrites();
    const atPoint = await sampleData('mysql', app1Prod.endpoint, app1Prod, DATABASE);
    await execute('mysql', app1Prod.endpoint, app1Prod, DATABASE, insertCustomers(20_001, 5, 'After'));
    // The shipped time (2026-11-20T02:55:00Z) lies outside the new local source's restorable window:
    // the test sets restore.time to the point it just made, between the two writes. Nothing else changes.
    const file = exampleFile('rds-mysql-restorepoint');
    file.restore.time = isoSeconds(point);

    const result = await test.refresh(file, 'rds-mysql-restorepoint');

    expect(result.status).toBe('SUCCEEDED');
    const login = await secretLogin(test.clients.secrets, secretName);
    const target = await test.endpointOf('app1-test');
    const data = await sampleData('mysql', target, login, DATABASE);
    expect(data).toEqual(atPoint);
    expect(data.customers.filter((row) => row.first_name === 'Before')).toHaveLength(5);
    expect(data.customers.filter((row) => row.first_name === 'After')).toEqual([]);
    // rotate: the secret was rotated after the refresh; the password the refresh set is now the previous one.
    const previous = await secretLogin(test.clients.secrets, secretName, 'AWSPREVIOUS');
    expect(login.versionId).not.toBe(previous.versionId);
    for (const password of [previous.password, oldTarget.password, app1Prod.password]) {
      expect(await acceptsPassword('mysql', target, { ...login, password }, DATABASE)).toBe(false);
    }
    const replica = await describeInstance(test.clients.rds, 'app1-test-ro');
    expect(replica).toMatchObject({
      DBInstanceClass: 'db.t4g.medium',
      ReadReplicaSourceDBInstanceIdentifier: 'app1-test',
    });
    expect(await describeInstance(test.clients.rds, 'app1-test')).toMatchObject({
      DBInstanceClass: 'db.r6g.large',
    });
    const [record] = await test.historyOf('app1-test');
    expect(record).toMatchObject({
      status: 'succeeded',
      application: 'app1',
      environment: 'test',
      source: 'app1-prod',
      restoreType: 'restorepoint',
      restorePoint: point.toISOString(),
    });
    expect(await test.tags('app1-test')).toEqual({
      ...REFRESHABLE,
      team: 'app1-qa',
      'cost-center': 'cc-1042',
      incident: 'INC-20261120-01',
      'dbrefresh:source': 'app1-prod',
      'dbrefresh:restore-point': point.toISOString(),
      'dbrefresh:run': record?.runId,
    });
    // keepHours 48 (a Wait the local runner shortens): the old app1-test was kept stopped, then deleted.
    expect((await test.instanceIds()).filter((id) => id.startsWith('app1-test'))).toEqual([
      'app1-test',
      'app1-test-ro',
    ]);
    expect(await test.lockOf('app1-test')).toBeUndefined();
    const notification = notificationsOf(test, 'app1-test').at(-1);
    expect(notification?.subject).toBe('[dbrefresh] app1/test app1-test: SUCCEEDED');
    expect(notification?.message).toContain(`Data aligned to: ${point.toISOString()} (restorepoint)`);
  }, 120_000);
});

describe('refresh-files/blog-per-step-rds-mysql.json', () => {
  it('runs the per-step blog file as written: restore, scripts from its prefix, replica, password, record, its topic', async () => {
    const secretName = '/development/app1/mysqlinstd';
    // The blog's databases run MySQL 5.7 (the file names default.mysql5.7) in the subnet group it names.
    await seedGroups(test.clients.rds, { subnetGroups: [{ name: 'db-sub-grp-virginia' }] });
    const source = await test.seed({
      id: 'mysqlinstp',
      engine: 'mysql',
      engineVersion: BLOG_MYSQL_VERSION,
      databaseName: DATABASE,
      customers: 120,
      tags: PRODUCTION,
    });
    const oldTarget = await seedTarget('mysqlinstd', secretName, { Name: 'mysqlinstd' }, BLOG_MYSQL_VERSION);
    const file = exampleFile('blog-per-step-rds-mysql');
    // The blog's runner reads s3://<bucketname>/<prefix>/<key>: the scripts go where its users put them.
    for (const key of ['00test.sql', '01test.sql']) {
      await test.upload(
        'awsolproj',
        `rdsmysql/mysqlinstd/${key}`,
        fixtureScript('blog-per-step-rds-mysql', key),
      );
    }
    // The blog's topic is in another account and Region; its owner lets this account publish to it.
    const topicArn = 'arn:aws:sns:us-east-1:111122223333:dbrefresh-notifications';
    test.account.sns.createTopic(
      'dbrefresh-notifications',
      { region: 'us-east-1', account: '111122223333' },
      {
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${test.account.account}:root` },
              Action: 'SNS:Publish',
              Resource: topicArn,
            },
          ],
        }),
      },
    );

    const result = await test.refresh(file, 'blog-per-step-rds-mysql');

    expect(result.status).toBe('SUCCEEDED');
    const login = await secretLogin(test.clients.secrets, secretName);
    const target = await test.endpointOf('mysqlinstd');
    const expected = await sampleData('mysql', source.endpoint, source, DATABASE);
    const data = await sampleData('mysql', target, login, DATABASE);
    expect(data.orders).toEqual(expected.orders);
    expect(data.customers).toEqual(
      expected.customers.map((row) => ({ ...row, email: `customer${row.id}@example.invalid` })),
    );
    expect(await rows('mysql', target, login, DATABASE, 'SELECT id, note FROM refresh_marker')).toEqual([
      { id: 1, note: 'refreshed by dbrefresh' },
    ]);
    expect(login.password).not.toBe('temppwd123');
    for (const password of [oldTarget.password, source.password, 'temppwd123']) {
      expect(await acceptsPassword('mysql', target, { ...login, password }, DATABASE)).toBe(false);
    }
    expect(await describeInstance(test.clients.rds, 'mysqlinstd')).toMatchObject({
      DBInstanceClass: 'db.t3.micro',
      MultiAZ: false,
      StorageType: 'gp2',
      DeletionProtection: false,
      AutoMinorVersionUpgrade: false,
      CopyTagsToSnapshot: true,
      DBSubnetGroup: { DBSubnetGroupName: 'db-sub-grp-virginia' },
      VpcSecurityGroups: [expect.objectContaining({ VpcSecurityGroupId: 'sg-03aa3aa1590daa4d8' })],
      DBParameterGroups: [expect.objectContaining({ DBParameterGroupName: 'default.mysql5.7' })],
      EnabledCloudwatchLogsExports: ['audit', 'error', 'general', 'slowquery'],
    });
    expect(await describeInstance(test.clients.rds, 'mysqlinstdrepl1')).toMatchObject({
      DBInstanceClass: 'db.t3.micro',
      ReadReplicaSourceDBInstanceIdentifier: 'mysqlinstd',
    });
    const [record] = await test.historyOf('mysqlinstd');
    expect(record).toMatchObject({
      status: 'succeeded',
      application: 'app1',
      environment: 'development',
      source: 'mysqlinstp',
      restoreType: 'latestpoint',
    });
    expect(await test.tags('mysqlinstd')).toMatchObject({
      ...REFRESHABLE,
      Name: 'mysqlinstd',
      'dbrefresh:source': 'mysqlinstp',
      'dbrefresh:restore-point': record?.restorePoint,
    });
    expect((await test.instanceIds()).filter((id) => id.startsWith('mysqlinst'))).toEqual([
      'mysqlinstd',
      'mysqlinstdrepl1',
      'mysqlinstp',
    ]);
    expect(await test.lockOf('mysqlinstd')).toBeUndefined();
    const notifications = notificationsOf(test, 'mysqlinstd').filter((n) => n.subject?.endsWith('SUCCEEDED'));
    // The stack's roles may publish only to topics of its own account and Region (refresh-permissions.ts), so
    // IAM refuses the blog's topic even though its policy would take the message: the run still succeeds.
    expect(notifications.map((n) => n.topicArn)).toEqual([test.account.notificationTopicArn]);
    expect(test.notifications().some((n) => n.topicArn === topicArn)).toBe(false);
    // The plain-text temppwd of the file reaches neither the notification nor the secret.
    expect(notifications.every((n) => !n.message.includes('temppwd123'))).toBe(true);
    const secret = await test.clients.secrets.send(new GetSecretValueCommand({ SecretId: secretName }));
    expect(secret.SecretString).not.toContain('temppwd123');
  }, 120_000);
});
