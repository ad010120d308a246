import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ChunkSigner } from '../../../local/endpoint/auth/authenticate';
import { NodeSha256 } from '../../../local/endpoint/auth/node-sha256';
import { AwsError } from '../../../local/endpoint/service';
import { type ReceiveUploadOptions, receiveUpload } from '../../../local/endpoint/upload-body';
import { removeDirectory, temporaryDirectory } from './endpoint-fixture';

const SIGNING_DATE = new Date('2026-06-01T12:00:00Z');
const AMZ_DATE = '20260601T120000Z';
const SCOPE = '20260601/eu-west-1/s3/aws4_request';
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const SEED = 'a'.repeat(64);

const signer = new SignatureV4({
  credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' },
  region: 'eu-west-1',
  service: 's3',
  sha256: NodeSha256,
});

/** The chunk signatures as S3 computes them (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html). */
const chunks: ChunkSigner = {
  seedSignature: SEED,
  chunkSignature: (previous, hash) =>
    signer.sign(['AWS4-HMAC-SHA256-PAYLOAD', AMZ_DATE, SCOPE, previous, EMPTY_SHA256, hash].join('\n'), {
      signingDate: SIGNING_DATE,
    }),
  trailerSignature: (previous, hash) =>
    signer.sign(['AWS4-HMAC-SHA256-TRAILER', AMZ_DATE, SCOPE, previous, hash].join('\n'), {
      signingDate: SIGNING_DATE,
    }),
};

/** A signed aws-chunked body of `parts`, each chunk's signature chained from the previous one. */
async function signedChunked(parts: readonly string[]): Promise<string> {
  let previous = SEED;
  let body = '';
  for (const part of [...parts, '']) {
    const signature = await chunks.chunkSignature(previous, createHash('sha256').update(part).digest('hex'));
    body += `${Buffer.byteLength(part).toString(16)};chunk-signature=${signature}\r\n${part}\r\n`;
    previous = signature;
  }
  return body;
}

/** A body delivered in pieces of `size` bytes, so framing is split at every possible place. */
function piecesOf(text: string, size: number): Readable {
  const bytes = Buffer.from(text);
  const pieces: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += size) pieces.push(bytes.subarray(start, start + size));
  return Readable.from(pieces);
}

describe('receiveUpload', () => {
  let folder: string;
  let options: ReceiveUploadOptions;

  beforeEach(() => {
    folder = temporaryDirectory('upload-');
    options = {
      file: path.join(folder, 'upload'),
      payloadHash: 'UNSIGNED-PAYLOAD',
      headers: {},
      limit: { bytes: 1024, reason: 'a test limit' },
      tooLarge: (received) => new AwsError('EntityTooLarge', `too large: ${received}`),
    };
  });

  afterEach(() => {
    removeDirectory(folder);
  });

  it('writes a plain body to the file with its size and digests', async () => {
    const upload = await receiveUpload(Readable.from([Buffer.from('SELECT 1;')]), options);

    expect(readFileSync(upload.file, 'utf8')).toBe('SELECT 1;');
    expect(upload.size).toBe(9);
    expect(upload.md5.toString('hex')).toBe(createHash('md5').update('SELECT 1;').digest('hex'));
  });

  it('rejects a body whose SHA-256 is not the declared one (XAmzContentSHA256Mismatch) and removes the file', async () => {
    const declared = createHash('sha256').update('SELECT 1;').digest('hex');

    const received = receiveUpload(Readable.from([Buffer.from('DROP TABLE users;')]), {
      ...options,
      payloadHash: declared,
    });

    await expect(received).rejects.toMatchObject({ code: 'XAmzContentSHA256Mismatch' });
    expect(existsSync(options.file)).toBe(false);
  });

  it('stops at the first byte past the limit and removes the file', async () => {
    const received = receiveUpload(Readable.from([Buffer.alloc(1000), Buffer.alloc(1000)]), options);

    await expect(received).rejects.toMatchObject({ code: 'EntityTooLarge' });
    expect(existsSync(options.file)).toBe(false);
  });

  it('rejects an upload whose announced size is over the limit before reading it, creating no file', async () => {
    const received = receiveUpload(Readable.from([Buffer.from('x')]), {
      ...options,
      headers: { 'content-length': String(6 * 1024 ** 3) },
    });

    await expect(received).rejects.toMatchObject({
      code: 'EntityTooLarge',
      message: 'too large: 6,442,450,944 bytes (content-length)',
    });
    expect(existsSync(options.file)).toBe(false);
  });

  it('decodes an unsigned aws-chunked body with its trailer, whatever the pieces it arrives in', async () => {
    const body = '5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n';

    for (const size of [1, 2, 3, 7, body.length]) {
      const file = path.join(folder, `chunked-${size}`);
      const upload = await receiveUpload(piecesOf(body, size), {
        ...options,
        file,
        payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        headers: { 'x-amz-decoded-content-length': '11' },
      });

      expect(readFileSync(file, 'utf8')).toBe('hello world');
      expect(upload.trailers).toEqual({ 'x-amz-checksum-crc32': 'DUoRhQ==' });
    }
  });

  it('verifies each chunk signature of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body', async () => {
    const body = await signedChunked(['hello ', 'world']);

    const upload = await receiveUpload(piecesOf(body, 5), {
      ...options,
      payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      chunks,
    });

    expect(readFileSync(upload.file, 'utf8')).toBe('hello world');
  });

  it('rejects a signed chunk whose data was changed (SignatureDoesNotMatch)', async () => {
    const body = (await signedChunked(['hello ', 'world'])).replace('world', 'WORLD');

    const received = receiveUpload(piecesOf(body, 64), {
      ...options,
      payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      chunks,
    });

    await expect(received).rejects.toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    expect(existsSync(options.file)).toBe(false);
  });

  it('rejects a signed stream whose chunks carry no signature', async () => {
    const received = receiveUpload(Readable.from([Buffer.from('5\r\nhello\r\n0\r\n\r\n')]), {
      ...options,
      payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      chunks,
    });

    await expect(received).rejects.toMatchObject({
      code: 'IncompleteBody',
      message: expect.stringContaining('has no chunk-signature'),
    });
  });

  it.each([
    ['ends before its final chunk', '5\r\nhello\r\n'],
    ['has a size that is not hexadecimal', 'zz\r\nhello\r\n0\r\n\r\n'],
    ['continues after its final chunk', '5\r\nhello\r\n0\r\n\r\nmore'],
    ['has a chunk not ended by CRLF', '5\r\nhelloXX0\r\n\r\n'],
  ])('rejects an aws-chunked body that %s (IncompleteBody)', async (_, body) => {
    const received = receiveUpload(Readable.from([Buffer.from(body)]), {
      ...options,
      payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
    });

    await expect(received).rejects.toMatchObject({ code: 'IncompleteBody' });
    expect(existsSync(options.file)).toBe(false);
  });

  it('rejects chunks holding another length than x-amz-decoded-content-length', async () => {
    const received = receiveUpload(Readable.from([Buffer.from('5\r\nhello\r\n0\r\n\r\n')]), {
      ...options,
      payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      headers: { 'x-amz-decoded-content-length': '9' },
    });

    await expect(received).rejects.toMatchObject({ code: 'IncompleteBody' });
  });
});
