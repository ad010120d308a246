import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { TaskFunction } from '../../../lib/constructs/task-function';

function template(): Template {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
  new TaskFunction(stack, 'Plan', { step: 'plan', description: 'Plan a refresh' });
  return Template.fromStack(stack);
}

describe('TaskFunction', () => {
  it('runs Node.js 24 on arm64 with X-Ray tracing and JSON logs', () => {
    template().hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON' },
      Handler: 'index.handler',
      Timeout: 60,
      MemorySize: 256,
    });
  });

  it('keeps its logs for a month in its own log group', () => {
    template().hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('builds from lambdas/<step>/handler.ts and records the entry for the local runner', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');

    const fn = new TaskFunction(stack, 'Check', { step: 'restore', handler: 'check', description: 'Check' });

    expect(fn.entry).toMatch(/lambdas\/restore\/handler\.ts$/);
    expect(fn.handlerName).toBe('check');
  });
});
