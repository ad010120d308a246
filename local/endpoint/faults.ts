import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import * as z from 'zod';
import { AwsError, type LocalRequest, type LocalResponse } from './service';
import { S3Error, s3Address } from './services/s3-names';

/** Answers a fraction of a service's calls (optionally one action's) with AWS's throttling error. */
export const ThrottleRuleSchema = z.object({
  service: z.string(),
  /** Only this action, e.g. `DescribeDBInstances`; every action when absent. */
  action: z.string().optional(),
  /** 0 never, 1 always. */
  fraction: z.number().min(0).max(1),
});

/** Fails the next call of `service`/`action` once, then removes itself. */
export const FailOnceRuleSchema = z.object({
  service: z.string(),
  action: z.string(),
  /** The AWS error code; `InternalFailure` (HTTP 500) when absent. */
  code: z.string().optional(),
  message: z.string().optional(),
  /** HTTP status; 500 for InternalFailure/ServiceUnavailable-like codes, 400 otherwise. */
  status: z.number().int().min(400).max(599).optional(),
});

/** What a fault file holds; read again on every request so it can change while the endpoint runs. */
export const FaultConfigSchema = z.object({
  throttle: z.array(ThrottleRuleSchema).optional(),
  failOnce: z.array(FailOnceRuleSchema).optional(),
});
export type FaultConfig = z.output<typeof FaultConfigSchema>;
export type ThrottleRule = z.output<typeof ThrottleRuleSchema>;
export type FailOnceRule = z.output<typeof FailOnceRuleSchema>;

/** How a service speaks, which decides how its errors look. */
export type WireProtocol = 'json' | 'query' | 's3';

const SERVER_FAULT_CODES: ReadonlySet<string> = new Set([
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'InternalServiceError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

interface FaultStorage {
  read(): Promise<FaultConfig>;
  write(config: FaultConfig): Promise<void>;
}

/**
 * Fault injection for the local endpoint: throttling and one-off failures, read per request from a JSON
 * file or an in-memory object, so tests and the CLI can change them while the server runs.
 */
export class Faults {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly storage: FaultStorage,
    private readonly random: () => number,
  ) {}

  /** Faults held in memory; `set` changes them. */
  static inMemory(config: FaultConfig = {}, random: () => number = Math.random): Faults {
    let current = FaultConfigSchema.parse(config);
    return new Faults(
      {
        read: async () => current,
        write: async (next) => {
          current = next;
        },
      },
      random,
    );
  }

  /** Faults read from `file` on every request; a missing file means no faults. */
  static fromFile(file: string, random: () => number = Math.random): Faults {
    return new Faults(
      {
        read: () => readFaultFile(file),
        write: async (next) => {
          const temporary = `${file}.${randomUUID()}.tmp`;
          await writeFile(temporary, `${JSON.stringify(next, null, 2)}\n`);
          await rename(temporary, file);
        },
      },
      random,
    );
  }

  /** The faults in force now. */
  get(): Promise<FaultConfig> {
    return this.storage.read();
  }

  /** Replaces the faults (in a file source: rewrites the file). */
  set(config: FaultConfig): Promise<void> {
    const parsed = FaultConfigSchema.parse(config);
    return this.serialized(() => this.storage.write(parsed));
  }

  /**
   * The error to answer instead of calling the service, or undefined. A matching failOnce rule is removed
   * as it fires; checks run one at a time so two concurrent calls cannot both consume it.
   */
  faultFor(request: LocalRequest): Promise<AwsError | undefined> {
    return this.serialized(async () => {
      const config = await this.storage.read();
      const action = actionOf(request);
      const failOnce = config.failOnce ?? [];
      const index = failOnce.findIndex((rule) => rule.service === request.service && rule.action === action);
      const rule = failOnce[index];
      if (rule) {
        await this.storage.write({ ...config, failOnce: failOnce.filter((_, i) => i !== index) });
        const code = rule.code ?? 'InternalFailure';
        const status = rule.status ?? (SERVER_FAULT_CODES.has(code) ? 500 : 400);
        return new AwsError(
          code,
          rule.message ?? `Injected failure of ${request.service} ${action}`,
          status,
          status < 500,
        );
      }
      const throttled = (config.throttle ?? []).some(
        (t) =>
          t.service === request.service &&
          (t.action === undefined || t.action === action) &&
          this.random() < t.fraction,
      );
      return throttled ? throttlingError(protocolOf(request)) : undefined;
    });
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

async function readFaultFile(file: string): Promise<FaultConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const expected =
    'Expected {"throttle": [{"service", "fraction", "action"?}], "failOnce": [{"service", "action", "code"?, "message"?}]}';
  let json: unknown;
  try {
    json = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error: unknown) {
    throw new Error(`Fault file ${file} is not JSON (${(error as Error).message}). ${expected}`, {
      cause: error,
    });
  }
  const parsed = FaultConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`Fault file ${file} is not valid: ${z.prettifyError(parsed.error)}. ${expected}`);
  }
  return parsed.data;
}

/** The error AWS answers a throttled call with, in the protocol's own terms. */
export function throttlingError(protocol: WireProtocol): AwsError {
  if (protocol === 's3') return new AwsError('SlowDown', 'Please reduce your request rate.', 503, false);
  return new AwsError(protocol === 'query' ? 'Throttling' : 'ThrottlingException', 'Rate exceeded', 400);
}

/** How the request is encoded: JSON (X-Amz-Target or an x-amz-json content type), S3 REST-XML, or Query. */
export function protocolOf(request: Pick<LocalRequest, 'service' | 'headers'>): WireProtocol {
  if (request.service === 's3') return 's3';
  const contentType = request.headers['content-type'] ?? '';
  if (contentType.startsWith('application/x-www-form-urlencoded')) return 'query';
  return 'json';
}

/**
 * The operation a request calls: the `X-Amz-Target` suffix (JSON), the `Action` parameter (Query), or
 * for S3 the REST operation its method and path stand for.
 */
export function actionOf(request: LocalRequest): string {
  const target = request.headers['x-amz-target'];
  if (target) return target.slice(target.lastIndexOf('.') + 1);
  if (request.service === 's3') return s3ActionOf(request);
  const fromQuery = request.query.get('Action');
  if (fromQuery) return fromQuery;
  if (protocolOf(request) === 'query') {
    return new URLSearchParams(request.body.toString('utf8')).get('Action') ?? '';
  }
  return '';
}

function s3ActionOf(request: LocalRequest): string {
  const objectLevel = s3Address(request.headers, request.path).key !== '';
  switch (request.method) {
    case 'GET':
      if (objectLevel) return 'GetObject';
      return request.query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
    case 'PUT':
      return objectLevel ? 'PutObject' : 'CreateBucket';
    case 'HEAD':
      return objectLevel ? 'HeadObject' : 'HeadBucket';
    case 'DELETE':
      return objectLevel ? 'DeleteObject' : 'DeleteBucket';
    default:
      return request.method;
  }
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escapes text for an XML element or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

/**
 * Renders an AwsError the way the request's protocol expects: `{"__type"}` JSON for JSON services,
 * `<ErrorResponse>` for Query services, `<Error>` for S3. The SDK reads the code and message from it.
 */
export function renderAwsError(
  request: Pick<LocalRequest, 'service' | 'headers' | 'method'>,
  error: AwsError,
  requestId: string = randomUUID(),
  protocol: WireProtocol = protocolOf(request),
): LocalResponse {
  if (protocol === 'json') {
    return {
      status: error.status,
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': error.code,
        'x-amzn-requestid': requestId,
      },
      body: JSON.stringify({ __type: error.code, message: error.message }),
    };
  }
  const code = escapeXml(error.code);
  const message = escapeXml(error.message);
  if (protocol === 's3') {
    // S3 names what the error is about (`<BucketName>`, `<Key>`): https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
    const details = Object.entries(error instanceof S3Error ? error.details : {})
      .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
      .join('');
    return {
      status: error.status,
      headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
      // A HEAD response has no body; S3 clients then go by the status alone.
      body:
        request.method === 'HEAD'
          ? undefined
          : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
            `${details}<RequestId>${requestId}</RequestId></Error>`,
    };
  }
  return {
    status: error.status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<ErrorResponse><Error><Type>${error.senderFault ? 'Sender' : 'Receiver'}</Type>` +
      `<Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}
