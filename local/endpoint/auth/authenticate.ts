import { createHash, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import type { Principal } from '../../iam/access';
import type { LocalCredentials, LocalIdentities } from '../../iam/identities';
import { AuthenticationError } from './authentication-errors';
import { NodeSha256 } from './node-sha256';
import {
  parseRawQuery,
  type RequestSignature,
  SIGV4_ALGORITHM,
  type SignedRequestHead,
} from './request-signature';
import type { ServiceProtocol } from './service-protocols';

/**
 * How far a request's time may be from the endpoint's: 15 minutes either way, after which AWS answers "Signature
 * expired" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html, the
 * X-Amz-Date must be within 15 minutes of the service's time; S3 RequestTimeTooSkewed,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
 */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** X-Amz-Expires of a presigned request: 1 second to 7 days, https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html */
export const MAX_PRESIGNED_EXPIRES_SECONDS = 7 * 24 * 60 * 60;

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

export interface AuthenticateOptions {
  /** The account's identities: who each access key belongs to. */
  readonly identities: Pick<LocalIdentities, 'lookup'>;
  /** The SigV4 name of the service the request is served by. */
  readonly service: string;
  readonly protocol: ServiceProtocol;
  /** The endpoint's time. */
  readonly now: Date;
}

/** A verified request: who signed it, and for aws-chunked uploads how its chunks must be signed. */
export interface Authentication {
  readonly principal: Principal;
  /** Signs the chunks of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body, chained from the request's signature. */
  readonly chunks: ChunkSigner;
}

/**
 * The signatures of an aws-chunked body: each chunk's signature covers the previous one and the chunk's SHA-256;
 * the trailer's covers the previous one and the trailing headers' SHA-256.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
export interface ChunkSigner {
  /** The request's own signature, which the first chunk's signature chains from. */
  readonly seedSignature: string;
  chunkSignature(previousSignature: string, chunkSha256: string): Promise<string>;
  trailerSignature(previousSignature: string, trailerSha256: string): Promise<string>;
}

/**
 * Verifies a request's SigV4 signature: the key is one the account issued, the session token is the session's,
 * the time is within the window, the scope is this service's, and the SDK's own signer computes the same
 * signature from the secret of that key (compared in constant time).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
 * @param payloadHash the hash the canonical request ends with: the body's SHA-256, or what S3 lets the request
 *   declare (UNSIGNED-PAYLOAD, STREAMING-…)
 * @throws AuthenticationError naming what is wrong, in the protocol's terms
 */
export async function authenticate(
  head: SignedRequestHead,
  signature: RequestSignature,
  payloadHash: string,
  options: AuthenticateOptions,
): Promise<Authentication> {
  const { protocol } = options;
  const fail = (failure: ConstructorParameters<typeof AuthenticationError>[0], detail: string) =>
    new AuthenticationError(failure, protocol, detail);

  if (signature.scope.service !== options.service) {
    throw fail(
      'mismatch',
      `Credential should be scoped to correct service: '${options.service}' (the credential scope names '${signature.scope.service}').`,
    );
  }
  const signingDate = parseAmzDate(signature.amzDate);
  if (signingDate === undefined) {
    throw fail(
      'incomplete',
      `The request needs X-Amz-Date in ISO 8601 basic format (YYYYMMDD'T'HHMMSS'Z'), got "${signature.amzDate ?? 'nothing'}"; local mode reads the time from X-Amz-Date, as the SDKs send it.`,
    );
  }
  const amzDate = signature.amzDate ?? '';
  if (signature.scope.date !== amzDate.slice(0, 8)) {
    throw fail(
      'mismatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${signature.scope.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  const required = signature.location === 'header' ? ['host', 'x-amz-date'] : ['host'];
  const unsigned = required.filter((name) => !signature.signedHeaders.includes(name));
  if (unsigned.length > 0) {
    throw fail(
      'incomplete',
      `${unsigned.map((name) => `'${name}'`).join(' and ')} must be a 'SignedHeader'.`,
    );
  }

  const identity = options.identities.lookup(signature.accessKeyId);
  if (identity === undefined) {
    throw fail(
      'unknown-key',
      `The local account issued no access key "${signature.accessKeyId}": sign with the administrator's key (credentials.json in the state directory) or a role session's credentials.`,
    );
  }
  checkSessionToken(signature, identity.credentials, fail);
  checkTime(signature, signingDate, options.now, fail);

  const signer = new SignatureV4({
    credentials: identity.credentials,
    region: signature.scope.region,
    service: signature.scope.service,
    sha256: NodeSha256,
    // S3 signs the path as sent; every other service signs it normalised and encoded once more.
    uriEscapePath: options.service !== 's3',
    applyChecksum: false,
  });
  const expected = await expectedSignature(signer, head, signature, payloadHash, signingDate, protocol);
  if (!sameSignature(expected, signature.signature)) {
    throw fail(
      'mismatch',
      `Check that the request is signed with the secret key of ${signature.accessKeyId}, and sent unchanged after signing.`,
    );
  }
  return { principal: identity.principal, chunks: chunkSigner(signer, signature, signingDate) };
}

/** The signature of the canonical request rebuilt from what arrived, computed by the SDK's signer. */
async function expectedSignature(
  signer: SignatureV4,
  head: SignedRequestHead,
  signature: RequestSignature,
  payloadHash: string,
  signingDate: Date,
  protocol: ServiceProtocol,
): Promise<string> {
  const headers: Record<string, string> = {};
  for (const name of signature.signedHeaders) {
    const value = head.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  // The signer reads the payload hash from this header; headers the request did not sign stay out of it.
  const unsignable = new Set(['x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token']);
  for (const name of signature.signedHeaders) unsignable.delete(name);
  headers['x-amz-content-sha256'] = payloadHash;
  const request: HttpRequest = {
    method: head.method,
    protocol: 'http:',
    hostname: (head.headers.host ?? '').replace(/:\d+$/, ''),
    path: head.rawPath,
    query: parseRawQuery(head.rawQuery, protocol).entries,
    headers,
  };
  const signed = await signer.sign(request, {
    signingDate,
    signableHeaders: new Set(signature.signedHeaders),
    unsignableHeaders: unsignable,
  });
  return /Signature=([0-9a-f]+)/.exec(signed.headers.authorization ?? '')?.[1] ?? '';
}

function chunkSigner(signer: SignatureV4, signature: RequestSignature, signingDate: Date): ChunkSigner {
  const scope = `${signature.scope.date}/${signature.scope.region}/${signature.scope.service}/aws4_request`;
  const sign = (stringToSign: string) => signer.sign(stringToSign, { signingDate });
  return {
    seedSignature: signature.signature,
    chunkSignature: (previous, chunkSha256) =>
      sign(
        [`${SIGV4_ALGORITHM}-PAYLOAD`, signature.amzDate, scope, previous, EMPTY_SHA256, chunkSha256].join(
          '\n',
        ),
      ),
    trailerSignature: (previous, trailerSha256) =>
      sign([`${SIGV4_ALGORITHM}-TRAILER`, signature.amzDate, scope, previous, trailerSha256].join('\n')),
  };
}

/**
 * Temporary credentials must come with their session token, and long-term ones without any:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html (X-Amz-Security-Token).
 */
function checkSessionToken(
  signature: RequestSignature,
  credentials: LocalCredentials,
  fail: (failure: 'invalid-token', detail: string) => Error,
): void {
  const expected = credentials.sessionToken;
  const given = signature.sessionToken;
  if (expected === undefined && given !== undefined) {
    throw fail(
      'invalid-token',
      `Access key ${signature.accessKeyId} is a long-term key, and the request carries a session token (X-Amz-Security-Token); send none with it.`,
    );
  }
  if (expected !== undefined && given === undefined) {
    throw fail(
      'invalid-token',
      `Access key ${signature.accessKeyId} is temporary, and the request carries no session token: send the session's token as X-Amz-Security-Token.`,
    );
  }
  if (expected !== undefined && given !== undefined && !sameSecret(expected, given)) {
    throw fail(
      'invalid-token',
      `The session token (X-Amz-Security-Token) is not the one issued with access key ${signature.accessKeyId}.`,
    );
  }
}

function checkTime(
  signature: RequestSignature,
  signingDate: Date,
  now: Date,
  fail: (failure: 'skewed' | 'expired' | 'incomplete', detail: string) => Error,
): void {
  const amzDate = signature.amzDate ?? '';
  if (signature.location === 'query' && signature.expires !== undefined) {
    const seconds = /^\d+$/.test(signature.expires) ? Number(signature.expires) : Number.NaN;
    if (!(seconds >= 1 && seconds <= MAX_PRESIGNED_EXPIRES_SECONDS)) {
      throw fail(
        'incomplete',
        `X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGNED_EXPIRES_SECONDS} (a week), got "${signature.expires}".`,
      );
    }
    const expiry = new Date(signingDate.getTime() + seconds * 1000);
    if (now > expiry) {
      throw fail(
        'expired',
        `The presigned request was signed at ${amzDate} for ${seconds} seconds: it expired at ${formatAmzDate(expiry)} and it is now ${formatAmzDate(now)}.`,
      );
    }
  } else if (signingDate.getTime() < now.getTime() - MAX_CLOCK_SKEW_MS) {
    const earliest = formatAmzDate(new Date(now.getTime() - MAX_CLOCK_SKEW_MS));
    throw fail(
      'skewed',
      `Signature expired: ${amzDate} is now earlier than ${earliest} (${formatAmzDate(now)} - 15 min.)`,
    );
  }
  if (signingDate.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) {
    const latest = formatAmzDate(new Date(now.getTime() + MAX_CLOCK_SKEW_MS));
    throw fail(
      'skewed',
      `Signature not yet current: ${amzDate} is still later than ${latest} (${formatAmzDate(now)} + 15 min.)`,
    );
  }
}

/** `20260101T120000Z` → the Date, or undefined when the text is not in that form. */
export function parseAmzDate(text: string | undefined): Date | undefined {
  const match = AMZ_DATE.exec(text ?? '');
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const date = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A Date as X-Amz-Date writes it: `20260101T120000Z`. */
export function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** Compares two hex signatures in constant time (for equal lengths; a length difference is no secret). */
function sameSignature(expected: string, given: string): boolean {
  return expected.length === given.length && expected !== '' && sameSecret(expected, given);
}

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
