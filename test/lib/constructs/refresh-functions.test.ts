import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RefreshStack } from '../../../lib/refresh-stack';

const stack = new RefreshStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'DbRefresh');
const template = Template.fromStack(stack);

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string>>;
}

function statements(): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
}

const actionsOf = (statement: Statement) => [statement.Action].flat();

describe('RefreshFunctions', () => {
  it('creates one function per step handler', () => {
    expect(
      stack.functions
        .all()
        .map((fn) => `${fn.entry.split('/lambdas/')[1]}#${fn.handlerName}`)
        .sort(),
    ).toEqual([
      'admin-password/handler.ts#check',
      'admin-password/handler.ts#start',
      'approval/handler.ts#handler',
      'finish/handler.ts#failed',
      'finish/handler.ts#succeeded',
      'hook/handler.ts#afterRefresh',
      'hook/handler.ts#beforeSwap',
      'plan/handler.ts#handler',
      'preserve/handler.ts#capture',
      'preserve/handler.ts#reapply',
      'replicas/handler.ts#check',
      'replicas/handler.ts#start',
      'restore/handler.ts#check',
      'restore/handler.ts#start',
      'retire/handler.ts#check',
      'retire/handler.ts#deleteCheck',
      'retire/handler.ts#deleteStart',
      'retire/handler.ts#start',
      'rollback/handler.ts#check',
      'rollback/handler.ts#start',
      'rotate-secret/handler.ts#check',
      'rotate-secret/handler.ts#start',
      'rotate-secret/handler.ts#undoCheck',
      'rotate-secret/handler.ts#undoStart',
      'scripts/handler.ts#check',
      'scripts/handler.ts#start',
      'swap/handler.ts#check',
      'swap/handler.ts#start',
      'tags/handler.ts#handler',
    ]);
  });

  it('grants no wildcard action', () => {
    for (const statement of statements()) {
      for (const action of actionsOf(statement)) expect(action).not.toMatch(/^\*$|:\*$/);
    }
  });

  it('allows deleting, stopping or changing a database only when it carries the refreshable tag', () => {
    const destructive = statements().filter((statement) =>
      actionsOf(statement).some((action) => /^rds:(Delete|Stop|RemoveTags)/.test(action)),
    );

    expect(destructive.length).toBeGreaterThan(0);
    for (const statement of destructive) {
      const onDatabases = JSON.stringify(statement.Resource).match(/:(db|cluster):\*/);
      if (!onDatabases) continue;
      expect(statement.Condition).toEqual({
        StringEquals: { 'aws:ResourceTag/dbrefresh:refreshable': 'true' },
      });
    }
  });

  it.each([
    [
      'start a stopped database',
      'rds:Start',
      ['rds:StartDBCluster', 'rds:StartDBInstance'],
      ['retire', 'deleteOldTarget'],
    ],
    ['reboot an instance', 'rds:Reboot', ['rds:RebootDBInstance'], ['replicas']],
  ] as const)(
    'lets only the steps that must %s do it, and only on refreshable databases',
    (_what, prefix, actions, steps) => {
      const roles = steps.flatMap((step) => {
        const pair = stack.functions[step];
        return [pair.start, pair.check].map((fn) => stack.getLogicalId(fn.role?.node.defaultChild as never));
      });
      const granted = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) => {
        const { Roles, PolicyDocument } = (
          policy as {
            Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } };
          }
        ).Properties;
        return PolicyDocument.Statement.filter((statement) =>
          actionsOf(statement).some((action) => action.startsWith(prefix)),
        ).map((statement) => ({ role: Roles[0]?.Ref, statement }));
      });

      expect(granted.map((grant) => grant.role).sort()).toEqual([...roles].sort());
      for (const { statement } of granted) {
        expect(actionsOf(statement).sort()).toEqual(actions);
        expect(statement.Condition).toEqual({
          StringEquals: { 'aws:ResourceTag/dbrefresh:refreshable': 'true' },
        });
      }
    },
  );

  it('lets the plan read the parameter and option groups it checks, and only read them', () => {
    const planRole = stack.getLogicalId(stack.functions.plan.role?.node.defaultChild as never);
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: planRole }] },
    });
    const actions = Object.values(policies).flatMap((policy) =>
      (
        policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }
      ).Properties.PolicyDocument.Statement.flatMap(actionsOf),
    );

    expect(actions).toEqual(
      expect.arrayContaining([
        'rds:DescribeDBParameterGroups',
        'rds:DescribeDBClusterParameterGroups',
        'rds:DescribeOptionGroups',
      ]),
    );
    expect(
      actions.filter((action) => action.startsWith('rds:') && !/^rds:(Describe|List)/.test(action)),
    ).toEqual([]);
  });

  it('lets the retire steps delete only final snapshots dbrefresh tagged, and tag them only with that key', () => {
    const onSnapshots = statements().filter(
      (statement) =>
        actionsOf(statement).some((action) =>
          /^rds:(DeleteDB(Cluster)?Snapshot|AddTagsToResource)$/.test(action),
        ) && JSON.stringify(statement.Resource).includes('-old-*-final'),
    );

    expect(onSnapshots).toHaveLength(8);
    for (const statement of onSnapshots) {
      expect(JSON.stringify(statement.Resource)).not.toMatch(/snapshot:\*"/);
      expect(statement.Condition).toEqual(
        actionsOf(statement).includes('rds:AddTagsToResource')
          ? { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['dbrefresh:final-snapshot-of'] } }
          : { StringLike: { 'aws:ResourceTag/dbrefresh:final-snapshot-of': '?*' } },
      );
    }
  });

  it('creates databases only when the request tags them refreshable', () => {
    const creates = statements().filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('rds:Restore')),
    );

    expect(creates.length).toBeGreaterThan(0);
    for (const statement of creates) {
      expect(statement.Condition).toEqual({
        StringEquals: { 'aws:RequestTag/dbrefresh:refreshable': 'true' },
      });
    }
  });

  it('invokes only hook functions tagged as hooks', () => {
    const invokes = statements().filter(
      (statement) =>
        actionsOf(statement).includes('lambda:InvokeFunction') &&
        JSON.stringify(statement.Resource).includes(':*:function:*'),
    );

    expect(invokes).toHaveLength(2);
    for (const statement of invokes) {
      expect(statement.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/dbrefresh:hook': 'true' } });
    }
  });

  it("lets only the rotation's start rotate secrets, their configured rotation only, invoking only functions tagged for it", () => {
    const rotateRole = stack.getLogicalId(
      stack.functions.rotateSecret.start.role?.node.defaultChild as never,
    );
    const rotations = statements().filter((statement) =>
      actionsOf(statement).includes('secretsmanager:RotateSecret'),
    );
    const rotationInvokes = statements().filter((statement) =>
      JSON.stringify(statement.Condition ?? {}).includes('dbrefresh:rotation'),
    );

    expect(rotations).toHaveLength(1);
    expect(rotations[0]?.Condition).toEqual({ Null: { 'secretsmanager:RotationLambdaARN': 'true' } });
    expect(rotationInvokes).toHaveLength(1);
    expect(rotationInvokes[0]).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Condition: { StringEquals: { 'aws:ResourceTag/dbrefresh:rotation': 'true' } },
    });
    expect(JSON.stringify(rotationInvokes[0]?.Resource)).toContain(':function:*');
    expect(JSON.stringify(rotationInvokes[0]?.Resource)).not.toContain(':*:function:');
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: rotateRole }] },
    });
    expect(JSON.stringify(policies)).toContain('secretsmanager:RotateSecret');
    expect(JSON.stringify(policies)).toContain('dbrefresh:rotation');
  });

  it('lets the undo of a failed rotation set the password only of refreshable databases and move staging labels', () => {
    const undoRole = stack.getLogicalId(stack.functions.undoRotation.start.role?.node.defaultChild as never);
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: undoRole }] } }),
    );
    const undoStatements = policies.flatMap(
      (policy) =>
        (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    );
    const actions = undoStatements.flatMap(actionsOf);

    expect(actions).toEqual(
      expect.arrayContaining([
        'rds:ModifyDBInstance',
        'rds:ModifyDBCluster',
        'secretsmanager:GetSecretValue',
        'secretsmanager:UpdateSecretVersionStage',
      ]),
    );
    expect(actions).not.toContain('secretsmanager:RotateSecret');
    expect(actions).not.toContain('lambda:InvokeFunction');
    const modifiesDatabases = undoStatements.filter(
      (statement) =>
        actionsOf(statement).includes('rds:ModifyDBInstance') &&
        /:(db|cluster):\*/.test(JSON.stringify(statement.Resource)),
    );
    expect(modifiesDatabases.map((statement) => statement.Condition)).toEqual([
      { StringEquals: { 'aws:ResourceTag/dbrefresh:refreshable': 'true' } },
    ]);
  });

  it('tells each function the history table and topic it uses', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.failed',
      Environment: {
        Variables: {
          HISTORY_TABLE_NAME: { Ref: stack.getLogicalId(stack.history.table.node.defaultChild as never) },
          NOTIFICATION_TOPIC_ARN: {
            Ref: stack.getLogicalId(stack.notifications.topic.node.defaultChild as never),
          },
        },
      },
    });
  });

  it('lets the approval step write the history and publish its request to the topics', () => {
    const approvalRole = stack.getLogicalId(stack.functions.approval.role?.node.defaultChild as never);
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: approvalRole }] },
      }),
    );
    const actions = policies.flatMap((policy) =>
      (
        policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }
      ).Properties.PolicyDocument.Statement.flatMap(actionsOf),
    );

    expect(actions).toEqual(expect.arrayContaining(['dynamodb:UpdateItem', 'sns:Publish']));
    expect(actions.filter((action) => /^(rds|secretsmanager|states):/.test(action))).toEqual([]);
  });

  it('lets only the preserve steps reach the preserved-data bucket, its runs/ objects, and tells them its name', () => {
    const bucket = stack.getLogicalId(stack.preservedData.bucket.node.defaultChild as never);
    const onBucket = statements().filter((statement) => JSON.stringify(statement.Resource).includes(bucket));
    const roles = [stack.functions.capturePreserved, stack.functions.reapplyPreserved].map((fn) =>
      stack.getLogicalId(fn.role?.node.defaultChild as never),
    );

    expect(onBucket.flatMap(actionsOf).sort()).toEqual(
      ['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject']
        .flatMap((action) => [action, action])
        .sort(),
    );
    for (const role of roles) {
      const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } });
      expect(JSON.stringify(policies)).toContain('/runs/*');
    }
    for (const handler of ['index.capture', 'index.reapply']) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: handler,
        Timeout: 900,
        Environment: { Variables: { PRESERVED_DATA_BUCKET: { Ref: bucket } } },
      });
    }
  });

  it('tells the plan that the database functions run outside any VPC', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ DATABASE_NETWORK: 'none' }) },
    });
  });

  it('runs the scripts step for up to 15 minutes', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.check',
      Timeout: 900,
      MemorySize: 1024,
    });
  });
});

describe('RefreshStack with a database network', () => {
  it('places the scripts step in the given subnets and security groups', () => {
    const inVpc = new RefreshStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'InVpc', {
      databaseNetwork: { vpcId: 'vpc-1', subnetIds: ['subnet-a', 'subnet-b'], securityGroupIds: ['sg-1'] },
    });

    Template.fromStack(inVpc).hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 900,
      VpcConfig: { SubnetIds: ['subnet-a', 'subnet-b'], SecurityGroupIds: ['sg-1'] },
    });
    Template.fromStack(inVpc).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DATABASE_NETWORK: 'vpc' }) },
    });
    for (const handler of ['index.capture', 'index.reapply']) {
      Template.fromStack(inVpc).hasResourceProperties('AWS::Lambda::Function', {
        Handler: handler,
        VpcConfig: { SubnetIds: ['subnet-a', 'subnet-b'], SecurityGroupIds: ['sg-1'] },
      });
    }
  });
});
