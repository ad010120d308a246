import { AwsError } from '../service';
import { AuthenticationError } from './authentication-errors';
import type { ServiceProtocol } from './service-protocols';

/** What SigV4 signs of a request, as it arrived: nothing decoded, nothing normalised. */
export interface SignedRequestHead {
  readonly method: string;
  /** The path exactly as received, still percent-encoded (`/bucket/a%20b`). */
  readonly rawPath: string;
  /** The query string exactly as received, without the `?`. */
  readonly rawQuery: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
}

/** The parts of a SigV4 signature, from the Authorization header or from presigned query parameters. */
export interface RequestSignature {
  readonly location: 'header' | 'query';
  readonly accessKeyId: string;
  /** `<date>/<region>/<service>/aws4_request`. */
  readonly scope: { readonly date: string; readonly region: string; readonly service: string };
  /** Lower-case header names, as listed in SignedHeaders. */
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  /** X-Amz-Date (header or query parameter) as given; undefined when absent. */
  readonly amzDate: string | undefined;
  /** X-Amz-Security-Token (header or query parameter); undefined when absent. */
  readonly sessionToken: string | undefined;
  /** X-Amz-Expires of a presigned request, as given. */
  readonly expires?: string;
}

/** The SigV4 algorithm; SigV4a (`AWS4-ECDSA-P256-SHA256`) and SigV2 are not served. */
export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
const SCOPE_TERMINATOR = 'aws4_request';

/** The presigned (query-string) form of a signature: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-authentication-methods.html */
const QUERY_SIGNATURE_PARAMETERS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature'] as const;

/**
 * The signature a request carries, or undefined for an unsigned request.
 * @throws AuthenticationError `incomplete` when a part is missing or unreadable, or both forms are given
 */
export function readRequestSignature(
  head: SignedRequestHead,
  protocol: ServiceProtocol,
): RequestSignature | undefined {
  const query = parseRawQuery(head.rawQuery, protocol);
  const authorization = head.headers.authorization;
  const presigned = QUERY_SIGNATURE_PARAMETERS.some((name) => query.has(name));
  if (authorization !== undefined && presigned) {
    throw new AuthenticationError(
      'incomplete',
      protocol,
      'Only one auth mechanism allowed: the request has both an Authorization header and X-Amz-* signature query parameters; send one of them.',
    );
  }
  if (authorization !== undefined) return fromAuthorizationHeader(authorization, head.headers, protocol);
  if (presigned) return fromQueryParameters(query, protocol);
  return undefined;
}

/** `AWS4-HMAC-SHA256 Credential=<key>/<scope>, SignedHeaders=a;b, Signature=<hex>` */
function fromAuthorizationHeader(
  authorization: string,
  headers: Readonly<Record<string, string>>,
  protocol: ServiceProtocol,
): RequestSignature {
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  checkAlgorithm(algorithm, protocol);
  const parts = new Map<string, string>();
  for (const part of authorization.slice(space + 1).split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) parts.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !parts.get(name));
  if (missing.length > 0) {
    throw new AuthenticationError(
      'incomplete',
      protocol,
      missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' '),
    );
  }
  return {
    location: 'header',
    ...credentialOf(parts.get('Credential') ?? '', protocol),
    signedHeaders: signedHeadersOf(parts.get('SignedHeaders') ?? ''),
    signature: parts.get('Signature') ?? '',
    amzDate: headers['x-amz-date'],
    sessionToken: headers['x-amz-security-token'],
  };
}

function fromQueryParameters(query: ParsedQuery, protocol: ServiceProtocol): RequestSignature {
  checkAlgorithm(query.first('X-Amz-Algorithm') ?? '', protocol);
  const missing = ['X-Amz-Credential', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Date'].filter(
    (name) => !query.first(name),
  );
  if (missing.length > 0) {
    throw new AuthenticationError(
      'incomplete',
      protocol,
      `A presigned request needs the query parameters ${missing.join(', ')}.`,
    );
  }
  return {
    location: 'query',
    ...credentialOf(query.first('X-Amz-Credential') ?? '', protocol),
    signedHeaders: signedHeadersOf(query.first('X-Amz-SignedHeaders') ?? ''),
    signature: query.first('X-Amz-Signature') ?? '',
    amzDate: query.first('X-Amz-Date'),
    sessionToken: query.first('X-Amz-Security-Token'),
    expires: query.first('X-Amz-Expires'),
  };
}

function checkAlgorithm(algorithm: string, protocol: ServiceProtocol): void {
  if (algorithm !== SIGV4_ALGORITHM) {
    throw new AuthenticationError(
      'incomplete',
      protocol,
      `Unsupported AWS 'algorithm': "${algorithm}"; the local endpoint verifies Signature Version 4 (${SIGV4_ALGORITHM}).`,
    );
  }
}

/** `<key>/<YYYYMMDD>/<region>/<service>/aws4_request` */
function credentialOf(
  credential: string,
  protocol: ServiceProtocol,
): Pick<RequestSignature, 'accessKeyId' | 'scope'> {
  const [accessKeyId, date, region, service, terminator, ...rest] = credential.split('/');
  if (
    !accessKeyId ||
    !date ||
    !/^\d{8}$/.test(date) ||
    !region ||
    !service ||
    terminator !== SCOPE_TERMINATOR ||
    rest.length > 0
  ) {
    throw new AuthenticationError(
      'incomplete',
      protocol,
      `Credential "${credential}" is not <access key>/<YYYYMMDD>/<region>/<service>/${SCOPE_TERMINATOR}.`,
    );
  }
  return { accessKeyId, scope: { date, region, service } };
}

function signedHeadersOf(list: string): string[] {
  return list
    .split(';')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
}

/** A query string decoded as SigV4 reads it: `%XX` escapes only (a `+` stays a plus), repeated names kept. */
export interface ParsedQuery {
  has(name: string): boolean;
  first(name: string): string | undefined;
  /** Every parameter, for the canonical request: one value, or the list of a repeated name. */
  readonly entries: Readonly<Record<string, string | string[]>>;
}

/**
 * Splits and decodes a raw query string.
 * @throws AuthenticationError `incomplete` when an escape is not valid percent-encoding
 */
export function parseRawQuery(rawQuery: string, protocol: ServiceProtocol): ParsedQuery {
  const entries: Record<string, string | string[]> = {};
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = decodeQueryPart(equals < 0 ? pair : pair.slice(0, equals), protocol);
    const value = equals < 0 ? '' : decodeQueryPart(pair.slice(equals + 1), protocol);
    const existing = Object.hasOwn(entries, name) ? entries[name] : undefined;
    if (existing === undefined) entries[name] = value;
    else entries[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return {
    entries,
    has: (name) => Object.hasOwn(entries, name),
    first: (name) => {
      const value = Object.hasOwn(entries, name) ? entries[name] : undefined;
      return Array.isArray(value) ? value[0] : value;
    },
  };
}

function decodeQueryPart(text: string, protocol: ServiceProtocol): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new AuthenticationError(
      'incomplete',
      protocol,
      `The query string has "${text.slice(0, 40)}", which is not valid percent-encoding (RFC 3986), as SigV4 canonicalizes it.`,
    );
  }
}

/** `UNSIGNED-PAYLOAD`: S3 takes a body it does not hash into the signature (and presigned URLs always are). */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/**
 * What S3 accepts as X-Amz-Content-SHA256: the body's SHA-256, UNSIGNED-PAYLOAD, or an aws-chunked stream whose
 * chunks are signed (or not) and may end with trailing checksums.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
export const S3_STREAMING_PAYLOADS = [
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
] as const;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Whether a payload hash is the hex SHA-256 of a body (and so must match the body received). */
export function isBodyHash(payloadHash: string): boolean {
  return SHA256_HEX.test(payloadHash);
}

/**
 * The payload hash the signature covers when the request declares it: S3 always does (X-Amz-Content-SHA256 is
 * required, and a presigned URL signs UNSIGNED-PAYLOAD); other services do when they sign that header. Undefined
 * means the hash is the body's, known once the body is read.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 * @throws AwsError InvalidRequest/InvalidArgument for S3 without the header or with a value S3 does not take
 */
export function declaredPayloadHash(
  head: SignedRequestHead,
  signature: RequestSignature,
  protocol: ServiceProtocol,
): string | undefined {
  if (signature.location === 'query') return protocol === 's3' ? UNSIGNED_PAYLOAD : undefined;
  const declared = head.headers['x-amz-content-sha256'];
  if (protocol === 's3') {
    if (declared === undefined) {
      throw new AwsError('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    }
    if (!isBodyHash(declared) && declared !== UNSIGNED_PAYLOAD && !isStreamingPayload(declared)) {
      throw new AwsError(
        'InvalidArgument',
        `x-amz-content-sha256 must be UNSIGNED-PAYLOAD, ${S3_STREAMING_PAYLOADS.join(', ')}, or a valid sha256 value; got "${declared}".`,
      );
    }
    return declared;
  }
  if (declared === undefined || !signature.signedHeaders.includes('x-amz-content-sha256')) return undefined;
  if (!isBodyHash(declared)) {
    throw new AuthenticationError(
      'incomplete',
      protocol,
      `X-Amz-Content-SHA256 "${declared}" is not the hex SHA-256 of the body; only S3 takes UNSIGNED-PAYLOAD or streaming payloads.`,
    );
  }
  return declared;
}

/** Whether a declared payload hash announces an aws-chunked streaming body. */
export function isStreamingPayload(payloadHash: string): boolean {
  return (S3_STREAMING_PAYLOADS as readonly string[]).includes(payloadHash);
}
