import { Readable } from 'node:stream';
import type { HttpRequest } from '@smithy/types';
import { credentialScope, LOCAL_ACCOUNT_ID } from '../../../../local/endpoint/server';
import type { LocalRequest } from '../../../../local/endpoint/service';
import type { AccessRequest, Principal } from '../../../../local/iam/access';

/** The region every captured request is signed for. */
export const REGION = 'eu-west-1';
export const ACCOUNT = LOCAL_ACCOUNT_ID;
/** Another account, for shared snapshots and clusters. */
export const OTHER_ACCOUNT = '111122223333';

/** A step function's role session, as the endpoint would attach it to a verified request. */
export const STEP_ROLE: Principal = {
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/RestoreFunctionRole/restore`,
  account: ACCOUNT,
  identityArn: `arn:aws:iam::${ACCOUNT}:role/RestoreFunctionRole`,
  policies: [],
};

class Captured extends Error {}

/** What an SDK client is given to send nothing: it signs the request, which `send` hands back instead. */
export interface CaptureConfig {
  readonly region: string;
  readonly endpoint: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly maxAttempts: number;
  readonly forcePathStyle: boolean;
  readonly requestHandler: { handle(request: HttpRequest): Promise<never> };
}

/**
 * Builds requests with the real SDK clients and no network: each client gets a request handler that keeps the
 * signed HttpRequest and fails the call; `localRequest` turns it into the LocalRequest the endpoint would
 * hand a service (as local/endpoint/server.ts reads an HTTP request), signed by `caller`.
 */
export class SdkRequests {
  private last?: HttpRequest;

  readonly config: CaptureConfig = {
    region: REGION,
    endpoint: 'http://127.0.0.1:4566',
    credentials: { accessKeyId: 'ASIALOCALSTEPFUNCTION', secretAccessKey: 'local-secret' },
    maxAttempts: 1,
    forcePathStyle: true,
    requestHandler: {
      handle: async (request: HttpRequest) => {
        this.last = request;
        throw new Captured('captured');
      },
    },
  };

  /** The request `client.send(command)` makes. */
  async localRequest(
    client: { send(command: never): Promise<unknown> },
    command: unknown,
    caller: Principal = STEP_ROLE,
  ): Promise<LocalRequest> {
    this.last = undefined;
    await client.send(command as never).catch((error: unknown) => {
      if (!(error instanceof Captured)) throw error;
    });
    const request = this.last as HttpRequest | undefined;
    if (!request) throw new Error('The SDK client sent no request');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = String(value);
    const scope = credentialScope(headers.authorization ?? '');
    if (!scope) throw new Error('The captured request is not signed');
    return {
      method: request.method,
      path: request.path,
      query: queryOf(request.query),
      headers,
      body: await bodyOf(request.body),
      service: scope.service,
      region: scope.region,
      account: ACCOUNT,
      caller,
    };
  }
}

/** An SDK client class: what `capturing` makes a client of. */
type ClientClass<C> = new (
  config: CaptureConfig,
) => C & {
  send(command: never): Promise<unknown>;
  destroy(): void;
};

/**
 * A client of `Client` that sends nothing (destroyed after the file's tests) and the LocalRequest of each command:
 * `requestOf(command)` is what the endpoint would hand the service.
 */
export function capturing<C>(Client: ClientClass<C>) {
  const sdk = new SdkRequests();
  const client = new Client(sdk.config);
  afterAll(() => client.destroy());
  return {
    client,
    sdk,
    requestOf: (command: unknown, caller?: Principal) => sdk.localRequest(client, command, caller),
  };
}

/** The accesses `describe` gives for the request each command makes through a capturing `Client`. */
export function accessesThrough<C>(
  Client: ClientClass<C>,
  describe: (request: LocalRequest) => Promise<readonly AccessRequest[]>,
): (command: unknown) => Promise<readonly AccessRequest[]> {
  const { requestOf } = capturing(Client);
  return async (command) => describe(await requestOf(command));
}

function queryOf(query: HttpRequest['query']): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === null || value === undefined) params.append(name, '');
    else if (Array.isArray(value)) for (const item of value) params.append(name, String(item));
    else params.append(name, String(value));
  }
  return params;
}

async function bodyOf(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }
  throw new Error(`The captured request has a body the test cannot read (${typeof body})`);
}

/** The accesses of one action, in order. */
export function accessesOf(accesses: readonly AccessRequest[], action: string): AccessRequest[] {
  return accesses.filter((access) => access.action === action);
}

/** `action` on `resource`, which must be among `accesses`. */
export function accessTo(
  accesses: readonly AccessRequest[],
  action: string,
  resource: string,
): AccessRequest {
  const found = accesses.find((access) => access.action === action && access.resource === resource);
  if (!found) {
    const listed = accesses.map((access) => `${access.action} ${access.resource}`).join('\n  ');
    throw new Error(`No access ${action} on ${resource}; the accesses are:\n  ${listed}`);
  }
  return found;
}

/** `<action> <resource>` of each access, in order: the shape of what a request asks IAM. */
export function summary(accesses: readonly AccessRequest[]): string[] {
  return accesses.map((access) => `${access.action} ${access.resource}`);
}
