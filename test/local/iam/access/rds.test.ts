import {
  AddTagsToResourceCommand,
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  CreateDBParameterGroupCommand,
  CreateDBSnapshotCommand,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RemoveTagsFromResourceCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
  StartDBClusterCommand,
  StartDBInstanceCommand,
  StopDBClusterCommand,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { AwsError } from '../../../../local/endpoint/service';
import type { AccessRequest } from '../../../../local/iam/access';
import { RDS_ACTIONS } from '../../../../local/iam/access/rds';
import { useRdsHarness } from '../../endpoint/rds-harness';
import {
  ACCOUNT,
  accessesOf,
  accessTo,
  capturing,
  OTHER_ACCOUNT,
  REGION,
  STEP_ROLE,
  summary,
} from './sdk-requests';

const PASSWORD = 'first-Pa55word';
const REFRESHABLE = { Key: 'dbrefresh:refreshable', Value: 'true' };
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_ID}`;
const OTHER_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0987dcba-09ab-87cd-65ef-ba0987654321`;

const harness = useRdsHarness();
const { requestOf } = capturing(RDSClient);

const arn = (type: string, name: string, account = ACCOUNT) =>
  `arn:aws:rds:${REGION}:${account}:${type}:${name}`;

/** The accesses the local RDS asks IAM for when a step function sends `command`. */
async function accessesFor(command: unknown): Promise<AccessRequest[]> {
  return [...(await harness.service.accessRequests(await requestOf(command)))];
}

/** The accesses `command` makes, or the AwsError it is refused with. */
async function refusalOf(command: unknown): Promise<AwsError> {
  try {
    await accessesFor(command);
  } catch (error: unknown) {
    if (error instanceof AwsError) return error;
    throw error;
  }
  throw new Error('The request was not refused');
}

beforeAll(async () => {
  await harness.rds.send(
    new CreateDBParameterGroupCommand({
      DBParameterGroupName: 'app1-mysql80',
      DBParameterGroupFamily: 'mysql8.0',
      Description: 'app1 development',
    }),
  );
  await harness.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'app1-prod',
      AllocatedStorage: 20,
      Engine: 'mysql',
      EngineVersion: '8.0.39',
      DBInstanceClass: 'db.r6g.large',
      MasterUsername: 'admin',
      MasterUserPassword: PASSWORD,
      DBName: 'app',
      Tags: [{ Key: 'environment', Value: 'production' }],
      CopyTagsToSnapshot: true,
    }),
  );
  await harness.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'app1-dev',
      AllocatedStorage: 20,
      Engine: 'mysql',
      DBInstanceClass: 'db.t4g.medium',
      MasterUsername: 'admin',
      MasterUserPassword: PASSWORD,
      Tags: [REFRESHABLE],
      DBParameterGroupName: 'app1-mysql80',
      StorageEncrypted: true,
      KmsKeyId: KEY_ARN,
    }),
  );
  await harness.rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: 'app2-prod',
      Engine: 'aurora-postgresql',
      EngineVersion: '15.8',
      MasterUsername: 'admin',
      MasterUserPassword: PASSWORD,
      Tags: [{ Key: 'environment', Value: 'production' }],
      StorageEncrypted: true,
      KmsKeyId: OTHER_KEY_ARN,
    }),
  );
  await harness.finish();
  await harness.rds.send(
    new CreateDBSnapshotCommand({
      DBInstanceIdentifier: 'app1-prod',
      DBSnapshotIdentifier: 'app1-prod-snap',
    }),
  );
  await harness.rds.send(
    new CreateDBClusterSnapshotCommand({
      DBClusterIdentifier: 'app2-prod',
      DBClusterSnapshotIdentifier: 'app2-prod-snap',
      Tags: [{ Key: 'purpose', Value: 'golden' }],
    }),
  );
  await harness.finish();
});

describe('RDS describe and list actions', () => {
  it('authorizes DescribeDBInstances of one instance on its ARN with its tags and properties', async () => {
    const accesses = await accessesFor(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'APP1-PROD' }));

    expect(accesses).toEqual([
      {
        action: 'rds:DescribeDBInstances',
        resource: arn('db', 'app1-prod'),
        context: {
          'aws:ResourceTag/environment': 'production',
          'rds:db-tag/environment': 'production',
          'rds:DatabaseClass': 'db.r6g.large',
          'rds:DatabaseEngine': 'mysql',
          'rds:DatabaseName': 'app',
          'rds:MultiAz': false,
          'rds:Piops': 0,
          'rds:StorageEncrypted': false,
          'rds:StorageSize': 20,
          'rds:Vpc': true,
        },
      },
    ]);
  });

  it('authorizes a describe without an identifier on every resource of the type (db:*)', async () => {
    const instances = await accessesFor(new DescribeDBInstancesCommand({}));
    const clusters = await accessesFor(new DescribeDBClustersCommand({}));
    const snapshots = await accessesFor(new DescribeDBSnapshotsCommand({}));
    const clusterSnapshots = await accessesFor(new DescribeDBClusterSnapshotsCommand({}));

    expect([instances, clusters, snapshots, clusterSnapshots].map(summary)).toEqual([
      [`rds:DescribeDBInstances ${arn('db', '*')}`],
      [`rds:DescribeDBClusters ${arn('cluster', '*')}`],
      [`rds:DescribeDBSnapshots ${arn('snapshot', '*')}`],
      [`rds:DescribeDBClusterSnapshots ${arn('cluster-snapshot', '*')}`],
    ]);
  });

  it('authorizes DescribeDBSnapshots by snapshot, else by instance, with their tag keys', async () => {
    const bySnapshot = await accessesFor(
      new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'app1-prod-snap' }),
    );
    const byInstance = await accessesFor(
      new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'app1-prod' }),
    );

    expect(bySnapshot).toEqual([
      {
        action: 'rds:DescribeDBSnapshots',
        resource: arn('snapshot', 'app1-prod-snap'),
        // The instance copies its tags to its snapshots.
        context: {
          'aws:ResourceTag/environment': 'production',
          'rds:snapshot-tag/environment': 'production',
        },
      },
    ]);
    expect(summary(byInstance)).toEqual([`rds:DescribeDBSnapshots ${arn('db', 'app1-prod')}`]);
  });

  it('authorizes a shared snapshot of another account on its ARN, with the owner sharing it', async () => {
    const shared = arn('cluster-snapshot', 'app2-prod-snap', OTHER_ACCOUNT);

    const [access] = await accessesFor(
      new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: shared }),
    );

    expect(access).toMatchObject({
      action: 'rds:DescribeDBClusterSnapshots',
      resource: shared,
      resourceAccount: OTHER_ACCOUNT,
      context: { 'aws:ResourceTag/purpose': 'golden', 'rds:cluster-snapshot-tag/purpose': 'golden' },
    });
    expect(access?.resourcePolicy?.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: expect.arrayContaining([
          'rds:DescribeDBClusterSnapshots',
          'rds:RestoreDBClusterFromSnapshot',
        ]),
        Resource: shared,
      }),
    ]);
  });

  it('authorizes DescribeDBInstanceAutomatedBackups on the instance its resource id names', async () => {
    const described = await harness.rds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'app1-prod' }),
    );
    const resourceId = described.DBInstances?.[0]?.DbiResourceId;

    const byResourceId = await accessesFor(
      new DescribeDBInstanceAutomatedBackupsCommand({ DbiResourceId: resourceId }),
    );
    const unknown = await accessesFor(
      new DescribeDBInstanceAutomatedBackupsCommand({ DbiResourceId: 'db-NONE' }),
    );

    expect(summary(byResourceId)).toEqual([
      `rds:DescribeDBInstanceAutomatedBackups ${arn('db', 'app1-prod')}`,
    ]);
    expect(summary(unknown)).toEqual([`rds:DescribeDBInstanceAutomatedBackups ${arn('auto-backup', '*')}`]);
  });
});

describe('RDS tagging actions', () => {
  it('authorizes AddTagsToResource with the request tags, the resource tags and TagsFromRequest', async () => {
    const [access] = await accessesFor(
      new AddTagsToResourceCommand({ ResourceName: arn('db', 'app1-prod'), Tags: [REFRESHABLE] }),
    );

    expect(access).toMatchObject({
      action: 'rds:AddTagsToResource',
      resource: arn('db', 'app1-prod'),
      context: {
        'aws:RequestTag/dbrefresh:refreshable': 'true',
        'rds:req-tag/dbrefresh:refreshable': 'true',
        'aws:TagKeys': ['dbrefresh:refreshable'],
        'aws:ResourceTag/environment': 'production',
        'rds:db-tag/environment': 'production',
        'rds:TagsFromRequest': true,
      },
    });
    expect(access?.context).not.toHaveProperty('aws:ResourceTag/dbrefresh:refreshable');
  });

  it('authorizes RemoveTagsFromResource with the keys removed and ListTagsForResource on the resource', async () => {
    const [removed] = await accessesFor(
      new RemoveTagsFromResourceCommand({
        ResourceName: arn('db', 'app1-dev'),
        TagKeys: ['dbrefresh:refreshable'],
      }),
    );
    const listed = await accessesFor(
      new ListTagsForResourceCommand({ ResourceName: arn('cluster', 'app2-prod') }),
    );

    expect(removed?.context).toMatchObject({
      'aws:TagKeys': ['dbrefresh:refreshable'],
      'aws:ResourceTag/dbrefresh:refreshable': 'true',
    });
    expect(listed).toEqual([
      {
        action: 'rds:ListTagsForResource',
        resource: arn('cluster', 'app2-prod'),
        context: { 'aws:ResourceTag/environment': 'production', 'rds:cluster-tag/environment': 'production' },
      },
    ]);
  });

  it('rejects a ResourceName that is no RDS ARN, as RDS does', async () => {
    const error = await refusalOf(new ListTagsForResourceCommand({ ResourceName: 'app1-prod' }));

    expect(error.code).toBe('InvalidParameterValue');
  });
});

describe('RDS restores', () => {
  it('authorizes a point-in-time restore on the copy, the source and the default groups, with its tags', async () => {
    const accesses = await accessesFor(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceIdentifier: 'app1-prod',
        TargetDBInstanceIdentifier: 'app1-dev-new-run1',
        UseLatestRestorableTime: true,
        Tags: [REFRESHABLE],
      }),
    );

    expect(summary(accesses)).toEqual([
      `rds:RestoreDBInstanceToPointInTime ${arn('db', 'app1-dev-new-run1')}`,
      `rds:RestoreDBInstanceToPointInTime ${arn('db', 'app1-prod')}`,
      `rds:RestoreDBInstanceToPointInTime ${arn('pg', 'default.mysql8.0')}`,
      `rds:RestoreDBInstanceToPointInTime ${arn('og', 'default:mysql-8-0')}`,
      `rds:RestoreDBInstanceToPointInTime ${arn('subgrp', 'default')}`,
      `rds:AddTagsToResource ${arn('db', 'app1-dev-new-run1')}`,
    ]);
    for (const access of accesses) {
      expect(access.context).toMatchObject({
        'aws:RequestTag/dbrefresh:refreshable': 'true',
        'aws:TagKeys': ['dbrefresh:refreshable'],
      });
    }
    const source = accessTo(accesses, 'rds:RestoreDBInstanceToPointInTime', arn('db', 'app1-prod'));
    expect(source.context).toMatchObject({
      'rds:db-tag/environment': 'production',
      'rds:DatabaseEngine': 'mysql',
    });
    const copy = accessTo(accesses, 'rds:RestoreDBInstanceToPointInTime', arn('db', 'app1-dev-new-run1'));
    expect(copy.context).not.toHaveProperty('aws:ResourceTag/environment');
    expect(copy.context).toMatchObject({
      'rds:DatabaseEngine': 'mysql',
      'rds:DatabaseClass': 'db.r6g.large',
    });
    expect(accessTo(accesses, 'rds:AddTagsToResource', arn('db', 'app1-dev-new-run1')).context).toMatchObject(
      {
        'rds:TagsFromRequest': true,
      },
    );
  });

  it('authorizes the groups a restore names instead of the defaults', async () => {
    const accesses = await accessesFor(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBSnapshotIdentifier: 'app1-prod-snap',
        DBInstanceIdentifier: 'app1-dev-new-run2',
        DBParameterGroupName: 'App1-MySQL80',
        OptionGroupName: 'app1-options',
        DBSubnetGroupName: 'private-db',
      }),
    );

    expect(summary(accesses)).toEqual([
      `rds:RestoreDBInstanceFromDBSnapshot ${arn('db', 'app1-dev-new-run2')}`,
      `rds:RestoreDBInstanceFromDBSnapshot ${arn('snapshot', 'app1-prod-snap')}`,
      `rds:RestoreDBInstanceFromDBSnapshot ${arn('pg', 'app1-mysql80')}`,
      `rds:RestoreDBInstanceFromDBSnapshot ${arn('og', 'app1-options')}`,
      `rds:RestoreDBInstanceFromDBSnapshot ${arn('subgrp', 'private-db')}`,
    ]);
  });

  it('authorizes a restore of a snapshot shared by another account on its ARN, with the sharing', async () => {
    const shared = arn('snapshot', 'app1-prod-snap', OTHER_ACCOUNT);

    const accesses = await accessesFor(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBSnapshotIdentifier: shared,
        DBInstanceIdentifier: 'x-copy',
      }),
    );

    expect(accessTo(accesses, 'rds:RestoreDBInstanceFromDBSnapshot', shared)).toMatchObject({
      resourceAccount: OTHER_ACCOUNT,
      resourcePolicy: {
        Statement: [
          expect.objectContaining({
            Action: expect.arrayContaining(['rds:RestoreDBInstanceFromDBSnapshot']),
          }),
        ],
      },
    });
    expect(accessTo(accesses, 'rds:RestoreDBInstanceFromDBSnapshot', arn('db', 'x-copy'))).not.toHaveProperty(
      'resourceAccount',
    );
  });

  it("gives another account's instance no resource policy: RDS shares no instance across accounts", async () => {
    const accesses = await accessesFor(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceIdentifier: arn('db', 'app1-prod', OTHER_ACCOUNT),
        TargetDBInstanceIdentifier: 'x-copy',
        UseLatestRestorableTime: true,
      }),
    );

    const source = accessTo(
      accesses,
      'rds:RestoreDBInstanceToPointInTime',
      arn('db', 'app1-prod', OTHER_ACCOUNT),
    );
    expect(source.resourceAccount).toBe(OTHER_ACCOUNT);
    expect(source.resourcePolicy).toBeUndefined();
  });

  it('authorizes the customer managed key of an encrypted source through RDS', async () => {
    const accesses = await accessesFor(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceIdentifier: 'app1-dev',
        TargetDBInstanceIdentifier: 'app1-dev-new-run3',
        UseLatestRestorableTime: true,
      }),
    );

    expect(accessesOf(accesses, 'kms:CreateGrant')).toEqual([
      {
        action: 'kms:CreateGrant',
        resource: KEY_ARN,
        context: {
          'kms:ViaService': `rds.${REGION}.amazonaws.com`,
          'kms:CallerAccount': ACCOUNT,
          'kms:GrantIsForAWSResource': true,
        },
      },
    ]);
    expect(accessTo(accesses, 'kms:DescribeKey', KEY_ARN).context).toEqual({
      'kms:ViaService': `rds.${REGION}.amazonaws.com`,
      'kms:CallerAccount': ACCOUNT,
    });
    // The source's groups are not the restore's: the copy gets the defaults unless it names its own.
    expect(summary(accesses)).toContain(
      `rds:RestoreDBInstanceToPointInTime ${arn('pg', 'default.mysql8.0')}`,
    );
  });

  it('authorizes both keys when a restore encrypts the copy with another key than its source', async () => {
    const accesses = await accessesFor(
      new RestoreDBClusterToPointInTimeCommand({
        SourceDBClusterIdentifier: 'app2-prod',
        DBClusterIdentifier: 'app2-dev-new-run1',
        RestoreType: 'copy-on-write',
        UseLatestRestorableTime: true,
        KmsKeyId: KEY_ID,
      }),
    );

    expect(accessesOf(accesses, 'kms:CreateGrant').map((access) => access.resource)).toEqual([
      KEY_ARN,
      OTHER_KEY_ARN,
    ]);
  });

  it('authorizes no key of the caller for an AWS managed key', async () => {
    const accesses = await accessesFor(
      new CreateDBClusterCommand({
        DBClusterIdentifier: 'aws-managed',
        Engine: 'aurora-mysql',
        MasterUsername: 'admin',
        MasterUserPassword: PASSWORD,
        StorageEncrypted: true,
        KmsKeyId: 'alias/aws/rds',
      }),
    );

    expect(summary(accesses)).toEqual([
      `rds:CreateDBCluster ${arn('cluster', 'aws-managed')}`,
      `rds:CreateDBCluster ${arn('cluster-pg', 'default.aurora-mysql8.0')}`,
      `rds:CreateDBCluster ${arn('og', 'default:aurora-mysql-8-0')}`,
      `rds:CreateDBCluster ${arn('subgrp', 'default')}`,
    ]);
  });

  it('rejects a key alias the local KMS cannot resolve, as RDS refuses a key it cannot reach', async () => {
    const error = await refusalOf(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'x',
        AllocatedStorage: 20,
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        MasterUsername: 'admin',
        MasterUserPassword: PASSWORD,
        StorageEncrypted: true,
        KmsKeyId: 'alias/app-key',
      }),
    );

    expect(error.code).toBe('KMSKeyNotAccessibleFault');
  });

  it('authorizes passing the Enhanced Monitoring role to RDS monitoring', async () => {
    const role = `arn:aws:iam::${ACCOUNT}:role/rds-monitoring-role`;

    const accesses = await accessesFor(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'app1-dev',
        MonitoringInterval: 60,
        MonitoringRoleArn: role,
        ApplyImmediately: true,
      }),
    );

    expect(accessesOf(accesses, 'iam:PassRole')).toEqual([
      {
        action: 'iam:PassRole',
        resource: role,
        context: { 'iam:PassedToService': 'monitoring.rds.amazonaws.com' },
      },
    ]);
  });

  it('rejects a monitoring role that is no role ARN, as RDS does', async () => {
    const error = await refusalOf(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'app1-dev',
        MonitoringRoleArn: 'rds-monitoring-role',
      }),
    );

    expect(error.code).toBe('InvalidParameterValue');
  });

  it('authorizes a cluster restore from a snapshot on the snapshot and the Aurora default groups', async () => {
    const accesses = await accessesFor(
      new RestoreDBClusterFromSnapshotCommand({
        SnapshotIdentifier: 'app2-prod-snap',
        DBClusterIdentifier: 'app2-dev-new-run2',
        Engine: 'aurora-postgresql',
        Tags: [REFRESHABLE],
      }),
    );

    expect(summary(accesses)).toEqual([
      `rds:RestoreDBClusterFromSnapshot ${arn('cluster', 'app2-dev-new-run2')}`,
      `rds:RestoreDBClusterFromSnapshot ${arn('cluster-snapshot', 'app2-prod-snap')}`,
      `rds:RestoreDBClusterFromSnapshot ${arn('cluster-pg', 'default.aurora-postgresql15')}`,
      `rds:RestoreDBClusterFromSnapshot ${arn('og', 'default:aurora-postgresql-15')}`,
      `rds:RestoreDBClusterFromSnapshot ${arn('subgrp', 'default')}`,
      `rds:AddTagsToResource ${arn('cluster', 'app2-dev-new-run2')}`,
      `kms:CreateGrant ${OTHER_KEY_ARN}`,
      `kms:DescribeKey ${OTHER_KEY_ARN}`,
    ]);
  });

  it('authorizes a clone of a cluster shared through AWS RAM with the sharing', async () => {
    const shared = arn('cluster', 'app2-prod', OTHER_ACCOUNT);

    const accesses = await accessesFor(
      new RestoreDBClusterToPointInTimeCommand({
        SourceDBClusterIdentifier: shared,
        DBClusterIdentifier: 'app2-dev-new-run3',
        RestoreType: 'copy-on-write',
        UseLatestRestorableTime: true,
      }),
    );

    expect(accessTo(accesses, 'rds:RestoreDBClusterToPointInTime', shared)).toMatchObject({
      resourceAccount: OTHER_ACCOUNT,
      resourcePolicy: {
        Statement: [
          expect.objectContaining({ Action: expect.arrayContaining(['rds:RestoreDBClusterToPointInTime']) }),
        ],
      },
    });
  });
});

describe('RDS creates', () => {
  it('authorizes a read replica on its source and the source groups it does not name', async () => {
    const accesses = await accessesFor(
      new CreateDBInstanceReadReplicaCommand({
        SourceDBInstanceIdentifier: 'app1-dev',
        DBInstanceIdentifier: 'app1-dev-ro',
        Tags: [REFRESHABLE],
      }),
    );

    expect(summary(accesses)).toEqual([
      `rds:CreateDBInstanceReadReplica ${arn('db', 'app1-dev-ro')}`,
      `rds:CreateDBInstanceReadReplica ${arn('db', 'app1-dev')}`,
      `rds:CreateDBInstanceReadReplica ${arn('pg', 'app1-mysql80')}`,
      `rds:CreateDBInstanceReadReplica ${arn('og', 'default:mysql-8-0')}`,
      `rds:CreateDBInstanceReadReplica ${arn('subgrp', 'default')}`,
      `rds:AddTagsToResource ${arn('db', 'app1-dev-ro')}`,
      `kms:CreateGrant ${KEY_ARN}`,
      `kms:DescribeKey ${KEY_ARN}`,
    ]);
  });

  it('authorizes an Aurora instance on itself, its cluster and the default instance groups', async () => {
    const accesses = await accessesFor(
      new CreateDBInstanceCommand({
        DBClusterIdentifier: 'app2-prod',
        DBInstanceIdentifier: 'app2-prod-2',
        Engine: 'aurora-postgresql',
        DBInstanceClass: 'db.serverless',
      }),
    );

    expect(summary(accesses)).toEqual([
      `rds:CreateDBInstance ${arn('db', 'app2-prod-2')}`,
      `rds:CreateDBInstance ${arn('cluster', 'app2-prod')}`,
      `rds:CreateDBInstance ${arn('pg', 'default.aurora-postgresql15')}`,
      `rds:CreateDBInstance ${arn('og', 'default:aurora-postgresql-15')}`,
    ]);
    expect(accesses[0]?.context).toEqual({
      'rds:DatabaseEngine': 'aurora-postgresql',
      'rds:DatabaseClass': 'db.serverless',
    });
  });

  it('authorizes a standalone instance on the default groups of the version RDS picks', async () => {
    const accesses = await accessesFor(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'new-one',
        AllocatedStorage: 20,
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        MasterUsername: 'admin',
        MasterUserPassword: PASSWORD,
        PubliclyAccessible: false,
      }),
    );

    expect(summary(accesses)).toEqual([
      `rds:CreateDBInstance ${arn('db', 'new-one')}`,
      `rds:CreateDBInstance ${arn('pg', 'default.postgres15')}`,
      `rds:CreateDBInstance ${arn('og', 'default:postgres-15')}`,
      `rds:CreateDBInstance ${arn('subgrp', 'default')}`,
    ]);
    expect(accesses[0]?.context).toMatchObject({ 'rds:PubliclyAccessible': false });
  });

  it('authorizes CreateDBCluster with the request keys the SAR lists for it', async () => {
    const accesses = await accessesFor(
      new CreateDBClusterCommand({
        DBClusterIdentifier: 'new-cluster',
        Engine: 'aurora-mysql',
        MasterUsername: 'admin',
        ManageMasterUserPassword: true,
        StorageEncrypted: true,
        DatabaseName: 'app',
      }),
    );

    expect(summary(accesses)).toEqual([
      `rds:CreateDBCluster ${arn('cluster', 'new-cluster')}`,
      `rds:CreateDBCluster ${arn('cluster-pg', 'default.aurora-mysql8.0')}`,
      `rds:CreateDBCluster ${arn('og', 'default:aurora-mysql-8-0')}`,
      `rds:CreateDBCluster ${arn('subgrp', 'default')}`,
    ]);
    expect(accesses[0]?.context).toEqual({
      'rds:DatabaseEngine': 'aurora-mysql',
      'rds:DatabaseName': 'app',
      'rds:ManageMasterUserPassword': true,
      'rds:StorageEncrypted': true,
    });
  });

  it('authorizes a snapshot on the instance and the snapshot, with the tags it copies from the instance', async () => {
    const accesses = await accessesFor(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: 'app1-prod',
        DBSnapshotIdentifier: 'app1-prod-manual',
      }),
    );

    expect(summary(accesses)).toEqual([
      `rds:CreateDBSnapshot ${arn('db', 'app1-prod')}`,
      `rds:CreateDBSnapshot ${arn('snapshot', 'app1-prod-manual')}`,
      `rds:AddTagsToResource ${arn('snapshot', 'app1-prod-manual')}`,
    ]);
    expect(accesses[2]?.context).toEqual({
      'aws:RequestTag/environment': 'production',
      'rds:req-tag/environment': 'production',
      'aws:TagKeys': ['environment'],
      'rds:TagsFromRequest': false,
    });
  });

  it('rejects a malformed identifier for a new instance, as RDS does', async () => {
    const error = await refusalOf(
      new CreateDBInstanceReadReplicaCommand({
        SourceDBInstanceIdentifier: 'app1-dev',
        DBInstanceIdentifier: '1-bad',
      }),
    );

    expect(error.code).toBe('InvalidParameterValue');
  });
});

describe('RDS changes to existing resources', () => {
  it('authorizes ModifyDBInstance on the instance with its tags, and on the groups it names', async () => {
    const accesses = await accessesFor(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'app1-dev',
        NewDBInstanceIdentifier: 'app1-dev-old-run1',
        DBParameterGroupName: 'app1-mysql80',
        ApplyImmediately: true,
      }),
    );

    expect(summary(accesses)).toEqual([
      `rds:ModifyDBInstance ${arn('db', 'app1-dev')}`,
      `rds:ModifyDBInstance ${arn('pg', 'app1-mysql80')}`,
    ]);
    expect(accesses[0]?.context).toMatchObject({
      'aws:ResourceTag/dbrefresh:refreshable': 'true',
      'rds:db-tag/dbrefresh:refreshable': 'true',
      'rds:StorageEncrypted': true,
    });
  });

  it('authorizes the final snapshot of a deletion as CreateDBSnapshot, with the tags it inherits', async () => {
    const accesses = await accessesFor(
      new DeleteDBInstanceCommand({
        DBInstanceIdentifier: 'app1-prod',
        FinalDBSnapshotIdentifier: 'app1-final',
      }),
    );
    const skipped = await accessesFor(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'app1-prod', SkipFinalSnapshot: true }),
    );

    expect(summary(accesses)).toEqual([
      `rds:DeleteDBInstance ${arn('db', 'app1-prod')}`,
      `rds:CreateDBSnapshot ${arn('db', 'app1-prod')}`,
      `rds:CreateDBSnapshot ${arn('snapshot', 'app1-final')}`,
      `rds:AddTagsToResource ${arn('snapshot', 'app1-final')}`,
    ]);
    expect(summary(skipped)).toEqual([`rds:DeleteDBInstance ${arn('db', 'app1-prod')}`]);
  });

  it('authorizes a cluster deletion on its final snapshot too', async () => {
    const accesses = await accessesFor(
      new DeleteDBClusterCommand({
        DBClusterIdentifier: 'app2-prod',
        FinalDBSnapshotIdentifier: 'app2-final',
      }),
    );

    expect(summary(accesses)).toEqual([
      `rds:DeleteDBCluster ${arn('cluster', 'app2-prod')}`,
      `rds:DeleteDBCluster ${arn('cluster-snapshot', 'app2-final')}`,
      `rds:CreateDBClusterSnapshot ${arn('cluster', 'app2-prod')}`,
      `rds:CreateDBClusterSnapshot ${arn('cluster-snapshot', 'app2-final')}`,
    ]);
  });

  it('authorizes stops, starts and cluster changes on the resource, with its tag keys', async () => {
    const stop = await accessesFor(new StopDBInstanceCommand({ DBInstanceIdentifier: 'app1-dev' }));
    const start = await accessesFor(new StartDBInstanceCommand({ DBInstanceIdentifier: 'app1-dev' }));
    const stopCluster = await accessesFor(new StopDBClusterCommand({ DBClusterIdentifier: 'app2-prod' }));
    const startCluster = await accessesFor(new StartDBClusterCommand({ DBClusterIdentifier: 'app2-prod' }));
    const modifyCluster = await accessesFor(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: 'app2-prod',
        DBClusterParameterGroupName: 'app2-pg15',
      }),
    );

    expect([stop, start, stopCluster, startCluster, modifyCluster].map(summary)).toEqual([
      [`rds:StopDBInstance ${arn('db', 'app1-dev')}`],
      [`rds:StartDBInstance ${arn('db', 'app1-dev')}`],
      [`rds:StopDBCluster ${arn('cluster', 'app2-prod')}`],
      [`rds:StartDBCluster ${arn('cluster', 'app2-prod')}`],
      [
        `rds:ModifyDBCluster ${arn('cluster', 'app2-prod')}`,
        `rds:ModifyDBCluster ${arn('cluster-pg', 'app2-pg15')}`,
      ],
    ]);
    expect(stopCluster[0]?.context).toEqual({
      'aws:ResourceTag/environment': 'production',
      'rds:cluster-tag/environment': 'production',
    });
  });

  it('authorizes snapshot deletions on the snapshot', async () => {
    const snapshot = await accessesFor(
      new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'app1-prod-snap' }),
    );
    const clusterSnapshot = await accessesFor(
      new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: 'app2-prod-snap' }),
    );

    expect([...summary(snapshot), ...summary(clusterSnapshot)]).toEqual([
      `rds:DeleteDBSnapshot ${arn('snapshot', 'app1-prod-snap')}`,
      `rds:DeleteDBClusterSnapshot ${arn('cluster-snapshot', 'app2-prod-snap')}`,
    ]);
  });
});

describe('RDS actions', () => {
  it('describes what IAM authorizes for every action the local RDS implements', async () => {
    const response = await harness.service.handle({
      ...(await requestOf(new DescribeDBInstancesCommand({}))),
      body: Buffer.from('Action=NoSuchAction&Version=2014-10-31'),
    });
    const implemented = /implements (.*)<\/Message>/.exec(String(response.body))?.[1]?.split(', ') ?? [];

    expect(implemented.length).toBeGreaterThan(20);
    expect(Object.keys(RDS_ACTIONS).sort()).toEqual([...implemented].sort());
  });

  it('rejects an action the local RDS does not have with InvalidAction', async () => {
    const request = await requestOf(new DescribeDBInstancesCommand({}));

    await expect(
      harness.service.accessRequests({
        ...request,
        body: Buffer.from('Action=CopyDBSnapshot&Version=2014-10-31'),
      }),
    ).rejects.toMatchObject({ code: 'InvalidAction' });
  });

  it('keeps the signer out of the accesses: the evaluator adds the principal keys', async () => {
    const request = await requestOf(new DescribeDBInstancesCommand({}), STEP_ROLE);

    const accesses = await harness.service.accessRequests(request);

    expect(accesses.length).toBe(1);
    expect(JSON.stringify(accesses)).not.toContain('RestoreFunctionRole');
  });
});
