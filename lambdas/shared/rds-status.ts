import { TerminalStateError } from './errors';

/**
 * Statuses an RDS instance or cluster cannot leave without someone's help. A check that sees one fails
 * at once instead of polling until its deadline.
 */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set([
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-credentials',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'storage-full',
  'restore-error',
  'insufficient-capacity',
  'cloning-failed',
  'migration-failed',
]);

/**
 * Whether `resource` has reached `wanted` (usually "available").
 * @returns true when it has, false while it is on its way
 * @throws TerminalStateError when it is stuck in a terminal status
 */
export function hasReachedStatus(
  resource: string,
  status: string | undefined,
  wanted = 'available',
): boolean {
  if (status === wanted) return true;
  if (status !== undefined && TERMINAL_STATUSES.has(status)) throw new TerminalStateError(resource, status);
  return false;
}
