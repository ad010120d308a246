/**
 * The contract every service of the local AWS endpoint implements.
 *
 * The server parses the HTTP request once (body read, SigV4 service name and region taken from the
 * `Authorization` header) and hands it to the service registered under that name.
 */

import type { AccessRequest, Principal } from '../iam/access';

/** One HTTP request as the local endpoint hands it to a service. */
export interface LocalRequest {
  method: string;
  /** URL path without the query string, e.g. `/` or `/bucket/key`. */
  path: string;
  query: URLSearchParams;
  /** Header names are lower-case. */
  headers: Record<string, string>;
  body: Buffer;
  /** SigV4 service name, e.g. `rds`, `secretsmanager`, `s3`. */
  service: string;
  region: string;
  /** The fixed local account id (default `000000000000`). */
  account: string;
  /** Who signed the request, once the endpoint has verified its signature. */
  caller?: Principal;
}

/** What a service answers; `headers` may omit content-length (the server sets it). */
export interface LocalResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** One emulated AWS service, registered with the server under its SigV4 service name. */
export interface LocalService {
  readonly name: string;
  /**
   * What IAM authorizes for this request, as AWS would: one access per resource the action touches, with the
   * condition keys AWS supplies (see local/iam/access.ts). The endpoint evaluates them against the caller's
   * policies before `handle` runs.
   */
  accessRequests?(request: LocalRequest): Promise<readonly AccessRequest[]> | readonly AccessRequest[];
  handle(request: LocalRequest): Promise<LocalResponse>;
  /** Releases what the service holds (a child server, open files); the endpoint calls it when it closes. */
  close?(): Promise<void>;
}

/** An AWS-style error a service throws; each protocol renders it its own way (XML for Query, JSON for JSON 1.1). */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly senderFault = true,
  ) {
    super(message);
    this.name = 'AwsError';
  }
}
