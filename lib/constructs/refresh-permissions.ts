import { ArnFormat, type Stack } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { FINAL_SNAPSHOT_TAG_KEY, REFRESHABLE_TAG } from '../../lambdas/shared/aws/rds';
import { ROTATION_FUNCTION_TAG } from '../../lambdas/shared/aws/secrets';
import { acknowledgeWildcards } from './acknowledge';

/** Tag that a hook function must carry before dbrefresh may invoke it. */
export const HOOK_TAG = { Key: 'dbrefresh:hook', Value: 'true' } as const;

const REFRESHABLE_RESOURCE = { [`aws:ResourceTag/${REFRESHABLE_TAG.Key}`]: REFRESHABLE_TAG.Value };
const REFRESHABLE_REQUEST = { [`aws:RequestTag/${REFRESHABLE_TAG.Key}`]: REFRESHABLE_TAG.Value };

/** The RDS actions that create a database; allowed only when the request tags it refreshable. */
const CREATE_ACTIONS = [
  'rds:RestoreDBInstanceToPointInTime',
  'rds:RestoreDBInstanceFromDBSnapshot',
  'rds:RestoreDBClusterToPointInTime',
  'rds:RestoreDBClusterFromSnapshot',
  'rds:CreateDBInstance',
  'rds:CreateDBInstanceReadReplica',
  'rds:AddTagsToResource',
];

/** The RDS actions that change or remove a database; allowed only on databases tagged refreshable. */
const CHANGE_ACTIONS = [
  'rds:ModifyDBInstance',
  'rds:ModifyDBCluster',
  'rds:DeleteDBInstance',
  'rds:DeleteDBCluster',
  'rds:StopDBInstance',
  'rds:StopDBCluster',
  // RDS authorizes the snapshot a delete (or a stop) takes as rds:CreateDBSnapshot on the database as well.
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html#amazonrds-CreateDBSnapshot
  'rds:CreateDBSnapshot',
  'rds:CreateDBClusterSnapshot',
  'rds:AddTagsToResource',
  'rds:RemoveTagsFromResource',
  'rds:CreateDBInstance',
  'rds:CreateDBInstanceReadReplica',
];

/**
 * IAM statements of the step functions, built so that the policies, not only the code, enforce the
 * rules: databases are created only tagged refreshable, and changed or deleted only when they carry
 * that tag. Resources are scoped to this stack's region; sources may be in other accounts (shared
 * snapshots and clusters), so reads name any account.
 */
export class RefreshPermissions {
  private readonly stack: Stack;

  constructor(scope: Stack) {
    this.stack = scope;
  }

  /** Describe the databases, snapshots and backups the plan and the checks look at. */
  readRds(grantee: IGrantable): void {
    this.add(
      grantee,
      new PolicyStatement({
        actions: [
          'rds:DescribeDBInstances',
          'rds:DescribeDBClusters',
          'rds:DescribeDBSnapshots',
          'rds:DescribeDBClusterSnapshots',
          'rds:DescribeDBInstanceAutomatedBackups',
          'rds:ListTagsForResource',
        ],
        resources: ['db', 'cluster', 'snapshot', 'cluster-snapshot', 'auto-backup'].map((type) =>
          this.rdsArn(type, '*'),
        ),
      }),
      'Refresh files name the databases at run time, and sources may be shared from other accounts, so the describe actions name every database, snapshot and backup of the region; they only read',
    );
  }

  /** Describe the parameter and option groups the plan checks against the engine version of the copy. */
  readGroups(grantee: IGrantable): void {
    this.add(
      grantee,
      new PolicyStatement({
        actions: [
          'rds:DescribeDBParameterGroups',
          'rds:DescribeDBClusterParameterGroups',
          'rds:DescribeOptionGroups',
        ],
        resources: ['pg', 'cluster-pg', 'og'].map((type) => this.rdsArn(type)),
      }),
      "Group names come from refresh files and live targets at run time; the describe actions only read this account's parameter and option groups",
    );
  }

  /**
   * Create databases (restores, Aurora instances, read replicas), only when the request tags them
   * refreshable. RDS authorizes a restore against every resource it names (the source or its snapshot,
   * possibly shared from another account, and the groups), and the request's tags count for all of them.
   */
  createRefreshable(grantee: IGrantable): void {
    this.add(
      grantee,
      new PolicyStatement({
        actions: CREATE_ACTIONS,
        resources: [
          this.rdsArn('db'),
          this.rdsArn('cluster', '*', '*'),
          this.rdsArn('snapshot', '*', '*'),
          this.rdsArn('cluster-snapshot', '*', '*'),
          ...this.groupArns(),
        ],
        conditions: { StringEquals: REFRESHABLE_REQUEST },
      }),
      'Database names come from refresh files at run time; every create requires aws:RequestTag dbrefresh:refreshable=true, and the source, snapshot and group ARNs are only read by the restore',
    );
  }

  /** Change, rename, stop and delete databases, only those tagged refreshable. */
  changeRefreshable(grantee: IGrantable): void {
    this.add(
      grantee,
      new PolicyStatement({
        actions: CHANGE_ACTIONS,
        resources: [this.rdsArn('db'), this.rdsArn('cluster')],
        conditions: { StringEquals: REFRESHABLE_RESOURCE },
      }),
      'Database names come from refresh files at run time; every change requires aws:ResourceTag dbrefresh:refreshable=true on the database, groups and snapshots hold no data',
    );
    // A change is also authorized against the groups it names, and a delete against its final
    // snapshot; neither holds a database's data, so they carry no tag condition.
    this.add(
      grantee,
      new PolicyStatement({
        actions: [
          'rds:ModifyDBInstance',
          'rds:ModifyDBCluster',
          'rds:CreateDBInstance',
          'rds:CreateDBInstanceReadReplica',
        ],
        resources: this.groupArns(),
      }),
      'Database names come from refresh files at run time; every change requires aws:ResourceTag dbrefresh:refreshable=true on the database, groups and snapshots hold no data',
    );
    this.add(
      grantee,
      new PolicyStatement({
        actions: [
          'rds:CreateDBSnapshot',
          'rds:CreateDBClusterSnapshot',
          'rds:DeleteDBInstance',
          'rds:DeleteDBCluster',
        ],
        resources: [this.rdsArn('snapshot'), this.rdsArn('cluster-snapshot')],
      }),
      'Database names come from refresh files at run time; every change requires aws:ResourceTag dbrefresh:refreshable=true on the database, groups and snapshots hold no data',
    );
  }

  /**
   * Start stopped databases tagged refreshable: the retire step starts an old target it kept stopped when
   * deleting it needs it running (to turn deletion protection off, to take a final snapshot, or to delete
   * an Aurora cluster's instances).
   */
  startRefreshable(grantee: IGrantable): void {
    this.add(
      grantee,
      new PolicyStatement({
        actions: ['rds:StartDBInstance', 'rds:StartDBCluster'],
        resources: [this.rdsArn('db'), this.rdsArn('cluster')],
        conditions: { StringEquals: REFRESHABLE_RESOURCE },
      }),
      'Database names come from refresh files at run time; starting requires aws:ResourceTag dbrefresh:refreshable=true on the database',
    );
  }

  /**
   * Reboot instances tagged refreshable: the replicas step reboots a new read replica when the parameter
   * group it applied waits for a reboot.
   */
  rebootRefreshable(grantee: IGrantable): void {
    this.add(
      grantee,
      new PolicyStatement({
        actions: ['rds:RebootDBInstance'],
        resources: [this.rdsArn('db')],
        conditions: { StringEquals: REFRESHABLE_RESOURCE },
      }),
      'Replica names come from refresh files at run time; rebooting requires aws:ResourceTag dbrefresh:refreshable=true on the instance',
    );
  }

  /**
   * Keep the final snapshots of old targets to the number the refresh files ask for: tag a final snapshot
   * with the target it holds (DeleteDBInstance and DeleteDBCluster take no tags for it), and delete the
   * older ones, only snapshots named as dbrefresh names final snapshots and carrying that tag.
   */
  manageFinalSnapshots(grantee: IGrantable): void {
    const finalSnapshots = [
      this.rdsArn('snapshot', '*-old-*-final'),
      this.rdsArn('cluster-snapshot', '*-old-*-final'),
    ];
    const reason =
      'Final snapshot names derive from refresh-file targets at run time; only snapshots named <target>-old-<run>-final, tagged with the dbrefresh final-snapshot key only, and deleted only when they carry it';
    this.add(
      grantee,
      new PolicyStatement({
        actions: ['rds:AddTagsToResource'],
        resources: finalSnapshots,
        conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [FINAL_SNAPSHOT_TAG_KEY] } },
      }),
      reason,
    );
    this.add(
      grantee,
      new PolicyStatement({
        actions: ['rds:DeleteDBSnapshot', 'rds:DeleteDBClusterSnapshot'],
        resources: finalSnapshots,
        conditions: { StringLike: { [`aws:ResourceTag/${FINAL_SNAPSHOT_TAG_KEY}`]: '?*' } },
      }),
      reason,
    );
  }

  private groupArns(): string[] {
    return ['subgrp', 'pg', 'cluster-pg', 'og', 'secgrp'].map((type) => this.rdsArn(type));
  }

  /** Read (and with `write`, create, version and rotate) secrets of this account, and generate passwords. */
  useSecrets(grantee: IGrantable, actions: readonly string[]): void {
    this.add(
      grantee,
      new PolicyStatement({
        actions: actions.map((action) => `secretsmanager:${action}`),
        resources: [this.secretArn()],
      }),
      "Secret names come from refresh files at run time; only this account's secrets, with the listed actions",
    );
  }

  /**
   * Start the rotation already configured on a secret. RotateSecret needs lambda:InvokeFunction on the secret's
   * rotation function too (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html),
   * and that must not become a way to invoke any function:
   * - RotateSecret is allowed only without RotationLambdaARN in the request (the `Null` condition on
   *   secretsmanager:RotationLambdaARN), so the role can start the configured rotation but never point a secret at
   *   a function of its choosing;
   * - lambda:InvokeFunction is allowed only on this account's functions tagged dbrefresh:rotation=true (Lambda
   *   authorizes InvokeFunction on aws:ResourceTag,
   *   https://docs.aws.amazon.com/lambda/latest/dg/attribute-based-access-control.html), as hooks need
   *   dbrefresh:hook=true: someone allowed to tag the function decides, once, that dbrefresh may trigger it, with
   *   no redeployment for each new secret (a list of function ARNs in the stack would need one). The roles of
   *   dbrefresh cannot tag functions.
   */
  rotateSecrets(grantee: IGrantable): void {
    this.add(
      grantee,
      new PolicyStatement({
        actions: ['secretsmanager:RotateSecret'],
        resources: [this.secretArn()],
        conditions: { Null: { 'secretsmanager:RotationLambdaARN': 'true' } },
      }),
      "Secret names come from refresh files at run time; only this account's secrets, and only their configured rotation (no RotationLambdaARN in the request)",
    );
    this.add(
      grantee,
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [
          this.stack.formatArn({
            service: 'lambda',
            resource: 'function',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
        conditions: {
          StringEquals: { [`aws:ResourceTag/${ROTATION_FUNCTION_TAG.Key}`]: ROTATION_FUNCTION_TAG.Value },
        },
      }),
      'Rotation functions are configured on the secrets refresh files name; RotateSecret may invoke only functions of this account tagged dbrefresh:rotation=true',
    );
  }

  /** GetRandomPassword has no resource to scope to. */
  generatePasswords(grantee: IGrantable): void {
    this.add(
      grantee,
      new PolicyStatement({ actions: ['secretsmanager:GetRandomPassword'], resources: ['*'] }),
      'secretsmanager:GetRandomPassword has no resource to scope to',
    );
  }

  /** Check KMS keys, and let RDS use them for encrypted restores (only through RDS). */
  useKeysThroughRds(grantee: IGrantable): void {
    this.add(
      grantee,
      new PolicyStatement({
        actions: [
          'kms:DescribeKey',
          'kms:CreateGrant',
          'kms:Decrypt',
          'kms:GenerateDataKey*',
          'kms:ReEncrypt*',
        ],
        resources: [
          this.stack.formatArn({ service: 'kms', account: '*', resource: 'key', resourceName: '*' }),
        ],
        conditions: { StringEquals: { 'kms:ViaService': `rds.${this.stack.region}.amazonaws.com` } },
      }),
      'Key ids come from refresh files and snapshots (possibly other accounts); use is limited to kms:ViaService rds in this region',
    );
  }

  /** Check that KMS keys named by a refresh file or a snapshot are usable. */
  describeKeys(grantee: IGrantable): void {
    this.add(
      grantee,
      new PolicyStatement({
        actions: ['kms:DescribeKey'],
        resources: [
          this.stack.formatArn({ service: 'kms', account: '*', resource: 'key', resourceName: '*' }),
        ],
      }),
      "Key ids come from refresh files and snapshots (possibly other accounts); DescribeKey only reads the key's state",
    );
  }

  /** Pass an Enhanced Monitoring role to RDS, and to nothing else. */
  passMonitoringRole(grantee: IGrantable): void {
    this.add(
      grantee,
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [
          this.stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' }),
        ],
        conditions: { StringEquals: { 'iam:PassedToService': 'monitoring.rds.amazonaws.com' } },
      }),
      'The Enhanced Monitoring role comes from the live target or the refresh file; it can be passed to monitoring.rds.amazonaws.com only',
    );
  }

  /** Read the SQL scripts from the named buckets. */
  readScripts(grantee: IGrantable, bucketNames: readonly string[]): void {
    this.add(
      grantee,
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: bucketNames.map((bucket) => `arn:${this.stack.partition}:s3:::${bucket}/*`),
      }),
      'Script buckets come from refresh files unless the stack is given scriptBucketNames; only GetObject',
    );
  }

  /** Invoke hook functions, only those tagged as dbrefresh hooks. */
  invokeHooks(grantee: IGrantable): void {
    this.add(
      grantee,
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [
          this.stack.formatArn({
            service: 'lambda',
            account: '*',
            resource: 'function',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
        conditions: { StringEquals: { [`aws:ResourceTag/${HOOK_TAG.Key}`]: HOOK_TAG.Value } },
      }),
      'Hook functions come from refresh files (possibly other accounts); only functions tagged dbrefresh:hook=true can be invoked',
    );
  }

  /** Publish to the extra topics refresh files name (this account and region). */
  publishToTopics(grantee: IGrantable): void {
    this.add(
      grantee,
      new PolicyStatement({
        actions: ['sns:Publish'],
        resources: [this.stack.formatArn({ service: 'sns', resource: '*' })],
      }),
      'Extra notification topics come from refresh files; only sns:Publish in this account and region',
    );
  }

  private add(grantee: IGrantable, statement: PolicyStatement, reason: string): void {
    grantee.grantPrincipal.addToPrincipalPolicy(statement);
    acknowledgeWildcards(grantee as unknown as IConstruct, statement, reason);
  }

  private secretArn(): string {
    return this.stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: '*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  private rdsArn(type: string, name = '*', account = this.stack.account): string {
    return this.stack.formatArn({
      service: 'rds',
      account,
      resource: type,
      resourceName: name,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }
}
