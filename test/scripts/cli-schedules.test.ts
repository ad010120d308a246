import 'aws-sdk-client-mock-jest';
import {
  GetScheduleCommand,
  type GetScheduleOutput,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { SCHEDULE_GROUP_NAME } from '../../lib/constructs/refresh-schedules';
import { DEFAULT_SCHEDULE_GROUP } from '../../scripts/cli/schedules';
import { schedulesCommand } from '../../scripts/cli/schedules-action';
import { dbrefresh, executionArn, mockStack, STACK } from './cli-harness';

const stack = mockStack();
const scheduler = mockClient(SchedulerClient);
const history = mockClient(DynamoDBDocumentClient);

const NOW = new Date('2026-05-01T10:00:00Z');
const STATE_MACHINE = STACK.stateMachineArn;

function schedule(name: string, changes: Partial<GetScheduleOutput> = {}): GetScheduleOutput {
  return {
    Arn: `arn:aws:scheduler:eu-west-1:111122223333:schedule/dbrefresh/${name}`,
    Name: name,
    GroupName: 'dbrefresh',
    Description: `dbrefresh: ${name}.json`,
    ScheduleExpression: 'cron(30 5 ? * MON-FRI *)',
    ScheduleExpressionTimezone: 'Europe/Paris',
    State: 'ENABLED',
    CreationDate: new Date('2026-04-01T00:00:00Z'),
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: {
      Arn: STATE_MACHINE,
      RoleArn: 'arn:aws:iam::111122223333:role/scheduler',
      Input: JSON.stringify({
        refreshFile: {
          application: 'shop',
          environment: 'development',
          service: 'rds',
          engine: 'mariadb',
          source: { instance: 'shop-prod' },
          target: { instance: name },
          restore: { type: 'latestpoint' },
          adminPassword: { secretName: `/development/shop/${name}` },
        },
        requestedBy: `schedule ${name}`,
      }),
    },
    ...changes,
  };
}

function givenSchedules(...schedules: GetScheduleOutput[]): void {
  scheduler.on(ListSchedulesCommand).resolves({
    Schedules: schedules.map((item) => ({ Name: item.Name, GroupName: item.GroupName, Arn: item.Arn })),
  });
  for (const item of schedules) {
    scheduler.on(GetScheduleCommand, { Name: item.Name, GroupName: 'dbrefresh' }).resolves(item);
  }
}

function capture() {
  const lines = { out: '', err: '' };
  return {
    lines,
    output: {
      out: (text: string) => {
        lines.out += text;
      },
      err: (text: string) => {
        lines.err += text;
      },
    },
  };
}

const OPTIONS = { group: 'dbrefresh', region: 'eu-west-1' };

beforeEach(() => {
  stack.reset();
  scheduler.reset();
  history.reset();
  history.on(QueryCommand).resolves({ Items: [] });
});

describe('dbrefresh schedules', () => {
  it('lists each schedule with its refresh, expression, window, next three runs and last scheduled run as JSON', async () => {
    givenSchedules(
      schedule('shop-dev', { FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 30 } }),
    );
    history.on(QueryCommand).resolves({
      Items: [
        {
          target: 'shop-dev',
          status: 'succeeded',
          startedAt: '2026-04-30T03:30:12.000Z',
          finishedAt: '2026-04-30T03:41:00.000Z',
          executionArn: executionArn('3f1c'),
          requestedBy: 'schedule shop-dev',
        },
      ],
    });
    const { lines, output } = capture();

    const code = await schedulesCommand({ ...OPTIONS, json: true }, output, NOW);

    expect(code).toBe(0);
    expect(JSON.parse(lines.out)).toEqual({
      group: 'dbrefresh',
      schedules: [
        {
          name: 'shop-dev',
          group: 'dbrefresh',
          state: 'ENABLED',
          expression: 'cron(30 5 ? * MON-FRI *)',
          timezone: 'Europe/Paris',
          flexibleWindowMinutes: 30,
          refreshFile: 'shop-dev.json',
          target: 'shop-dev',
          application: 'shop',
          environment: 'development',
          // 2026-05-01 is a Friday; Paris is UTC+2 in May.
          nextRuns: ['2026-05-04T03:30:00.000Z', '2026-05-05T03:30:00.000Z', '2026-05-06T03:30:00.000Z'],
          lastRun: {
            status: 'succeeded',
            startedAt: '2026-04-30T03:30:12.000Z',
            finishedAt: '2026-04-30T03:41:00.000Z',
            run: '3f1c',
          },
          arn: 'arn:aws:scheduler:eu-west-1:111122223333:schedule/dbrefresh/shop-dev',
        },
      ],
    });
    expect(scheduler).toHaveReceivedCommandWith(ListSchedulesCommand, { GroupName: 'dbrefresh' });
    expect(history).toHaveReceivedCommandWith(QueryCommand, {
      TableName: STACK.historyTableName,
      ExpressionAttributeValues: { ':target': 'shop-dev', ':requestedBy': 'schedule shop-dev' },
      ScanIndexForward: false,
    });
  });

  it('prints each next run in the schedule time zone and in UTC, with how far ahead it is', async () => {
    givenSchedules(schedule('shop-dev'), schedule('paused', { State: 'DISABLED' }));
    const { lines, output } = capture();

    await schedulesCommand(OPTIONS, output, NOW);

    expect(lines.out).toBe(
      [
        'paused  DISABLED',
        '  refresh    paused.json, target paused (shop/development)',
        '  schedule   cron(30 5 ? * MON-FRI *) in Europe/Paris, flexible window off',
        '  next runs  none (disabled)',
        '  last run   none in the history',
        '',
        'shop-dev  ENABLED',
        '  refresh    shop-dev.json, target shop-dev (shop/development)',
        '  schedule   cron(30 5 ? * MON-FRI *) in Europe/Paris, flexible window off',
        '  next runs  2026-05-04 05:30 Europe/Paris (2026-05-04 03:30:00Z, in 2d 17h)',
        '             2026-05-05 05:30 Europe/Paris (2026-05-05 03:30:00Z, in 3d 17h)',
        '             2026-05-06 05:30 Europe/Paris (2026-05-06 03:30:00Z, in 4d 17h)',
        '  last run   none in the history',
        '',
      ].join('\n'),
    );
  });

  it('counts a rate schedule from its start date and stops at its end date', async () => {
    givenSchedules(
      schedule('hourly', {
        ScheduleExpression: 'rate(6 hours)',
        ScheduleExpressionTimezone: 'UTC',
        StartDate: new Date('2026-05-01T09:00:00Z'),
        EndDate: new Date('2026-05-01T22:00:00Z'),
      }),
    );
    const { lines, output } = capture();

    await schedulesCommand({ ...OPTIONS, json: true }, output, NOW);

    expect(JSON.parse(lines.out).schedules[0].nextRuns).toEqual([
      '2026-05-01T15:00:00.000Z',
      '2026-05-01T21:00:00.000Z',
    ]);
  });

  it('says how schedules are made when the group has none', async () => {
    givenSchedules();
    const { lines, output } = capture();

    await schedulesCommand(OPTIONS, output, NOW);

    expect(lines.out).toContain('No schedules in group dbrefresh.');
    expect(lines.out).toContain('npx cdk deploy -c refreshFiles=<folder>');
  });

  it('fails when the schedule group does not exist, naming it and the fix', async () => {
    const message = 'Schedule group nightly does not exist.';
    scheduler
      .on(ListSchedulesCommand)
      .rejects(new ResourceNotFoundException({ Message: message, message, $metadata: {} }));

    const { code, stderr } = await dbrefresh('schedules', '--group', 'nightly');

    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: schedule group nightly not found .*pass --group\n$/);
  });

  it('shows examples in its help', async () => {
    const { stdout } = await dbrefresh('schedules', '--help');

    expect(stdout).toContain('$ dbrefresh schedules --json');
    expect(stdout).toContain('--local');
  });

  it('lists the group the stack creates by default', () => {
    expect(DEFAULT_SCHEDULE_GROUP).toBe(SCHEDULE_GROUP_NAME);
  });
});
