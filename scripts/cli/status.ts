import type { Command } from 'commander';
import { addDeploymentOptions, type DeploymentOptions, runOperatingCommand } from './deployment';
import type { Output } from './main';

const STATUS_HELP = `
Examples:
  $ dbrefresh status app1-dev-3f9a1c2b7d4e
  $ dbrefresh status arn:aws:states:eu-west-1:123456789012:execution:RefreshStateMachine1A2B3C:app1-dev-3f9a1c2b7d4e
  $ dbrefresh status --local --json shop-dev-3f9a1c2b7d4e

Shows a run once: its status, the steps so far with their elapsed time, the step running now, and what its
history record says (source, data aligned to, failed step and cause). \`dbrefresh watch\` follows it instead.
Exit code: 0 when the run exists (whatever its status), 1 when there is no such run.`;

export interface RunCommandOptions extends DeploymentOptions {
  readonly json?: boolean;
}

/** Adds `dbrefresh status <run>`. */
export function addStatusCommand(
  program: Command,
  output: Output,
  setExitCode: (code: number) => void,
): void {
  addDeploymentOptions(
    program
      .command('status')
      .description("Show a run's status, steps so far and history record")
      .argument('<run>', 'the run name `dbrefresh start` printed, or its execution ARN')
      .option('--json', 'print the run as JSON'),
  )
    .addHelpText('after', STATUS_HELP)
    .action((run: string, options: RunCommandOptions) =>
      runOperatingCommand(output, setExitCode, () => runActions().statusCommand(run, options, output)),
    );
}

// require, not import(): the CLI runs through tsx's CommonJS hook; the SDK loads only when the command runs.
const runActions = () => require('./run-actions') as typeof import('./run-actions');
