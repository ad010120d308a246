import type { Plan } from './plan';

/** The account in an ARN (its fifth field), or undefined for a plain identifier. */
export function accountOf(arn: string): string | undefined {
  return arn.startsWith('arn:') ? arn.split(':')[4] : undefined;
}

/** Whether the source lives in another account than the state machine (a shared snapshot or cluster). */
export function isCrossAccount(plan: Pick<Plan, 'source' | 'executionArn'>): boolean {
  const sourceAccount = accountOf(plan.source.arn);
  return sourceAccount !== undefined && sourceAccount !== accountOf(plan.executionArn);
}
