import type { Command } from 'commander';
import { addDeploymentOptions, type DeploymentOptions, runOperatingCommand } from './deployment';
import type { Output } from './main';
import { DUPLICATE_WINDOW_MINUTES } from './refresh-request';

const START_HELP = `
Examples:
  $ dbrefresh start refresh-files/app1-dev.json
  $ dbrefresh start --wait refresh-files/app1-dev.json
  $ dbrefresh start --local --wait local/demo/shop-dev.json
  $ dbrefresh start --json app1-dev.json | jq -r .run

Validates the file (problems are printed as \`dbrefresh validate\` prints them), then starts a run and prints
its name: pass it to \`dbrefresh status\` and \`dbrefresh watch\`. The name is <target>-<hash of the file, who
starts it and the ${DUPLICATE_WINDOW_MINUTES}-minute window>, so starting the same file twice while the first run
is running is refused, naming that run.
With --wait it follows the run (steps, status and elapsed time) until it ends.
Exit code: 0 when the run started (with --wait: when it succeeded), 1 when the file is invalid, the same
run is already running, or (with --wait) the run failed, was aborted or timed out.`;

export interface StartOptions extends DeploymentOptions {
  readonly wait?: boolean;
  readonly json?: boolean;
}

/** Adds `dbrefresh start <file> [--wait]`. */
export function addStartCommand(program: Command, output: Output, setExitCode: (code: number) => void): void {
  addDeploymentOptions(
    program
      .command('start')
      .description('Start a refresh')
      .argument('<file>', 'the refresh file')
      .option('--wait', 'follow the run until it ends; exit 0 only when it succeeded')
      .option('--json', 'print the run (with --wait: its outcome) as JSON'),
  )
    .addHelpText('after', START_HELP)
    .action((file: string, options: StartOptions) =>
      runOperatingCommand(output, setExitCode, () => startAction().startCommand(file, options, output)),
    );
}

// require, not import(): the CLI runs through tsx's CommonJS hook; the SDK loads only when the command runs.
const startAction = () => require('./start-action') as typeof import('./start-action');
