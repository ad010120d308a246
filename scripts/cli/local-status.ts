import { paginateDescribeDBClusters, paginateDescribeDBInstances, RDSClient } from '@aws-sdk/client-rds';
import type { EndpointRecord } from '../../local/daemon';
import { RdsStateFile } from '../../local/endpoint/rds/state';
import { EngineManager } from '../../local/engines/engine-manager';
import { enginesRootFor, LOCAL_REGION } from '../../local/local-account';
import { requireLocalCredentials, runningEndpoint, stateDirArgument } from './local-endpoint';

/** One DB instance or cluster (from the RDS API), or one database server (from the engine store). */
export interface ResourceStatus {
  readonly kind: 'instance' | 'cluster' | 'server';
  readonly id: string;
  readonly engine: string;
  readonly status: string;
  /** `host:port`, when the resource has one. */
  readonly endpoint?: string;
}

export interface LocalStatus {
  readonly stateDir: string;
  readonly endpoint: ({ readonly state: 'up' } & EndpointRecord) | { readonly state: 'down' };
  /** Where `resources` come from: the local RDS API when the endpoint is up, else the engine store. */
  readonly source: 'rds-api' | 'engine-store';
  readonly resources: readonly ResourceStatus[];
}

/** The endpoint's state and every DB instance and cluster of the local account in `stateDir`. */
export async function localStatus(stateDir: string): Promise<LocalStatus> {
  const record = runningEndpoint(stateDir);
  if (record === undefined) {
    return {
      stateDir,
      endpoint: { state: 'down' },
      source: 'engine-store',
      resources: await fromEngineStore(stateDir),
    };
  }
  return {
    stateDir,
    endpoint: { state: 'up', ...record },
    source: 'rds-api',
    resources: await fromRdsApi(record.url, stateDir),
  };
}

async function fromRdsApi(url: string, stateDir: string): Promise<ResourceStatus[]> {
  const rds = new RDSClient({
    endpoint: url,
    region: LOCAL_REGION,
    credentials: requireLocalCredentials(stateDir),
  });
  try {
    const resources: ResourceStatus[] = [];
    for await (const page of paginateDescribeDBClusters({ client: rds }, {})) {
      for (const cluster of page.DBClusters ?? []) {
        resources.push({
          kind: 'cluster',
          id: cluster.DBClusterIdentifier ?? '?',
          engine: cluster.Engine ?? '?',
          status: cluster.Status ?? '?',
          endpoint: cluster.Endpoint && cluster.Port ? `${cluster.Endpoint}:${cluster.Port}` : undefined,
        });
      }
    }
    for await (const page of paginateDescribeDBInstances({ client: rds }, {})) {
      for (const instance of page.DBInstances ?? []) {
        const endpoint = instance.Endpoint;
        resources.push({
          kind: 'instance',
          id: instance.DBInstanceIdentifier ?? '?',
          engine: instance.Engine ?? '?',
          status: instance.DBInstanceStatus ?? '?',
          endpoint: endpoint?.Address && endpoint.Port ? `${endpoint.Address}:${endpoint.Port}` : undefined,
        });
      }
    }
    return resources.sort((a, b) => a.id.localeCompare(b.id) || a.kind.localeCompare(b.kind));
  } finally {
    rds.destroy();
  }
}

/**
 * The database servers on disk, named after the instance or cluster they play when the saved RDS state
 * says (a server's id is its resource id, which RDS identifiers map to).
 */
async function fromEngineStore(stateDir: string): Promise<ResourceStatus[]> {
  const engines = new EngineManager({ root: enginesRootFor(stateDir) });
  const servers = await engines.listServers();
  if (servers.length === 0) return [];
  const state = await new RdsStateFile(stateDir).read();
  const names = new Map<string, { kind: 'instance' | 'cluster'; id: string; engine: string }>();
  for (const instance of state.instances) {
    if (instance.server) {
      names.set(instance.server.serverId, {
        kind: 'instance',
        id: instance.identifier,
        engine: instance.engine,
      });
    }
  }
  for (const cluster of state.clusters) {
    names.set(cluster.server.serverId, { kind: 'cluster', id: cluster.identifier, engine: cluster.engine });
  }
  return servers
    .map((server) => {
      const name = names.get(server.id);
      return {
        kind: name?.kind ?? 'server',
        id: name?.id ?? server.id,
        engine: name?.engine ?? server.engine,
        status: `server ${server.state}`,
        endpoint: `${server.host}:${server.port}`,
      } satisfies ResourceStatus;
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** The text `dbrefresh local status` prints. */
export function formatStatus(status: LocalStatus): string {
  const lines = [`Local account: ${status.stateDir}`];
  if (status.endpoint.state === 'up') {
    const { url, pid, startedAt } = status.endpoint;
    lines.push(`Endpoint: up at ${url} (pid ${pid}, since ${startedAt})`);
    lines.push(`  export AWS_ENDPOINT_URL=${url}`);
  } else {
    lines.push(`Endpoint: down (start it with \`dbrefresh local up${stateDirArgument(status.stateDir)}\`)`);
  }
  if (status.resources.length === 0) {
    lines.push(
      status.source === 'rds-api'
        ? 'No DB instances or clusters yet: `dbrefresh local seed` creates a source and a refreshable target.'
        : 'No database servers.',
    );
    return lines.join('\n');
  }
  lines.push(
    status.source === 'rds-api'
      ? 'DB instances and clusters (local RDS API):'
      : 'Database servers (engine store; the RDS API answers once the endpoint is up):',
  );
  const rows = [
    ['ID', 'KIND', 'ENGINE', 'STATUS', 'ENDPOINT'],
    ...status.resources.map((resource) => [
      resource.id,
      resource.kind,
      resource.engine,
      resource.status,
      resource.endpoint ?? '-',
    ]),
  ];
  lines.push(...table(rows).map((line) => `  ${line}`));
  return lines.join('\n');
}

/** The JSON `dbrefresh local status --json` prints. */
export function statusAsJson(status: LocalStatus): string {
  return JSON.stringify(status, null, 2);
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}
