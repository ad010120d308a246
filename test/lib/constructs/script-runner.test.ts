import { App, type CfnElement, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { ScriptRunner } from '../../../lib/constructs/script-runner';
import { RefreshStack, type RefreshStackProps } from '../../../lib/refresh-stack';

/** Asset bundling is skipped in tests; `cdk synth` bundles for real. */
const testContext = { 'aws:cdk:bundling-stacks': [] };

const NETWORK = {
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
  securityGroupIds: ['sg-0a1b2c3d4e5f60718', 'sg-0f1e2d3c4b5a69788'],
};

function stack(props: RefreshStackProps = {}): RefreshStack {
  return new RefreshStack(new App({ context: testContext }), 'DbRefresh', {
    env: { account: '111122223333', region: 'eu-west-1' },
    ...props,
  });
}

function logicalId(of: RefreshStack, construct: IConstruct | undefined): string {
  return of.getLogicalId(construct?.node.defaultChild as CfnElement);
}

/** The policy statements of the role or function whose logical id starts with `owner`. */
function statementsOf(template: Template, owner: string): Record<string, unknown>[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${owner}`) }] },
  });
  return Object.values(policies).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
        .PolicyDocument.Statement,
  );
}

describe('ScriptRunner', () => {
  let withRunner: RefreshStack;
  let template: Template;

  beforeAll(() => {
    withRunner = stack({ databaseNetwork: NETWORK, scriptRunner: true, scriptBucketNames: ['app1-scripts'] });
    template = Template.fromStack(withRunner);
  });

  it('is an SSM-managed Amazon Linux 2023 arm64 instance in the first private subnet: no public IP, no key pair', () => {
    template.hasResourceProperties('AWS::EC2::Instance', {
      InstanceType: 't4g.small',
      ImageId: { Ref: Match.stringLikeRegexp('al2023amikernel.*arm64') },
      KeyName: Match.absent(),
      AvailabilityZone: { Ref: 'AWS::NoValue' },
      NetworkInterfaces: [
        {
          DeviceIndex: '0',
          AssociatePublicIpAddress: false,
          SubnetId: NETWORK.subnetIds[0],
          GroupSet: NETWORK.securityGroupIds,
        },
      ],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })],
      }),
      ManagedPolicyArns: [
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore'],
          ],
        },
      ],
    });
  });

  it('requires IMDSv2 and encrypts its volume', () => {
    template.hasResourceProperties('AWS::EC2::Instance', {
      MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: Match.objectLike({ Encrypted: true }) }],
    });
    template.resourceCountIs('AWS::EC2::LaunchTemplate', 0);
  });

  it('installs Node.js and the runner bundle at /opt/dbrefresh/run-scripts.js in its user data', () => {
    const [instance] = Object.values(template.findResources('AWS::EC2::Instance'));
    const userData = JSON.stringify(instance?.Properties.UserData);

    expect(userData).toContain('dnf install -y nodejs22');
    expect(userData).toMatch(/aws s3 cp 's3:\/\/.*' '\/opt\/dbrefresh\/run-scripts\.js'/);
  });

  it('may read the script buckets, the dbrefresh and RDS secrets, and its own bundle, nothing else', () => {
    const runnerRole = logicalId(withRunner, (withRunner.scriptRunner as ScriptRunner).instance.role);

    const statements = statementsOf(template, runnerRole);

    expect(statements).toEqual([
      {
        Action: 's3:GetObject',
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::app1-scripts/*']] },
      },
      {
        Action: 'secretsmanager:GetSecretValue',
        Effect: 'Allow',
        Resource: [
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':secretsmanager:eu-west-1:111122223333:secret:dbrefresh/*',
              ],
            ],
          },
          {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:eu-west-1:111122223333:secret:rds!*'],
            ],
          },
        ],
      },
      {
        Action: 's3:GetObject',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              expect.stringMatching(/^:s3:::cdk-.*-assets-.*\/[0-9a-f]+\.zip$/),
            ],
          ],
        },
      },
    ]);
  });

  it('lets the scripts functions send AWS-RunShellScript to that instance only, and read the invocations', () => {
    // The instance's logical id ends in a hash of its user data (a new bundle replaces it).
    const [instance] = Object.keys(template.findResources('AWS::EC2::Instance'));

    for (const fn of [withRunner.functions.scripts.start, withRunner.functions.scripts.check]) {
      const statements = statementsOf(template, logicalId(withRunner, fn.role));

      expect(statements).toContainEqual({
        Action: 'ssm:SendCommand',
        Effect: 'Allow',
        Resource: [
          {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1:111122223333:instance/', { Ref: instance }],
            ],
          },
          {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':ssm:eu-west-1::document/AWS-RunShellScript'],
            ],
          },
        ],
      });
      expect(statements).toContainEqual({
        Action: ['ssm:GetCommandInvocation', 'ssm:ListCommandInvocations'],
        Effect: 'Allow',
        Resource: '*',
      });
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.start',
      Environment: {
        Variables: Match.objectLike({
          SCRIPT_RUNNER_INSTANCE_ID: { Ref: instance },
          SCRIPT_RUNNER_COMMAND: 'node /opt/dbrefresh/run-scripts.js',
        }),
      },
    });
  });

  it('gives the runner variables only to the scripts functions and the plan (which refuses "ec2" without one)', () => {
    const withVariables = template.findResources('AWS::Lambda::Function', {
      Properties: {
        Environment: { Variables: Match.objectLike({ SCRIPT_RUNNER_INSTANCE_ID: Match.anyValue() }) },
      },
    });

    expect(Object.keys(withVariables).sort()).toEqual(
      [withRunner.functions.scripts.start, withRunner.functions.scripts.check, withRunner.functions.plan]
        .map((fn) => logicalId(withRunner, fn))
        .sort(),
    );
  });

  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    const app = new App({ context: testContext });
    new RefreshStack(app, 'DbRefresh', {
      env: { account: '111122223333', region: 'eu-west-1' },
      databaseNetwork: NETWORK,
      scriptRunner: true,
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).not.toThrow();
  });
});

describe('a stack using an existing runner instance', () => {
  it('scopes SendCommand to that instance and passes its id and command to the scripts functions', () => {
    const existing = stack({
      scriptRunnerInstanceId: 'i-0123456789abcdef0',
      scriptRunnerCommand: '/usr/local/bin/run-sql',
    });
    const template = Template.fromStack(existing);

    template.resourceCountIs('AWS::EC2::Instance', 0);
    expect(statementsOf(template, logicalId(existing, existing.functions.scripts.check.role))).toContainEqual(
      {
        Action: 'ssm:SendCommand',
        Effect: 'Allow',
        Resource: [
          {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0'],
            ],
          },
          {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':ssm:eu-west-1::document/AWS-RunShellScript'],
            ],
          },
        ],
      },
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.check',
      Environment: {
        Variables: Match.objectLike({
          SCRIPT_RUNNER_INSTANCE_ID: 'i-0123456789abcdef0',
          SCRIPT_RUNNER_COMMAND: '/usr/local/bin/run-sql',
        }),
      },
    });
  });

  it('names a hybrid managed node (mi-...) as an SSM managed instance', () => {
    const runner = ScriptRunner.fromInstanceId('mi-0123456789abcdef0');
    const hybrid = stack({ scriptRunnerInstanceId: runner.instanceId });

    const statements = statementsOf(
      Template.fromStack(hybrid),
      logicalId(hybrid, hybrid.functions.scripts.start.role),
    );

    expect(JSON.stringify(statements)).toContain(
      ':ssm:eu-west-1:111122223333:managed-instance/mi-0123456789abcdef0',
    );
  });
});

describe('a stack without a runner', () => {
  it('gives the scripts functions no SSM permissions and no runner variables', () => {
    const template = Template.fromStack(stack());

    expect(JSON.stringify(template.toJSON())).not.toMatch(/ssm:SendCommand|SCRIPT_RUNNER_INSTANCE_ID/);
  });

  it('rejects scriptRunner without databaseNetwork, naming the context to give', () => {
    expect(() => stack({ scriptRunner: true })).toThrow(/scriptRunner needs databaseNetwork.*-c vpcId=/);
  });

  it('rejects scriptRunner together with scriptRunnerInstanceId', () => {
    expect(() =>
      stack({ databaseNetwork: NETWORK, scriptRunner: true, scriptRunnerInstanceId: 'i-0123456789abcdef0' }),
    ).toThrow(/either scriptRunner .* or scriptRunnerInstanceId/);
  });
});

describe('ScriptRunner.fromInstanceId', () => {
  it('runs the bundle where the created runner installs it unless told otherwise', () => {
    expect(ScriptRunner.fromInstanceId('i-0123456789abcdef0')).toMatchObject({
      instanceId: 'i-0123456789abcdef0',
      command: 'node /opt/dbrefresh/run-scripts.js',
    });
  });
});
