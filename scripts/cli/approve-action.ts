import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { HISTORY_KEYS } from '../../lambdas/shared/history/history-keys';
import { APPROVAL_REJECTED, type ApprovalDecision, rejectionCause } from '../../lambdas/shared/run/run-state';
import type { DecisionOptions } from './approve';
import { CliError, callerIdentity, findDeployment } from './deployment';
import {
  deploymentArguments,
  describeRun,
  type ExecutionFacts,
  findRunRecord,
  type RunClients,
  runArnOf,
  withRunClients,
} from './execution-watch';
import { formatFacts, formatJson } from './format';
import type { Output } from './main';

/** What is decided: an approval, or a rejection and why. */
export type Answer =
  | { readonly decision: 'approved' }
  | { readonly decision: 'rejected'; readonly reason: string };

/** The `approval` attribute of a run's history record: pending (with its token) until it is answered. */
const RecordedApprovalSchema = z.object({
  status: z.string(),
  approvers: z.array(z.string()).default([]),
  expiresAt: z.string().optional(),
  taskToken: z.string().optional(),
  by: z.string().optional(),
  at: z.string().optional(),
});

/** An approval request that can still be answered. */
interface OpenRequest {
  readonly execution: ExecutionFacts;
  readonly key: Record<string, unknown>;
  readonly taskToken: string;
  readonly approvers: readonly string[];
  readonly expiresAt?: string;
}

/** Step Functions' errors for a token that can no longer be answered. */
const CLOSED_TASK_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/**
 * `dbrefresh approve|reject <run>`: finds the run's pending approval in its history record, answers its
 * task token (SendTaskSuccess with the decision, or SendTaskFailure ApprovalRejected with who and why),
 * then marks the record decided. Refuses a run that is unknown, not waiting, or already decided.
 */
export async function decideCommand(
  run: string,
  answer: Answer,
  options: DecisionOptions,
  output: Output,
  now: Date = new Date(),
): Promise<number> {
  const deployment = await findDeployment(options);
  const arn = runArnOf(deployment, run);
  const by = options.by?.trim() || (await callerIdentity(deployment));
  return withRunClients(deployment, async (clients) => {
    const request = await openRequest(clients, arn, run);
    const decision: ApprovalDecision = { ...answer, by, at: now.toISOString() };
    await sendDecision(clients.sfn, request, decision, run);
    await markDecided(clients, request, decision, output);
    if (request.approvers.length > 0 && !request.approvers.includes(by)) {
      output.err(
        `note: ${by} is not among the approvers the refresh file names (${request.approvers.join(', ')}); the decision is recorded as yours\n`,
      );
    }
    const target = request.execution.target ?? 'the target';
    output.out(
      `${
        options.json
          ? formatJson({ run: request.execution.name, executionArn: arn, target, ...decision })
          : formatDecision(request.execution.name, target, decision, deploymentArguments(deployment))
      }\n`,
    );
    return 0;
  });
}

/**
 * The run's pending approval request.
 * @throws CliError when the run is unknown, has ended, does not wait for approval, or was already decided
 */
async function openRequest(clients: RunClients, arn: string, run: string): Promise<OpenRequest> {
  const execution = await describeRun(clients.sfn, arn, run);
  const record = await findRunRecord(clients, execution);
  const parsed = RecordedApprovalSchema.safeParse(record?.approval);
  const approval = parsed.success ? parsed.data : undefined;
  const decided =
    approval?.by === undefined
      ? ''
      : `; it was ${approval.status} by ${approval.by} at ${approval.at ?? 'an unknown time'}`;
  if (execution.status !== 'RUNNING') {
    throw new CliError(`run ${run} has ended (${execution.status}), so it waits for no approval${decided}`);
  }
  if (!record) {
    throw new CliError(
      `run ${run} has no history record yet (it is still being planned); try again in a moment, or see \`dbrefresh status ${run}\``,
    );
  }
  if (!approval) {
    throw new CliError(
      `run ${run} (target ${execution.target ?? 'unknown'}) does not wait for approval: its refresh file does not mark the target protected, or it has not reached "Wait for approval" yet; see \`dbrefresh status ${run}\``,
    );
  }
  if (approval.status !== 'pending' || approval.taskToken === undefined) {
    throw new CliError(`run ${run} was already decided${decided || ` (${approval.status})`}`);
  }
  return {
    execution,
    key: {
      [HISTORY_KEYS.partitionKey]: record[HISTORY_KEYS.partitionKey],
      [HISTORY_KEYS.sortKey]: record[HISTORY_KEYS.sortKey],
    },
    taskToken: approval.taskToken,
    approvers: approval.approvers,
    expiresAt: approval.expiresAt,
  };
}

async function sendDecision(
  sfn: SFNClient,
  request: OpenRequest,
  decision: ApprovalDecision,
  run: string,
): Promise<void> {
  try {
    if (decision.decision === 'approved') {
      await sfn.send(
        new SendTaskSuccessCommand({ taskToken: request.taskToken, output: JSON.stringify(decision) }),
      );
    } else {
      await sfn.send(
        new SendTaskFailureCommand({
          taskToken: request.taskToken,
          error: APPROVAL_REJECTED,
          cause: rejectionCause(decision),
        }),
      );
    }
  } catch (error: unknown) {
    if (error instanceof Error && CLOSED_TASK_ERRORS.has(error.name)) {
      throw new CliError(
        `the approval request of run ${run} is no longer open (${error.name}): it was answered already, or it expired` +
          `${request.expiresAt ? ` at ${request.expiresAt}` : ''}; see \`dbrefresh status ${run}\``,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Marks the request decided on the history record at once, so a second answer is refused by name; the
 * finish step writes the final decision. The decision is already delivered, so a failure here is only
 * reported.
 */
async function markDecided(
  clients: RunClients,
  request: OpenRequest,
  decision: ApprovalDecision,
  output: Output,
): Promise<void> {
  const values: Record<string, string> = {
    status: decision.decision,
    by: decision.by,
    at: decision.at,
    ...(decision.reason !== undefined && { reason: decision.reason }),
  };
  const names = Object.keys(values);
  try {
    await clients.history.send(
      new UpdateCommand({
        TableName: clients.historyTable,
        Key: request.key,
        UpdateExpression: `SET ${names.map((_, i) => `#approval.#a${i} = :a${i}`).join(', ')} REMOVE #approval.#token`,
        ConditionExpression: '#approval.#a0 = :pending AND #approval.#token = :token',
        ExpressionAttributeNames: {
          '#approval': 'approval',
          '#token': 'taskToken',
          ...Object.fromEntries(names.map((name, i) => [`#a${i}`, name])),
        },
        ExpressionAttributeValues: {
          ':pending': 'pending',
          ':token': request.taskToken,
          ...Object.fromEntries(names.map((name, i) => [`:a${i}`, values[name]])),
        },
      }),
    );
  } catch (error: unknown) {
    // The run moved on (the finish step wrote the outcome): nothing left to mark.
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return;
    output.err(
      `note: the decision was delivered, but the history record could not be marked (${error instanceof Error ? error.name : String(error)}); the run records it when it ends\n`,
    );
  }
}

function formatDecision(run: string, target: string, decision: ApprovalDecision, deployment: string): string {
  const approved = decision.decision === 'approved';
  const headline = approved
    ? `Approved run ${run}: the refresh of ${target} goes on.`
    : `Rejected run ${run}: the refresh of ${target} stops; nothing was changed.`;
  const facts = formatFacts([
    [approved ? 'Approved by' : 'Rejected by', decision.by],
    ['At', decision.at],
    ['Reason', decision.reason],
  ]);
  const follow = approved
    ? `Follow it: dbrefresh watch ${run}${deployment}`
    : `See it: dbrefresh status ${run}${deployment}`;
  return `${headline}\n${facts}\n${follow}`;
}
