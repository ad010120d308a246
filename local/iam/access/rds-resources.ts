import type { QueryInput } from '../../endpoint/query-protocol';
import { rdsErrors } from '../../endpoint/rds/errors';
import { parseRdsArn, resourceIdentifier, snapshotIdentifier } from '../../endpoint/rds/identifiers';
import { tagsOf } from '../../endpoint/rds/settings';
import type {
  ClusterRecord,
  ClusterSnapshotRecord,
  InstanceRecord,
  RdsTag,
  SnapshotRecord,
} from '../../endpoint/rds/state';
import { AwsError, type LocalRequest } from '../../endpoint/service';
import type { PolicyDocument, RequestContext } from '../access';
import { type KeyResolver, keyUseThroughService, resolveKey } from './customer-keys';
import { callerAccount, definedKeys, ownerIfOther } from './requests';
import type { AccessSpec } from './service-authorization';
import { requestTagKeys, resourceTagKeys } from './tags';

/**
 * The resources an RDS request names, as IAM sees them: their ARNs (in the region and account the request
 * names, another account's for a shared snapshot or cluster), their condition keys from the local account's
 * state, and the keys of the request itself.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
 */

/** What the RDS mapper reads of the local RDS account (an RdsAccount). */
export interface RdsResources {
  instance(identifier: string): InstanceRecord | undefined;
  cluster(identifier: string): ClusterRecord | undefined;
  snapshot(identifier: string): SnapshotRecord | undefined;
  clusterSnapshot(identifier: string): ClusterSnapshotRecord | undefined;
  instanceByResourceId(resourceId: string | undefined): InstanceRecord | undefined;
}

/** The RDS resource types local mode has, by the name their ARNs use. */
export type RdsArnType =
  | 'db'
  | 'cluster'
  | 'snapshot'
  | 'cluster-snapshot'
  | 'pg'
  | 'cluster-pg'
  | 'og'
  | 'subgrp'
  | 'auto-backup';

/** The resource types the local RDS keeps records of, and their records. */
export type StoredType = 'db' | 'cluster' | 'snapshot' | 'cluster-snapshot';
interface StoredRecords {
  db: InstanceRecord;
  cluster: ClusterRecord;
  snapshot: SnapshotRecord;
  'cluster-snapshot': ClusterSnapshotRecord;
}

/** The condition keys of a stored resource: its tags under both names, and what an instance is. */
const RECORD_KEYS: { [K in StoredType]: (record: StoredRecords[K]) => RequestContext } = {
  db: (record) => instanceKeys(record),
  cluster: (record) => resourceTagKeys(record.tags, ['rds:cluster-tag']),
  snapshot: (record) => resourceTagKeys(record.tags, ['rds:snapshot-tag']),
  'cluster-snapshot': (record) => resourceTagKeys(record.tags, ['rds:cluster-snapshot-tag']),
};

/** One resource a request names: its ARN, its own condition keys, and its owner when that is another account. */
export interface RdsResource {
  readonly arn: string;
  readonly context: RequestContext;
  readonly resourceAccount?: string;
  readonly resourcePolicy?: PolicyDocument;
}

/** What another account's owner lets the caller's account do with a resource it shares. */
const SHARED_USES: Partial<Record<RdsArnType, readonly string[]>> = {
  // A manual snapshot shared with an account can be described, copied and restored there.
  // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ShareSnapshot.html
  snapshot: ['rds:DescribeDBSnapshots', 'rds:CopyDBSnapshot', 'rds:RestoreDBInstanceFromDBSnapshot'],
  'cluster-snapshot': [
    'rds:DescribeDBClusterSnapshots',
    'rds:CopyDBClusterSnapshot',
    'rds:RestoreDBClusterFromSnapshot',
  ],
  // An Aurora cluster shared through AWS RAM can be described and cloned (copy-on-write restore).
  // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Managing.Clone.html#Aurora.Managing.Clone.Cross-Account
  cluster: ['rds:DescribeDBClusters', 'rds:RestoreDBClusterToPointInTime'],
};

/** An Enhanced Monitoring role is passed to this service principal. */
const MONITORING_SERVICE = 'monitoring.rds.amazonaws.com';
const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/.+$/;
const AUTOMATED_BACKUPS_ARN = /^arn:aws[\w-]*:rds:[a-z0-9-]+:\d{12}:auto-backup:.+$/;

/** One RDS request: its parameters, the account's state, and the accesses they make. */
export class RdsRequest {
  /** The request's Tags, checked as RDS reads them. */
  readonly tags: RdsTag[];
  /** Keys of the whole request; each access keeps those its action lists. */
  readonly requestKeys: RequestContext;

  constructor(
    readonly request: LocalRequest,
    readonly input: QueryInput,
    readonly resources: RdsResources,
    private readonly keys?: KeyResolver,
  ) {
    this.tags = tagsOf(input);
    this.requestKeys = {
      ...requestTagKeys(this.tags, ['rds:req-tag']),
      ...definedKeys({
        'rds:PubliclyAccessible': input.boolean('PubliclyAccessible'),
        'rds:ManageMasterUserPassword': input.boolean('ManageMasterUserPassword'),
        'rds:DatabaseEngine': input.string('Engine'),
        'rds:DatabaseName': input.string('DatabaseName'),
        'rds:DatabaseClass': input.string('DBClusterInstanceClass'),
        'rds:StorageEncrypted': input.boolean('StorageEncrypted'),
        'rds:StorageSize': input.integer('AllocatedStorage'),
        'rds:Piops': input.integer('Iops'),
        'rds:BackupTarget': input.string('BackupTarget'),
      }),
    };
  }

  /** `rds:<action>` on `resource`, with the request's keys and the resource's own (and `extra`). */
  access(action: string, resource: RdsResource, extra: RequestContext = {}): AccessSpec {
    return {
      action: `rds:${action}`,
      resource: resource.arn,
      request: this.requestKeys,
      context: { ...resource.context, ...extra },
      ...(resource.resourceAccount ? { resourceAccount: resource.resourceAccount } : {}),
      ...(resource.resourcePolicy ? { resourcePolicy: resource.resourcePolicy } : {}),
    };
  }

  /** An ARN of this request's region and account. */
  arn(type: RdsArnType, name: string): string {
    return `arn:aws:rds:${this.request.region}:${this.request.account}:${type}:${name}`;
  }

  /**
   * Every resource of a type: a describe without an identifier is authorized on `db:*` (RDS answers such a
   * caller "not authorized to perform: rds:DescribeDBInstances on resource: arn:aws:rds:<region>:<account>:db:*",
   * as reported in https://github.com/awslabs/pireporter/issues/8), so a tag condition never matches it.
   */
  all(type: RdsArnType): RdsResource {
    return { arn: this.arn(type, '*'), context: {} };
  }

  /** The parameter's value, when the request has it. */
  named(parameter: string): string | undefined {
    const value = this.input.string(parameter);
    return value === undefined || value === '' ? undefined : value;
  }

  /**
   * The instance, cluster or snapshot a parameter names by identifier or ARN (possibly another account's),
   * with its keys from the local state when it exists.
   * @throws AwsError InvalidParameterValue as RDS answers a malformed identifier or an ARN of another type
   */
  existing(
    parameter: string,
    type: StoredType,
    value: string = this.input.requiredString(parameter),
  ): RdsResource {
    const identifier = identifierOf(parameter, value, type);
    const arn = rdsArnOf(value, type, identifier) ?? this.arn(type, identifier);
    const record = this.lookup(type, identifier);
    return this.withOwner(type, arn, record ? RECORD_KEYS[type](record as never) : {});
  }

  /** The instance, cluster or snapshot a parameter names, when the request names one the local account has. */
  record<T extends StoredType>(parameter: string, type: T): StoredRecords[T] | undefined {
    const value = this.named(parameter);
    return value === undefined ? undefined : this.lookup(type, identifierOf(parameter, value, type));
  }

  /** The instance a record is, by its ARN in this request's scope. */
  instanceResource(record: InstanceRecord): RdsResource {
    return { arn: this.arn('db', record.identifier), context: instanceKeys(record) };
  }

  /** A resource the request creates: a free identifier has no tags yet; `context` holds what the request sets. */
  created(parameter: string, type: StoredType, context: RequestContext = {}): RdsResource {
    const identifier = identifierOf(parameter, this.input.requiredString(parameter), type);
    return { arn: this.arn(type, identifier), context };
  }

  /**
   * Retained automated backups named by their ARN.
   * @throws AwsError InvalidParameterValue for a value that is no automated backups ARN
   */
  automatedBackups(parameter: string, value: string): RdsResource {
    if (!AUTOMATED_BACKUPS_ARN.test(value)) {
      throw rdsErrors.invalidValue(
        `The parameter ${parameter} is not a valid automated backups ARN: ${value}`,
      );
    }
    return this.withOwner('auto-backup', value, {});
  }

  /** A parameter, option or subnet group by name (stored in lower case). Local groups carry no tags. */
  group(type: 'pg' | 'cluster-pg' | 'og' | 'subgrp', name: string): RdsResource {
    return { arn: this.arn(type, name.toLowerCase()), context: {} };
  }

  /**
   * The resource an ARN names (ResourceName of the tagging actions).
   * @throws AwsError InvalidParameterValue for a name that is no ARN of an RDS resource local mode has
   */
  byArn(parameter: string): RdsResource {
    const value = this.input.requiredString(parameter);
    const parsed = parseRdsArn(value);
    const type = parsed?.type;
    if (type === 'db' || type === 'cluster' || type === 'snapshot' || type === 'cluster-snapshot') {
      return this.existing(parameter, type, value);
    }
    if (type === 'pg' || type === 'cluster-pg' || type === 'og' || type === 'subgrp') {
      return this.withOwner(type, value, {});
    }
    throw rdsErrors.invalidValue(
      `The specified resource name does not match an RDS resource in this region: ${value}. ` +
        'Use the ARN of a DB instance, DB cluster, snapshot or group',
    );
  }

  /**
   * `rds:AddTagsToResource` on a new resource with the request's tags: RDS authorizes tagging on create
   * separately from the create itself.
   * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/security_iam_id-based-policy-examples-grant-permissions-tags-on-create.html
   */
  tagOnCreate(resource: RdsResource): AccessSpec[] {
    if (this.tags.length === 0) return [];
    return [this.access('AddTagsToResource', resource, { 'rds:TagsFromRequest': true })];
  }

  /**
   * `rds:AddTagsToResource` on a snapshot that inherits its source's tags (CopyTagsToSnapshot): the tags are not
   * the request's (`rds:TagsFromRequest` false).
   * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html#amazonrds-rds_TagsFromRequest
   */
  copiedTags(snapshot: RdsResource, source: { copyTagsToSnapshot: boolean; tags: RdsTag[] } | undefined) {
    if (!source?.copyTagsToSnapshot || source.tags.length === 0) return [];
    return [
      {
        ...this.access('AddTagsToResource', snapshot, {
          ...requestTagKeys(source.tags, ['rds:req-tag']),
          'rds:TagsFromRequest': false,
        }),
        request: {},
      },
    ];
  }

  /**
   * `iam:PassRole` of the Enhanced Monitoring role the request names, to RDS's monitoring service.
   * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html
   * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
   */
  passMonitoringRole(): AccessSpec[] {
    const role = this.named('MonitoringRoleArn');
    if (role === undefined) return [];
    if (!ROLE_ARN.test(role)) {
      throw rdsErrors.invalidValue(
        `IAM role ARN value is invalid or does not include the required permissions for: ENHANCED_MONITORING (${role})`,
      );
    }
    return [
      {
        action: 'iam:PassRole',
        resource: role,
        context: { 'iam:PassedToService': MONITORING_SERVICE },
        ...ownerIfOther(role, this.request),
      },
    ];
  }

  /**
   * The KMS permissions RDS uses on the caller's behalf for customer managed keys: to create an encrypted
   * resource with a key, kms:CreateGrant and kms:DescribeKey through RDS.
   * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html
   * @throws AwsError KMSKeyNotAccessibleFault for an alias the local KMS does not know
   */
  keyUse(...references: (string | undefined)[]): AccessSpec[] {
    const scope = { region: this.request.region, account: this.request.account };
    const arns = new Set<string>();
    const accesses: AccessSpec[] = [];
    for (const reference of references) {
      if (reference === undefined || reference === '') continue;
      const key = resolveKey(reference, scope, this.keys);
      if (!key) {
        throw new AwsError(
          'KMSKeyNotAccessibleFault',
          `The KMS key ${reference} does not exist in the local KMS: create it (LocalKms.createKey) or name another key`,
        );
      }
      if (arns.has(key.arn)) continue;
      arns.add(key.arn);
      accesses.push(
        ...keyUseThroughService(key, ['kms:CreateGrant', 'kms:DescribeKey'], 'rds', this.request),
      );
    }
    return accesses;
  }

  private lookup<T extends StoredType>(type: T, identifier: string): StoredRecords[T] | undefined {
    const lookups: { [K in StoredType]: (id: string) => StoredRecords[K] | undefined } = {
      db: (id) => this.resources.instance(id),
      cluster: (id) => this.resources.cluster(id),
      snapshot: (id) => this.resources.snapshot(id),
      'cluster-snapshot': (id) => this.resources.clusterSnapshot(id),
    };
    return lookups[type](identifier);
  }

  /** The resource with its owner when that is not the caller, and the owner's sharing where RDS shares it. */
  private withOwner(type: RdsArnType, arn: string, context: RequestContext): RdsResource {
    const { resourceAccount } = ownerIfOther(arn, this.request);
    const uses = SHARED_USES[type];
    if (resourceAccount === undefined) return { arn, context };
    return {
      arn,
      context,
      resourceAccount,
      ...(uses ? { resourcePolicy: sharedWith(callerAccount(this.request), arn, uses) } : {}),
    };
  }
}

/**
 * An instance's condition keys: its tags (`aws:ResourceTag/<key>`, `rds:db-tag/<key>`) and what it is.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAM.SpecifyingCustomTags.html
 */
export function instanceKeys(record: InstanceRecord): RequestContext {
  return {
    ...resourceTagKeys(record.tags, ['rds:db-tag']),
    'rds:DatabaseClass': record.instanceClass,
    'rds:DatabaseEngine': record.engine,
    ...definedKeys({ 'rds:DatabaseName': record.server?.databaseName }),
    'rds:MultiAz': record.multiAz,
    // "To indicate a DB instance that does not have PIOPS enabled, specify 0."
    'rds:Piops': record.iops ?? 0,
    'rds:StorageEncrypted': record.storageEncrypted,
    'rds:StorageSize': record.allocatedStorage,
    // Every DB instance runs in a VPC since EC2-Classic was retired.
    'rds:Vpc': true,
  };
}

/**
 * The identifier a parameter names (by identifier or ARN), as RDS stores it.
 * @throws AwsError InvalidParameterValue as RDS answers a malformed identifier or an ARN of another type
 */
function identifierOf(parameter: string, value: string, type: StoredType): string {
  return type === 'db' || type === 'cluster'
    ? resourceIdentifier(parameter, value, type)
    : snapshotIdentifier(parameter, value, type);
}

/** The same ARN with the identifier as RDS stores it (lower case); undefined when `value` is no RDS ARN. */
function rdsArnOf(value: string, type: string, identifier: string): string | undefined {
  if (!parseRdsArn(value)) return undefined;
  const [, partition, , region, account] = value.split(':');
  return `arn:${partition}:rds:${region}:${account}:${type}:${identifier}`;
}

/** The policy of a resource another account shares with the caller's account for `actions`. */
function sharedWith(account: string, arn: string, actions: readonly string[]): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'SharedWithCallerAccount',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: [...actions],
        Resource: arn,
      },
    ],
  };
}
