import type { PolicyDocument } from './access';

/** An AWS managed policy's ARN: `arn:<partition>:iam::aws:policy/<path><name>`. */
const AWS_MANAGED_POLICY_ARN = /^arn:[^:]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/;

const allowAll = (actions: readonly string[]) => ({
  Effect: 'Allow' as const,
  Action: [...actions],
  Resource: '*',
});

/**
 * The default versions of the AWS managed policies the stack attaches, as the AWS Managed Policy Reference
 * gives them.
 */
const AWS_MANAGED_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html (v1)
  AWSLambdaBasicExecutionRole: {
    Version: '2012-10-17',
    Statement: [allowAll(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'])],
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html (v3)
  AWSLambdaVPCAccessExecutionRole: {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AWSLambdaVPCAccessExecutionPermissions',
        ...allowAll([
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ]),
      },
    ],
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonSSMManagedInstanceCore.html (v2)
  AmazonSSMManagedInstanceCore: {
    Version: '2012-10-17',
    Statement: [
      allowAll([
        'ssm:DescribeAssociation',
        'ssm:GetDeployablePatchSnapshotForInstance',
        'ssm:GetDocument',
        'ssm:DescribeDocument',
        'ssm:GetManifest',
        'ssm:GetParameter',
        'ssm:GetParameters',
        'ssm:ListAssociations',
        'ssm:ListInstanceAssociations',
        'ssm:PutInventory',
        'ssm:PutComplianceItems',
        'ssm:PutConfigurePackageResult',
        'ssm:UpdateAssociationStatus',
        'ssm:UpdateInstanceAssociationStatus',
        'ssm:UpdateInstanceInformation',
      ]),
      allowAll([
        'ssmmessages:CreateControlChannel',
        'ssmmessages:CreateDataChannel',
        'ssmmessages:OpenControlChannel',
        'ssmmessages:OpenDataChannel',
      ]),
      allowAll([
        'ec2messages:AcknowledgeMessage',
        'ec2messages:DeleteMessage',
        'ec2messages:FailMessage',
        'ec2messages:GetEndpoint',
        'ec2messages:GetMessages',
        'ec2messages:SendReply',
      ]),
    ],
  },
};

/** Whether an ARN names an AWS managed policy (`arn:aws:iam::aws:policy/...`), rather than one of an account. */
export function isAwsManagedPolicyArn(arn: string): boolean {
  return AWS_MANAGED_POLICY_ARN.test(arn);
}

/**
 * The document of the AWS managed policy an ARN names.
 * @throws Error naming the policy when local mode does not know it: add its document from the AWS Managed
 *   Policy Reference to managed-policies.ts
 */
export function awsManagedPolicy(arn: string): PolicyDocument {
  const name = AWS_MANAGED_POLICY_ARN.exec(arn)?.[1];
  const document = name === undefined ? undefined : AWS_MANAGED_POLICIES[name];
  if (!document) {
    throw new Error(
      `Local mode does not know the AWS managed policy ${arn}; add its default version from ` +
        `https://docs.aws.amazon.com/aws-managed-policy/latest/reference/${name ?? '<name>'}.html to local/iam/managed-policies.ts ` +
        `(known: ${Object.keys(AWS_MANAGED_POLICIES).join(', ')})`,
    );
  }
  return document;
}
