import { type CfnElement, Stack } from 'aws-cdk-lib';
import { RefreshStack, type RefreshStackProps } from '../../../lib/refresh-stack';
import type { AccessRequest, PolicyDocument, Principal } from '../../../local/iam/access';
import { evaluateAccess } from '../../../local/iam/evaluate-policy';
import type { LocalRole } from '../../../local/iam/identities';
import { InvalidPolicyError } from '../../../local/iam/policy-document';
import { type StackRoles, stackRoles } from '../../../local/iam/stack-policies';
import { UnresolvedReferenceError } from '../../../local/template/intrinsics';
import { synthesizeStack } from '../../../local/template/synthesize';
import { type CloudFormationTemplate, templateValues } from '../../../local/template/template-values';

const ACCOUNT = '000000000000';
const REGION = 'eu-west-1';
const scope = { region: REGION, account: ACCOUNT, stackName: 'DbRefresh' };
const DB_ARN = `arn:aws:rds:${REGION}:${ACCOUNT}:db:app1-dev`;

/** The stack as local mode synthesizes it, and its roles resolved to local values. */
function synthesize(props: RefreshStackProps): { stack: RefreshStack; roles: StackRoles } {
  const { stack, template } = synthesizeStack((app) => new RefreshStack(app, 'DbRefresh', props));
  return { stack, roles: stackRoles(template, templateValues(template, scope)) };
}

function logicalIdOf(element: unknown): string {
  return Stack.of(element as CfnElement).getLogicalId(element as CfnElement);
}

/** A session of a role, as local mode issues it to a function. */
function sessionOf(role: LocalRole): Principal {
  return {
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.name}/test`,
    identityArn: `arn:aws:iam::${ACCOUNT}:role/${role.name}`,
    account: ACCOUNT,
    policies: role.policies,
  };
}

/** The first role of a map, which the test expects to hold one. */
function firstOf(roles: ReadonlyMap<string, LocalRole>): LocalRole {
  const [role] = roles.values();
  if (!role) throw new Error('no role');
  return role;
}

/** Every `Ref`, `Fn::…` or `${…}` left in a value, with where. */
function intrinsicsIn(value: unknown, at = ''): string[] {
  if (typeof value === 'string') return value.includes('${') ? [`${at}: ${value}`] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => intrinsicsIn(item, `${at}[${index}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) =>
    key === 'Ref' || key.startsWith('Fn::') ? [`${at}.${key}`] : intrinsicsIn(item, `${at}.${key}`),
  );
}

describe('stackRoles of the stack local mode runs', () => {
  let stack: RefreshStack;
  let roles: StackRoles;
  const roleOf = (fn: { node: { defaultChild?: unknown } }) =>
    roles.functions.get(logicalIdOf(fn.node.defaultChild)) as LocalRole;
  const modify = (tags: Record<string, string>): AccessRequest => ({
    action: 'rds:ModifyDBInstance',
    resource: DB_ARN,
    context: Object.fromEntries(
      Object.entries(tags).map(([key, value]) => [`aws:ResourceTag/${key}`, value]),
    ),
  });

  beforeAll(() => {
    ({ stack, roles } = synthesize({ scriptRunnerInstanceId: 'i-localrunner', scriptRunnerCommand: 'run' }));
  });

  it('gives every function and the state machine a role with its policies, no intrinsic left', () => {
    // given
    const functionIds = stack.functions.all().map((fn) => logicalIdOf(fn.node.defaultChild));

    // then
    expect([...roles.functions.keys()].sort()).toEqual(functionIds.sort());
    expect(roles.stateMachines.size).toBe(1);
    for (const role of roles.roles.values()) {
      expect(role.policies.length).toBeGreaterThan(0);
      expect(intrinsicsIn(role.policies, role.name)).toEqual([]);
    }
  });

  it("names each role by its logical id, so its sessions' ARNs are those the template's references resolve to", () => {
    const role = roleOf(stack.functions.plan);

    expect(role.name).toMatch(/^StepsPlanServiceRole[0-9A-F]{8}$/);
  });

  it('gives every function the AWS managed policy that lets it write its logs', () => {
    for (const role of roles.functions.values()) {
      expect(JSON.stringify(role.policies)).toContain('"logs:PutLogEvents"');
    }
  });

  it("carries the Restore role's create-only-when-tagged statement with local ARNs", () => {
    const statements = roleOf(stack.functions.restore.start).policies.flatMap(
      (policy) => policy.Statement as PolicyDocument['Statement'][],
    );

    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: expect.arrayContaining([
          'rds:RestoreDBInstanceToPointInTime',
          'rds:CreateDBInstanceReadReplica',
        ]),
        Resource: expect.arrayContaining([
          `arn:aws:rds:${REGION}:${ACCOUNT}:db:*`,
          `arn:aws:rds:${REGION}:*:snapshot:*`,
          `arn:aws:rds:${REGION}:${ACCOUNT}:pg:*`,
        ]),
        Condition: { StringEquals: { 'aws:RequestTag/dbrefresh:refreshable': 'true' } },
      }),
    );
  });

  it('rejects rds:ModifyDBInstance for the Plan role, even on a refreshable database', () => {
    const decision = evaluateAccess(
      sessionOf(roleOf(stack.functions.plan)),
      modify({ 'dbrefresh:refreshable': 'true' }),
    );

    expect(decision).toEqual({ allowed: false, reason: 'no-identity-allow' });
  });

  it('allows rds:ModifyDBInstance for the Swap role on a database tagged dbrefresh:refreshable=true', () => {
    const decision = evaluateAccess(
      sessionOf(roleOf(stack.functions.swap.start)),
      modify({ 'dbrefresh:refreshable': 'true' }),
    );

    expect(decision.allowed).toBe(true);
  });

  it('rejects rds:ModifyDBInstance for the Swap role on an untagged database', () => {
    expect(evaluateAccess(sessionOf(roleOf(stack.functions.swap.start)), modify({})).allowed).toBe(false);
  });

  it('allows the state machine role to invoke every step function, with local function ARNs', () => {
    // given: CDK moves the statements that overflow the role's inline policy into a managed policy
    const machine = firstOf(roles.stateMachines);
    const functionArns = [...roles.functions.keys()].map(
      (id) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`,
    );

    // when
    const refused = functionArns.filter(
      (resource) =>
        !evaluateAccess(sessionOf(machine), { action: 'lambda:InvokeFunction', resource, context: {} })
          .allowed,
    );

    // then
    expect(functionArns).toHaveLength(stack.functions.all().length);
    expect(refused).toEqual([]);
  });
});

describe('stackRoles of a stack with schedules, a VPC and a runner instance', () => {
  let roles: StackRoles;

  beforeAll(() => {
    ({ roles } = synthesize({
      databaseNetwork: { vpcId: 'vpc-1', subnetIds: ['subnet-a'], securityGroupIds: ['sg-1'] },
      scriptRunner: true,
      refreshFilesDir: 'refresh-files',
    }));
  });

  it('gives the schedules the role that may start the state machine', () => {
    const scheduler = firstOf(roles.schedules);
    const machineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${[...roles.stateMachines.keys()][0]}`;

    expect(roles.schedules.size).toBeGreaterThan(0);
    expect(
      evaluateAccess(sessionOf(scheduler), {
        action: 'states:StartExecution',
        resource: machineArn,
        context: {},
      }).allowed,
    ).toBe(true);
  });

  it("gives the runner instance its role, with SSM's managed policy", () => {
    const runner = firstOf(roles.instances);

    expect(roles.instances.size).toBe(1);
    expect(JSON.stringify(runner.policies)).toContain('"ssmmessages:OpenDataChannel"');
  });

  it('gives the functions in the VPC the managed policy that attaches their network interfaces', () => {
    const scripts = [...roles.functions.entries()].find(([id]) =>
      id.startsWith('StepsScripts'),
    )?.[1] as LocalRole;

    expect(JSON.stringify(scripts.policies)).toContain('"ec2:CreateNetworkInterface"');
  });
});

describe('stackRoles of a hand-written template', () => {
  const document = (action: string, resource: unknown = '*') => ({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: action, Resource: resource }],
  });
  const role = (properties: Record<string, unknown> = {}) => ({
    Type: 'AWS::IAM::Role',
    Properties: properties,
  });
  const fn = (roleId: string) => ({
    Type: 'AWS::Lambda::Function',
    Properties: { Role: { 'Fn::GetAtt': [roleId, 'Arn'] } },
  });
  const rolesOf = (resources: CloudFormationTemplate['Resources']) => {
    const template = { Resources: resources };
    return stackRoles(template, templateValues(template, scope));
  };

  it("collects the role's inline policies, its attached Policy and ManagedPolicy resources and its managed policy ARNs", () => {
    // given
    const resources = {
      Role: role({
        Policies: [{ PolicyName: 'inline', PolicyDocument: document('sns:Publish', { Ref: 'Topic' }) }],
        ManagedPolicyArns: [
          { Ref: 'Managed' },
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
              ],
            ],
          },
        ],
      }),
      Topic: { Type: 'AWS::SNS::Topic' },
      Attached: {
        Type: 'AWS::IAM::Policy',
        Properties: { PolicyDocument: document('sqs:SendMessage'), Roles: [{ Ref: 'Role' }] },
      },
      Managed: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: { PolicyDocument: document('s3:GetObject'), Roles: [{ Ref: 'Role' }] },
      },
      Other: {
        Type: 'AWS::IAM::Policy',
        Properties: { PolicyDocument: document('iam:*'), Roles: ['AnotherRole'] },
      },
      Fn: fn('Role'),
    };

    // when
    const policies = rolesOf(resources).functions.get('Fn')?.policies;

    // then
    expect(policies?.map((policy) => JSON.stringify(policy.Statement))).toEqual([
      JSON.stringify([
        { Effect: 'Allow', Action: 'sns:Publish', Resource: `arn:aws:sns:${REGION}:${ACCOUNT}:Topic` },
      ]),
      JSON.stringify([{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }]),
      JSON.stringify([{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }]),
      JSON.stringify([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: '*',
        },
      ]),
    ]);
  });

  it('fails on an AWS managed policy local mode does not know, naming it', () => {
    const resources = { Role: role({ ManagedPolicyArns: ['arn:aws:iam::aws:policy/PowerUserAccess'] }) };

    expect(() => rolesOf(resources)).toThrow(
      /does not know the AWS managed policy arn:aws:iam::aws:policy\/PowerUserAccess/,
    );
  });

  it("fails on another account's managed policy, naming the role", () => {
    const resources = { Role: role({ ManagedPolicyArns: ['arn:aws:iam::111122223333:policy/Theirs'] }) };

    expect(() => rolesOf(resources)).toThrow(
      'Role Role attaches the managed policy arn:aws:iam::111122223333:policy/Theirs',
    );
  });

  it('fails when a function runs as a role the stack does not declare', () => {
    const resources = {
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: 'arn:aws:iam::000000000000:role/Elsewhere' } },
    };

    expect(() => rolesOf(resources)).toThrow(
      'Resources.Fn.Properties.Role names the role arn:aws:iam::000000000000:role/Elsewhere, which the stack does not declare',
    );
  });

  it('fails on a reference without a local value, naming its path', () => {
    const resources = {
      Role: role({
        Policies: [
          { PolicyName: 'p', PolicyDocument: document('s3:GetObject', { 'Fn::GetAtt': ['Nowhere', 'Arn'] }) },
        ],
      }),
    };

    expect(() => rolesOf(resources)).toThrow(UnresolvedReferenceError);
    expect(() => rolesOf(resources)).toThrow(
      /^Resources\.Role\.Properties\.Policies\[0\]\.PolicyDocument\.Statement\[0\]\.Resource: /,
    );
  });

  it('fails on a policy IAM would refuse, naming the role', () => {
    const resources = {
      Role: role({
        Policies: [
          {
            PolicyName: 'p',
            PolicyDocument: {
              Statement: [
                { Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringMatch: { k: 'v' } } },
              ],
            },
          },
        ],
      }),
    };

    expect(() => rolesOf(resources)).toThrow(InvalidPolicyError);
    expect(() => rolesOf(resources)).toThrow(/policy 1 of role Role is not a valid identity-based policy/);
  });
});
