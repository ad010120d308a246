import type { ReceivedUpload } from '../upload-body';
import { S3Error } from './s3-names';

/** The checksum an object was uploaded with, as S3 keeps and returns it (base64). */
export interface ObjectChecksum {
  readonly algorithm: 'CRC32' | 'SHA1' | 'SHA256';
  readonly value: string;
}

/** The checksum algorithms S3 takes; the local S3 computes CRC32, SHA1 and SHA256 (CRC32 is the SDK's default). */
const ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
type Algorithm = (typeof ALGORITHMS)[number];

function computed(upload: ReceivedUpload, algorithm: Algorithm): string | undefined {
  switch (algorithm) {
    case 'CRC32': {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(upload.crc32 >>> 0);
      return bytes.toString('base64');
    }
    case 'SHA1':
      return upload.sha1.toString('base64');
    case 'SHA256':
      return upload.sha256.toString('base64');
    default:
      return undefined;
  }
}

/**
 * Checks the integrity values an upload declares, as S3 does: Content-MD5, and the `x-amz-checksum-<algorithm>`
 * header or trailer (the trailer that `x-amz-trailer` announces must arrive). A mismatch is BadDigest.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 * @returns the checksum to keep with the object, when one was given
 */
export function verifyChecksums(
  upload: ReceivedUpload,
  headers: Readonly<Record<string, string>>,
): ObjectChecksum | undefined {
  const contentMd5 = headers['content-md5'];
  if (contentMd5 !== undefined) {
    if (Buffer.from(contentMd5, 'base64').length !== 16) {
      throw new S3Error('InvalidDigest', 'The Content-MD5 you specified is not valid.', 400, {
        'Content-MD5': contentMd5,
      });
    }
    if (contentMd5 !== upload.md5.toString('base64')) {
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400, {
        ExpectedDigest: contentMd5,
      });
    }
  }
  const announced = headers['x-amz-trailer']?.trim().toLowerCase();
  let checksum: ObjectChecksum | undefined;
  for (const algorithm of ALGORITHMS) {
    const name = `x-amz-checksum-${algorithm.toLowerCase()}`;
    const given = headers[name] ?? upload.trailers[name];
    if (given === undefined) {
      if (announced === name) {
        throw new S3Error(
          'InvalidRequest',
          `The x-amz-trailer header announced ${name}, and the body's trailer does not hold it.`,
          400,
        );
      }
      continue;
    }
    const actual = computed(upload, algorithm);
    if (actual === undefined) {
      throw new S3Error(
        'InvalidRequest',
        `The local S3 computes CRC32, SHA1 and SHA256 checksums, not ${algorithm}: upload with ChecksumAlgorithm CRC32 (the SDK's default), SHA1 or SHA256.`,
        400,
      );
    }
    if (given !== actual) {
      throw new S3Error(
        'BadDigest',
        `The ${algorithm} you specified did not match the calculated checksum.`,
        400,
      );
    }
    checksum = { algorithm: algorithm as ObjectChecksum['algorithm'], value: actual };
  }
  return checksum;
}

/** `x-amz-checksum-<algorithm>: <value>` for a response, when the object has a checksum. */
export function checksumHeaders(checksum: ObjectChecksum | undefined): Record<string, string> {
  return checksum === undefined
    ? {}
    : { [`x-amz-checksum-${checksum.algorithm.toLowerCase()}`]: checksum.value };
}
