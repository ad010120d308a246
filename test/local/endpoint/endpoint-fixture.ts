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
