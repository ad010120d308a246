import {
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DbRefreshError } from '../shared/errors';
import { type PreservedData, PreservedDataSchema } from '../shared/sql/preserved-data';

/**
 * The captured data of a run, one object in the stack's preserved-data bucket, from the capture until
 * the reapply deletes it (the bucket's lifecycle rule removes what a failed run leaves behind).
 */

/** Where a run's preserved data is kept. */
export function preservedDataKey(runId: string): string {
  return `runs/${runId}/preserved.json`;
}

/** Left by a successful reapply, holding no data: a re-run finds the work done instead of the data gone. */
export function reappliedMarkerKey(runId: string): string {
  return `runs/${runId}/reapplied.json`;
}

export async function putPreservedData(s3: S3Client, bucket: string, data: PreservedData): Promise<number> {
  const body = JSON.stringify(data);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: preservedDataKey(data.runId),
      Body: body,
      ContentType: 'application/json',
    }),
  );
  return Buffer.byteLength(body);
}

/**
 * The run's preserved data, or `undefined` when an earlier invocation reapplied it and deleted it.
 * @throws DbRefreshError when neither the data nor the marker of its reapply exists
 */
export async function getPreservedData(
  s3: S3Client,
  bucket: string,
  runId: string,
): Promise<PreservedData | undefined> {
  const text = await readObject(s3, bucket, preservedDataKey(runId));
  if (text !== undefined) {
    const parsed = PreservedDataSchema.safeParse(parseJson(text));
    if (!parsed.success) {
      throw new DbRefreshError(
        `s3://${bucket}/${preservedDataKey(runId)} is not preserved data as the capture step writes it; start a new refresh`,
      );
    }
    return parsed.data;
  }
  if ((await readObject(s3, bucket, reappliedMarkerKey(runId))) !== undefined) return undefined;
  throw new DbRefreshError(
    `The preserved data of run ${runId} (s3://${bucket}/${preservedDataKey(runId)}) does not exist: it was deleted, or expired (the bucket keeps it 7 days). Nothing was written to the copy; start a new refresh to capture it again`,
  );
}

/** Leaves the marker, then deletes the data: from then on a re-run knows the reapply is done. */
export async function markReapplied(s3: S3Client, bucket: string, runId: string, at: Date): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: reappliedMarkerKey(runId),
      Body: JSON.stringify({ runId, reappliedAt: at.toISOString() }),
      ContentType: 'application/json',
    }),
  );
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: preservedDataKey(runId) }));
}

async function readObject(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await out.Body?.transformToString('utf-8')) ?? '';
  } catch (error: unknown) {
    if (error instanceof NoSuchKey || (error instanceof Error && error.name === 'NoSuchKey'))
      return undefined;
    throw error;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error: unknown) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}
