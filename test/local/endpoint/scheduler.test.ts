import {
  CreateScheduleCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  paginateListSchedules,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import type { LocalEndpoint } from '../../../local/endpoint/server';
import { LocalScheduler } from '../../../local/endpoint/services/scheduler';
import type { LocalScheduleDefinition } from '../../../local/schedules/local-schedules';
import { ScheduleStore } from '../../../local/schedules/schedule-store';
import { clientConfig, startEndpoint } from './endpoint-fixture';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:000000000000:stateMachine:DbRefresh';
const CREATED = new Date('2025-05-01T08:00:00Z');

function definition(name: string, changes: Partial<LocalScheduleDefinition> = {}): LocalScheduleDefinition {
  return {
    name,
    groupName: 'dbrefresh',
    description: `dbrefresh: ${name}.json`,
    expression: 'cron(30 5 ? * MON-FRI *)',
    timezone: 'Europe/Paris',
    state: 'ENABLED',
    target: {
      arn: STATE_MACHINE,
      roleArn: 'arn:aws:iam::000000000000:role/dbrefresh-scheduler',
      input: JSON.stringify({ refreshFile: { target: { instance: name } }, requestedBy: `schedule ${name}` }),
      deadLetterArn: 'arn:aws:sqs:eu-west-1:000000000000:dbrefresh-schedules-dead-letters',
      maximumEventAgeSeconds: 3600,
      maximumRetryAttempts: 10,
    },
    ...changes,
  };
}

let endpoint: LocalEndpoint;
let client: SchedulerClient;

beforeAll(async () => {
  const store = new ScheduleStore(
    {
      groupNames: ['dbrefresh'],
      schedules: [
        definition('shop-dev'),
        definition('app1-uat', { flexibleWindowMinutes: 30, expression: 'cron(0 6 ? * SAT *)' }),
        definition('paused', { state: 'DISABLED' }),
      ],
    },
    undefined,
    CREATED,
  );
  endpoint = await startEndpoint({
    services: [new LocalScheduler({ store, scope: { region: 'eu-west-1', account: '000000000000' } })],
  });
  client = new SchedulerClient(clientConfig(endpoint));
});

afterAll(async () => {
  client.destroy();
  await endpoint.close();
});

describe('LocalScheduler', () => {
  it('lists the schedules of a group with their target', async () => {
    const out = await client.send(new ListSchedulesCommand({ GroupName: 'dbrefresh' }));

    expect(out.Schedules).toEqual([
      {
        Arn: 'arn:aws:scheduler:eu-west-1:000000000000:schedule/dbrefresh/app1-uat',
        Name: 'app1-uat',
        GroupName: 'dbrefresh',
        State: 'ENABLED',
        CreationDate: CREATED,
        LastModificationDate: CREATED,
        Target: { Arn: STATE_MACHINE },
      },
      expect.objectContaining({ Name: 'paused', State: 'DISABLED' }),
      expect.objectContaining({ Name: 'shop-dev' }),
    ]);
  });

  it('filters by name prefix and state, and pages with NextToken', async () => {
    const enabled = await client.send(new ListSchedulesCommand({ State: 'ENABLED', NamePrefix: 'shop' }));
    const names: string[] = [];
    for await (const page of paginateListSchedules({ client, pageSize: 1 }, { GroupName: 'dbrefresh' })) {
      names.push(...(page.Schedules ?? []).map((schedule) => schedule.Name ?? ''));
    }
    const otherGroup = await client.send(new ListSchedulesCommand({ GroupName: 'default' }));

    expect(enabled.Schedules?.map((schedule) => schedule.Name)).toEqual(['shop-dev']);
    expect(names).toEqual(['app1-uat', 'paused', 'shop-dev']);
    expect(otherGroup.Schedules).toEqual([]);
  });

  it('gets a schedule with its expression, time zone, window, input, retry policy and dead-letter queue', async () => {
    const off = await client.send(new GetScheduleCommand({ Name: 'shop-dev', GroupName: 'dbrefresh' }));
    const flexible = await client.send(new GetScheduleCommand({ Name: 'app1-uat', GroupName: 'dbrefresh' }));

    expect(off).toMatchObject({
      Name: 'shop-dev',
      GroupName: 'dbrefresh',
      Description: 'dbrefresh: shop-dev.json',
      ScheduleExpression: 'cron(30 5 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      CreationDate: CREATED,
      Target: {
        Arn: STATE_MACHINE,
        RoleArn: 'arn:aws:iam::000000000000:role/dbrefresh-scheduler',
        Input: definition('shop-dev').target.input,
        DeadLetterConfig: { Arn: 'arn:aws:sqs:eu-west-1:000000000000:dbrefresh-schedules-dead-letters' },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 },
      },
    });
    expect(flexible.FlexibleTimeWindow).toEqual({ Mode: 'FLEXIBLE', MaximumWindowInMinutes: 30 });
  });

  it('lists and gets the default group and the stack group', async () => {
    const groups = await client.send(new ListScheduleGroupsCommand({}));
    const group = await client.send(new GetScheduleGroupCommand({ Name: 'dbrefresh' }));

    expect(groups.ScheduleGroups?.map((item) => item.Name)).toEqual(['dbrefresh', 'default']);
    expect(group).toMatchObject({
      Arn: 'arn:aws:scheduler:eu-west-1:000000000000:schedule-group/dbrefresh',
      State: 'ACTIVE',
      CreationDate: CREATED,
    });
  });

  it('rejects an unknown schedule with ResourceNotFoundException, in the default group when none is named', async () => {
    await expect(client.send(new GetScheduleCommand({ Name: 'shop-dev' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Schedule shop-dev does not exist.',
    });
  });

  it('rejects changes, saying the refresh files are where schedules change', async () => {
    const create = new CreateScheduleCommand({
      Name: 'extra',
      ScheduleExpression: 'rate(1 day)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: STATE_MACHINE, RoleArn: 'arn:aws:iam::000000000000:role/x' },
    });

    await expect(client.send(create)).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('dbrefresh local up --refresh-files <folder>'),
    });
  });
});
