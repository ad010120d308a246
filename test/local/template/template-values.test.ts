import { type CloudFormationTemplate, templateValues } from '../../../local/template/template-values';

const scope = { region: 'eu-west-1', account: '000000000000', stackName: 'DbRefresh' };

/** The values of a template that declares one resource of each type, named by its logical id. */
function valuesOf(resources: CloudFormationTemplate['Resources'], names: Record<string, string> = {}) {
  return templateValues({ Resources: resources }, scope, names).resources;
}

describe('templateValues', () => {
  it.each([
    ['AWS::DynamoDB::GlobalTable', 'T', 'T', { Arn: 'arn:aws:dynamodb:eu-west-1:000000000000:table/T' }],
    [
      'AWS::SNS::Topic',
      'N',
      'arn:aws:sns:eu-west-1:000000000000:N',
      { TopicArn: 'arn:aws:sns:eu-west-1:000000000000:N', TopicName: 'N' },
    ],
    [
      'AWS::S3::Bucket',
      'b',
      'b',
      {
        Arn: 'arn:aws:s3:::b',
        DomainName: 'b.s3.amazonaws.com',
        RegionalDomainName: 'b.s3.eu-west-1.amazonaws.com',
      },
    ],
    ['AWS::Lambda::Function', 'F', 'F', { Arn: 'arn:aws:lambda:eu-west-1:000000000000:function:F' }],
    ['AWS::IAM::Role', 'R', 'R', { Arn: 'arn:aws:iam::000000000000:role/R' }],
    [
      'AWS::IAM::ManagedPolicy',
      'P',
      'arn:aws:iam::000000000000:policy/P',
      { PolicyArn: 'arn:aws:iam::000000000000:policy/P' },
    ],
    ['AWS::IAM::InstanceProfile', 'I', 'I', { Arn: 'arn:aws:iam::000000000000:instance-profile/I' }],
    [
      'AWS::StepFunctions::StateMachine',
      'M',
      'arn:aws:states:eu-west-1:000000000000:stateMachine:M',
      { Arn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:M', Name: 'M' },
    ],
    [
      'AWS::Scheduler::ScheduleGroup',
      'G',
      'G',
      { Arn: 'arn:aws:scheduler:eu-west-1:000000000000:schedule-group/G' },
    ],
    [
      'AWS::SQS::Queue',
      'Q',
      'https://sqs.eu-west-1.amazonaws.com/000000000000/Q',
      {
        Arn: 'arn:aws:sqs:eu-west-1:000000000000:Q',
        QueueName: 'Q',
        QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/000000000000/Q',
      },
    ],
    ['AWS::Logs::LogGroup', 'L', 'L', { Arn: 'arn:aws:logs:eu-west-1:000000000000:log-group:L:*' }],
    ['AWS::SNS::TopicPolicy', 'X', 'X', {}],
  ])('gives a %s its Ref and attributes', (type, logicalId, ref, attributes) => {
    expect(valuesOf({ [logicalId]: { Type: type } })[logicalId]).toEqual({ ref, attributes });
  });

  it('puts the path of an IAM role in its ARN', () => {
    expect(
      valuesOf({ R: { Type: 'AWS::IAM::Role', Properties: { Path: '/service-role/' } } }).R?.attributes.Arn,
    ).toBe('arn:aws:iam::000000000000:role/service-role/R');
  });

  it('names a resource as its properties name it', () => {
    expect(
      valuesOf({ Group: { Type: 'AWS::Scheduler::ScheduleGroup', Properties: { Name: 'dbrefresh' } } }).Group
        ?.ref,
    ).toBe('dbrefresh');
  });

  it("prefers the local account's names", () => {
    const values = valuesOf(
      { Table: { Type: 'AWS::DynamoDB::GlobalTable', Properties: { TableName: 'x' } } },
      { Table: 'dbrefresh-history' },
    );

    expect(values.Table?.attributes.Arn).toBe(
      'arn:aws:dynamodb:eu-west-1:000000000000:table/dbrefresh-history',
    );
  });

  it('gives a KMS key a stable UUID key id', () => {
    const first = valuesOf({ Key: { Type: 'AWS::KMS::Key' } }).Key;
    const again = valuesOf({ Key: { Type: 'AWS::KMS::Key' } }).Key;

    expect(first?.ref).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first?.attributes.Arn).toBe(`arn:aws:kms:eu-west-1:000000000000:key/${first?.ref}`);
    expect(again).toEqual(first);
  });

  it('gives the pseudo parameters of the scope', () => {
    const values = templateValues({ Resources: {} }, { ...scope, partition: 'aws-cn' });

    expect(values).toMatchObject({
      partition: 'aws-cn',
      region: 'eu-west-1',
      account: '000000000000',
      stackName: 'DbRefresh',
      urlSuffix: 'amazonaws.com',
    });
  });
});
