import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type LocalEndpoint,
  type LocalEndpointOptions,
  startLocalEndpoint,
} from '../../../local/endpoint/server';

/** SDK client settings that send every call to `endpoint` once (no retries), with dummy credentials. */
export function clientConfig(endpoint: LocalEndpoint) {
  return {
    endpoint: endpoint.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  };
}

/** Starts the endpoint for a test file; remember to `close()` it in afterAll. */
export function startEndpoint(options: LocalEndpointOptions): Promise<LocalEndpoint> {
  return startLocalEndpoint({ onError: () => undefined, ...options });
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
