import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import {
  PRESERVED_DATA_BUCKET_ENV,
  PRESERVED_DATA_EXPIRY_DAYS,
  PreservedDataBucket,
} from '../../../lib/constructs/preserved-data-bucket';

function synth(build: (stack: Stack) => void): Template {
  const stack = new Stack(new App(), 'Test');
  build(stack);
  return Template.fromStack(stack);
}

describe('PreservedDataBucket', () => {
  it('creates a private, encrypted, unversioned bucket whose run data expires after a week', () => {
    const template = synth((stack) => new PreservedDataBucket(stack, 'PreservedData'));

    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: Match.absent(),
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            Prefix: 'runs/',
            ExpirationInDays: PRESERVED_DATA_EXPIRY_DAYS,
            Status: 'Enabled',
          }),
        ],
      },
    });
    expect(PRESERVED_DATA_EXPIRY_DAYS).toBe(7);
  });

  it('refuses every request without TLS', () => {
    const template = synth((stack) => new PreservedDataBucket(stack, 'PreservedData'));

    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('is deleted with the stack only when empty: no retained bucket, no auto-delete custom resource', () => {
    const template = synth((stack) => new PreservedDataBucket(stack, 'PreservedData'));

    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('lets a bound function put, get and delete objects under runs/ and tells it the bucket name', () => {
    const template = synth((stack) => {
      const bucket = new PreservedDataBucket(stack, 'PreservedData');
      const fn = new LambdaFunction(stack, 'Fn', {
        runtime: Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: Code.fromInline('exports.handler = async () => {}'),
      });
      bucket.bindReadWrite(fn);
    });

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: { [PRESERVED_DATA_BUCKET_ENV]: { Ref: Match.stringLikeRegexp('PreservedData') } },
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
            Resource: {
              'Fn::Join': [
                '',
                [{ 'Fn::GetAtt': [Match.stringLikeRegexp('PreservedData'), 'Arn'] }, '/runs/*'],
              ],
            },
          },
          {
            Effect: 'Allow',
            Action: 's3:ListBucket',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('PreservedData'), 'Arn'] },
          },
        ],
      },
    });
  });
});
