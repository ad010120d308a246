import { createServer } from 'node:net';
import { SERVER_HOST } from './server-process';

/**
 * A TCP port free on the loopback interface right now, other than `exclude` (ports promised to servers that are
 * stopped). Another program may take it before the server binds it; the server's start then fails naming it.
 */
export async function findFreePort(exclude: Iterable<number> = []): Promise<number> {
  const excluded = new Set(exclude);
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await ephemeralPort();
    if (!excluded.has(port)) return port;
  }
  throw new Error(`No free TCP port on ${SERVER_HOST} outside the ${excluded.size} ports already assigned`);
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, SERVER_HOST, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('The operating system assigned no port'));
      });
    });
  });
}
