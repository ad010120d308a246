import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import { authenticate, formatAmzDate } from '../../../../local/endpoint/auth/authenticate';
import { AuthenticationError } from '../../../../local/endpoint/auth/authentication-errors';
import { NodeSha256 } from '../../../../local/endpoint/auth/node-sha256';
import {
  declaredPayloadHash,
  readRequestSignature,
  type SignedRequestHead,
} from '../../../../local/endpoint/auth/request-signature';
import { type ServiceProtocol, serviceProtocol } from '../../../../local/endpoint/auth/service-protocols';
import type { LocalCredentials } from '../../../../local/iam/identities';
import { testIdentities } from '../endpoint-fixture';

const NOW = new Date('2026-06-01T12:00:00Z');
const HOST = '127.0.0.1:4566';
const identities = testIdentities();
const administrator = identities.administrator.credentials;
const role = identities.roleSession({ name: 'dbrefresh-restore', policies: [] }, 'restore');

interface Signable {
  readonly method?: string;
  readonly path?: string;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

function signer(service: string, credentials: LocalCredentials, applyChecksum = true): SignatureV4 {
  return new SignatureV4({
    credentials,
    region: 'eu-west-1',
    service,
    sha256: NodeSha256,
    uriEscapePath: service !== 's3',
    applyChecksum,
  });
}

function httpRequest(request: Signable): HttpRequest {
  return {
    method: request.method ?? 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    path: request.path ?? '/',
    query: { ...request.query },
    headers: { host: HOST, ...request.headers },
    body: request.body,
  };
}

/** The request as the endpoint receives it: the path as sent, the query string encoded as the SDK encodes it. */
function headOf(signed: HttpRequest): SignedRequestHead {
  const rawQuery = Object.entries(signed.query ?? {})
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
    .join('&');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
  return { method: signed.method, rawPath: signed.path, rawQuery, headers };
}

async function sign(
  service: string,
  request: Signable,
  options: { credentials?: LocalCredentials; signingDate?: Date; applyChecksum?: boolean } = {},
): Promise<SignedRequestHead> {
  const credentials = options.credentials ?? administrator;
  const signed = await signer(service, credentials, options.applyChecksum).sign(httpRequest(request), {
    signingDate: options.signingDate ?? NOW,
  });
  return headOf(signed);
}

async function presign(
  service: string,
  request: Signable,
  options: { credentials?: LocalCredentials; signingDate?: Date; expiresIn?: number } = {},
): Promise<SignedRequestHead> {
  const signed = await signer(service, options.credentials ?? administrator).presign(httpRequest(request), {
    signingDate: options.signingDate ?? NOW,
    expiresIn: options.expiresIn ?? 900,
  });
  return headOf(signed);
}

/**
 * What the endpoint does: read the signature, take the declared payload hash or the body's, verify. (The endpoint
 * also checks a declared hash against the body it then reads.)
 */
async function verify(head: SignedRequestHead, service: string, body = '', now = NOW) {
  const protocol: ServiceProtocol = serviceProtocol(service);
  const signature = readRequestSignature(head, protocol);
  if (!signature) throw new Error('the request is not signed');
  const payloadHash =
    declaredPayloadHash(head, signature, protocol) ?? createHash('sha256').update(body).digest('hex');
  return authenticate(head, signature, payloadHash, { identities, service, protocol, now });
}

const QUERY_BODY = 'Action=ListTopics&Version=2010-03-31';
const JSON_BODY = '{"SecretId":"app"}';

describe('authenticate', () => {
  it.each([
    [
      'a Query request (SNS)',
      'sns',
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: QUERY_BODY,
      },
    ],
    [
      'an AWS JSON request (Secrets Manager)',
      'secretsmanager',
      {
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'secretsmanager.GetSecretValue',
        },
        body: JSON_BODY,
      },
    ],
    [
      'a REST-JSON request with an encoded path (Lambda)',
      'lambda',
      { path: '/2015-03-31/functions/hook%20one/invocations', body: '{}' },
    ],
    [
      'an S3 GET whose key has .. and an encoded slash',
      's3',
      { method: 'GET', path: '/scripts/a/../b%252F..', query: { 'x-id': 'GetObject' } },
    ],
    [
      'an S3 PUT with UNSIGNED-PAYLOAD',
      's3',
      { method: 'PUT', path: '/scripts/a.sql', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
    ],
    [
      'an S3 streaming PUT (STREAMING-UNSIGNED-PAYLOAD-TRAILER)',
      's3',
      {
        method: 'PUT',
        path: '/scripts/a.sql',
        headers: {
          'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
          'content-encoding': 'aws-chunked',
          'x-amz-trailer': 'x-amz-checksum-crc32',
        },
      },
    ],
  ])('verifies %s signed by the SDK', async (_, service, request: Signable) => {
    const head = await sign(service, request);

    const verified = await verify(head, service, request.body);

    expect(verified.principal.arn).toBe('arn:aws:iam::000000000000:user/local-administrator');
  });

  it('verifies a role session signed with its session token, as that session', async () => {
    const head = await sign(
      'secretsmanager',
      { headers: { 'x-amz-target': 'secretsmanager.GetSecretValue' }, body: JSON_BODY },
      { credentials: role },
    );

    const verified = await verify(head, 'secretsmanager', JSON_BODY);

    expect(verified.principal.arn).toBe('arn:aws:sts::000000000000:assumed-role/dbrefresh-restore/restore');
  });

  it('verifies a presigned S3 GET and PUT, and a presigned Query GET', async () => {
    // As the S3 presigner does: a presigned URL signs UNSIGNED-PAYLOAD.
    const get = await presign('s3', {
      method: 'GET',
      path: '/scripts/a.sql',
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const put = await presign('s3', {
      method: 'PUT',
      path: '/scripts/a.sql',
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const query = await presign('sns', {
      method: 'GET',
      query: { Action: 'ListTopics', Version: '2010-03-31' },
    });

    await expect(verify(get, 's3')).resolves.toHaveProperty('principal');
    await expect(verify(put, 's3')).resolves.toHaveProperty('principal');
    await expect(verify(query, 'sns')).resolves.toHaveProperty('principal');
  });

  it('rejects a body other than the one signed (SignatureDoesNotMatch)', async () => {
    const head = await sign('sns', { body: QUERY_BODY }, { applyChecksum: false });

    await expect(verify(head, 'sns', 'Action=DeleteTopic&Version=2010-03-31')).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      status: 403,
    });
  });

  it('rejects a signature made with another secret, in each protocol', async () => {
    const wrong = { accessKeyId: administrator.accessKeyId, secretAccessKey: 'not-the-secret' };

    const query = verify(await sign('rds', { body: QUERY_BODY }, { credentials: wrong }), 'rds', QUERY_BODY);
    const json = verify(await sign('kms', { body: '{}' }, { credentials: wrong }), 'kms', '{}');
    const s3 = verify(await sign('s3', { method: 'GET', path: '/b/k' }, { credentials: wrong }), 's3');

    await expect(query).rejects.toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    await expect(json).rejects.toMatchObject({ code: 'InvalidSignatureException', status: 400 });
    await expect(s3).rejects.toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
  });

  it('rejects an access key the account never issued, in each protocol', async () => {
    const stranger = {
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY',
    };

    const query = verify(
      await sign('sts', { body: QUERY_BODY }, { credentials: stranger }),
      'sts',
      QUERY_BODY,
    );
    const json = verify(await sign('states', { body: '{}' }, { credentials: stranger }), 'states', '{}');
    const s3 = verify(await sign('s3', { method: 'GET', path: '/b/k' }, { credentials: stranger }), 's3');

    await expect(query).rejects.toMatchObject({
      code: 'InvalidClientTokenId',
      status: 403,
      message: expect.stringContaining('AKIAIOSFODNN7EXAMPLE'),
    });
    await expect(json).rejects.toMatchObject({ code: 'UnrecognizedClientException', status: 400 });
    await expect(s3).rejects.toMatchObject({ code: 'InvalidAccessKeyId', status: 403 });
  });

  it('rejects temporary credentials without their session token, or with a forged one', async () => {
    const withoutToken = { accessKeyId: role.accessKeyId, secretAccessKey: role.secretAccessKey };
    const forged = { ...role, sessionToken: 'forged-token' };

    const missing = verify(await sign('sns', { body: '' }, { credentials: withoutToken }), 'sns');
    const wrong = verify(await sign('sns', { body: '' }, { credentials: forged }), 'sns');
    const s3 = verify(await sign('s3', { method: 'GET', path: '/b/k' }, { credentials: forged }), 's3');

    await expect(missing).rejects.toMatchObject({
      code: 'InvalidClientTokenId',
      message: expect.stringContaining('carries no session token'),
    });
    await expect(wrong).rejects.toMatchObject({
      code: 'InvalidClientTokenId',
      message: expect.stringContaining('is not the one issued'),
    });
    await expect(s3).rejects.toMatchObject({ code: 'InvalidToken', status: 400 });
  });

  it('rejects a session token sent with a long-term key', async () => {
    const head = await sign(
      'sns',
      { body: '' },
      { credentials: { ...administrator, sessionToken: 'token' } },
    );

    await expect(verify(head, 'sns')).rejects.toMatchObject({
      code: 'InvalidClientTokenId',
      message: expect.stringContaining('is a long-term key'),
    });
  });

  it('rejects a request signed more than 15 minutes before or after the endpoint time', async () => {
    const early = new Date(NOW.getTime() - 16 * 60 * 1000);
    const late = new Date(NOW.getTime() + 16 * 60 * 1000);
    const withinWindow = new Date(NOW.getTime() - 14 * 60 * 1000);

    const expired = verify(await sign('sns', {}, { signingDate: early }), 'sns');
    const future = verify(await sign('sns', {}, { signingDate: late }), 'sns');
    const skewedS3 = verify(await sign('s3', { method: 'GET', path: '/b/k' }, { signingDate: early }), 's3');

    await expect(expired).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      message: expect.stringContaining(
        `Signature expired: ${formatAmzDate(early)} is now earlier than 20260601T114500Z (20260601T120000Z - 15 min.)`,
      ),
    });
    await expect(future).rejects.toMatchObject({
      message: expect.stringContaining('Signature not yet current'),
    });
    await expect(skewedS3).rejects.toMatchObject({ code: 'RequestTimeTooSkewed', status: 403 });
    await expect(verify(await sign('sns', {}, { signingDate: withinWindow }), 'sns')).resolves.toBeDefined();
  });

  it('rejects a presigned URL past its X-Amz-Expires, and an X-Amz-Expires over a week', async () => {
    const signedAt = new Date(NOW.getTime() - 10 * 60 * 1000);
    const expired = await presign(
      's3',
      { method: 'GET', path: '/b/k' },
      { signingDate: signedAt, expiresIn: 60 },
    );
    const tooLong = await presign('s3', { method: 'GET', path: '/b/k' });
    const overAWeek = {
      ...tooLong,
      rawQuery: tooLong.rawQuery.replace('X-Amz-Expires=900', 'X-Amz-Expires=604801'),
    };

    await expect(verify(expired, 's3')).rejects.toMatchObject({
      code: 'AccessDenied',
      message: expect.stringContaining('Request has expired'),
    });
    await expect(verify(overAWeek, 's3')).rejects.toMatchObject({
      code: 'AuthorizationHeaderMalformed',
      message: expect.stringContaining('X-Amz-Expires must be a whole number of seconds from 1 to 604800'),
    });
  });

  it('rejects a credential scoped to another service than the one serving it', async () => {
    const head = await sign('sns', { body: QUERY_BODY });
    const signature = readRequestSignature(head, 'query');
    if (!signature) throw new Error('unsigned');

    const served = authenticate(head, signature, createHash('sha256').update(QUERY_BODY).digest('hex'), {
      identities,
      service: 'rds',
      protocol: 'query',
      now: NOW,
    });

    await expect(served).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      message: expect.stringContaining("Credential should be scoped to correct service: 'rds'"),
    });
  });

  it('rejects a credential scope whose date is not the X-Amz-Date', async () => {
    const head = await sign('sns', {});
    const authorization = (head.headers.authorization ?? '').replace('/20260601/', '/20260531/');

    await expect(
      verify({ ...head, headers: { ...head.headers, authorization } }, 'sns'),
    ).rejects.toMatchObject({
      message: expect.stringContaining(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260531' != '20260601'",
      ),
    });
  });

  it('rejects a signature that does not sign the Host header', async () => {
    const head = await sign('sns', {});
    const authorization = (head.headers.authorization ?? '').replace(
      /SignedHeaders=[^,]+/,
      'SignedHeaders=x-amz-date',
    );

    await expect(
      verify({ ...head, headers: { ...head.headers, authorization } }, 'sns'),
    ).rejects.toMatchObject({
      code: 'IncompleteSignature',
      message: expect.stringContaining("'host' must be a 'SignedHeader'"),
    });
  });

  it('rejects an Authorization header missing its parts, or of another algorithm (IncompleteSignature)', () => {
    const head: SignedRequestHead = {
      method: 'POST',
      rawPath: '/',
      rawQuery: '',
      headers: {
        host: HOST,
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIA/20260601/eu-west-1/sns/aws4_request',
      },
    };
    const sigV2 = { ...head, headers: { host: HOST, authorization: 'AWS AKIAIOSFODNN7EXAMPLE:signature' } };

    expect(() => readRequestSignature(head, 'query')).toThrow(
      "Authorization header requires 'SignedHeaders' parameter. Authorization header requires 'Signature' parameter.",
    );
    expect(() => readRequestSignature(sigV2, 'json')).toThrow(
      expect.objectContaining({
        code: 'IncompleteSignatureException',
        message: expect.stringContaining('AWS4-HMAC-SHA256'),
      }),
    );
  });

  it('rejects both an Authorization header and presigned parameters', async () => {
    const presigned = await presign('s3', { method: 'GET', path: '/b/k' });
    const both = {
      ...presigned,
      headers: { ...presigned.headers, authorization: 'AWS4-HMAC-SHA256 Credential=x' },
    };

    expect(() => readRequestSignature(both, 's3')).toThrow(AuthenticationError);
    expect(() => readRequestSignature(both, 's3')).toThrow('Only one auth mechanism allowed');
  });

  it('treats a request with neither as unsigned', () => {
    expect(
      readRequestSignature({ method: 'GET', rawPath: '/', rawQuery: 'a=1', headers: {} }, 's3'),
    ).toBeUndefined();
  });
});

describe('declaredPayloadHash', () => {
  it('rejects an S3 request without X-Amz-Content-SHA256, or with a value S3 does not take', async () => {
    const head = await sign('s3', { method: 'GET', path: '/b/k' });
    const signature = readRequestSignature(head, 's3');
    if (!signature) throw new Error('unsigned');
    const { 'x-amz-content-sha256': _removed, ...withoutHash } = head.headers;

    expect(() => declaredPayloadHash({ ...head, headers: withoutHash }, signature, 's3')).toThrow(
      'Missing required header for this request: x-amz-content-sha256',
    );
    expect(() =>
      declaredPayloadHash(
        { ...head, headers: { ...head.headers, 'x-amz-content-sha256': 'maybe' } },
        signature,
        's3',
      ),
    ).toThrow('x-amz-content-sha256 must be UNSIGNED-PAYLOAD');
  });

  it('rejects UNSIGNED-PAYLOAD for a service other than S3', async () => {
    const head = await sign('sns', { headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    const signature = readRequestSignature(head, 'query');
    if (!signature) throw new Error('unsigned');

    expect(() => declaredPayloadHash(head, signature, 'query')).toThrow('only S3 takes UNSIGNED-PAYLOAD');
  });
});
