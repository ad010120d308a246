import type { Command } from 'commander';
import { addDeploymentOptions, type DeploymentOptions, runOperatingCommand } from './deployment';
import type { Output } from './main';

/** The group the stack creates its schedules in (SCHEDULE_GROUP_NAME of lib/constructs/refresh-schedules.ts). */
export const DEFAULT_SCHEDULE_GROUP = 'dbrefresh';
/** How many next run times each schedule shows. */
export const NEXT_RUNS = 3;

const SCHEDULES_HELP = `
Examples:
  $ dbrefresh schedules
  $ dbrefresh schedules --json
  $ dbrefresh schedules --local
  $ dbrefresh schedules --region eu-west-2 --stack DbRefresh

Lists the refresh schedules (EventBridge Scheduler, group ${DEFAULT_SCHEDULE_GROUP}): for each, its state, the refresh
file and target it refreshes, its expression, time zone and flexible window, its next ${NEXT_RUNS} run times (in its
time zone and in UTC) and its last scheduled run from the history. Schedules come from the refresh files that
declare \`schedule\`: \`npx cdk deploy -c refreshFiles=<folder>\`, or locally \`dbrefresh local up --refresh-files <folder>\`.
Exit code: 0 (also when there is no schedule), 1 when the deployment cannot be read.`;

export interface SchedulesOptions extends DeploymentOptions {
  readonly group: string;
  readonly json?: boolean;
}

/** Adds `dbrefresh schedules`. */
export function addSchedulesCommand(
  program: Command,
  output: Output,
  setExitCode: (code: number) => void,
): void {
  addDeploymentOptions(
    program
      .command('schedules')
      .description('List the refresh schedules and their next run times')
      .option('--group <name>', 'the schedule group', DEFAULT_SCHEDULE_GROUP)
      .option('--json', 'print the schedules as JSON'),
  )
    .addHelpText('after', SCHEDULES_HELP)
    .action((options: SchedulesOptions) =>
      runOperatingCommand(output, setExitCode, () => schedulesAction().schedulesCommand(options, output)),
    );
}

// require, not import(): the CLI runs through tsx's CommonJS hook; the SDK loads only when the command runs.
const schedulesAction = () => require('./schedules-action') as typeof import('./schedules-action');
