import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  ListTagsForResourceCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { schedulerAccessRequests } from '../../../../local/iam/access/scheduler';
import { ACCOUNT, accessesThrough, REGION, summary } from './sdk-requests';

const SCHEDULES = `arn:aws:scheduler:${REGION}:${ACCOUNT}`;

const accessesFor = accessesThrough(SchedulerClient, (request) => schedulerAccessRequests(request));

describe('Scheduler accesses', () => {
  it('authorizes schedule and group reads on their ARNs, listings on "*"', async () => {
    const accesses = [
      ...(await accessesFor(new GetScheduleCommand({ Name: 'app1-dev', GroupName: 'dbrefresh' }))),
      ...(await accessesFor(new GetScheduleCommand({ Name: 'other' }))),
      ...(await accessesFor(new GetScheduleGroupCommand({ Name: 'dbrefresh' }))),
      ...(await accessesFor(new ListSchedulesCommand({ GroupName: 'dbrefresh' }))),
      ...(await accessesFor(new ListScheduleGroupsCommand({}))),
    ];

    expect(summary(accesses)).toEqual([
      `scheduler:GetSchedule ${SCHEDULES}:schedule/dbrefresh/app1-dev`,
      `scheduler:GetSchedule ${SCHEDULES}:schedule/default/other`,
      `scheduler:GetScheduleGroup ${SCHEDULES}:schedule-group/dbrefresh`,
      'scheduler:ListSchedules *',
      'scheduler:ListScheduleGroups *',
    ]);
  });

  it('authorizes a new schedule and the target role it passes to Scheduler', async () => {
    const role = `arn:aws:iam::${ACCOUNT}:role/dbrefresh-scheduler`;

    const accesses = await accessesFor(
      new CreateScheduleCommand({
        Name: 'app1-dev',
        GroupName: 'dbrefresh',
        ScheduleExpression: 'cron(0 3 * * ? *)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:DbRefresh`, RoleArn: role },
      }),
    );
    const deleted = await accessesFor(
      new DeleteScheduleCommand({ Name: 'app1-dev', GroupName: 'dbrefresh' }),
    );

    expect(summary(accesses)).toEqual([
      `scheduler:CreateSchedule ${SCHEDULES}:schedule/dbrefresh/app1-dev`,
      `iam:PassRole ${role}`,
    ]);
    expect(accesses[1]?.context).toEqual({ 'iam:PassedToService': 'scheduler.amazonaws.com' });
    expect(summary(deleted)).toEqual([`scheduler:DeleteSchedule ${SCHEDULES}:schedule/dbrefresh/app1-dev`]);
  });

  it('authorizes a group created with tags as TagResource too, and a group deletion on its schedules', async () => {
    const created = await accessesFor(
      new CreateScheduleGroupCommand({ Name: 'dbrefresh', Tags: [{ Key: 'app', Value: 'dbrefresh' }] }),
    );
    const deleted = await accessesFor(new DeleteScheduleGroupCommand({ Name: 'dbrefresh' }));

    expect(summary(created)).toEqual([
      `scheduler:CreateScheduleGroup ${SCHEDULES}:schedule-group/dbrefresh`,
      `scheduler:TagResource ${SCHEDULES}:schedule-group/dbrefresh`,
    ]);
    expect(created[1]?.context).toEqual({ 'aws:RequestTag/app': 'dbrefresh', 'aws:TagKeys': ['app'] });
    expect(summary(deleted)).toEqual([
      `scheduler:DeleteScheduleGroup ${SCHEDULES}:schedule-group/dbrefresh`,
      `scheduler:DeleteSchedule ${SCHEDULES}:schedule/dbrefresh/*`,
    ]);
  });

  it('rejects a request Scheduler does not have locally', async () => {
    await expect(
      accessesFor(new ListTagsForResourceCommand({ ResourceArn: `${SCHEDULES}:schedule-group/dbrefresh` })),
    ).rejects.toMatchObject({ code: 'UnknownOperationException' });
  });
});
