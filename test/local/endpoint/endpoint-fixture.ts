import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../../local/endpoint/auth/node-sha256';
import {
  LOCAL_ACCOUNT_ID,
  type LocalEndpoint,
  type LocalEndpointOptions,
  startLocalEndpoint,
} from '../../../local/endpoint/server';
import type { LocalCredentials } from '../../../local/iam/identities';
import { LocalIdentities } from '../../../local/iam/identities';

/** The identities each endpoint a test started signs with: its administrator's, unless the test says otherwise. */
const endpointIdentities = new WeakMap<LocalEndpoint, LocalIdentities>();

/**
 * A fresh account's identities: the administrator's key pair is created in a temporary directory, kept in
 * memory, and the directory removed.
 */
export function testIdentities(account: string = LOCAL_ACCOUNT_ID): LocalIdentities {
  const directory = temporaryDirectory('identities-');
  try {
    return LocalIdentities.open(directory, account);
  } finally {
    removeDirectory(directory);
  }
}

/** The identities of an endpoint started with `startEndpoint`. */
export function identitiesOf(endpoint: LocalEndpoint): LocalIdentities {
  const identities = endpointIdentities.get(endpoint);
  if (!identities) throw new Error('This endpoint was not started with startEndpoint of endpoint-fixture');
  return identities;
}

/**
 * SDK client settings that send every call to `endpoint` once (no retries), signed with the endpoint account's
 * administrator credentials (or the credentials given).
 */
export function clientConfig(endpoint: LocalEndpoint, credentials?: LocalCredentials) {
  return {
    endpoint: endpoint.url,
    region: 'eu-west-1',
    credentials: credentials ?? identitiesOf(endpoint).administrator.credentials,
    maxAttempts: 1,
  };
}

/** The endpoint's options, with a fresh account's identities unless given. */
export type TestEndpointOptions = Omit<LocalEndpointOptions, 'identities'> & {
  readonly identities?: LocalIdentities;
};

/** Starts the endpoint for a test file; remember to `close()` it in afterAll. */
export async function startEndpoint(options: TestEndpointOptions): Promise<LocalEndpoint> {
  const identities = options.identities ?? testIdentities(options.account);
  const endpoint = await startLocalEndpoint({ onError: () => undefined, ...options, identities });
  endpointIdentities.set(endpoint, identities);
  return endpoint;
}

/** One HTTP request, as a test writes it by hand. */
export interface RawRequest {
  readonly method?: string;
  /** The path as sent, percent-encoded. @default '/' */
  readonly path?: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export interface SigningOptions {
  /** @default - the endpoint account's administrator */
  readonly credentials?: LocalCredentials;
  /** @default - now */
  readonly signingDate?: Date;
  /** @default 'eu-west-1' */
  readonly region?: string;
}

/** The request with the headers the SDK's signer adds (Authorization, X-Amz-Date, X-Amz-Content-SHA256, ...). */
export async function signRequest(
  endpoint: LocalEndpoint,
  service: string,
  raw: RawRequest,
  options: SigningOptions = {},
): Promise<RawRequest> {
  const signed = await signerFor(endpoint, service, options).sign(toHttpRequest(endpoint, raw, 'POST'), {
    signingDate: options.signingDate,
  });
  return { ...raw, headers: signed.headers };
}

/** The request presigned (credentials in the query string), as the SDK's presign makes it. */
export async function presignRequest(
  endpoint: LocalEndpoint,
  service: string,
  raw: RawRequest,
  options: SigningOptions & { readonly expiresIn?: number } = {},
): Promise<RawRequest> {
  const presigned = await signerFor(endpoint, service, options).presign(toHttpRequest(endpoint, raw, 'GET'), {
    signingDate: options.signingDate,
    expiresIn: options.expiresIn ?? 900,
  });
  return { ...raw, headers: presigned.headers, query: presigned.query as Record<string, string> };
}

function signerFor(endpoint: LocalEndpoint, service: string, options: SigningOptions): SignatureV4 {
  return new SignatureV4({
    credentials: options.credentials ?? identitiesOf(endpoint).administrator.credentials,
    region: options.region ?? 'eu-west-1',
    service,
    sha256: NodeSha256,
    uriEscapePath: service !== 's3',
  });
}

function toHttpRequest(endpoint: LocalEndpoint, raw: RawRequest, method: string) {
  return {
    method: raw.method ?? method,
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: endpoint.port,
    path: raw.path ?? '/',
    query: { ...raw.query },
    headers: { host: `127.0.0.1:${endpoint.port}`, ...raw.headers },
    body: raw.body,
  };
}

/** The path and query string a request is sent with (`/a%20b?x=1`), as the endpoint receives it. */
export function targetOf(raw: RawRequest): string {
  const query = new URLSearchParams(raw.query ?? {}).toString().replace(/\+/g, '%20');
  return `${raw.path ?? '/'}${query ? `?${query}` : ''}`;
}

/** A response as a raw test reads it. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

/** Sends a request exactly as given (node:http, no header added but Host and Content-Length). */
export function sendRaw(endpoint: LocalEndpoint, raw: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port: endpoint.port,
        method: raw.method ?? 'POST',
        path: targetOf(raw),
        headers: raw.headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(raw.body);
  });
}

/** Signs a request for `service` and sends it. */
export async function sendSigned(
  endpoint: LocalEndpoint,
  service: string,
  raw: RawRequest,
  options: SigningOptions = {},
): Promise<RawResponse> {
  return sendRaw(endpoint, await signRequest(endpoint, service, raw, options));
}

/** A new, empty temporary directory named after `prefix`; remove it with removeDirectory. */
export function temporaryDirectory(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function removeDirectory(directory: string): void {
  rmSync(directory, { recursive: true, force: true });
}

let names = 0;

/** A name no other test of the file has used: `<prefix>-1`, `<prefix>-2`, ... */
export function uniqueName(prefix: string): string {
  names += 1;
  return `${prefix}-${names}`;
}
