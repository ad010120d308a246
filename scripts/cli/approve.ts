import { type Command, InvalidArgumentError } from 'commander';
import { addDeploymentOptions, type DeploymentOptions, runOperatingCommand } from './deployment';
import type { Output } from './main';

/** The longest rejection reason kept: it travels in the failed task's cause, the history and the notification. */
export const MAX_REASON_LENGTH = 500;

const APPROVE_HELP = `
Examples:
  $ dbrefresh approve app1-uat-3f9a1c2b7d4e
  $ dbrefresh approve --by dba@example.com app1-uat-3f9a1c2b7d4e
  $ dbrefresh approve --local --json shop-dev-3f9a1c2b7d4e

Answers the approval request of a protected target's run (the request's notification names the run): the
run goes on with the restore. Who approved (--by; default: your AWS identity, or local:<user> in local mode)
is recorded in the run's history record and its final notification.
Who may answer is decided by IAM (states:SendTaskSuccess and states:SendTaskFailure); the approvers the
refresh file names are shown in the request, not enforced here.
Exit code: 0 when the approval was delivered; 1 when the run is unknown, does not wait for approval, or was
already decided or expired.`;

const REJECT_HELP = `
Examples:
  $ dbrefresh reject app1-uat-3f9a1c2b7d4e --reason "UAT sign-off runs until Friday"
  $ dbrefresh reject --local shop-dev-3f9a1c2b7d4e --reason "wrong source" --json

Refuses the approval request of a protected target's run: the run fails before anything changed and
releases the target. Who rejected it and why are recorded in the run's history record and notification.
Exit code: 0 when the rejection was delivered; 1 when the run is unknown, does not wait for approval, or
was already decided or expired.`;

export interface DecisionOptions extends DeploymentOptions {
  /** Who decides, as recorded; default: the caller's identity. */
  readonly by?: string;
  readonly json?: boolean;
}

export interface RejectOptions extends DecisionOptions {
  readonly reason: string;
}

/** Adds `dbrefresh approve <run>` and `dbrefresh reject <run> --reason <text>`. */
export function addApproveCommands(
  program: Command,
  output: Output,
  setExitCode: (code: number) => void,
): void {
  decisionCommand(program, 'approve', "Approve a protected target's waiting refresh")
    .addHelpText('after', APPROVE_HELP)
    .action((run: string, options: DecisionOptions) =>
      runOperatingCommand(output, setExitCode, () =>
        approveAction().decideCommand(run, { decision: 'approved' }, options, output),
      ),
    );

  decisionCommand(program, 'reject', "Reject a protected target's waiting refresh; nothing changes")
    .requiredOption('--reason <text>', 'why, for the history record and the notification', parseReason)
    .addHelpText('after', REJECT_HELP)
    .action((run: string, options: RejectOptions) =>
      runOperatingCommand(output, setExitCode, () =>
        approveAction().decideCommand(run, { decision: 'rejected', reason: options.reason }, options, output),
      ),
    );
}

function decisionCommand(program: Command, name: string, description: string): Command {
  return addDeploymentOptions(
    program
      .command(name)
      .description(description)
      .argument('<run>', 'the run the approval request names (its execution name), or its execution ARN')
      .option('--by <name>', 'who decides, as the history records it (default: your AWS identity)')
      .option('--json', 'print the decision as JSON'),
  );
}

function parseReason(value: string): string {
  const reason = value.trim();
  if (reason === '')
    throw new InvalidArgumentError('give a reason, for example --reason "UAT sign-off this week"');
  if (reason.length > MAX_REASON_LENGTH) {
    throw new InvalidArgumentError(
      `keep the reason under ${MAX_REASON_LENGTH} characters (got ${reason.length})`,
    );
  }
  return reason;
}

// require, not import(): the CLI runs through tsx's CommonJS hook; the SDK loads only when the command runs.
const approveAction = () => require('./approve-action') as typeof import('./approve-action');
