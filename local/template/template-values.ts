import { createHash } from 'node:crypto';
import type { ResourceValues, TemplateValues } from './intrinsics';

/** A CloudFormation template, as far as local mode reads it. */
export interface CloudFormationTemplate {
  readonly Resources: Readonly<Record<string, TemplateResource>>;
}

/** One resource of a template: its type and properties. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
}

/** The account a template is deployed to locally. */
export interface LocalScope {
  readonly region: string;
  readonly account: string;
  /** @default "aws" */
  readonly partition?: string;
  readonly stackName: string;
}

type Formatter = (
  name: string,
  scope: Required<LocalScope>,
  properties: Readonly<Record<string, unknown>>,
) => ResourceValues;

const arn = (
  scope: Required<LocalScope>,
  service: string,
  resource: string,
  region = scope.region,
  account = scope.account,
) => `arn:${scope.partition}:${service}:${region}:${account}:${resource}`;

/** `Path` of IAM resources: `/` by default, part of their ARN. */
const iamPath = (properties: Readonly<Record<string, unknown>>) =>
  typeof properties.Path === 'string' ? properties.Path : '/';

/**
 * What `Ref` and `Fn::GetAtt` return for each resource type the stack declares, from the "Return values" section
 * of each type's page in the CloudFormation template reference, e.g.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sns-topic.html#aws-resource-sns-topic-return-values
 * with ARNs in the formats of the Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
 * A type not listed has its name as `Ref` and no attributes.
 */
const FORMATS: Readonly<Record<string, Formatter>> = {
  'AWS::DynamoDB::GlobalTable': table,
  'AWS::DynamoDB::Table': table,
  'AWS::SNS::Topic': (name, scope) => {
    const topicArn = arn(scope, 'sns', name);
    return { ref: topicArn, attributes: { TopicArn: topicArn, TopicName: name } };
  },
  'AWS::S3::Bucket': (name, scope) => ({
    ref: name,
    attributes: {
      Arn: `arn:${scope.partition}:s3:::${name}`,
      DomainName: `${name}.s3.amazonaws.com`,
      RegionalDomainName: `${name}.s3.${scope.region}.amazonaws.com`,
    },
  }),
  'AWS::KMS::Key': (name, scope) => ({
    ref: name,
    attributes: { Arn: arn(scope, 'kms', `key/${name}`), KeyId: name },
  }),
  'AWS::Lambda::Function': (name, scope) => ({
    ref: name,
    attributes: { Arn: arn(scope, 'lambda', `function:${name}`) },
  }),
  'AWS::IAM::Role': (name, scope, properties) => ({
    ref: name,
    attributes: { Arn: arn(scope, 'iam', `role${iamPath(properties)}${name}`, '') },
  }),
  'AWS::IAM::ManagedPolicy': (name, scope, properties) => {
    const policyArn = arn(scope, 'iam', `policy${iamPath(properties)}${name}`, '');
    return { ref: policyArn, attributes: { PolicyArn: policyArn } };
  },
  'AWS::IAM::InstanceProfile': (name, scope, properties) => ({
    ref: name,
    attributes: { Arn: arn(scope, 'iam', `instance-profile${iamPath(properties)}${name}`, '') },
  }),
  'AWS::StepFunctions::StateMachine': (name, scope) => {
    const machineArn = arn(scope, 'states', `stateMachine:${name}`);
    return { ref: machineArn, attributes: { Arn: machineArn, Name: name } };
  },
  'AWS::Scheduler::ScheduleGroup': (name, scope) => ({
    ref: name,
    attributes: { Arn: arn(scope, 'scheduler', `schedule-group/${name}`) },
  }),
  'AWS::SQS::Queue': (name, scope) => {
    const url = `https://sqs.${scope.region}.amazonaws.com/${scope.account}/${name}`;
    return { ref: url, attributes: { Arn: arn(scope, 'sqs', name), QueueName: name, QueueUrl: url } };
  },
  'AWS::Logs::LogGroup': (name, scope) => ({
    ref: name,
    attributes: { Arn: arn(scope, 'logs', `log-group:${name}:*`) },
  }),
};

function table(name: string, scope: Required<LocalScope>): ResourceValues {
  return { ref: name, attributes: { Arn: arn(scope, 'dynamodb', `table/${name}`) } };
}

/** The properties that give a resource its physical name, by type. */
const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::Scheduler::ScheduleGroup': 'Name',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Logs::LogGroup': 'LogGroupName',
};

/**
 * The local values of a template's references: each resource is named as `names` says (the resources the local
 * account creates under its own names), else by the name its properties give it, else by its logical id (as
 * CloudFormation generates names); a KMS key's id is a UUID derived from the stack and the key's logical id.
 */
export function templateValues(
  template: CloudFormationTemplate,
  scope: LocalScope,
  names: Readonly<Record<string, string>> = {},
): TemplateValues {
  const full: Required<LocalScope> = { partition: 'aws', ...scope };
  const resources: Record<string, ResourceValues> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const properties = resource.Properties ?? {};
    const declared = properties[NAME_PROPERTIES[resource.Type] ?? ''];
    const name =
      names[logicalId] ??
      (typeof declared === 'string' ? declared : undefined) ??
      (resource.Type === 'AWS::KMS::Key' ? keyId(full.stackName, logicalId) : logicalId);
    resources[logicalId] = FORMATS[resource.Type]?.(name, full, properties) ?? { ref: name, attributes: {} };
  }
  return {
    partition: full.partition,
    region: full.region,
    account: full.account,
    urlSuffix: 'amazonaws.com',
    stackName: full.stackName,
    resources,
  };
}

/** A stable key id in KMS's format (a UUID) for a stack's key. */
function keyId(stackName: string, logicalId: string): string {
  const hex = createHash('sha256').update(`${stackName}/${logicalId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
