import type { Command } from 'commander';
import { addDeploymentOptions, runOperatingCommand } from './deployment';
import type { Output } from './main';
import type { RunCommandOptions } from './status';

const WATCH_HELP = `
Examples:
  $ dbrefresh watch app1-dev-3f9a1c2b7d4e
  $ dbrefresh watch --local shop-dev-3f9a1c2b7d4e

Follows a run until it ends: on a terminal its steps redraw in place with their status and elapsed time;
in a pipe or CI log one line is printed as each step starts and ends. Then the outcome, and for a failure
the failed step and its cause. With --json only the outcome is printed, as JSON.
Exit code: 0 when the run succeeded, 1 when it failed, was aborted or timed out, or there is no such run.`;

/** Adds `dbrefresh watch <run>`. */
export function addWatchCommand(program: Command, output: Output, setExitCode: (code: number) => void): void {
  addDeploymentOptions(
    program
      .command('watch')
      .description('Follow a run until it ends')
      .argument('<run>', 'the run name `dbrefresh start` printed, or its execution ARN')
      .option('--json', 'print only the outcome, as JSON'),
  )
    .addHelpText('after', WATCH_HELP)
    .action((run: string, options: RunCommandOptions) =>
      runOperatingCommand(output, setExitCode, () => runActions().watchCommand(run, options, output)),
    );
}

// require, not import(): the CLI runs through tsx's CommonJS hook; the SDK loads only when the command runs.
const runActions = () => require('./run-actions') as typeof import('./run-actions');
