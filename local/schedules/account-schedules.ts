import { SFNClient } from '@aws-sdk/client-sfn';
import { SCHEDULE_GROUP_NAME } from '../../lib/constructs/refresh-schedules';
import { LocalScheduler } from '../endpoint/services/scheduler';
import type { LocalCredentials } from '../iam/identities';
import { type LocalScheduling, loadLocalScheduling } from './local-schedules';
import { ScheduleRunner, startExecutionWith } from './schedule-runner';
import { ScheduleStore } from './schedule-store';

export interface AccountSchedulesOptions {
  /** Where the schedules' dates and last fires are kept. */
  readonly stateDir: string;
  /** The refresh files whose schedules the stack declares; none: the stack's group, without schedules. */
  readonly refreshFilesDir?: string;
  readonly scope: { readonly region: string; readonly account: string };
}

/**
 * The EventBridge Scheduler of a local account: the `scheduler` service for its endpoint, and the runner
 * that starts the schedules' executions once the endpoint (and its Step Functions) answers.
 */
export class AccountSchedules {
  readonly scheduler: LocalScheduler;
  private runner?: ScheduleRunner;
  private sfn?: SFNClient;
  private started?: {
    readonly endpointUrl: string;
    readonly region: string;
    readonly credentials: LocalCredentials;
    readonly log?: (line: string) => void;
  };

  /** @throws Error naming the file and the problem when a refresh file of the folder is invalid */
  constructor(options: AccountSchedulesOptions) {
    // The group exists without refresh files; synthesizing the stack is needed only for schedules.
    const scheduling: LocalScheduling =
      options.refreshFilesDir === undefined
        ? { groupNames: [SCHEDULE_GROUP_NAME], schedules: [] }
        : loadLocalScheduling(options.refreshFilesDir, options.scope);
    this.scheduler = new LocalScheduler({
      store: new ScheduleStore(scheduling, options.stateDir),
      scope: options.scope,
    });
  }

  /** How many schedules the account has. */
  get count(): number {
    return this.scheduler.store.list().length;
  }

  /**
   * Starts firing the schedules: each execution is started through the endpoint's Step Functions, signed with
   * `credentials` (a session of the schedules' role, as Scheduler assumes it).
   */
  start(
    endpointUrl: string,
    region: string,
    credentials: LocalCredentials,
    log?: (line: string) => void,
  ): void {
    this.started = { endpointUrl, region, credentials, log };
    if (this.runner || this.count === 0) return;
    this.sfn = new SFNClient({
      endpoint: endpointUrl,
      region,
      credentials,
      // The runner retries as the schedule's retry policy says, as Scheduler does.
      maxAttempts: 1,
    });
    this.runner = new ScheduleRunner({
      store: this.scheduler.store,
      startExecution: startExecutionWith(this.sfn),
      log,
    });
    this.runner.start();
  }

  /** Stops firing (before the endpoint closes) and waits for the starts under way. */
  async stop(): Promise<void> {
    await this.runner?.stop();
    this.sfn?.destroy();
    this.runner = undefined;
    this.sfn = undefined;
  }

  /** Fires the schedules again after `stop`, as the last `start` set them up. */
  restart(): void {
    if (!this.started) throw new Error('The schedules were never started; call start first');
    const { endpointUrl, region, credentials, log } = this.started;
    this.start(endpointUrl, region, credentials, log);
  }
}
