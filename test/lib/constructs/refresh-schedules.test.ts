import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseRefreshFile } from '../../../lambdas/shared/refresh-model';
import {
  RefreshSchedules,
  readScheduledRefreshes,
  SCHEDULE_GROUP_NAME,
  scheduleNameOf,
} from '../../../lib/constructs/refresh-schedules';
import { RefreshStack } from '../../../lib/refresh-stack';

const SHOP_DEV = path.join(__dirname, '..', '..', '..', 'local', 'demo', 'shop-dev.json');

/** The demo's refresh file with `changes` merged in. */
function shopFile(changes: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...JSON.parse(readFileSync(SHOP_DEV, 'utf8')), ...changes };
}

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'refresh-schedules-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeFiles(files: Record<string, unknown>): void {
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
}

function synth(refreshFilesDir: string | undefined = dir): { stack: Stack; template: Template } {
  const stack = new Stack(new App(), 'Test');
  const stateMachine = new StateMachine(stack, 'Machine', {
    definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Start')),
  });
  new RefreshSchedules(stack, 'Schedules', { stateMachine, refreshFilesDir });
  return { stack, template: Template.fromStack(stack) };
}

const NIGHTLY = { expression: 'cron(30 5 ? * MON-FRI *)', timezone: 'Europe/Paris' };

describe('RefreshSchedules', () => {
  it('creates only the dbrefresh schedule group when no refresh files folder is given', () => {
    const { template } = synth(undefined);

    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: SCHEDULE_GROUP_NAME });
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    template.resourceCountIs('AWS::IAM::Role', 1); // the state machine's own
  });

  it('creates one enabled schedule per refresh file that declares one, named after the file, in its time zone', () => {
    writeFiles({
      'shop-dev.json': shopFile({ schedule: NIGHTLY }),
      'unscheduled.json': shopFile(),
      'refresh-file.schema.json': { title: 'not a refresh file' },
      'notes.txt': 'not a refresh file either',
    });

    const { template } = synth();

    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'shop-dev',
      GroupName: SCHEDULE_GROUP_NAME,
      ScheduleExpression: 'cron(30 5 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^Machine') } }),
    });
  });

  it('uses a flexible window when the file asks for one, and UTC when it names no time zone', () => {
    writeFiles({
      'weekly.json': shopFile({ schedule: { expression: 'rate(7 days)', flexibleWindowMinutes: 45 } }),
    });

    const { template } = synth();

    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(7 days)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 45 },
    });
  });

  it('starts the execution with the concise form of the refresh file and the schedule as the requester', () => {
    const file = shopFile({ schedule: NIGHTLY });
    writeFiles({ 'shop-dev.json': file });

    const { template } = synth();

    const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule'));
    expect(JSON.parse(schedule?.Properties.Target.Input)).toEqual({
      refreshFile: parseRefreshFile(file).refreshFile,
      requestedBy: 'schedule shop-dev',
    });
    expect(readScheduledRefreshes(dir)[0]?.refreshFile).toEqual(parseRefreshFile(file).refreshFile);
  });

  it('puts no temppwd in any schedule: a per-step file, which may carry one, cannot declare a schedule', () => {
    const perStep = JSON.parse(
      readFileSync(
        path.join(__dirname, '..', '..', '..', 'refresh-files', 'blog-per-step-rds-mysql.json'),
        'utf8',
      ),
    );
    writeFiles({ 'mysqlinstd.json': perStep, 'shop-dev.json': shopFile({ schedule: NIGHTLY }) });

    const { template } = synth();

    expect(JSON.stringify(perStep)).toContain('temppwd123');
    expect(JSON.stringify(template.findResources('AWS::Scheduler::Schedule'))).not.toContain('temppwd');
    expect(readScheduledRefreshes(dir).map((refresh) => refresh.name)).toEqual(['shop-dev']);
  });

  it('retries a failed start for an hour, then sends it to an encrypted, TLS-only dead-letter queue kept 14 days', () => {
    writeFiles({ 'shop-dev.json': shopFile({ schedule: NIGHTLY }) });

    const { template } = synth();

    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'Arn'] } },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 },
      }),
    });
  });

  it('runs the schedules as a role Scheduler of this account and group assumes, which may only start this state machine and use the queue', () => {
    writeFiles({
      'a.json': shopFile({ schedule: NIGHTLY }),
      'b.json': shopFile({ schedule: { expression: 'rate(1 day)' } }),
    });

    const { template } = synth();

    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: {
                'aws:SourceAccount': { Ref: 'AWS::AccountId' },
                'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('SchedulesGroup'), 'Arn'] },
              },
            },
          }),
        ],
      },
    });
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('SchedulesRole') }] },
      }),
    );
    expect(policies).toHaveLength(1);
    expect(policies[0]?.Properties.PolicyDocument.Statement).toEqual([
      {
        Action: 'states:StartExecution',
        Effect: 'Allow',
        Resource: { Ref: expect.stringMatching(/^Machine/) },
      },
      {
        Action: 'sqs:SendMessage',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/DeadLetterQueue/), 'Arn'] },
      },
    ]);
  });

  it('fails when a refresh file is invalid, naming every problem of every file', () => {
    writeFiles({
      'bad-schedule.json': shopFile({ schedule: { expression: 'cron(0 3 * * * *)' } }),
      'bad-zone.json': shopFile({ schedule: { expression: 'rate(1 day)', timezone: 'Mars/Olympus' } }),
    });

    expect(() => synth()).toThrow(
      new RegExp(
        [
          `${escapeRegExp(path.join(dir, 'bad-schedule.json'))}: \\$\\.schedule\\.expression: .*"\\?" in exactly one`,
          `${escapeRegExp(path.join(dir, 'bad-zone.json'))}: \\$\\.schedule\\.timezone: .*IANA time zone`,
        ].join('[^]*'),
      ),
    );
  });

  it('fails when a refresh file is not JSON', () => {
    writeFiles({ 'broken.json': '{ "service": ' });

    expect(() => synth()).toThrow(`${path.join(dir, 'broken.json')}: is not JSON`);
  });

  it('fails when two files would make schedules of one name', () => {
    writeFiles({
      'shop dev.json': shopFile({ schedule: NIGHTLY }),
      'shop-dev.json': shopFile({ schedule: NIGHTLY }),
    });

    expect(() => synth()).toThrow('would both be schedule "shop-dev"; rename one of the files');
  });

  it('fails when the refresh files folder does not exist', () => {
    const missing = path.join(dir, 'missing');

    expect(() => synth(missing)).toThrow(`The refresh files folder ${missing} does not exist`);
  });

  it('has no unacknowledged cdk-nag AwsSolutions finding in the stack', () => {
    writeFiles({ 'shop-dev.json': shopFile({ schedule: NIGHTLY }) });
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new RefreshStack(app, 'DbRefresh', { refreshFilesDir: dir });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).not.toThrow();
  });
});

describe('scheduleNameOf', () => {
  it.each([
    ['refresh-files/shop-dev.json', 'shop-dev'],
    ['uat/App1 UAT (weekly).JSON', 'App1-UAT--weekly-'],
    ['v1.2_nightly.json', 'v1.2_nightly'],
    [`${'x'.repeat(70)}.json`, 'x'.repeat(64)],
  ])('names %s %s', (file, name) => {
    expect(scheduleNameOf(file)).toBe(name);
  });
});

describe('readScheduledRefreshes', () => {
  it('finds the schedules the example refresh files declare, per-step files included', () => {
    const examples = path.join(__dirname, '..', '..', '..', 'refresh-files');

    const refreshes = readScheduledRefreshes(examples);

    expect(refreshes.map(({ name, schedule }) => ({ name, schedule }))).toEqual([
      { name: 'aurora-mysql-fastclone', schedule: NIGHTLY },
      {
        name: 'uat-protected-weekly',
        schedule: { expression: 'cron(0 6 ? * SAT *)', timezone: 'Europe/London', flexibleWindowMinutes: 30 },
      },
    ]);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
