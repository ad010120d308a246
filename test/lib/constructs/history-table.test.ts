import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { HISTORY_TABLE_ENV, HistoryTable } from '../../../lib/constructs/history-table';

function synth(build: (stack: Stack) => void): Template {
  const stack = new Stack(new App(), 'Test');
  build(stack);
  return Template.fromStack(stack);
}

describe('HistoryTable', () => {
  it('creates an on-demand table keyed by target and run, with point-in-time recovery and encryption', () => {
    const template = synth((stack) => new HistoryTable(stack, 'History'));

    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'target', KeyType: 'HASH' },
        { AttributeName: 'runKey', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
    });
  });

  it('has an index for each history question: application/environment, source and status', () => {
    const template = synth((stack) => new HistoryTable(stack, 'History'));

    const index = (name: string, partitionKey: string) => ({
      IndexName: name,
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: 'runKey', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: [
        index('byApplication', 'applicationEnvironment'),
        index('bySource', 'source'),
        index('byStatus', 'status'),
      ],
    });
  });

  it('retains the table and its history when the stack is deleted, unless told otherwise', () => {
    const retained = synth((stack) => new HistoryTable(stack, 'History'));
    const destroyed = synth(
      (stack) => new HistoryTable(stack, 'History', { removalPolicy: RemovalPolicy.DESTROY }),
    );

    retained.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    destroyed.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
  });

  it('grants a bound function read/write data access and sets the table name in its environment', () => {
    const template = synth((stack) => {
      const history = new HistoryTable(stack, 'History');
      const fn = new LambdaFunction(stack, 'Fn', {
        runtime: Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: Code.fromInline('exports.handler = async () => {};'),
      });
      history.bindReadWrite(fn);
    });

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { [HISTORY_TABLE_ENV]: { Ref: Match.stringLikeRegexp('HistoryTable') } } },
    });
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']) {
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: Match.arrayWith([action]), Effect: 'Allow' }),
          ]),
        },
      });
    }
  });
});
