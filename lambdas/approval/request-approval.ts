import type { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { DbRefreshError } from '../shared/errors';
import { logger } from '../shared/handler';
import { storeApprovalRequest } from '../shared/history/history-store';
import { publishMessage } from '../shared/notification';
import { PlanSchema } from '../shared/run/plan';
import { approvalRequestMessage, executionName } from './approval-message';

/**
 * What the state machine invokes the approval step with: the task token it then waits on, and the plan.
 * The token answers the request, so it is stored only in the history table and never logged.
 */
export const ApprovalRequestSchema = z.object({
  taskToken: z.string().min(1),
  plan: PlanSchema,
});
export type ApprovalRequest = z.output<typeof ApprovalRequestSchema>;

/** The clients and settings the approval step works with. */
export interface ApprovalServices {
  readonly doc: DynamoDBDocumentClient;
  readonly sns: SNSClient;
  readonly table: string;
  readonly topicArn: string;
}

/** What the step returns; Step Functions ignores it and waits for `dbrefresh approve` or `reject`. */
export interface ApprovalRequested {
  readonly status: 'pending';
  /** The execution name the commands take. */
  readonly run: string;
  readonly expiresAt: string;
}

/**
 * Asks for the approval of a protected target's refresh: stores the task token on the run's `running`
 * record (where `dbrefresh approve|reject` finds it), then tells the topics which target waits, who
 * may approve, the exact commands, and until when. Nothing has changed yet, and nothing will until
 * someone approves.
 *
 * Safe to run again: a retried task has a new token, which replaces the stored one, and the commands
 * in a repeated notification name the run, not the token.
 */
export async function requestApproval(
  services: ApprovalServices,
  request: ApprovalRequest,
  now: Date,
): Promise<ApprovalRequested> {
  const { plan, taskToken } = request;
  if (!plan.approval) {
    throw new DbRefreshError(
      `The plan of run ${plan.runId} has no approval settings; "Wait for approval" runs only when $.plan.steps.approval is true`,
    );
  }
  const requestedAt = now.toISOString();
  const expiresAt = new Date(now.getTime() + plan.approval.timeoutSeconds * 1000).toISOString();
  await storeApprovalRequest(services.doc, services.table, plan, {
    status: 'pending',
    approvers: plan.approval.approvers,
    requestedAt,
    expiresAt,
    taskToken,
  });
  await publishMessage(
    services.sns,
    { main: services.topicArn, extra: plan.file.notification?.topicArn },
    approvalRequestMessage(plan, expiresAt),
  );
  const run = executionName(plan.executionArn);
  logger.info('Approval requested', { target: plan.target.id, run, expiresAt });
  return { status: 'pending', run, expiresAt };
}
