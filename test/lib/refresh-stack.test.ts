import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RefreshStack } from '../../lib/refresh-stack';

/** Asset bundling is skipped in tests; `cdk synth` bundles for real. */
const testContext = { 'aws:cdk:bundling-stacks': [] };

describe('RefreshStack', () => {
  it('declares the outputs the CLI reads to find the state machine, the table, the topic and the schedules', () => {
    const stack = new RefreshStack(new App({ context: testContext }), 'DbRefresh');

    const outputs = Template.fromStack(stack).findOutputs('*');

    expect(Object.keys(outputs).sort()).toEqual([
      'HistoryTableName',
      'NotificationTopicArn',
      'ScheduleGroupName',
      'StateMachineArn',
    ]);
  });

  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    const app = new App({ context: testContext });
    new RefreshStack(app, 'DbRefresh');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).not.toThrow();
  });
});
