'use strict';
/**
 * A second process that talks to the local endpoint with node:http only, as another program on the machine would:
 * no SDK, no signer. It sends the requests of the JSON file named by its argument, one after the other, and
 * prints what came back as JSON: `[{ status, headers, text } | { error }]`.
 *
 * A request is `{ method, path, headers, body?, zeroBytes? }`: `path` is sent as is (percent-encoding kept),
 * `zeroBytes` streams that many zero bytes in 64 KiB chunks (chunked unless the headers give a Content-Length),
 * stopping as soon as the endpoint answers or closes the connection.
 */
const { readFileSync } = require('node:fs');
const http = require('node:http');

const [, , requestsFile, port] = process.argv;
const requests = JSON.parse(readFileSync(requestsFile, 'utf8'));

function send(spec) {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result) => {
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };
    const headers = { ...spec.headers };
    if (spec.zeroBytes !== undefined && headers['content-length'] === undefined) {
      headers['transfer-encoding'] = 'chunked';
    }
    const request = http.request(
      { host: '127.0.0.1', port: Number(port), method: spec.method, path: spec.path, headers },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () =>
          finish({
            status: response.statusCode,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8').slice(0, 4000),
          }),
        );
        response.on('error', (error) => finish({ error: error.code ?? error.message }));
      },
    );
    request.on('error', (error) => finish({ error: error.code ?? error.message }));
    if (spec.zeroBytes === undefined) {
      request.end(spec.body);
      return;
    }
    const chunk = Buffer.alloc(64 * 1024);
    let sent = 0;
    const writeMore = () => {
      while (!settled && sent < spec.zeroBytes) {
        sent += chunk.length;
        if (!request.write(chunk)) {
          request.once('drain', writeMore);
          return;
        }
      }
      if (!settled) request.end();
    };
    writeMore();
  });
}

(async () => {
  const results = [];
  for (const spec of requests) results.push(await send(spec));
  process.stdout.write(JSON.stringify(results));
})();
