import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Annotations, Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Schedule,
  ScheduleExpression,
  ScheduleGroup,
  ScheduleTargetInput,
  TimeWindow,
} from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  errorsOf,
  formatProblem,
  parseRefreshFile,
  type RefreshFile,
} from '../../lambdas/shared/refresh-model';
import { acknowledge } from './acknowledge';

/** The schedule group every refresh schedule is created in; `dbrefresh schedules` lists it. */
export const SCHEDULE_GROUP_NAME = 'dbrefresh';
/** What a scheduled execution's `requestedBy` says: `schedule <name>`. */
export const SCHEDULE_REQUESTER_PREFIX = 'schedule ';
/** Scheduler names: 1-64 letters, digits, `-`, `_` and `.`. */
const SCHEDULE_NAME_LENGTH = 64;
/** A start that has not reached Step Functions an hour after its time goes to the dead-letter queue. */
const MAX_EVENT_AGE = Duration.hours(1);
const RETRY_ATTEMPTS = 10;

/** One refresh file that declares a schedule, as the stack deploys it. */
export interface ScheduledRefresh {
  /** The schedule's name, derived from the file name (see scheduleNameOf). */
  readonly name: string;
  readonly file: string;
  /**
   * What the execution is started with: the concise form the file converts to, not its JSON as written, so a
   * per-step file's plain-text `temppwd` (which the plan ignores) never reaches the schedule or the execution.
   */
  readonly refreshFile: RefreshFile;
  readonly schedule: NonNullable<RefreshFile['schedule']>;
}

export interface RefreshSchedulesProps {
  /** The state machine each schedule starts. */
  readonly stateMachine: IStateMachine;
  /**
   * The folder whose refresh files (`*.json`, schema files aside) are deployed: each file that declares
   * `schedule` becomes a schedule. Every file must be valid, or synthesis fails naming the file and the problem.
   * @default - no schedules; the schedule group is still created for schedules made by hand
   */
  readonly refreshFilesDir?: string;
}

/**
 * EventBridge Scheduler schedules that start refreshes: one per refresh file that declares `schedule`, in
 * the `dbrefresh` group, each with its time zone and flexible window, retried for an hour, then sent to
 * an encrypted dead-letter queue. The role the schedules run as may only start this state machine.
 */
export class RefreshSchedules extends Construct {
  readonly group: ScheduleGroup;
  /** The schedules by name. */
  readonly schedules: ReadonlyMap<string, Schedule>;
  /** Starts that failed after every retry; undefined when there is no schedule. */
  readonly deadLetterQueue?: Queue;
  /** The role the schedules run as; undefined when there is no schedule. */
  readonly role?: Role;

  constructor(scope: Construct, id: string, props: RefreshSchedulesProps) {
    super(scope, id);
    this.group = new ScheduleGroup(this, 'Group', {
      scheduleGroupName: SCHEDULE_GROUP_NAME,
      // The group holds only this stack's schedules; retaining it would block the next deployment.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const refreshes =
      props.refreshFilesDir === undefined ? [] : readScheduledRefreshes(props.refreshFilesDir, this);
    const schedules = new Map<string, Schedule>();
    this.schedules = schedules;
    if (refreshes.length === 0) return;

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is the dead-letter queue of the refresh schedules (EventBridge Scheduler), not a source queue',
    );
    this.role = new Role(this, 'Role', {
      description: 'EventBridge Scheduler starts dbrefresh refreshes',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Stack.of(this).account,
            'aws:SourceArn': this.group.scheduleGroupArn,
          },
        },
      }),
    });
    for (const refresh of refreshes) {
      schedules.set(
        refresh.name,
        this.addSchedule(refresh, props.stateMachine, this.role, this.deadLetterQueue),
      );
    }
  }

  private addSchedule(
    refresh: ScheduledRefresh,
    stateMachine: IStateMachine,
    role: Role,
    deadLetterQueue: Queue,
  ): Schedule {
    const { expression, timezone, flexibleWindowMinutes } = refresh.schedule;
    return new Schedule(this, `Schedule-${refresh.name}`, {
      scheduleName: refresh.name,
      description: `dbrefresh: ${path.basename(refresh.file)}`,
      scheduleGroup: this.group,
      schedule: ScheduleExpression.expression(
        expression,
        timezone === undefined ? undefined : TimeZone.of(timezone),
      ),
      timeWindow:
        flexibleWindowMinutes === undefined
          ? TimeWindow.off()
          : TimeWindow.flexible(Duration.minutes(flexibleWindowMinutes)),
      enabled: true,
      // Grants the role states:StartExecution on this state machine and sqs:SendMessage on the queue.
      target: new StepFunctionsStartExecution(stateMachine, {
        role,
        deadLetterQueue,
        input: ScheduleTargetInput.fromObject({
          refreshFile: refresh.refreshFile,
          requestedBy: `${SCHEDULE_REQUESTER_PREFIX}${refresh.name}`,
        }),
        maxEventAge: MAX_EVENT_AGE,
        retryAttempts: RETRY_ATTEMPTS,
      }),
    });
  }
}

/**
 * The schedule name for a refresh file: its base name without `.json`, each character Scheduler refuses
 * replaced by `-`, at most 64 characters (`uat/shop dev.json` → `shop-dev`).
 */
export function scheduleNameOf(file: string): string {
  const base = path.basename(file).replace(/\.json$/i, '');
  return base.replace(/[^0-9A-Za-z._-]/g, '-').slice(0, SCHEDULE_NAME_LENGTH);
}

/**
 * Reads every refresh file of `dir` and returns those that declare a schedule.
 * @throws Error listing every problem of every invalid file (and names two files would share), so one
 *   synthesis shows them all
 */
export function readScheduledRefreshes(dir: string, scope?: Construct): ScheduledRefresh[] {
  const files = refreshFilesIn(dir);
  const problems: string[] = [];
  const refreshes: ScheduledRefresh[] = [];
  for (const file of files) {
    const json = readJson(file, problems);
    if (json === undefined) continue;
    const result = parseRefreshFile(json);
    const errors = errorsOf(result);
    problems.push(...errors.map((problem) => formatProblem(file, problem)));
    if (scope) {
      for (const warning of result.problems.filter((problem) => problem.severity === 'warning')) {
        Annotations.of(scope).addWarningV2('dbrefresh:refresh-file', formatProblem(file, warning));
      }
    }
    const refreshFile = result.refreshFile;
    const schedule = refreshFile?.schedule;
    if (errors.length === 0 && refreshFile && schedule) {
      refreshes.push({ name: scheduleNameOf(file), file, refreshFile, schedule });
    }
  }
  problems.push(...sharedNames(refreshes));
  if (problems.length > 0) {
    throw new Error(
      `The refresh files in ${dir} cannot be deployed as schedules; fix them (\`dbrefresh validate ${dir}/*.json\` shows the same):\n` +
        problems.map((problem) => `  ${problem}`).join('\n'),
    );
  }
  return refreshes;
}

/** The `*.json` files of `dir` (not its subfolders), JSON Schema files aside, in name order. */
function refreshFilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
    throw new Error(
      `The refresh files folder ${dir} does not exist or is not a folder; pass an existing folder (cdk deploy -c refreshFiles=<folder>)`,
      { cause: error },
    );
  }
  return names
    .filter((name) => name.toLowerCase().endsWith('.json') && !name.toLowerCase().endsWith('.schema.json'))
    .sort()
    .map((name) => path.join(dir, name));
}

function readJson(file: string, problems: string[]): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error: unknown) {
    if (!(error instanceof SyntaxError)) throw error;
    problems.push(`${file}: is not JSON (${error.message})`);
    return undefined;
  }
}

function sharedNames(refreshes: readonly ScheduledRefresh[]): string[] {
  const filesByName = new Map<string, string[]>();
  for (const refresh of refreshes) {
    filesByName.set(refresh.name, [...(filesByName.get(refresh.name) ?? []), refresh.file]);
  }
  return [...filesByName.entries()]
    .filter(([, files]) => files.length > 1)
    .map(
      ([name, files]) => `${files.join(' and ')}: would both be schedule "${name}"; rename one of the files`,
    );
}
