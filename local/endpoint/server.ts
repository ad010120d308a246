import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Principal } from '../iam/access';
import type { LocalIdentities } from '../iam/identities';
import { authenticate } from './auth/authenticate';
import { AuthenticationError } from './auth/authentication-errors';
import { type Authorizer, authorizeRequest } from './auth/authorize';
import { refuseBrowserRequest } from './auth/browser-requests';
import {
  declaredPayloadHash,
  isBodyHash,
  readRequestSignature,
  type SignedRequestHead,
} from './auth/request-signature';
import {
  addressedService,
  type ServiceProtocol,
  serviceProtocol,
  wireProtocol,
} from './auth/service-protocols';
import { type Faults, protocolOf, renderAwsError } from './faults';
import { BodyTooLargeError, bodyLimitOf, readLimitedBody } from './request-body';
import { AwsError, type LocalRequest, type LocalResponse, type LocalService } from './service';
import { isUploadingService, receiveUpload, type UploadRequest } from './upload-body';

/** The account id of the local "account" unless told otherwise. */
export const LOCAL_ACCOUNT_ID = '000000000000';
const DEFAULT_REGION = 'us-east-1';

export interface LocalEndpointOptions {
  /** The services to serve, each under its SigV4 service name (`rds`, `secretsmanager`, `s3`, ...). */
  readonly services: readonly LocalService[];
  /**
   * The account's identities: every request must be signed (SigV4) with the credentials of one of them, and is
   * served as that principal (`request.caller`).
   */
  readonly identities: LocalIdentities;
  /**
   * Local IAM: decides each access a request needs (the services' `accessRequests`) for its caller; a request with
   * a denied access gets AWS's access-denied error.
   * @default - no IAM evaluation: every correctly signed request is served
   */
  readonly authorize?: Authorizer;
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
   * @default - the identities' account
   */
  readonly account?: string;
  /**
   * Told about every exception a service did not turn into an AwsError (answered with 500 InternalFailure).
   * @default - written to stderr
   */
  readonly onError?: (error: unknown, request: LocalRequest) => void;
  /**
   * The endpoint's clock, which signatures' times are checked against.
   * @default - the system clock
   */
  readonly now?: () => Date;
}

export interface LocalEndpoint {
  /** `http://127.0.0.1:<port>`, the value for `AWS_ENDPOINT_URL`. */
  readonly url: string;
  readonly port: number;
  /** Stops the server and closes every service. */
  close(): Promise<void>;
}

/**
 * Starts the local AWS endpoint: one HTTP server on 127.0.0.1 that routes each SDK call to the service named in
 * its SigV4 credential scope (`Credential=<key>/<date>/<region>/<service>/aws4_request`). Each request goes
 * through what AWS does before a service sees it: its body is read within the service's limit, its signature is
 * verified with the account's credentials, requests from web pages are refused, then (after injected faults) IAM
 * decides, and only then the service handles it.
 */
export async function startLocalEndpoint(options: LocalEndpointOptions): Promise<LocalEndpoint> {
  const services = new Map<string, LocalService>();
  for (const service of options.services) {
    if (services.has(service.name)) throw new Error(`Two local services are named "${service.name}"`);
    services.set(service.name, service);
  }
  const account = options.account ?? options.identities.account;
  const onError = options.onError ?? reportToStderr;
  const now = options.now ?? (() => new Date());

  const server = createServer((req, res) => {
    void serve(req, res);
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = emptyRequest(req, account);
    let response: LocalResponse;
    try {
      response = await receive(req, request);
    } catch (error: unknown) {
      if (error instanceof AwsError) {
        response = renderError(request, error);
      } else {
        onError(error, request);
        const message = `The local ${request.service || 'AWS'} endpoint failed: ${error instanceof Error ? error.message : String(error)}`;
        response = renderError(request, new AwsError('InternalFailure', message, 500, false));
      }
    }
    // An upload the service did not take (refused by a fault or IAM, or failed) leaves no file behind.
    const upload = (request as UploadRequest).upload;
    if (upload) await rm(upload.file, { force: true });
    try {
      writeResponse(req, res, response);
    } catch (error: unknown) {
      // A response Node refuses to send (say, a header value with a newline): the client sees a reset.
      onError(error, request);
      res.destroy();
    }
  }

  async function receive(req: IncomingMessage, request: LocalRequest): Promise<LocalResponse> {
    const head = signedHead(req, request);
    const addressed = addressedService(request.headers);
    const signature = readRequestSignature(head, protocolFor(request));
    if (signature === undefined) throw unsigned(request, [...services.keys()]);
    if (addressed !== undefined && addressed !== request.service) {
      const scoped = request.service;
      request.service = addressed;
      throw new AuthenticationError(
        'mismatch',
        serviceProtocol(addressed),
        `Credential should be scoped to correct service: '${addressed}' (the credential scope names '${scoped}').`,
      );
    }
    const service = services.get(request.service);
    if (!service) throw unknownService(request, [...services.keys()]);
    const protocol = serviceProtocol(service.name);
    if (signature.location === 'query') refuseQueryCredentials(service.name, protocol);

    const declared = declaredPayloadHash(head, signature, protocol);
    const limit = bodyLimitOf(service.name);
    const tooLarge = (received: string) => new BodyTooLargeError(service.name, protocol, limit, received);
    const read = () => readLimitedBody(req, request.headers['content-length'], tooLarge, limit);
    const unread = declared === undefined ? await read() : undefined;

    const authentication = await authenticate(head, signature, declared ?? unread?.sha256 ?? '', {
      identities: options.identities,
      service: service.name,
      protocol,
      now: now(),
    });
    const caller: Principal = authentication.principal;
    request.caller = caller;
    refuseBrowserRequest(request);

    const uploadFolder = isUploadingService(service) ? service.uploadFolder(request) : undefined;
    if (unread !== undefined) {
      request.body = unread.body;
    } else if (uploadFolder !== undefined && isUploadingService(service)) {
      (request as UploadRequest).upload = await receiveUpload(req, {
        file: path.join(uploadFolder, randomUUID()),
        payloadHash: declared ?? '',
        headers: request.headers,
        chunks: authentication.chunks,
        limit: service.uploadLimit,
        tooLarge: (received) =>
          new BodyTooLargeError(service.name, protocol, service.uploadLimit, received, true),
      });
    } else {
      const { body, sha256 } = await read();
      if (declared !== undefined && isBodyHash(declared) && sha256 !== declared) {
        throw protocol === 's3'
          ? new AwsError(
              'XAmzContentSHA256Mismatch',
              "The provided 'x-amz-content-sha256' header does not match what was computed.",
            )
          : new AuthenticationError(
              'mismatch',
              protocol,
              'The body is not the one X-Amz-Content-SHA256 signs.',
            );
      }
      request.body = body;
    }

    const fault = await options.faults?.faultFor(request);
    if (fault) return renderError(request, fault);
    if (options.authorize) {
      const denied = await authorizeRequest(
        service,
        { ...request, caller },
        {
          authorize: options.authorize,
          administratorArn: options.identities.administrator.principal.arn,
        },
      );
      if (denied) return renderError(request, denied);
    }
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

/** The request without its body, routed by its credential scope. */
function emptyRequest(req: IncomingMessage, account: string): LocalRequest {
  const { pathname, rawQuery } = splitTarget(req.url);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const query = new URLSearchParams(rawQuery);
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

/** Path and query string as received. Not `new URL()`: it would resolve `..` segments, and an S3 key may contain them. */
function splitTarget(target = '/'): { pathname: string; rawQuery: string } {
  const queryStart = target.indexOf('?');
  return {
    pathname: queryStart < 0 ? target : target.slice(0, queryStart),
    rawQuery: queryStart < 0 ? '' : target.slice(queryStart + 1),
  };
}

function signedHead(req: IncomingMessage, request: LocalRequest): SignedRequestHead {
  return {
    method: request.method,
    rawPath: request.path,
    rawQuery: splitTarget(req.url).rawQuery,
    headers: request.headers,
  };
}

/** Region and service from `Credential=<key>/<date>/<region>/<service>/aws4_request` (header or presigned URL). */
export function credentialScope(text: string): { region: string; service: string } | undefined {
  const match = /(?:Credential=)?[^/\s,=]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(text);
  if (!match?.[1] || !match[2]) return undefined;
  return { region: match[1], service: match[2] };
}

/** The protocol of the request's service; for a request naming none, the one its content type suggests. */
function protocolFor(request: LocalRequest): ServiceProtocol {
  if (request.service !== '') return serviceProtocol(request.service);
  return protocolOf(request) === 'query' ? 'query' : 'json';
}

function renderError(request: LocalRequest, error: AwsError): LocalResponse {
  return renderAwsError(request, error, undefined, wireProtocol(protocolFor(request)));
}

function unsigned(request: LocalRequest, known: readonly string[]): AuthenticationError {
  const served = known.length > 0 ? known.join(', ') : 'none';
  return new AuthenticationError(
    'missing',
    protocolFor(request),
    'The local AWS endpoint serves only requests signed with Signature Version 4 by the local account ' +
      '(Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ...); send it ' +
      `with an AWS SDK client and the account's credentials. Services served: ${served}`,
  );
}

/**
 * Presigned (query-string) credentials are taken where AWS takes them: by S3, whose presigned URLs are the common
 * case (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html), and by Query services,
 * whose Common Parameters include X-Amz-Credential and X-Amz-Signature
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonParameters.html). JSON and REST-JSON services
 * name the operation in a header and take the input as a JSON body, which a URL cannot carry: local mode refuses
 * query-string credentials there (no dbrefresh client presigns such a request).
 */
function refuseQueryCredentials(service: string, protocol: ServiceProtocol): void {
  if (protocol === 's3' || protocol === 'query') return;
  throw new AuthenticationError(
    'missing',
    protocol,
    `The local ${service} endpoint takes credentials only in the Authorization header, not as X-Amz-* query ` +
      'parameters: an AWS JSON service names its operation in the X-Amz-Target header and takes a JSON body, which ' +
      'a presigned URL cannot carry. Sign the request with an SDK client.',
  );
}

function unknownService(request: LocalRequest, known: readonly string[]): AwsError {
  const served = known.length > 0 ? known.join(', ') : 'none';
  return new AwsError(
    'UnknownService',
    `The local AWS endpoint does not emulate the service "${request.service}"; it serves ${served}. ` +
      `Point this client at real AWS, or add a local ${request.service} service`,
  );
}

/** How long a client sending a body the endpoint refused may go on before the connection is dropped. */
const REFUSED_BODY_GRACE_MS = 2000;

/**
 * Sends the response. When the request's body was not read to its end (refused before or while reading it), the
 * connection is closed after the response: the endpoint half-closes it (the client reads the answer, then the end),
 * discards what the client still sends without holding it, and drops the connection shortly after.
 */
function writeResponse(req: IncomingMessage, res: ServerResponse, response: LocalResponse): void {
  const method = req.method ?? 'GET';
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
  const unread = !req.complete;
  if (unread) headers.connection = 'close';
  const socket = req.socket;
  if (unread && socket) {
    // Node destroys a `Connection: close` socket as soon as the response is out, which resets it under a client
    // still sending: the client may then never read the answer. Half-close instead (Node discards what still
    // arrives), and drop the connection after a grace period.
    socket.destroySoon = () => {
      socket.end();
      setTimeout(() => socket.destroy(), REFUSED_BODY_GRACE_MS).unref();
    };
  }
  res.writeHead(response.status, headers);
  res.end(method === 'HEAD' ? undefined : body);
}

function reportToStderr(error: unknown, request: LocalRequest): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    `local AWS endpoint: ${request.service} ${request.method} ${request.path} failed: ${detail}\n`,
  );
}
