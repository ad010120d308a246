import type {
  GetScheduleGroupOutput,
  GetScheduleOutput,
  ListScheduleGroupsOutput,
  ListSchedulesOutput,
} from '@aws-sdk/client-scheduler';
import type { AccessRequest } from '../../iam/access';
import { schedulerAccessRequests } from '../../iam/access/scheduler';
import type { LocalSchedule, LocalScheduleGroup, ScheduleStore } from '../../schedules/schedule-store';
import { toJsonWire } from '../json-protocol';
import { AwsError, type LocalRequest, type LocalResponse, type LocalService } from '../service';

export interface LocalSchedulerOptions {
  readonly store: ScheduleStore;
  /** The region and account in the schedules' ARNs. */
  readonly scope: { readonly region: string; readonly account: string };
}

const SCHEDULE_PATH = /^\/schedules\/([^/]+)\/?$/;
const GROUP_PATH = /^\/schedule-groups\/([^/]+)\/?$/;
const MAX_RESULTS = 100;

/**
 * A local EventBridge Scheduler (REST-JSON, SigV4 service `scheduler`) that shows the schedules of the
 * synthesized stack: ListSchedules, GetSchedule, ListScheduleGroups and GetScheduleGroup. The schedules come
 * from the refresh files given to `dbrefresh local up --refresh-files`; they are changed there, not through
 * the API. The local firing loop (local/schedules/schedule-runner.ts) starts their executions.
 */
export class LocalScheduler implements LocalService {
  readonly name = 'scheduler';

  constructor(private readonly options: LocalSchedulerOptions) {}

  get store(): ScheduleStore {
    return this.options.store;
  }

  /** What IAM authorizes for the request (local/iam/access/scheduler.ts). */
  accessRequests(request: LocalRequest): Promise<readonly AccessRequest[]> {
    return schedulerAccessRequests(request);
  }

  async handle(request: LocalRequest): Promise<LocalResponse> {
    try {
      return respond(this.route(request));
    } catch (error: unknown) {
      if (error instanceof AwsError) return renderRestJsonError(error);
      throw error;
    }
  }

  private route(request: LocalRequest): unknown {
    const schedule = SCHEDULE_PATH.exec(request.path);
    const group = GROUP_PATH.exec(request.path);
    if (request.method === 'GET' && request.path.replace(/\/$/, '') === '/schedules') {
      return this.listSchedules(request.query);
    }
    if (request.method === 'GET' && schedule?.[1]) {
      return this.getSchedule(decodeURIComponent(schedule[1]), request.query.get('groupName') ?? 'default');
    }
    if (request.method === 'GET' && request.path.replace(/\/$/, '') === '/schedule-groups') {
      return this.listGroups(request.query);
    }
    if (request.method === 'GET' && group?.[1]) return this.getGroup(decodeURIComponent(group[1]));
    if (schedule || group) {
      throw new AwsError(
        'ValidationException',
        `The local Scheduler shows the schedules the refresh files declare and does not change them (${request.method} ${request.path}); ` +
          'edit the refresh files and restart with `dbrefresh local down` and `dbrefresh local up --refresh-files <folder>`',
      );
    }
    throw new AwsError(
      'UnknownOperationException',
      `The local Scheduler implements ListSchedules, GetSchedule, ListScheduleGroups and GetScheduleGroup, not ${request.method} ${request.path}`,
      404,
    );
  }

  private listSchedules(query: URLSearchParams): ListSchedulesOutput {
    const group = query.get('ScheduleGroup');
    const prefix = query.get('NamePrefix') ?? '';
    const state = query.get('State');
    const matching = this.options.store
      .list()
      .filter(
        (schedule) =>
          (group === null || schedule.groupName === group) &&
          schedule.name.startsWith(prefix) &&
          (state === null || schedule.state === state),
      );
    const { page, nextToken } = paginate(matching, query);
    return {
      Schedules: page.map((schedule) => ({
        Arn: this.scheduleArn(schedule),
        Name: schedule.name,
        GroupName: schedule.groupName,
        State: schedule.state,
        CreationDate: schedule.creationDate,
        LastModificationDate: schedule.lastModificationDate,
        Target: { Arn: schedule.target.arn },
      })),
      NextToken: nextToken,
    };
  }

  private getSchedule(name: string, groupName: string): GetScheduleOutput {
    const schedule = this.options.store.get(groupName, name);
    if (!schedule) {
      throw new AwsError('ResourceNotFoundException', `Schedule ${name} does not exist.`, 404);
    }
    const { target } = schedule;
    return {
      Arn: this.scheduleArn(schedule),
      GroupName: schedule.groupName,
      Name: schedule.name,
      Description: schedule.description,
      ScheduleExpression: schedule.expression,
      ScheduleExpressionTimezone: schedule.timezone,
      State: schedule.state,
      CreationDate: schedule.creationDate,
      LastModificationDate: schedule.lastModificationDate,
      FlexibleTimeWindow:
        schedule.flexibleWindowMinutes === undefined
          ? { Mode: 'OFF' }
          : { Mode: 'FLEXIBLE', MaximumWindowInMinutes: schedule.flexibleWindowMinutes },
      Target: {
        Arn: target.arn,
        RoleArn: target.roleArn,
        Input: target.input,
        DeadLetterConfig: target.deadLetterArn === undefined ? undefined : { Arn: target.deadLetterArn },
        RetryPolicy: {
          MaximumEventAgeInSeconds: target.maximumEventAgeSeconds,
          MaximumRetryAttempts: target.maximumRetryAttempts,
        },
      },
    };
  }

  private listGroups(query: URLSearchParams): ListScheduleGroupsOutput {
    const prefix = query.get('NamePrefix') ?? '';
    const { page, nextToken } = paginate(
      this.options.store.groups().filter((group) => group.name.startsWith(prefix)),
      query,
    );
    return { ScheduleGroups: page.map((group) => this.group(group)), NextToken: nextToken };
  }

  private getGroup(name: string): GetScheduleGroupOutput {
    const group = this.options.store.groups().find((candidate) => candidate.name === name);
    if (!group)
      throw new AwsError('ResourceNotFoundException', `Schedule group ${name} does not exist.`, 404);
    return this.group(group);
  }

  private group(group: LocalScheduleGroup): GetScheduleGroupOutput {
    const { region, account } = this.options.scope;
    return {
      Arn: `arn:aws:scheduler:${region}:${account}:schedule-group/${group.name}`,
      Name: group.name,
      State: 'ACTIVE',
      CreationDate: group.creationDate,
      LastModificationDate: group.creationDate,
    };
  }

  private scheduleArn(schedule: LocalSchedule): string {
    const { region, account } = this.options.scope;
    return `arn:aws:scheduler:${region}:${account}:schedule/${schedule.groupName}/${schedule.name}`;
  }
}

/** One page of `items` from `NextToken` (an index), `MaxResults` long (1-100). */
function paginate<T>(items: readonly T[], query: URLSearchParams): { page: T[]; nextToken?: string } {
  const maxText = query.get('MaxResults');
  const max = maxText === null ? MAX_RESULTS : Number(maxText);
  if (!Number.isInteger(max) || max < 1 || max > MAX_RESULTS) {
    throw new AwsError(
      'ValidationException',
      `MaxResults ${maxText} must be a whole number from 1 to ${MAX_RESULTS}`,
    );
  }
  const token = query.get('NextToken');
  const start = token === null ? 0 : Number(token);
  if (!Number.isInteger(start) || start < 0) {
    throw new AwsError('ValidationException', `NextToken ${token} is not one this endpoint gave`);
  }
  const end = start + max;
  return { page: items.slice(start, end), nextToken: end < items.length ? String(end) : undefined };
}

function respond(output: unknown): LocalResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(toJsonWire(output)),
  };
}

/** REST-JSON errors: the code in `x-amzn-errortype`, the message in the body (Scheduler's member is `Message`). */
function renderRestJsonError(error: AwsError): LocalResponse {
  return {
    status: error.status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': error.code },
    body: JSON.stringify({ Message: error.message }),
  };
}
