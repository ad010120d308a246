import { createHash, type Hash, timingSafeEqual } from 'node:crypto';
import { type FileHandle, open, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { ChunkSigner } from './auth/authenticate';
import { isBodyHash, isStreamingPayload } from './auth/request-signature';
import type { BodyLimit } from './request-body';
import { AwsError, type LocalRequest } from './service';

/** An upload body received into a file: its size and the digests S3 checks and reports. */
export interface ReceivedUpload {
  /** The temporary file holding the object's bytes (aws-chunked framing removed). */
  readonly file: string;
  readonly size: number;
  readonly md5: Buffer;
  readonly sha1: Buffer;
  readonly sha256: Buffer;
  readonly crc32: number;
  /** Trailing headers of an aws-chunked body (`x-amz-checksum-crc32`, ...), names in lower case. */
  readonly trailers: Readonly<Record<string, string>>;
}

/** A request whose body the endpoint streamed to a file instead of memory (`body` is then empty). */
export interface UploadRequest extends LocalRequest {
  upload?: ReceivedUpload;
}

/** A service that takes some bodies as files: the endpoint streams them into `uploadFolder` as they arrive. */
export interface UploadingService {
  /** The folder for this request's body when it is an upload (S3 PutObject), else undefined. */
  uploadFolder(request: LocalRequest): string | undefined;
  /** The most an upload may hold. */
  readonly uploadLimit: BodyLimit;
}

/** Whether a service takes uploads as files. */
export function isUploadingService(service: object): service is UploadingService {
  return typeof (service as Partial<UploadingService>).uploadFolder === 'function';
}

export interface ReceiveUploadOptions {
  /** The file to write; removed again when the upload fails. */
  readonly file: string;
  /** What the signature covers: the body's hex SHA-256, UNSIGNED-PAYLOAD, or a STREAMING-… form. */
  readonly payloadHash: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The chunk signatures of a signed aws-chunked body; required for STREAMING-AWS4-HMAC-SHA256-PAYLOAD. */
  readonly chunks?: ChunkSigner;
  /** The most the object may hold. */
  readonly limit: BodyLimit;
  readonly tooLarge: (received: string) => AwsError;
}

const LINE_LIMIT_BYTES = 4096;
const CRLF = Buffer.from('\r\n');

/**
 * Streams an upload body into a file, decoding aws-chunked framing and checking what S3 checks as it goes: the
 * payload hash the signature covers, each chunk signature of a signed stream, the declared decoded length, and the
 * size limit (the upload stops at the first byte past it).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 * @throws AwsError (XAmzContentSHA256Mismatch, SignatureDoesNotMatch, IncompleteBody, EntityTooLarge, ...)
 */
export async function receiveUpload(
  stream: Readable,
  options: ReceiveUploadOptions,
): Promise<ReceivedUpload> {
  const chunked =
    isStreamingPayload(options.payloadHash) ||
    (options.headers['content-encoding'] ?? '').split(',').some((coding) => coding.trim() === 'aws-chunked');
  // The object's announced size: refused before a byte is read when it is over the limit.
  const sizeHeader = chunked ? 'x-amz-decoded-content-length' : 'content-length';
  const announced = options.headers[sizeHeader];
  if (announced !== undefined && Number(announced) > options.limit.bytes) {
    throw options.tooLarge(`${Number(announced).toLocaleString('en-US')} bytes (${sizeHeader})`);
  }
  const handle = await open(options.file, 'wx', 0o600);
  const sink = new UploadSink(handle, options);
  try {
    const decoder = chunked ? new AwsChunkedDecoder(sink, options) : undefined;
    const rawHash = createHash('sha256');
    // Leaving the loop early leaves the stream as it is: the endpoint answers before it closes the connection.
    for await (const piece of stream.iterator({ destroyOnReturn: false })) {
      const bytes = piece as Buffer;
      if (decoder) await decoder.push(bytes);
      else {
        rawHash.update(bytes);
        await sink.write(bytes);
      }
    }
    if (decoder) await decoder.end();
    else if (isBodyHash(options.payloadHash) && rawHash.digest('hex') !== options.payloadHash) {
      throw new AwsError(
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    }
    const upload = sink.finish();
    const decodedLength = options.headers['x-amz-decoded-content-length'];
    if (chunked && decodedLength !== undefined && Number(decodedLength) !== upload.size) {
      throw new AwsError(
        'IncompleteBody',
        `You did not provide the number of bytes specified by x-amz-decoded-content-length (${decodedLength}); the chunks held ${upload.size}.`,
      );
    }
    await handle.close();
    return upload;
  } catch (error: unknown) {
    await handle.close().catch(() => undefined);
    await rm(options.file, { force: true });
    throw error;
  }
}

/** Writes the decoded bytes and keeps their size and digests. */
class UploadSink {
  private size = 0;
  private crc = 0;
  private readonly md5 = createHash('md5');
  private readonly sha1 = createHash('sha1');
  private readonly sha256 = createHash('sha256');
  readonly trailers: Record<string, string> = {};

  constructor(
    private readonly handle: FileHandle,
    private readonly options: ReceiveUploadOptions,
  ) {}

  async write(bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return;
    this.size += bytes.length;
    if (this.size > this.options.limit.bytes) {
      throw this.options.tooLarge(`more than ${this.options.limit.bytes.toLocaleString('en-US')} bytes`);
    }
    this.crc = crc32(bytes, this.crc);
    this.md5.update(bytes);
    this.sha1.update(bytes);
    this.sha256.update(bytes);
    await this.handle.write(bytes);
  }

  finish(): ReceivedUpload {
    return {
      file: this.options.file,
      size: this.size,
      md5: this.md5.digest(),
      sha1: this.sha1.digest(),
      sha256: this.sha256.digest(),
      crc32: this.crc,
      trailers: this.trailers,
    };
  }
}

type DecoderState = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

/**
 * `<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n` … `0[;chunk-signature=<sig>]\r\n[<trailer>:<value>\r\n]…\r\n`,
 * decoded as it streams: a line is at most 4 KiB, data goes straight to the sink.
 */
class AwsChunkedDecoder {
  private state: DecoderState = 'size';
  private pending: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private chunkSignature: string | undefined;
  private chunkHash: Hash | undefined;
  private previousSignature: string | undefined;
  private readonly trailerLines: string[] = [];
  private readonly signed: boolean;

  constructor(
    private readonly sink: UploadSink,
    private readonly options: ReceiveUploadOptions,
  ) {
    this.signed = options.payloadHash.startsWith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
    if (this.signed && !options.chunks) throw new Error('A signed aws-chunked body needs the chunk signer');
    this.previousSignature = options.chunks?.seedSignature;
  }

  async push(bytes: Buffer): Promise<void> {
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    while (this.pending.length > 0) {
      if (this.state === 'done') throw incomplete('The aws-chunked body continues after its final chunk.');
      if (this.state === 'data') {
        const take = Math.min(this.remaining, this.pending.length);
        const data = this.pending.subarray(0, take);
        this.pending = this.pending.subarray(take);
        this.remaining -= take;
        this.chunkHash?.update(data);
        await this.sink.write(data);
        if (this.remaining === 0) {
          await this.verifyChunk();
          this.state = 'data-end';
        }
        continue;
      }
      if (this.state === 'data-end') {
        if (this.pending.length < 2) return;
        if (!this.pending.subarray(0, 2).equals(CRLF)) throw incomplete('A chunk does not end with CRLF.');
        this.pending = this.pending.subarray(2);
        this.state = 'size';
        continue;
      }
      const line = this.takeLine();
      if (line === undefined) return;
      if (this.state === 'size') await this.startChunk(line);
      else await this.trailerLine(line);
    }
  }

  async end(): Promise<void> {
    if (this.state !== 'done')
      throw incomplete('The aws-chunked body ended before its final chunk and trailer.');
  }

  private takeLine(): string | undefined {
    const end = this.pending.indexOf(CRLF);
    if (end < 0) {
      if (this.pending.length > LINE_LIMIT_BYTES)
        throw incomplete('An aws-chunked line is longer than 4 KiB.');
      return undefined;
    }
    const line = this.pending.subarray(0, end).toString('latin1');
    this.pending = this.pending.subarray(end + 2);
    return line;
  }

  private async startChunk(line: string): Promise<void> {
    const [sizeText = '', ...extensions] = line.split(';');
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) {
      throw incomplete(
        `The aws-chunked body has a chunk size "${sizeText.slice(0, 20)}" that is not hexadecimal.`,
      );
    }
    const size = Number.parseInt(sizeText, 16);
    this.chunkSignature = extensions
      .map((extension) => /^chunk-signature=([0-9a-f]{64})$/.exec(extension.trim())?.[1])
      .find((signature) => signature !== undefined);
    if (this.signed && this.chunkSignature === undefined) {
      throw incomplete('A chunk of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body has no chunk-signature.');
    }
    this.chunkHash = this.signed ? createHash('sha256') : undefined;
    if (size === 0) {
      await this.verifyChunk();
      this.state = 'trailer';
      return;
    }
    this.remaining = size;
    this.state = 'data';
  }

  private async verifyChunk(): Promise<void> {
    if (!this.signed || !this.options.chunks || this.chunkHash === undefined) return;
    const expected = await this.options.chunks.chunkSignature(
      this.previousSignature ?? '',
      this.chunkHash.digest('hex'),
    );
    if (!sameHex(expected, this.chunkSignature ?? '')) throw chunkMismatch('a chunk');
    this.previousSignature = expected;
  }

  private async trailerLine(line: string): Promise<void> {
    if (line !== '') {
      this.trailerLines.push(line);
      return;
    }
    const trailers: Record<string, string> = {};
    let trailerSignature: string | undefined;
    for (const entry of this.trailerLines) {
      const colon = entry.indexOf(':');
      if (colon <= 0) throw incomplete(`The trailer "${entry.slice(0, 40)}" is not <name>:<value>.`);
      const name = entry.slice(0, colon).trim().toLowerCase();
      const value = entry.slice(colon + 1).trim();
      if (name === 'x-amz-trailer-signature') trailerSignature = value;
      else trailers[name] = value;
    }
    if (this.options.payloadHash === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' && this.options.chunks) {
      const canonical = Object.entries(trailers)
        .map(([name, value]) => `${name}:${value}\n`)
        .join('');
      const expected = await this.options.chunks.trailerSignature(
        this.previousSignature ?? '',
        createHash('sha256').update(canonical).digest('hex'),
      );
      if (!sameHex(expected, trailerSignature ?? '')) throw chunkMismatch('the trailer');
    }
    Object.assign(this.sink.trailers, trailers);
    this.state = 'done';
  }
}

function incomplete(detail: string): AwsError {
  return new AwsError('IncompleteBody', `The request body is not a complete aws-chunked stream: ${detail}`);
}

function chunkMismatch(what: string): AwsError {
  return new AwsError(
    'SignatureDoesNotMatch',
    `The request signature we calculated does not match the signature you provided: the signature of ${what} of the aws-chunked body is wrong.`,
    403,
  );
}

function sameHex(expected: string, given: string): boolean {
  return expected.length === given.length && timingSafeEqual(Buffer.from(expected), Buffer.from(given));
}
