import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ServiceProtocol } from './auth/service-protocols';
import { AwsError } from './service';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** The most a request body may hold for a service, and why that much. */
export interface BodyLimit {
  readonly bytes: number;
  /** The AWS limit it follows, with its page. */
  readonly reason: string;
}

/**
 * Each service's request body limit, from the largest request AWS accepts for the calls the local endpoint serves.
 * A body is refused as soon as it passes its limit, so no request can make the endpoint hold more.
 */
export const REQUEST_BODY_LIMITS: Readonly<Record<string, BodyLimit>> = {
  secretsmanager: {
    bytes: 512 * KiB,
    reason:
      'SecretString and SecretBinary hold at most 65,536 bytes, up to 6 times that once escaped in the JSON request ' +
      '(https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html)',
  },
  sns: {
    bytes: 1 * MiB,
    reason:
      'a message is at most 256 KiB, up to 3 times that once form-encoded ' +
      '(https://docs.aws.amazon.com/sns/latest/api/API_Publish.html)',
  },
  states: {
    bytes: 1 * MiB,
    reason:
      'execution input and task output are at most 256 KiB, up to twice that once escaped in the JSON request ' +
      '(https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html)',
  },
  lambda: {
    bytes: 6 * MiB,
    reason:
      'a synchronous invocation payload is at most 6 MB ' +
      '(https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)',
  },
  dynamodb: {
    bytes: 16 * MiB,
    reason:
      'a DynamoDB request is at most 16 MB ' +
      '(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html)',
  },
  kms: {
    bytes: 64 * KiB,
    reason:
      'plaintext is at most 4,096 bytes and ciphertext 6,144 bytes, base64-encoded in the JSON request ' +
      '(https://docs.aws.amazon.com/kms/latest/APIReference/API_Encrypt.html)',
  },
  scheduler: {
    bytes: 256 * KiB,
    reason:
      "a schedule's target input is at most 8,192 characters " +
      '(https://docs.aws.amazon.com/scheduler/latest/APIReference/API_Target.html)',
  },
};

/** S3 PutObject: the object's bytes, streamed to a file as they arrive, never held in memory. */
export const S3_PUT_OBJECT_LIMIT: BodyLimit = {
  bytes: 5 * GiB,
  reason:
    'a single PUT uploads an object of at most 5 GB ' +
    '(https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html)',
};

/** Every other service: Query and JSON calls whose largest field is far below it (CloudFormation's TemplateBody, the largest, is 51,200 bytes). */
export const DEFAULT_BODY_LIMIT: BodyLimit = {
  bytes: 1 * MiB,
  reason:
    "no call the local endpoint serves takes more; CloudFormation's TemplateBody, the largest field, is at most " +
    '51,200 bytes (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html)',
};

/**
 * S3 requests other than PutObject carry no body in the calls the local S3 serves; S3 refuses an oversized XML
 * body with MaxMessageLengthExceeded (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
 */
export const S3_REQUEST_BODY_LIMIT: BodyLimit = {
  bytes: 1 * MiB,
  reason: 'only PutObject streams a body; other S3 calls take at most an XML document',
};

/** The body limit of a service's requests held in memory (S3 PutObject bodies stream to a file: S3_PUT_OBJECT_LIMIT). */
export function bodyLimitOf(service: string): BodyLimit {
  if (service === 's3') return S3_REQUEST_BODY_LIMIT;
  return (
    (Object.hasOwn(REQUEST_BODY_LIMITS, service) ? REQUEST_BODY_LIMITS[service] : undefined) ??
    DEFAULT_BODY_LIMIT
  );
}

/**
 * The error AWS answers an oversized request with: S3's EntityTooLarge / MaxMessageLengthExceeded
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html), Lambda's RequestTooLargeException
 * (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html), and the 413 RequestEntityTooLarge(Exception)
 * other services list in their Common Errors (https://docs.aws.amazon.com/signer/latest/api/CommonErrors.html).
 */
export class BodyTooLargeError extends AwsError {
  constructor(
    service: string,
    protocol: ServiceProtocol,
    limit: BodyLimit,
    received: string,
    upload = false,
  ) {
    const message =
      `The request body is ${received}, more than the ${limit.bytes.toLocaleString('en-US')} bytes ` +
      `the local ${service} endpoint takes: ${limit.reason}. Send a smaller request.`;
    if (protocol === 's3') super(upload ? 'EntityTooLarge' : 'MaxMessageLengthExceeded', message, 400);
    else if (service === 'lambda') {
      // Lambda's own wording first: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
      super(
        'RequestTooLargeException',
        `Request must be smaller than ${limit.bytes} bytes for the InvokeFunction operation. ${message}`,
        413,
      );
    } else
      super(protocol === 'query' ? 'RequestEntityTooLarge' : 'RequestEntityTooLargeException', message, 413);
  }
}

/** A body read into memory, with its SHA-256 (hex) for the signature. */
export interface ReadBody {
  readonly body: Buffer;
  readonly sha256: string;
}

/**
 * Reads a request body, never holding more than `limit`: a Content-Length above it is refused before reading,
 * and a body without one is refused as soon as it passes the limit (the caller then drops the connection).
 * @throws BodyTooLargeError
 */
export async function readLimitedBody(
  stream: Readable,
  contentLength: string | undefined,
  tooLarge: (received: string) => BodyTooLargeError,
  limit: BodyLimit,
): Promise<ReadBody> {
  const declared = contentLength === undefined ? undefined : Number(contentLength);
  if (declared !== undefined && declared > limit.bytes) {
    throw tooLarge(`${declared.toLocaleString('en-US')} bytes (Content-Length)`);
  }
  const chunks: Buffer[] = [];
  const hash = createHash('sha256');
  let received = 0;
  // Leaving the loop early leaves the stream as it is: the endpoint answers before it closes the connection.
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
    const bytes = chunk as Buffer;
    received += bytes.length;
    if (received > limit.bytes) throw tooLarge(`more than ${limit.bytes.toLocaleString('en-US')} bytes`);
    chunks.push(bytes);
    hash.update(bytes);
  }
  return { body: Buffer.concat(chunks), sha256: hash.digest('hex') };
}
