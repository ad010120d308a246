import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Faults, renderAwsError } from './faults';
import { AwsError, type LocalRequest, type LocalResponse, type LocalService } from './service';

/** The account id of the local "account" unless told otherwise. */
export const LOCAL_ACCOUNT_ID = '000000000000';
const DEFAULT_REGION = 'us-east-1';

export interface LocalEndpointOptions {
  /** The services to serve, each under its SigV4 service name (`rds`, `secretsmanager`, `s3`, ...). */
  readonly services: readonly LocalService[];
  /**
   * The port on 127.0.0.1.
   * @default - a free port chosen by the system
   */
  readonly port?: number;
  /**
   * Throttling and one-off failures, read on every request.
   * @default - no faults
   */
  readonly faults?: Faults;
  /**
   * The account id in ARNs.
   * @default '000000000000'
   */
  readonly account?: string;
  /**
   * Told about every exception a service did not turn into an AwsError (answered with 500 InternalFailure).
   * @default - written to stderr
   */
  readonly onError?: (error: unknown, request: LocalRequest) => void;
}

export interface LocalEndpoint {
  /** `http://127.0.0.1:<port>`, the value for `AWS_ENDPOINT_URL`. */
  readonly url: string;
  readonly port: number;
  /** Stops the server and closes every service. */
  close(): Promise<void>;
}

/**
 * Starts the local AWS endpoint: one HTTP server on 127.0.0.1 that routes each SDK call to the service
 * named in its SigV4 credential scope (`Credential=<key>/<date>/<region>/<service>/aws4_request`).
 */
export async function startLocalEndpoint(options: LocalEndpointOptions): Promise<LocalEndpoint> {
  const services = new Map<string, LocalService>();
  for (const service of options.services) {
    if (services.has(service.name)) throw new Error(`Two local services are named "${service.name}"`);
    services.set(service.name, service);
  }
  const account = options.account ?? LOCAL_ACCOUNT_ID;
  const onError = options.onError ?? reportToStderr;

  const server = createServer((req, res) => {
    void serve(req, res);
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let request: LocalRequest | undefined;
    let response: LocalResponse;
    try {
      request = await readRequest(req, account);
      response = await dispatch(request);
    } catch (error: unknown) {
      const failed = request ?? emptyRequest(req, account);
      onError(error, failed);
      const message = `The local ${failed.service || 'AWS'} endpoint failed: ${error instanceof Error ? error.message : String(error)}`;
      response = renderAwsError(failed, new AwsError('InternalFailure', message, 500, false));
    }
    try {
      writeResponse(res, req.method ?? 'GET', response);
    } catch (error: unknown) {
      // A response Node refuses to send (say, a header value with a newline): the client sees a reset.
      onError(error, request ?? emptyRequest(req, account));
      res.destroy();
    }
  }

  async function dispatch(request: LocalRequest): Promise<LocalResponse> {
    const service = services.get(request.service);
    if (!service) return renderAwsError(request, unknownService(request, [...services.keys()]));
    const fault = await options.faults?.faultFor(request);
    if (fault) return renderAwsError(request, fault);
    return service.handle(request);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      for (const service of services.values()) await service.close?.();
    },
  };
}

async function readRequest(req: IncomingMessage, account: string): Promise<LocalRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const request = emptyRequest(req, account);
  request.body = Buffer.concat(chunks);
  return request;
}

/** The request without its body, routed by its credential scope. */
function emptyRequest(req: IncomingMessage, account: string): LocalRequest {
  // Not `new URL()`: it would resolve `..` segments, and an S3 key may contain them.
  const target = req.url ?? '/';
  const queryStart = target.indexOf('?');
  const pathname = queryStart < 0 ? target : target.slice(0, queryStart);
  const query = new URLSearchParams(queryStart < 0 ? '' : target.slice(queryStart + 1));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const scope = credentialScope(headers.authorization ?? query.get('X-Amz-Credential') ?? '');
  // An unsigned request to `<bucket>.localhost` can only be S3.
  const virtualHostS3 = /.\.localhost(:\d+)?$/.test(headers.host ?? '');
  return {
    method: req.method ?? 'GET',
    path: pathname,
    query,
    headers,
    body: Buffer.alloc(0),
    service: scope?.service ?? (virtualHostS3 ? 's3' : ''),
    region: scope?.region ?? DEFAULT_REGION,
    account,
  };
}

/** Region and service from `Credential=<key>/<date>/<region>/<service>/aws4_request` (header or presigned URL). */
export function credentialScope(text: string): { region: string; service: string } | undefined {
  const match = /(?:Credential=)?[^/\s,=]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(text);
  if (!match?.[1] || !match[2]) return undefined;
  return { region: match[1], service: match[2] };
}

function unknownService(request: LocalRequest, known: readonly string[]): AwsError {
  const served = known.length > 0 ? known.join(', ') : 'none';
  if (request.service === '') {
    return new AwsError(
      'MissingAuthenticationToken',
      'The local AWS endpoint routes each request by the service name in its SigV4 Authorization header ' +
        `(Credential=<key>/<date>/<region>/<service>/aws4_request), and this request has none; send it with an AWS SDK client. Services served: ${served}`,
    );
  }
  return new AwsError(
    'UnknownService',
    `The local AWS endpoint does not emulate the service "${request.service}"; it serves ${served}. ` +
      `Point this client at real AWS, or add a local ${request.service} service`,
  );
}

function writeResponse(res: ServerResponse, method: string, response: LocalResponse): void {
  const body =
    response.body === undefined
      ? Buffer.alloc(0)
      : Buffer.isBuffer(response.body)
        ? response.body
        : Buffer.from(response.body, 'utf8');
  const headers: Record<string, string> = { 'x-amzn-requestid': randomUUID(), ...response.headers };
  // A HEAD response announces the length of the body a GET would return; the service sets it.
  if (method !== 'HEAD' || headers['content-length'] === undefined)
    headers['content-length'] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(method === 'HEAD' ? undefined : body);
}

function reportToStderr(error: unknown, request: LocalRequest): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    `local AWS endpoint: ${request.service} ${request.method} ${request.path} failed: ${detail}\n`,
  );
}
