import type { Command } from 'commander';
import { addDeploymentOptions, type DeploymentOptions, runOperatingCommand } from './deployment';
import type { Output } from './main';

const PLAN_HELP = `
Examples:
  $ dbrefresh plan refresh-files/app1-dev.json
  $ dbrefresh plan --local local/demo/shop-dev.json
  $ dbrefresh plan --json app1-dev.json | jq .plan.restorePoint

Resolves everything a run of the file would do, as the run's first step would, and changes nothing: the
source and the exact restore point or snapshot, the target and the settings carried over from it, the steps
that will run and those skipped, the guards, the target's lock, and the expected duration from past runs.
Exit code: 0 when a run would start, 1 when it would be refused (the reason and the fix are printed) or the
file is invalid.`;

export interface PlanOptions extends DeploymentOptions {
  readonly json?: boolean;
}

/** Adds `dbrefresh plan <file>`. */
export function addPlanCommand(program: Command, output: Output, setExitCode: (code: number) => void): void {
  addDeploymentOptions(
    program
      .command('plan')
      .description('Show what a refresh would do, without changing anything')
      .argument('<file>', 'the refresh file')
      .option('--json', 'print the plan as JSON'),
  )
    .addHelpText('after', PLAN_HELP)
    .action((file: string, options: PlanOptions) =>
      runOperatingCommand(output, setExitCode, () => planAction().planCommand(file, options, output)),
    );
}

// require, not import(): the CLI runs through tsx's CommonJS hook; the SDK loads only when the command runs.
const planAction = () => require('./plan-action') as typeof import('./plan-action');
