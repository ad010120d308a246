import { createHash } from 'node:crypto';
import { RUN_ID_LENGTH } from '../naming';

/**
 * The run id: 8 lowercase letters and digits derived from the execution ARN, so a retried plan step
 * gets the same id (and the same temporary names) as the first attempt, and the finish step of a run
 * whose plan failed can still name the run.
 */
export function runIdOf(executionArn: string): string {
  const digest = createHash('sha256').update(executionArn).digest();
  let id = '';
  for (const byte of digest.subarray(0, RUN_ID_LENGTH))
    id += 'abcdefghijklmnopqrstuvwxyz0123456789'[byte % 36];
  return id;
}
