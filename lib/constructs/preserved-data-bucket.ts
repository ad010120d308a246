import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcards } from './acknowledge';

export const PRESERVED_DATA_BUCKET_ENV = 'PRESERVED_DATA_BUCKET';

/** How long a run's preserved data may outlive the run: a run that fails before the reapply leaves it behind. */
export const PRESERVED_DATA_EXPIRY_DAYS = 7;

/** The prefix every run's objects live under (`runs/<runId>/preserved.json`). */
const RUNS_PREFIX = 'runs/';

/**
 * The bucket that holds what a refresh keeps of its target (`preserve`: table rows, users with their
 * password hashes) between the capture and the reapply: private, encrypted, TLS-only, unversioned (a
 * deleted object is gone), and every object expires after PRESERVED_DATA_EXPIRY_DAYS.
 *
 * Deleting the stack deletes the bucket only when it is empty (CloudFormation refuses otherwise, and the
 * lifecycle rule empties it within a week): retaining it would leave password hashes in an orphaned
 * bucket, and autoDeleteObjects would add a custom resource with rights to empty it.
 */
export class PreservedDataBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      // S3-managed keys: only the two preserve functions' roles can read the objects, and each lives for one run.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: false,
      lifecycleRules: [
        {
          id: 'ExpireRunData',
          prefix: RUNS_PREFIX,
          expiration: Duration.days(PRESERVED_DATA_EXPIRY_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.bucket,
      'AwsSolutions-S1',
      'Objects live for one run and are read only by the preserve functions; access logs would keep a copy of every key in another bucket for longer than the data itself (CloudTrail data events can be enabled for an audit trail)',
    );
  }

  /** Lets `fn` write, read and delete runs' preserved data, and tells it the bucket's name. */
  bindReadWrite(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    const objects = new PolicyStatement({
      actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
      resources: [this.bucket.arnForObjects(`${RUNS_PREFIX}*`)],
    });
    fn.addToRolePolicy(objects);
    acknowledgeWildcards(
      fn,
      objects,
      "Each run's objects are named by its run id at run time; only objects under runs/ of this bucket",
    );
    // Without ListBucket, S3 answers a missing key with AccessDenied instead of NoSuchKey.
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
    fn.addEnvironment(PRESERVED_DATA_BUCKET_ENV, this.bucket.bucketName);
  }
}
