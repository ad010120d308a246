import {
  attributesFor,
  executionConsoleUrl,
  type NotificationMessage,
  subjectFor,
} from '../shared/notification';
import type { Plan } from '../shared/run/plan';

/** The `status` attribute of an approval request, for subscription filters (approvers subscribe to it). */
export const APPROVAL_NEEDED_STATUS = 'approval-needed';

/** The name of an execution: the last part of its ARN, which `dbrefresh approve|reject` take. */
export function executionName(executionArn: string): string {
  return executionArn.slice(executionArn.lastIndexOf(':') + 1);
}

/** The commands that answer an approval request, exactly as a person types them. */
export function approvalCommands(run: string): { readonly approve: string; readonly reject: string } {
  return { approve: `dbrefresh approve ${run}`, reject: `dbrefresh reject ${run} --reason "..."` };
}

/**
 * The approval request: which target waits, from which source, who may approve, the commands that
 * answer, and until when; a `---` line, then the same facts as JSON. Holds no token and no password.
 */
export function approvalRequestMessage(plan: Plan, expiresAt: string): NotificationMessage {
  const names = {
    application: plan.file.application,
    environment: plan.file.environment,
    target: plan.target.id,
  };
  const run = executionName(plan.executionArn);
  const commands = approvalCommands(run);
  const approvers = plan.approval?.approvers ?? [];
  const hours = Math.round((plan.approval?.timeoutSeconds ?? 0) / 3600);
  const consoleUrl = executionConsoleUrl(plan.executionArn);
  const facts = {
    status: APPROVAL_NEEDED_STATUS,
    ...names,
    source: plan.source.id,
    restoreType: plan.file.restore.type,
    restorePoint: plan.restorePoint,
    approvers,
    run,
    approveCommand: commands.approve,
    rejectCommand: commands.reject,
    expiresAt,
    requestedBy: plan.requestedBy,
    executionArn: plan.executionArn,
    consoleUrl,
  };
  const rows: [string, string][] = [
    [
      'Who may approve',
      approvers.length > 0 ? approvers.join(', ') : 'anyone allowed to answer for this state machine',
    ],
    ['Approve', commands.approve],
    ['Reject', commands.reject],
    ['Waits until', `${expiresAt} (${hours} h); then the refresh fails and nothing changes`],
    ['Data aligned to', `${plan.restorePoint} (${plan.file.restore.type})`],
    ['Requested by', plan.requestedBy],
    ['Run', run],
    ['Execution', consoleUrl ?? plan.executionArn],
  ];
  const lines = [
    `The refresh of ${names.target} (${names.application}/${names.environment}) from ${plan.source.id} waits for approval; nothing has changed yet.`,
    '',
    ...rows.map(([label, value]) => `${`${label}:`.padEnd(17)}${value}`),
    '',
    'Answer with the dbrefresh CLI, with AWS credentials allowed states:SendTaskSuccess and states:SendTaskFailure.',
  ];
  return {
    Subject: subjectFor(names, 'APPROVAL NEEDED'),
    Message: `${lines.join('\n')}\n\n---\n${JSON.stringify(facts, null, 2)}\n`,
    MessageAttributes: attributesFor(names, APPROVAL_NEEDED_STATUS),
  };
}
