import type { Command } from 'commander';
import { addDeploymentOptions, type DeploymentOptions, runOperatingCommand } from './deployment';
import type { Output } from './main';

const SNAPSHOTS_HELP = `
Examples:
  $ dbrefresh snapshots app1-prod
  $ dbrefresh snapshots app1-aurora-prod --json
  $ dbrefresh snapshots --local shop-prod

Shows what a refresh from the source can restore: its restorable window (earliest and latest restorable
time, for restore types latestpoint and restorepoint) and its snapshots, manual and automated, newest first,
with their time, type, size, encryption (KMS key) and status (for fromsnapshot). The source may be an Aurora
cluster or an RDS instance (a cluster is looked up first).
Exit code: 0, or 1 when there is no DB cluster or instance of that name.`;

export interface SnapshotsOptions extends DeploymentOptions {
  readonly json?: boolean;
}

/** Adds `dbrefresh snapshots <source>`. */
export function addSnapshotsCommand(
  program: Command,
  output: Output,
  setExitCode: (code: number) => void,
): void {
  addDeploymentOptions(
    program
      .command('snapshots')
      .description("Show a source's restorable window and snapshots")
      .argument('<source>', 'DB cluster or DB instance identifier of the source')
      .option('--json', 'print the window and the snapshots as JSON'),
  )
    .addHelpText('after', SNAPSHOTS_HELP)
    .action((source: string, options: SnapshotsOptions) =>
      runOperatingCommand(output, setExitCode, () =>
        snapshotsAction().snapshotsCommand(source, options, output),
      ),
    );
}

// require, not import(): the CLI runs through tsx's CommonJS hook; the SDK loads only when the command runs.
const snapshotsAction = () => require('./snapshots-action') as typeof import('./snapshots-action');
