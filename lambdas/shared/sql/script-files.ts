import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { isTransient } from '../aws/transient';
import { ScriptError } from '../errors';
import { logger } from '../handler';
import type { SqlConnection } from './connect';
import { describeSqlError } from './execute-script';

/**
 * What both script methods share, on Lambda (lambdas/scripts/run-scripts.ts) and on the runner instance
 * (lambdas/scripts/ec2-runner.ts): where a script is in S3, reading it, a session closed whatever happens,
 * and the verification queries.
 */

/**
 * The S3 key of a script: the prefix is a folder, so `rdsmysql/mysqlinstd` (as the blog's files write it,
 * and as its runner reads `<prefix>/<key>`) and `rdsmysql/mysqlinstd/` name the same one.
 */
export function scriptKey(prefix: string | undefined, key: string): string {
  if (!prefix) return key;
  return prefix.endsWith('/') ? `${prefix}${key}` : `${prefix}/${key}`;
}

/** @throws ScriptError naming the object and the refresh file's fields when it does not exist */
export async function readScript(s3: S3Client, bucket: string, key: string): Promise<string> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await out.Body?.transformToString('utf-8')) ?? '';
  } catch (error: unknown) {
    if (error instanceof NoSuchKey || (error instanceof Error && error.name === 'NoSuchKey')) {
      throw new ScriptError(
        `Script s3://${bucket}/${key} does not exist; upload it, or fix scripts.bucket, scripts.prefix or scripts.keys in the refresh file`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Runs `work` on a connection being opened and closes it whatever happens. A failed close is only logged:
 * the work is committed or rolled back by then.
 */
export async function withConnection<C extends { close(): Promise<void> }, T>(
  opening: Promise<C>,
  work: (connection: C) => Promise<T>,
): Promise<T> {
  const connection = await opening;
  try {
    return await work(connection);
  } finally {
    await connection.close().catch((error: unknown) =>
      logger.warn('Closing the database connection failed', {
        errorName: error instanceof Error ? error.name : typeof error,
      }),
    );
  }
}

/**
 * Runs each verification query; any row fails the refresh before the swap (fail closed).
 * @throws ScriptError with the query and the number of rows, never their values
 */
export async function verifyNoRows(connection: SqlConnection, queries: readonly string[]): Promise<void> {
  for (const [index, query] of queries.entries()) {
    let rows: number;
    try {
      rows = await connection.query(query);
    } catch (error: unknown) {
      if (isTransient(error)) throw error;
      // No cause: the driver's error holds the unredacted server message.
      throw new ScriptError(
        `Verification query ${index + 1} failed: ${describeSqlError(error, query)}: ${query}`,
      );
    }
    if (rows > 0) {
      throw new ScriptError(`Verification query ${index + 1} returned ${rows} row(s): ${query}`);
    }
  }
}
