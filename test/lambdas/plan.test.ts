import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeKeyCommand, type KeyState, KMSClient } from '@aws-sdk/client-kms';
import {
  type DBCluster,
  type DBInstance,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  type PlanClients,
  type PlanRequest,
  planRefresh,
  refreshedTags,
  runIdOf,
  runnerMayReadSecret,
} from '../../lambdas/plan/plan-refresh';
import { DbRefreshError, GuardError, RefreshFileError, TargetLockedError } from '../../lambdas/shared/errors';
import { PlanSchema } from '../../lambdas/shared/run/plan';
import { awsError } from '../fixtures/aws-errors';
import {
  describesCluster,
  describesGroups,
  describesInstance,
  describesNothing,
  RDS_ARN,
  REFRESHABLE_TAG,
} from '../fixtures/rds-describe';

const TABLE = 'dbrefresh-history';
const EXECUTION_ARN = 'arn:aws:states:eu-west-1:111122223333:execution:dbrefresh:nightly-app1-dev';
const START_TIME = '2026-11-21T03:00:00.000Z';
const LATEST = '2026-11-21T02:55:00.000Z';
const RUN = runIdOf(EXECUTION_ARN);
const SECRET_VERSIONS = { 'v-current': ['AWSCURRENT'], 'v-previous': ['AWSPREVIOUS'] };

const rds = mockClient(RDSClient);
const sm = mockClient(SecretsManagerClient);
const kms = mockClient(KMSClient);
const ddb = mockClient(DynamoDBDocumentClient);

const clients: PlanClients = {
  rds: new RDSClient({ region: 'eu-west-1' }),
  secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
  kms: new KMSClient({ region: 'eu-west-1' }),
  history: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  historyTable: TABLE,
};

const SOURCE: DBInstance = {
  Engine: 'mysql',
  EngineVersion: '8.0.39',
  DBInstanceClass: 'db.r6g.large',
  AllocatedStorage: 500,
  DbiResourceId: 'db-APP1PROD',
  LatestRestorableTime: new Date(LATEST),
  TagList: [{ Key: 'environment', Value: 'production' }],
};

const TARGET: DBInstance = {
  Engine: 'mysql',
  DBInstanceClass: 'db.t4g.large',
  DBParameterGroups: [{ DBParameterGroupName: 'app1-mysql80' }],
  OptionGroupMemberships: [{ OptionGroupName: 'app1-mysql80-options' }],
  MultiAZ: true,
  StorageType: 'gp3',
  Iops: 12000,
  StorageThroughput: 500,
  Endpoint: { Address: 'app1-dev.abc123.eu-west-1.rds.amazonaws.com', Port: 3306 },
  DBSubnetGroup: { DBSubnetGroupName: 'app1-dev-subnets' },
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0123456789abcdef0', Status: 'active' }],
  DeletionProtection: true,
  IAMDatabaseAuthenticationEnabled: true,
  EnabledCloudwatchLogsExports: ['error', 'slowquery'],
  CopyTagsToSnapshot: true,
  AutoMinorVersionUpgrade: false,
  BackupRetentionPeriod: 7,
  PerformanceInsightsEnabled: true,
  MonitoringInterval: 60,
  MonitoringRoleArn: 'arn:aws:iam::111122223333:role/rds-monitoring',
  ReadReplicaDBInstanceIdentifiers: ['app1-dev-ro'],
  TagList: [
    REFRESHABLE_TAG,
    { Key: 'team', Value: 'payments' },
    { Key: 'environment', Value: 'development' },
    { Key: 'aws:cloudformation:stack-name', Value: 'app1-dev' },
    { Key: 'dbrefresh:run', Value: 'zz99yy88' },
  ],
};

const REPLICA: DBInstance = {
  DBInstanceClass: 'db.t4g.small',
  Endpoint: { Port: 3306 },
  ReadReplicaSourceDBInstanceIdentifier: 'app1-dev',
};

/** The parameter and option groups the live targets of these tests use, of the families their sources run. */
const GROUPS = {
  parameterGroups: { 'app1-mysql80': 'mysql8.0', 'shop-aurora-instances': 'aurora-mysql8.0' },
  clusterParameterGroups: { 'shop-aurora-mysql80': 'aurora-mysql8.0' },
  optionGroups: {
    'app1-mysql80-options': { engine: 'mysql', majorVersion: '8.0' },
    'app1-mysql57-options': { engine: 'mysql', majorVersion: '5.7' },
  },
};

function refreshFile(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '../../refresh-files', name), 'utf8'));
}

/** refresh-files/rds-mysql-latestpoint.json with tags of its own. */
function rdsFile(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...refreshFile('rds-mysql-latestpoint.json'), tags: { 'cost-center': 'cc-1042' }, ...overrides };
}

const ROTATION_FUNCTION = 'arn:aws:lambda:eu-west-1:111122223333:function:app1-dev-rotation';

function request(file: unknown, executionArn = EXECUTION_ARN): PlanRequest {
  return { input: { refreshFile: file, requestedBy: 'alice' }, executionArn, startTime: START_TIME };
}

function secret(settings: { RotationEnabled?: boolean; RotationLambdaARN?: string } = {}): void {
  sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: SECRET_VERSIONS, ...settings });
}

/** The source app1-prod, the live app1-dev and its replica app1-dev-ro. */
function liveRds(target: DBInstance = {}): void {
  describesInstance(rds, 'app1-prod', SOURCE);
  describesInstance(rds, 'app1-dev', { ...TARGET, ...target });
  describesInstance(rds, 'app1-dev-ro', REPLICA);
}

/** Asserts that the plan wrote nothing: no lock, no record, and only reads from RDS. */
function expectNothingWritten(): void {
  expect(ddb).not.toHaveReceivedCommand(PutCommand);
  expect(ddb).not.toHaveReceivedCommand(DeleteCommand);
  expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  const rdsRequests = rds.calls().map((call) => call.args[0].constructor.name);
  expect(rdsRequests.filter((name) => !name.startsWith('Describe'))).toEqual([]);
  const secretRequests = sm.calls().map((call) => call.args[0].constructor.name);
  expect(secretRequests.filter((name) => name !== 'DescribeSecretCommand')).toEqual([]);
}

beforeEach(() => {
  rds.reset();
  sm.reset();
  kms.reset();
  ddb.reset();
  describesNothing(rds);
  describesGroups(rds, GROUPS);
  secret();
  kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', KeyState: 'Enabled' } });
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(PutCommand).resolves({});
  ddb.on(DeleteCommand).resolves({});
});

describe('planRefresh for an RDS instance', () => {
  it('plans a latestpoint refresh of an existing target with one live replica', async () => {
    liveRds();
    const file = rdsFile();

    const result = await planRefresh(clients, request(file));

    expect(result).toEqual({ refreshFile: file, requestedBy: 'alice', plan: result.plan, polls: {} });
    const plan = PlanSchema.parse(result.plan);
    expect(plan).toMatchObject({
      runId: RUN,
      executionArn: EXECUTION_ARN,
      startedAt: START_TIME,
      requestedBy: 'alice',
      engine: 'mysql',
      engineFamily: 'mysql',
      engineVersion: '8.0.39',
      dialect: 'mysql',
      source: { id: 'app1-prod', arn: `${RDS_ARN}:db:app1-prod` },
      restorePoint: LATEST,
      snapshot: null,
      target: {
        kind: 'instance',
        id: 'app1-dev',
        exists: true,
        temporaryId: `app1-dev-new-${RUN}`,
        retiredId: `app1-dev-old-${RUN}`,
      },
      writer: null,
      replicas: [{ id: 'app1-dev-ro', finalId: 'app1-dev-ro', instanceClass: 'db.t4g.small', port: 3306 }],
      adminPassword: {
        managed: false,
        secretName: '/development/app1/app1-dev',
        versionAtStart: 'v-current',
        rotate: false,
      },
      steps: {
        scripts: false,
        hookBeforeSwap: false,
        replicas: true,
        rotateSecret: false,
        retire: true,
        keepOldTarget: false,
        hookAfterRefresh: false,
      },
      keepOldTargetSeconds: 0,
      expectedSeconds: {},
    });
  });

  it('renames the replica, then the target, then the copy, and retires the old names', async () => {
    liveRds();

    const { plan } = await planRefresh(clients, request(rdsFile()));

    expect(plan.renames).toEqual([
      { kind: 'instance', from: 'app1-dev-ro', to: `app1-dev-ro-old-${RUN}` },
      { kind: 'instance', from: 'app1-dev', to: `app1-dev-old-${RUN}` },
      { kind: 'instance', from: `app1-dev-new-${RUN}`, to: 'app1-dev' },
    ]);
    expect(plan.retired).toEqual({ instances: [`app1-dev-ro-old-${RUN}`], main: `app1-dev-old-${RUN}` });
  });

  it("carries the live target's tags over without aws: and dbrefresh: keys, adding the file's and dbrefresh's", async () => {
    liveRds();

    const { plan } = await planRefresh(clients, request(rdsFile()));

    expect(plan.tags).toEqual([
      { Key: 'team', Value: 'payments' },
      { Key: 'environment', Value: 'development' },
      { Key: 'cost-center', Value: 'cc-1042' },
      { Key: 'dbrefresh:refreshable', Value: 'true' },
      { Key: 'dbrefresh:run', Value: RUN },
      { Key: 'dbrefresh:source', Value: 'app1-prod' },
      { Key: 'dbrefresh:restore-point', Value: LATEST },
    ]);
  });

  it("carries the live target's settings over, overridden by the file", async () => {
    liveRds();

    const { plan } = await planRefresh(clients, request(rdsFile()));

    expect(plan.file.target).toEqual({
      instance: 'app1-dev',
      instanceClass: 'db.t4g.medium',
      parameterGroup: 'app1-mysql80',
      optionGroup: 'app1-mysql80-options',
      multiAz: false,
      storageType: 'gp3',
      iops: 12000,
      storageThroughput: 500,
      port: 3306,
      subnetGroup: 'app1-dev-subnets',
      securityGroupIds: ['sg-0123456789abcdef0'],
      deletionProtection: true,
      iamAuthentication: true,
      cloudwatchLogsExports: ['error', 'slowquery'],
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: false,
      backupRetentionDays: 7,
      performanceInsights: true,
      monitoringIntervalSeconds: 60,
      monitoringRoleArn: 'arn:aws:iam::111122223333:role/rds-monitoring',
    });
    expect(plan.file.replicas).toEqual([
      { instance: 'app1-dev-ro', instanceClass: 'db.t4g.small', port: 3306 },
    ]);
  });

  it.each([
    ['below the threshold too', 200],
    ['a large source volume', 500],
  ])('leaves out the gp3 baseline a small target reports when the copy gets %s', async (_what, size) => {
    liveRds({ AllocatedStorage: 100, Iops: 3000, StorageThroughput: 125 });
    describesInstance(rds, 'app1-prod', { ...SOURCE, AllocatedStorage: size });

    const { plan } = await planRefresh(clients, request(rdsFile()));

    expect(plan.file.target).toMatchObject({
      storageType: 'gp3',
      iops: undefined,
      storageThroughput: undefined,
    });
  });

  it('gives a valid plan for a target in the default option group', async () => {
    liveRds({ OptionGroupMemberships: [{ OptionGroupName: 'default:mysql-8-0' }] });

    const { plan } = await planRefresh(clients, request(rdsFile()));

    expect(PlanSchema.parse(plan).file.target).not.toHaveProperty('optionGroup', 'default:mysql-8-0');
  });

  it("gives the file's replicas the target's class when they name none", async () => {
    liveRds();

    const { plan } = await planRefresh(
      clients,
      request(rdsFile({ replicas: [{ instance: 'app1-dev-ro' }, { instance: 'app1-dev-ro2', port: 3307 }] })),
    );

    expect(plan.replicas).toEqual([
      { id: 'app1-dev-ro', finalId: 'app1-dev-ro', instanceClass: 'db.t4g.medium' },
      { id: 'app1-dev-ro2', finalId: 'app1-dev-ro2', instanceClass: 'db.t4g.medium', port: 3307 },
    ]);
    expect(plan.retired.instances).toEqual([`app1-dev-ro-old-${RUN}`]);
  });

  it('takes the lock, then writes the running record', async () => {
    liveRds();

    await planRefresh(clients, request(rdsFile()));

    const puts = ddb.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(puts).toEqual([
      expect.objectContaining({
        TableName: TABLE,
        Item: {
          target: 'lock#app1-dev',
          runKey: 'lock',
          runId: RUN,
          executionArn: EXECUTION_ARN,
          acquiredAt: expect.any(String),
        },
      }),
      expect.objectContaining({
        TableName: TABLE,
        Item: expect.objectContaining({
          target: 'app1-dev',
          runKey: `${START_TIME}#${RUN}`,
          runId: RUN,
          status: 'running',
          source: 'app1-prod',
          restoreType: 'latestpoint',
          restorePoint: LATEST,
          requestedBy: 'alice',
        }),
      }),
    ]);
    expect(ddb).not.toHaveReceivedCommand(DeleteCommand);
  });

  it('seeds the expected durations from past successful runs of the target', async () => {
    liveRds();
    ddb.on(QueryCommand).resolves({
      Items: [
        { durations: { restore: 600, swap: 120 } },
        { durations: { restore: 900, swap: 60 } },
        { durations: { restore: 700 } },
      ],
    });

    const { plan } = await planRefresh(clients, request(rdsFile()));

    expect(plan.expectedSeconds).toEqual({ restore: 700, swap: 90 });
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      ExpressionAttributeValues: { ':target': 'app1-dev', ':succeeded': 'succeeded' },
    });
  });

  it('plans the first refresh of a missing target with one rename and nothing to retire', async () => {
    describesInstance(rds, 'app1-prod', SOURCE);
    sm.on(DescribeSecretCommand).rejects(awsError('ResourceNotFoundException'));

    const { plan } = await planRefresh(clients, request(rdsFile()));

    expect(PlanSchema.parse(plan)).toMatchObject({
      target: { id: 'app1-dev', exists: false, temporaryId: `app1-dev-new-${RUN}` },
      renames: [{ kind: 'instance', from: `app1-dev-new-${RUN}`, to: 'app1-dev' }],
      retired: { instances: [], main: null },
      replicas: [],
      adminPassword: { secretName: '/development/app1/app1-dev', versionAtStart: null },
      steps: { retire: false, keepOldTarget: false, replicas: false },
    });
    expect(plan.file.target).toEqual({
      instance: 'app1-dev',
      instanceClass: 'db.t4g.medium',
      multiAz: false,
    });
    expect(plan.tags).toEqual([
      { Key: 'cost-center', Value: 'cc-1042' },
      { Key: 'dbrefresh:refreshable', Value: 'true' },
      { Key: 'dbrefresh:run', Value: RUN },
      { Key: 'dbrefresh:source', Value: 'app1-prod' },
      { Key: 'dbrefresh:restore-point', Value: LATEST },
    ]);
  });

  it('keeps the old target when the file asks, and names the default secret', async () => {
    liveRds();
    const file = rdsFile({ oldTarget: { keepHours: 48 }, adminPassword: undefined });

    const { plan } = await planRefresh(clients, request(file));

    expect(plan.steps).toMatchObject({ retire: true, keepOldTarget: true });
    expect(plan.keepOldTargetSeconds).toBe(48 * 3600);
    expect(plan.adminPassword.secretName).toBe('dbrefresh/app1-dev');
    expect(sm).toHaveReceivedCommandWith(DescribeSecretCommand, { SecretId: 'dbrefresh/app1-dev' });
  });

  it('plans an approval for a protected target, with its approvers and timeout', async () => {
    liveRds();
    const file = rdsFile({ protected: { approvers: ['dba@example.com'], timeoutHours: 8 } });

    const { plan } = await planRefresh(clients, request(file));

    expect(plan.steps.approval).toBe(true);
    expect(plan.approval).toEqual({ approvers: ['dba@example.com'], timeoutSeconds: 8 * 3600 });
  });

  it('waits 24 hours for anyone allowed to approve when protected is just true', async () => {
    liveRds();

    const { plan } = await planRefresh(clients, request(rdsFile({ protected: true })));

    expect(plan.approval).toEqual({ approvers: [], timeoutSeconds: 24 * 3600 });
  });

  it('plans no approval for a target that is not protected', async () => {
    liveRds();

    const { plan } = await planRefresh(clients, request(rdsFile({ protected: false })));

    expect(plan.steps.approval).toBe(false);
    expect(plan.approval).toBeNull();
  });

  it('plans a rotation when the secret has rotation configured', async () => {
    liveRds();
    secret({ RotationEnabled: true, RotationLambdaARN: ROTATION_FUNCTION });
    const file = rdsFile({ adminPassword: { secretName: '/development/app1/app1-dev', rotate: true } });

    const { plan } = await planRefresh(clients, request(file));

    expect(plan.adminPassword).toMatchObject({ rotate: true, rotationFunctionArn: ROTATION_FUNCTION });
    expect(plan.steps.rotateSecret).toBe(true);
  });

  it('does not read a secret when RDS manages the password', async () => {
    liveRds();
    const file = rdsFile({ adminPassword: { managed: true }, replicas: [] });

    const { plan } = await planRefresh(clients, request(file));

    expect(plan.adminPassword).toEqual({
      managed: true,
      secretName: 'dbrefresh/app1-dev',
      versionAtStart: null,
      rotate: false,
      note: expect.stringContaining("the target's MasterUserSecret ARN changes with every refresh"),
    });
    expect(sm).not.toHaveReceivedAnyCommand();
  });

  it('plans the scripts on a MySQL copy', async () => {
    liveRds();
    const file = rdsFile({ scripts: { bucket: 'app1-refresh-scripts', keys: ['01-mask.sql'] } });

    const { plan } = await planRefresh(clients, request(file));

    expect(plan.steps.scripts).toBe(true);
    expect(plan.dialect).toBe('mysql');
  });

  describe('scripts.method "ec2"', () => {
    const ec2File = () =>
      rdsFile({ scripts: { bucket: 'app1-refresh-scripts', keys: ['01-mask.sql'], method: 'ec2' } });

    it('fails, changing nothing, when the deployment has no script runner instance', async () => {
      liveRds();

      const planning = planRefresh({ ...clients, scriptRunnerConfigured: false }, request(ec2File()));

      await expect(planning).rejects.toThrow(
        /no script runner instance; deploy the stack with -c scriptRunner=true/,
      );
      expect(ddb).not.toHaveReceivedCommand(PutCommand);
    });

    it('plans the scripts when there is a runner, or when the caller cannot tell', async () => {
      liveRds();

      for (const scriptRunnerConfigured of [true, undefined]) {
        const { plan } = await planRefresh({ ...clients, scriptRunnerConfigured }, request(ec2File()));
        expect(plan.steps.scripts).toBe(true);
      }
    });

    it("fails, changing nothing, when the runner's role may not read the file's admin secret, naming it and the fix", async () => {
      liveRds();
      const file = { ...ec2File(), adminPassword: { secretName: '/development/app1/app1-dev' } };

      const planning = planRefresh(
        { ...clients, scriptRunnerConfigured: true, scriptRunnerSecretNames: ['dbrefresh/*', 'rds!*'] },
        request(file),
      );

      await expect(planning).rejects.toThrow(GuardError);
      await expect(planning).rejects.toThrow(
        /may read only secrets named dbrefresh\/\*, rds!\*, not adminPassword.secretName "\/development\/app1\/app1-dev".*-c scriptRunnerSecretNames=/,
      );
      expectNothingWritten();
    });

    it('plans the scripts on the runner when its role reads the secret', async () => {
      liveRds();
      const file = { ...ec2File(), adminPassword: { secretName: '/development/app1/app1-dev' } };

      const { plan } = await planRefresh(
        {
          ...clients,
          scriptRunnerConfigured: true,
          scriptRunnerSecretNames: ['dbrefresh/*', '/development/*'],
        },
        request(file),
      );

      expect(plan.steps.scripts).toBe(true);
    });
  });

  describe('runnerMayReadSecret', () => {
    it.each([
      ['dbrefresh/app1-dev', ['dbrefresh/*'], true],
      ['/development/app1/app1-dev', ['dbrefresh/*', 'rds!*'], false],
      ['/development/app1/app1-dev', ['/development/app1/app1-dev-??????'], true],
      ['/development/app1/app1-dev', ['/development/app1/app1-dev'], false],
      ['app1.dev', ['app1?dev*'], true],
    ])('%s against %j: %s', (secretName, patterns, readable) => {
      expect(runnerMayReadSecret(secretName, patterns)).toBe(readable);
    });
  });

  describe('functions outside any VPC', () => {
    const outside = { ...clients, databaseFunctionsInVpc: false };
    const scripts = { bucket: 'app1-refresh-scripts', keys: ['01-mask.sql'] };

    it.each([
      [
        'scripts run in Lambda',
        { scripts },
        /asks for scripts \(run in Lambda\), which connect to the copy of app1-dev/,
      ],
      ['preserved data', { preserve: { tables: ['app1.settings'] } }, /asks for preserve, which connect/],
    ])('fails, changing nothing, for %s: the copy stays private', async (_what, section, message) => {
      liveRds();

      const planning = planRefresh(outside, request(rdsFile(section)));

      await expect(planning).rejects.toThrow(GuardError);
      await expect(planning).rejects.toThrow(message);
      await expect(planning).rejects.toThrow(
        /Deploy the stack in the databases' network \(cdk deploy -c vpcId=vpc-\.\.\. -c subnetIds=subnet-a,subnet-b -c securityGroupIds=sg-\.\.\.\)/,
      );
      expectNothingWritten();
    });

    it('plans scripts on the runner instance, and any script in a VPC or when the caller cannot tell', async () => {
      liveRds();
      const ec2 = rdsFile({ scripts: { ...scripts, method: 'ec2' } });

      const onRunner = await planRefresh({ ...outside, scriptRunnerConfigured: true }, request(ec2));
      const inVpc = await planRefresh(
        { ...clients, databaseFunctionsInVpc: true },
        request(rdsFile({ scripts })),
      );
      const unknown = await planRefresh(clients, request(rdsFile({ scripts })));

      for (const { plan } of [onRunner, inVpc, unknown]) expect(plan.steps.scripts).toBe(true);
    });
  });

  it('restores a restorepoint inside the restorable window at that time', async () => {
    liveRds();
    rds.on(DescribeDBInstanceAutomatedBackupsCommand, { DbiResourceId: 'db-APP1PROD' }).resolves({
      DBInstanceAutomatedBackups: [
        { RestoreWindow: { EarliestTime: new Date('2026-11-14T03:00:00Z'), LatestTime: new Date(LATEST) } },
      ],
    });

    const { plan } = await planRefresh(
      clients,
      request(rdsFile({ restore: { type: 'restorepoint', time: '2026-11-20T02:55:00Z' } })),
    );

    expect(plan.restorePoint).toBe('2026-11-20T02:55:00.000Z');
    expect(plan.tags).toContainEqual({ Key: 'dbrefresh:restore-point', Value: '2026-11-20T02:55:00.000Z' });
  });

  it('restores the newest available snapshot for fromsnapshot "latest"', async () => {
    liveRds();
    rds.on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'app1-prod' }).resolves({
      DBSnapshots: [
        {
          DBSnapshotIdentifier: 'rds:app1-prod-2026-11-20-03-00',
          DBSnapshotArn: `${RDS_ARN}:snapshot:rds:app1-prod-2026-11-20-03-00`,
          DBInstanceIdentifier: 'app1-prod',
          Engine: 'mysql',
          EngineVersion: '8.0.39',
          Status: 'available',
          SnapshotCreateTime: new Date('2026-11-20T03:00:00Z'),
        },
        {
          DBSnapshotIdentifier: 'app1-prod-manual',
          DBInstanceIdentifier: 'app1-prod',
          Engine: 'mysql',
          Status: 'creating',
          SnapshotCreateTime: new Date('2026-11-21T02:00:00Z'),
        },
      ],
    });

    const { plan } = await planRefresh(
      clients,
      request(rdsFile({ restore: { type: 'fromsnapshot', snapshot: 'latest' } })),
    );

    expect(plan.snapshot).toBe(`${RDS_ARN}:snapshot:rds:app1-prod-2026-11-20-03-00`);
    expect(plan.restorePoint).toBe('2026-11-20T03:00:00.000Z');
    expect(PlanSchema.parse(plan).source.id).toBe('app1-prod');
  });

  it('plans the per-step example file of the blog post', async () => {
    // The blog's target names default.mysql5.7: its source runs MySQL 5.7.
    describesInstance(rds, 'mysqlinstp', {
      ...SOURCE,
      EngineVersion: '5.7.44',
      DbiResourceId: 'db-MYSQLINSTP',
    });
    describesInstance(rds, 'mysqlinstd', {
      ...TARGET,
      StorageType: 'gp2',
      Iops: undefined,
      StorageThroughput: undefined,
      OptionGroupMemberships: [{ OptionGroupName: 'app1-mysql57-options' }],
      ReadReplicaDBInstanceIdentifiers: ['mysqlinstdrepl1'],
    });
    describesInstance(rds, 'mysqlinstdrepl1', REPLICA);

    const result = await planRefresh(clients, request(refreshFile('blog-per-step-rds-mysql.json')));

    const plan = PlanSchema.parse(result.plan);
    expect(plan).toMatchObject({
      source: { id: 'mysqlinstp' },
      target: { id: 'mysqlinstd', exists: true },
      restorePoint: LATEST,
      dialect: 'mysql',
      replicas: [
        { id: 'mysqlinstdrepl1', finalId: 'mysqlinstdrepl1', instanceClass: 'db.t3.micro', port: 3307 },
      ],
      adminPassword: { secretName: '/development/app1/mysqlinstd', rotate: false },
      steps: { scripts: true, replicas: true, rotateSecret: false, retire: true },
    });
    expect(plan.file.target).toMatchObject({
      instanceClass: 'db.t3.micro',
      port: 3307,
      storageType: 'gp2',
      subnetGroup: 'db-sub-grp-virginia',
      parameterGroup: 'default.mysql5.7',
      optionGroup: 'app1-mysql57-options',
    });
    expect(plan.renames.map((rename) => rename.from)).toEqual([
      'mysqlinstdrepl1',
      'mysqlinstd',
      `mysqlinstd-new-${RUN}`,
    ]);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ status: 'running', target: 'mysqlinstd' }),
    });
  });
});

describe('planRefresh for an Aurora cluster', () => {
  const SOURCE_CLUSTER: DBCluster = {
    Engine: 'aurora-mysql',
    EngineVersion: '8.0.mysql_aurora.3.08.0',
    LatestRestorableTime: new Date(LATEST),
    EarliestRestorableTime: new Date('2026-11-14T03:00:00Z'),
    DBClusterMembers: [{ DBInstanceIdentifier: 'shop-prod-1', IsClusterWriter: true }],
  };

  function liveAurora(): void {
    describesCluster(rds, 'shop-prod', SOURCE_CLUSTER);
    describesInstance(rds, 'shop-prod-1', { DBInstanceClass: 'db.r6g.2xlarge' });
    describesCluster(rds, 'shop-int', {
      TagList: [REFRESHABLE_TAG, { Key: 'team', Value: 'shop' }],
      DBClusterMembers: [
        { DBInstanceIdentifier: 'shop-int-2', IsClusterWriter: false },
        { DBInstanceIdentifier: 'shop-int-1', IsClusterWriter: true },
        { DBInstanceIdentifier: 'shop-int-3', IsClusterWriter: false },
      ],
      DBClusterParameterGroup: 'shop-aurora-mysql80',
      Port: 3306,
      DBSubnetGroup: 'shop-int-subnets',
      BackupRetentionPeriod: 3,
      DeletionProtection: false,
    });
    describesInstance(rds, 'shop-int-1', {
      DBInstanceClass: 'db.r6g.xlarge',
      DBParameterGroups: [{ DBParameterGroupName: 'shop-aurora-instances' }],
    });
    describesInstance(rds, 'shop-int-2', { DBInstanceClass: 'db.r6g.large' });
    describesInstance(rds, 'shop-int-3', { DBInstanceClass: 'db.r6g.large' });
  }

  it('plans a fastcloning refresh with temporary names for the writer and the reader', async () => {
    liveAurora();

    const { plan } = await planRefresh(clients, request(refreshFile('aurora-mysql-fastclone.json')));

    expect(PlanSchema.parse(plan)).toMatchObject({
      engine: 'aurora-mysql',
      engineFamily: 'aurora-mysql',
      dialect: 'mysql',
      source: { id: 'shop-prod', arn: `${RDS_ARN}:cluster:shop-prod` },
      restorePoint: START_TIME,
      snapshot: null,
      target: {
        kind: 'cluster',
        id: 'shop-int',
        exists: true,
        temporaryId: `shop-int-new-${RUN}`,
        retiredId: `shop-int-old-${RUN}`,
      },
      writer: { id: `shop-int-1-new-${RUN}`, finalId: 'shop-int-1', instanceClass: 'db.r6g.large' },
      replicas: [{ id: `shop-int-2-new-${RUN}`, finalId: 'shop-int-2', instanceClass: 'db.r6g.large' }],
      steps: { replicas: false, retire: true },
    });
  });

  it('renames readers, writer, cluster, then the new cluster, writer and readers', async () => {
    liveAurora();

    const { plan } = await planRefresh(clients, request(refreshFile('aurora-mysql-fastclone.json')));

    expect(plan.renames).toEqual([
      { kind: 'instance', from: 'shop-int-2', to: `shop-int-2-old-${RUN}` },
      { kind: 'instance', from: 'shop-int-3', to: `shop-int-3-old-${RUN}` },
      { kind: 'instance', from: 'shop-int-1', to: `shop-int-1-old-${RUN}` },
      { kind: 'cluster', from: 'shop-int', to: `shop-int-old-${RUN}` },
      { kind: 'cluster', from: `shop-int-new-${RUN}`, to: 'shop-int' },
      { kind: 'instance', from: `shop-int-1-new-${RUN}`, to: 'shop-int-1' },
      { kind: 'instance', from: `shop-int-2-new-${RUN}`, to: 'shop-int-2' },
    ]);
    expect(plan.retired).toEqual({
      instances: [`shop-int-2-old-${RUN}`, `shop-int-3-old-${RUN}`, `shop-int-1-old-${RUN}`],
      main: `shop-int-old-${RUN}`,
    });
  });

  it("carries the live cluster's settings and its writer's over", async () => {
    liveAurora();

    const { plan } = await planRefresh(clients, request(refreshFile('aurora-mysql-fastclone.json')));

    expect(plan.file.target).toMatchObject({
      cluster: 'shop-int',
      writer: 'shop-int-1',
      instanceClass: 'db.r6g.large',
      clusterParameterGroup: 'shop-aurora-mysql80',
      parameterGroup: 'shop-aurora-instances',
      port: 3306,
      subnetGroup: 'shop-int-subnets',
      backupRetentionDays: 3,
      deletionProtection: false,
    });
  });

  it('recreates the live readers with their own classes when the file names none', async () => {
    liveAurora();
    const file = { ...refreshFile('aurora-mysql-fastclone.json'), replicas: undefined };

    const { plan } = await planRefresh(clients, request(file));

    expect(plan.replicas.map((reader) => reader.finalId)).toEqual(['shop-int-2', 'shop-int-3']);
    expect(plan.file.replicas).toEqual([
      { instance: 'shop-int-2', instanceClass: 'db.r6g.large' },
      { instance: 'shop-int-3', instanceClass: 'db.r6g.large' },
    ]);
  });

  it("creates a missing cluster with writer <cluster>-1 of the source writer's class", async () => {
    describesCluster(rds, 'shop-prod', SOURCE_CLUSTER);
    describesInstance(rds, 'shop-prod-1', { DBInstanceClass: 'db.r6g.2xlarge' });
    const file = {
      ...refreshFile('aurora-mysql-fastclone.json'),
      target: { cluster: 'shop-int' },
      replicas: undefined,
    };

    const { plan } = await planRefresh(clients, request(file));

    expect(PlanSchema.parse(plan)).toMatchObject({
      target: { exists: false },
      writer: { id: `shop-int-1-new-${RUN}`, finalId: 'shop-int-1', instanceClass: 'db.r6g.2xlarge' },
      replicas: [],
      renames: [
        { kind: 'cluster', from: `shop-int-new-${RUN}`, to: 'shop-int' },
        { kind: 'instance', from: `shop-int-1-new-${RUN}`, to: 'shop-int-1' },
      ],
      retired: { instances: [], main: null },
      steps: { retire: false },
    });
  });

  it('restores an Aurora restorepoint inside the window of EarliestRestorableTime', async () => {
    liveAurora();
    const file = {
      ...refreshFile('aurora-mysql-fastclone.json'),
      restore: { type: 'restorepoint', time: '2026-11-15T00:00:00Z' },
    };

    const { plan } = await planRefresh(clients, request(file));

    expect(plan.restorePoint).toBe('2026-11-15T00:00:00.000Z');
  });

  it('checks the key of an Aurora target', async () => {
    liveAurora();
    const file = refreshFile('aurora-mysql-fastclone.json');
    const target = { ...(file.target as object), kmsKeyId: 'alias/shop-int' };

    await planRefresh(clients, request({ ...file, target }));

    expect(kms).toHaveReceivedCommandWith(DescribeKeyCommand, { KeyId: 'alias/shop-int' });
  });

  it('fails when the class of a new cluster cannot be told', async () => {
    rds
      .on(DescribeDBClustersCommand, {
        DBClusterIdentifier: 'arn:aws:rds:eu-west-1:444455556666:cluster:shop-prod',
        IncludeShared: true,
      })
      .resolves({
        DBClusters: [{ DBClusterIdentifier: 'shop-prod', Engine: 'aurora-mysql', EngineVersion: '8.0' }],
      });
    const file = {
      ...refreshFile('aurora-mysql-fastclone.json'),
      source: { cluster: 'arn:aws:rds:eu-west-1:444455556666:cluster:shop-prod' },
      target: { cluster: 'shop-int' },
      replicas: undefined,
    };

    await expect(planRefresh(clients, request(file))).rejects.toThrow(/set target.instanceClass/);
    expectNothingWritten();
  });
});

describe('planRefresh guards', () => {
  function auroraWithKey(keyState: KeyState): void {
    describesCluster(rds, 'shop-prod', {
      Engine: 'aurora-mysql',
      EngineVersion: '8.0.mysql_aurora.3.08.0',
      DBClusterMembers: [{ DBInstanceIdentifier: 'shop-prod-1', IsClusterWriter: true }],
    });
    describesInstance(rds, 'shop-prod-1', { DBInstanceClass: 'db.r6g.large' });
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', KeyState: keyState } });
  }

  const auroraFileWithKey = () => {
    const file = refreshFile('aurora-mysql-fastclone.json');
    return { ...file, target: { ...(file.target as object), kmsKeyId: 'alias/shop-int' } };
  };

  const guards: [string, () => unknown, RegExp][] = [
    [
      'fails when the target is not marked refreshable, naming the command that marks it',
      () => {
        liveRds({ TagList: [{ Key: 'team', Value: 'payments' }] });
        return rdsFile();
      },
      new RegExp(
        `aws rds add-tags-to-resource --resource-name ${RDS_ARN}:db:app1-dev --tags Key=dbrefresh:refreshable,Value=true`,
      ),
    ],
    [
      'fails when the target is tagged as production',
      () => {
        liveRds({ TagList: [REFRESHABLE_TAG, { Key: 'Environment', Value: 'Prod' }] });
        return rdsFile();
      },
      /is tagged Environment=Prod; dbrefresh never replaces a production database/,
    ],
    [
      'fails when the target is not available',
      () => {
        liveRds({ DBInstanceStatus: 'stopped' });
        return rdsFile();
      },
      /is "stopped"; it must be available/,
    ],
    [
      'fails when the file names another engine than the source runs',
      () => {
        liveRds();
        return rdsFile({ engine: 'mariadb' });
      },
      /engine is "mariadb" but the source runs mysql; set engine to "mysql"/,
    ],
    [
      'fails when an Aurora refresh names a source that is not Aurora',
      () => {
        describesCluster(rds, 'shop-prod', {
          Engine: 'mysql',
          EngineVersion: '8.0.39',
          LatestRestorableTime: new Date(LATEST),
        });
        const { engine: _engine, ...file } = refreshFile('aurora-mysql-fastclone.json');
        return file;
      },
      /Source shop-prod runs mysql, which service "aurora" does not refresh/,
    ],
    ['fails when the source does not exist', () => rdsFile(), /Source DB instance "app1-prod" was not found/],
    [
      'fails when the restore point is outside the restorable window',
      () => {
        liveRds();
        rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
          DBInstanceAutomatedBackups: [{ RestoreWindow: { EarliestTime: new Date('2026-11-14T03:00:00Z') } }],
        });
        return rdsFile({ restore: { type: 'restorepoint', time: '2026-11-10T00:00:00Z' } });
      },
      /restore.time 2026-11-10T00:00:00.000Z is outside the restorable window of app1-prod/,
    ],
    [
      'fails when no snapshot of the source is available',
      () => {
        liveRds();
        rds.on(DescribeDBSnapshotsCommand).resolves({
          DBSnapshots: [
            { DBSnapshotIdentifier: 's1', Status: 'creating', SnapshotCreateTime: new Date(LATEST) },
          ],
        });
        return rdsFile({ restore: { type: 'fromsnapshot', snapshot: 'latest' } });
      },
      /Source app1-prod has no available snapshot/,
    ],
    [
      'fails when rotation is asked but the secret has none configured',
      () => {
        liveRds();
        secret({ RotationEnabled: false });
        return rdsFile({ adminPassword: { secretName: '/development/app1/app1-dev', rotate: true } });
      },
      /adminPassword.rotate is true but secret \/development\/app1\/app1-dev has no rotation configured/,
    ],
    [
      'fails when rotation is asked for a secret that does not exist yet',
      () => {
        liveRds();
        sm.on(DescribeSecretCommand).rejects(awsError('ResourceNotFoundException'));
        return rdsFile({ adminPassword: { rotate: true } });
      },
      /secret dbrefresh\/app1-dev does not exist yet, so it has no rotation configured/,
    ],
    [
      'fails when an RDS target names a KMS key',
      () => {
        liveRds();
        const file = rdsFile();
        return { ...file, target: { ...(file.target as object), kmsKeyId: 'alias/app1-dev' } };
      },
      /target.kmsKeyId is only supported for Aurora/,
    ],
    [
      'fails when the KMS key is disabled',
      () => {
        auroraWithKey('Disabled');
        return auroraFileWithKey();
      },
      /KMS key alias\/shop-int \(target.kmsKeyId\) is Disabled; enable it or use another key/,
    ],
    [
      'fails when the KMS key is not visible to this account',
      () => {
        auroraWithKey('Enabled');
        kms.on(DescribeKeyCommand).rejects(awsError('NotFoundException'));
        return auroraFileWithKey();
      },
      /KMS key alias\/shop-int \(target.kmsKeyId\) is not usable from this account \(NotFoundException\)/,
    ],
    [
      'fails when the key of the source snapshot is pending deletion',
      () => {
        liveRds();
        kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', KeyState: 'PendingDeletion' } });
        rds.on(DescribeDBSnapshotsCommand).resolves({
          DBSnapshots: [
            {
              DBSnapshotIdentifier: 'app1-prod-manual',
              DBInstanceIdentifier: 'app1-prod',
              Engine: 'mysql',
              Status: 'available',
              SnapshotCreateTime: new Date(LATEST),
              KmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
            },
          ],
        });
        return rdsFile({ restore: { type: 'fromsnapshot', snapshot: 'app1-prod-manual' } });
      },
      /\(the source snapshot key\) is PendingDeletion/,
    ],
    [
      'fails when a read replica of the target is not marked refreshable',
      () => {
        liveRds();
        describesInstance(rds, 'app1-dev-ro', { ...REPLICA, TagList: [{ Key: 'team', Value: 'payments' }] });
        return rdsFile();
      },
      /Instance .*:db:app1-dev-ro of target app1-dev is not marked refreshable.*add-tags-to-resource --resource-name .*:db:app1-dev-ro/,
    ],
    [
      'fails when a read replica of the target is not available',
      () => {
        liveRds();
        describesInstance(rds, 'app1-dev-ro', { ...REPLICA, DBInstanceStatus: 'modifying' });
        return rdsFile();
      },
      /Instance .*:db:app1-dev-ro of target app1-dev is "modifying"; it must be available/,
    ],
    [
      "fails when the live target's parameter group is of an older version's family than the source runs",
      () => {
        liveRds();
        describesInstance(rds, 'app1-prod', { ...SOURCE, EngineVersion: '8.4.3' });
        return rdsFile();
      },
      /The live target's parameter group \(target.parameterGroup\) is "app1-mysql80", a DB parameter group of family mysql8.0, but the copy will run mysql 8.4.3 \(family mysql8.4\)/,
    ],
    [
      'fails when the file sets gp3 IOPS for a copy below the threshold',
      () => {
        liveRds();
        describesInstance(rds, 'app1-prod', { ...SOURCE, AllocatedStorage: 100 });
        const file = rdsFile();
        return { ...file, target: { ...(file.target as object), storageType: 'gp3', iops: 12000 } };
      },
      /target.iops is 12000, but the copy gets the source's 100 GiB of gp3 storage and RDS for mysql takes gp3 IOPS and throughput only from 400 GiB on/,
    ],
    [
      "fails when RDS manages the password and the live target's read replicas would be recreated",
      () => {
        liveRds();
        return rdsFile({ adminPassword: { managed: true } });
      },
      /adminPassword.managed is true, but the refresh recreates the read replicas app1-dev-ro of app1-dev, and RDS creates no read replica of an instance whose master password it manages/,
    ],
    [
      'fails when RDS manages the password and the file asks for read replicas',
      () => {
        liveRds({ ReadReplicaDBInstanceIdentifiers: [] });
        return rdsFile({ adminPassword: { managed: true }, replicas: [{ instance: 'app1-dev-ro2' }] });
      },
      /read replicas app1-dev-ro2 of app1-dev.*set replicas to \[\] to refresh app1-dev without read replicas/,
    ],
    [
      'fails when scripts are asked of an Oracle source',
      () => {
        liveRds();
        describesInstance(rds, 'app1-prod', {
          ...SOURCE,
          Engine: 'oracle-ee',
          EngineVersion: '19.0.0.0.ru-2024-10.rur-2024-10.r1',
        });
        const { engine: _engine, ...file } = rdsFile({
          scripts: { bucket: 'app1-refresh-scripts', keys: ['01-mask.sql'] },
        });
        return file;
      },
      /dbrefresh runs SQL scripts on MySQL, MariaDB and PostgreSQL engines, not on oracle-ee/,
    ],
  ];

  it.each(guards)('%s, writing nothing', async (_name, arrange, message) => {
    const file = arrange();

    const attempt = planRefresh(clients, request(file));

    await expect(attempt).rejects.toThrow(GuardError);
    await expect(attempt).rejects.toThrow(message);
    expectNothingWritten();
  });

  it('rejects an invalid refresh file listing every problem, before reading AWS', async () => {
    const file = rdsFile({
      environment: 'production',
      target: { instance: 'App1 dev' },
      restore: { type: 'sometime' },
    });

    const attempt = planRefresh(clients, request(file));

    await expect(attempt).rejects.toThrow(RefreshFileError);
    await expect(attempt).rejects.toThrow(/The refresh file has 3 problem\(s\):/);
    await expect(attempt).rejects.toThrow(/environment/);
    await expect(attempt).rejects.toThrow(/target.instance/);
    await expect(attempt).rejects.toThrow(/restore.type/);
    expect(rds).not.toHaveReceivedAnyCommand();
    expectNothingWritten();
  });

  it('rejects a file that is not an object', async () => {
    await expect(planRefresh(clients, request('app1-dev'))).rejects.toThrow(RefreshFileError);
    expectNothingWritten();
  });
});

describe('planRefresh lock', () => {
  it('fails with TargetLockedError when another run holds the lock, writing no record', async () => {
    liveRds();
    ddb.on(PutCommand).rejects(awsError('ConditionalCheckFailedException', 'The conditional request failed'));
    ddb.on(GetCommand).resolves({
      Item: {
        runId: 'other123',
        executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:dbrefresh:other',
        acquiredAt: '2026-11-21T02:00:00.000Z',
      },
    });

    const attempt = planRefresh(clients, request(rdsFile()));

    await expect(attempt).rejects.toThrow(TargetLockedError);
    await expect(attempt).rejects.toThrow(/Target app1-dev is being refreshed by run other123/);
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: { target: 'lock#app1-dev', runKey: 'lock' } });
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddb).not.toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ status: 'running' }),
    });
    expect(ddb).not.toHaveReceivedCommand(DeleteCommand);
  });

  it('releases its lock when the running record cannot be written', async () => {
    liveRds();
    const denied = awsError('AccessDeniedException', 'not authorized to perform dynamodb:PutItem');
    ddb.on(PutCommand, { Item: { status: 'running' } }).rejects(denied);

    await expect(planRefresh(clients, request(rdsFile()))).rejects.toBe(denied);

    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
      TableName: TABLE,
      Key: { target: 'lock#app1-dev', runKey: 'lock' },
      ExpressionAttributeValues: { ':runId': RUN },
    });
  });

  it('releases its lock when the record key belongs to another run', async () => {
    liveRds();
    ddb
      .on(PutCommand, { Item: { status: 'running' } })
      .rejects(awsError('ConditionalCheckFailedException', 'The conditional request failed'));

    await expect(planRefresh(clients, request(rdsFile()))).rejects.toThrow(DbRefreshError);

    expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 1);
  });

  it('plans the same run again when the step is retried', async () => {
    liveRds();

    const first = await planRefresh(clients, request(rdsFile()));
    const second = await planRefresh(clients, request(rdsFile()));

    expect(second).toEqual(first);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 4);
    expect(ddb).not.toHaveReceivedCommand(DeleteCommand);
  });
});

describe('runIdOf', () => {
  it('derives 8 lowercase letters and digits', () => {
    expect(runIdOf(EXECUTION_ARN)).toMatch(/^[a-z0-9]{8}$/);
  });

  it('gives the same id for the same execution', () => {
    expect(runIdOf('arn:aws:states:eu-west-1:111122223333:execution:dbrefresh:nightly-app1-dev')).toBe(RUN);
  });

  it('gives another id for another execution', () => {
    expect(runIdOf(`${EXECUTION_ARN}-2`)).not.toBe(RUN);
  });
});

describe('refreshedTags', () => {
  const source = {
    id: 'app1-prod',
    arn: `${RDS_ARN}:db:app1-prod`,
    engine: 'mysql',
    engineVersion: '8.0.39',
    restorePoint: LATEST,
    snapshot: null,
  };

  it("rejects tags past the 50 RDS allows on a resource, counting dbrefresh's own, naming how many to remove", () => {
    const fileTags = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`file-${i}`, 'x']));
    const parsed = PlanSchema.shape.file.parse(rdsFile({ tags: fileTags }));
    const live = Array.from({ length: 27 }, (_, i) => ({ Key: `live-${i}`, Value: 'y' }));

    expect(() => refreshedTags(live, parsed, RUN, source)).toThrow(GuardError);
    expect(() => refreshedTags(live, parsed, RUN, source)).toThrow(
      /would carry 51 tags: the 47 the live target and the file's tags give it, and dbrefresh's own 4; RDS allows at most 50 per resource.*Remove 1 of them/,
    );
    expect(refreshedTags(live.slice(1), parsed, RUN, source)).toHaveLength(50);
  });

  it("lets the file's tags replace carried-over ones of the same key", () => {
    const parsed = PlanSchema.shape.file.parse(rdsFile({ tags: { team: 'platform' } }));

    const tags = refreshedTags([{ Key: 'team', Value: 'payments' }], parsed, RUN, source);

    expect(tags[0]).toEqual({ Key: 'team', Value: 'platform' });
  });

  it('drops live tags without a value and replaces stale dbrefresh tags', () => {
    const parsed = PlanSchema.shape.file.parse(rdsFile({ tags: undefined }));

    const tags = refreshedTags(
      [
        { Key: 'orphan' },
        { Key: 'dbrefresh:source', Value: 'old-prod' },
        { Key: 'aws:createdBy', Value: 'x' },
      ],
      parsed,
      RUN,
      source,
    );

    expect(tags).toEqual([
      { Key: 'dbrefresh:refreshable', Value: 'true' },
      { Key: 'dbrefresh:run', Value: RUN },
      { Key: 'dbrefresh:source', Value: 'app1-prod' },
      { Key: 'dbrefresh:restore-point', Value: LATEST },
    ]);
  });
});

describe('plan handler', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the handler module is loaded once the environment is set
  let handlers: any;

  beforeAll(async () => {
    process.env.HISTORY_TABLE_NAME = TABLE;
    handlers = await import('../../lambdas/plan/handler');
  });

  it('plans from the execution input, ARN and start time', async () => {
    liveRds();

    const result = await handlers.handler(request(rdsFile()));

    expect(PlanSchema.parse(result.plan).runId).toBe(RUN);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({ status: 'running' }),
    });
  });

  it('rejects an event without the execution ARN, reading nothing', async () => {
    await expect(
      handlers.handler({ input: { refreshFile: rdsFile() }, startTime: START_TIME }),
    ).rejects.toThrow(/executionArn/);
    expect(rds).not.toHaveReceivedAnyCommand();
  });
});
