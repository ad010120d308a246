import * as z from 'zod';
import { AwsError, type LocalRequest } from '../../endpoint/service';
import type { AccessRequest } from '../access';
import { jsonBody, ownerIfOther } from './requests';
import { type AccessSpec, describedAccesses } from './service-authorization';
import { requestTagKeys } from './tags';

/**
 * What IAM authorizes for each EventBridge Scheduler request (REST-JSON), as the Service Authorization Reference
 * lists it (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridgescheduler.html):
 * schedule actions on `schedule/<group>/<name>` (the group `default` unless the request names one), group actions
 * on `schedule-group/<name>`, listings on `*`. A schedule created or updated passes its target's execution role
 * to Scheduler (iam:PassRole).
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html
 */

const SCHEDULE_PATH = /^\/schedules\/([^/]+)\/?$/;
const GROUP_PATH = /^\/schedule-groups\/([^/]+)\/?$/;
const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/.+$/;
const SCHEDULE_METHODS: Readonly<Record<string, string>> = {
  GET: 'GetSchedule',
  POST: 'CreateSchedule',
  PUT: 'UpdateSchedule',
  DELETE: 'DeleteSchedule',
};
const GROUP_METHODS: Readonly<Record<string, string>> = {
  GET: 'GetScheduleGroup',
  POST: 'CreateScheduleGroup',
  DELETE: 'DeleteScheduleGroup',
};

const ScheduleBody = z.looseObject({
  GroupName: z.string().optional(),
  Target: z.looseObject({ RoleArn: z.string().optional() }).optional(),
});
const GroupBody = z.looseObject({
  Tags: z.array(z.looseObject({ Key: z.string().optional(), Value: z.string().optional() })).optional(),
});

/**
 * The accesses of a Scheduler request.
 * @throws AwsError UnknownOperationException for a request Scheduler does not have, ValidationException for a
 *   body it refuses or a target role that is no role ARN
 */
export async function schedulerAccessRequests(request: LocalRequest): Promise<AccessRequest[]> {
  return describedAccesses(schedulerAccesses(request));
}

function schedulerAccesses(request: LocalRequest): AccessSpec[] {
  const { method, query } = request;
  const path = request.path.replace(/\/$/, '');
  if (method === 'GET' && path === '/schedules')
    return [{ action: 'scheduler:ListSchedules', resource: '*' }];
  if (method === 'GET' && path === '/schedule-groups') {
    return [{ action: 'scheduler:ListScheduleGroups', resource: '*' }];
  }
  const schedule = SCHEDULE_PATH.exec(path)?.[1];
  const scheduleAction = SCHEDULE_METHODS[method];
  if (schedule !== undefined && scheduleAction !== undefined) {
    const writes = method === 'POST' || method === 'PUT';
    const body = writes ? jsonBody(request, scheduleAction, ScheduleBody) : undefined;
    const group = body?.GroupName ?? query.get('groupName') ?? 'default';
    return [
      on(scheduleAction, `schedule/${group}/${decodeURIComponent(schedule)}`, request),
      ...passTargetRole(body?.Target?.RoleArn, request),
    ];
  }
  const group = GROUP_PATH.exec(path)?.[1];
  const groupAction = GROUP_METHODS[method];
  if (group !== undefined && groupAction !== undefined) {
    const name = decodeURIComponent(group);
    const tags = method === 'POST' ? (jsonBody(request, groupAction, GroupBody).Tags ?? []) : [];
    const keys = requestTagKeys(tags);
    // The SAR's operations table: a group created with tags is tagged (scheduler:TagResource), and deleting a
    // group deletes its schedules (scheduler:DeleteSchedule).
    return [
      { ...on(groupAction, `schedule-group/${name}`, request), request: keys },
      ...(tags.length > 0
        ? [{ ...on('TagResource', `schedule-group/${name}`, request), request: keys }]
        : []),
      ...(method === 'DELETE' ? [on('DeleteSchedule', `schedule/${name}/*`, request)] : []),
    ];
  }
  throw new AwsError(
    'UnknownOperationException',
    `The local Scheduler does not implement ${method} ${request.path}, so local IAM cannot authorize it`,
    404,
  );
}

function on(action: string, resource: string, request: LocalRequest): AccessSpec {
  const arn = `arn:aws:scheduler:${request.region}:${request.account}:${resource}`;
  return { action: `scheduler:${action}`, resource: arn, ...ownerIfOther(arn, request) };
}

/** iam:PassRole of a schedule target's execution role, to Scheduler. */
function passTargetRole(role: string | undefined, request: LocalRequest): AccessSpec[] {
  if (role === undefined) return [];
  if (!ROLE_ARN.test(role))
    throw new AwsError('ValidationException', `Target.RoleArn "${role}" is not a role ARN`);
  return [
    {
      action: 'iam:PassRole',
      resource: role,
      context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
      ...ownerIfOther(role, request),
    },
  ];
}
