import { request as httpRequest } from 'node:http';
import {
  BodyTooLargeError,
  bodyLimitOf,
  DEFAULT_BODY_LIMIT,
  REQUEST_BODY_LIMITS,
  S3_PUT_OBJECT_LIMIT,
} from '../../../local/endpoint/request-body';
import type { LocalEndpoint } from '../../../local/endpoint/server';
import type { LocalService } from '../../../local/endpoint/service';
import { LocalS3 } from '../../../local/endpoint/services/s3';
import {
  type RawRequest,
  type RawResponse,
  removeDirectory,
  sendSigned,
  signRequest,
  startEndpoint,
  temporaryDirectory,
} from './endpoint-fixture';

const MiB = 1024 * 1024;

describe('request body limits', () => {
  it('gives every service a limit with the AWS page it follows', () => {
    for (const limit of [...Object.values(REQUEST_BODY_LIMITS), DEFAULT_BODY_LIMIT, S3_PUT_OBJECT_LIMIT]) {
      expect(limit.bytes).toBeGreaterThan(0);
      expect(limit.reason).toMatch(/https:\/\/docs\.aws\.amazon\.com\//);
    }
    expect(bodyLimitOf('secretsmanager').bytes).toBe(512 * 1024);
    expect(bodyLimitOf('rds')).toBe(DEFAULT_BODY_LIMIT);
    expect(S3_PUT_OBJECT_LIMIT.bytes).toBe(5 * 1024 * MiB);
  });

  it('names the limit, what arrived and why, with the code of each protocol', () => {
    const limit = { bytes: 10, reason: 'a reason' };

    expect(new BodyTooLargeError('sns', 'query', limit, '11 bytes')).toMatchObject({
      code: 'RequestEntityTooLarge',
      status: 413,
      message:
        'The request body is 11 bytes, more than the 10 bytes the local sns endpoint takes: a reason. Send a smaller request.',
    });
    expect(new BodyTooLargeError('lambda', 'rest-json', limit, '11 bytes')).toMatchObject({
      code: 'RequestTooLargeException',
      status: 413,
    });
    expect(new BodyTooLargeError('s3', 's3', limit, '11 bytes', true)).toMatchObject({
      code: 'EntityTooLarge',
      status: 400,
    });
  });
});

describe('the endpoint reading request bodies', () => {
  let stateDir: string;
  let endpoint: LocalEndpoint;
  let handled: number;

  beforeAll(async () => {
    stateDir = temporaryDirectory('bodies-');
    const buckets = new LocalS3(stateDir);
    await buckets.createBucket('scripts');
    const secrets: LocalService = {
      name: 'secretsmanager',
      handle: async () => {
        handled += 1;
        return { status: 200, body: '{}' };
      },
    };
    endpoint = await startEndpoint({ services: [secrets, buckets] });
  });

  beforeEach(() => {
    handled = 0;
  });

  afterAll(async () => {
    await endpoint.close();
    removeDirectory(stateDir);
  });

  it('takes a body within the limit', async () => {
    const response = await sendSigned(
      endpoint,
      'secretsmanager',
      secretRequest(`{"Name":"${'x'.repeat(1000)}"}`),
    );

    expect(response.status).toBe(200);
    expect(handled).toBe(1);
  });

  it('rejects a Content-Length above the limit before reading the body', async () => {
    const signed = await signRequest(endpoint, 'secretsmanager', secretRequest('{}'));

    const response = await sendChunks(
      endpoint,
      { ...signed, headers: { ...signed.headers, 'content-length': String(400 * MiB) } },
      0,
    );

    expect(response.status).toBe(413);
    expect(JSON.parse(response.text)).toMatchObject({
      __type: 'RequestEntityTooLargeException',
      message: expect.stringContaining('419,430,400 bytes (Content-Length), more than the 524,288 bytes'),
    });
    expect(handled).toBe(0);
  });

  it('rejects a chunked body as soon as it passes the limit', async () => {
    const signed = await signRequest(endpoint, 'secretsmanager', secretRequest('{}'));

    const response = await sendChunks(endpoint, signed, 2 * MiB);

    expect(response.status).toBe(413);
    expect(JSON.parse(response.text)).toMatchObject({
      __type: 'RequestEntityTooLargeException',
      message: expect.stringContaining('more than 524,288 bytes'),
    });
    expect(handled).toBe(0);
  });

  it('rejects an S3 request other than PutObject with a body over 1 MiB (MaxMessageLengthExceeded)', async () => {
    const signed = await signRequest(endpoint, 's3', {
      method: 'GET',
      path: '/scripts',
      query: { 'list-type': '2' },
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });

    const response = await sendChunks(endpoint, signed, 2 * MiB);

    expect(response.status).toBe(400);
    expect(response.text).toContain('<Code>MaxMessageLengthExceeded</Code>');
  });
});

function secretRequest(body: string): RawRequest {
  return {
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'secretsmanager.CreateSecret',
    },
    body,
  };
}

/**
 * Sends the request's head, then `bytes` of zeros in 64 KiB chunks (chunked transfer encoding unless the head
 * has a Content-Length), stopping when the endpoint answers or closes.
 */
function sendChunks(endpoint: LocalEndpoint, raw: RawRequest, bytes: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port: endpoint.port,
        method: raw.method ?? 'POST',
        path: `${raw.path ?? '/'}${raw.query ? `?${new URLSearchParams(raw.query)}` : ''}`,
        // Node frames a GET body only when told to.
        headers:
          raw.headers?.['content-length'] === undefined
            ? { ...raw.headers, 'transfer-encoding': 'chunked' }
            : raw.headers,
      },
      (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    const chunk = Buffer.alloc(64 * 1024);
    let sent = 0;
    const writeMore = (): void => {
      while (!answered && sent < bytes) {
        sent += chunk.length;
        if (!request.write(chunk)) {
          request.once('drain', writeMore);
          return;
        }
      }
      if (!answered && raw.headers?.['content-length'] === undefined) request.end();
    };
    if (bytes === 0) request.flushHeaders();
    else writeMore();
  });
}
