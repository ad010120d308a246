import { mkdir } from 'node:fs/promises';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { HISTORY_INDEXES, HISTORY_KEYS } from '../../../lambdas/shared/history/history-keys';
import type { AccessRequest } from '../../iam/access';
import { dynamoDbAccessRequests } from '../../iam/access/dynamodb';
import type { LocalRequest, LocalResponse, LocalService } from '../service';

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

// dynalite ships no type declarations; this is the one function it exports.
const dynalite = require('dynalite') as (options: DynaliteOptions) => Server;

export interface LocalDynamoDbOptions {
  /**
   * Directory whose `dynamodb` folder holds the tables (LevelDB), so they persist between processes.
   * @default - tables in memory only
   */
  readonly stateDir?: string;
}

/** Headers that describe one connection, not the request; the forwarded request gets its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);
const TABLE_ACTIVE_TIMEOUT_MS = 10_000;

/**
 * The local DynamoDB: dynalite (a DynamoDB implementation on LevelDB) on its own port on 127.0.0.1, with
 * every DynamoDB request of the endpoint forwarded to it unchanged.
 */
export class LocalDynamoDb implements LocalService {
  readonly name = 'dynamodb';
  private readonly client: DynamoDBClient;

  private constructor(
    private readonly server: Server,
    /** dynalite's own URL, for tools that talk to it directly. */
    readonly url: string,
  ) {
    this.client = new DynamoDBClient({
      endpoint: url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }

  /** Starts dynalite; `close()` stops it. */
  static async start(options: LocalDynamoDbOptions = {}): Promise<LocalDynamoDb> {
    const dataDir = options.stateDir ? path.join(options.stateDir, 'dynamodb') : undefined;
    if (dataDir) await mkdir(dataDir, { recursive: true });
    const server = dynalite({ path: dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    return new LocalDynamoDb(server, `http://127.0.0.1:${port}`);
  }

  /** What IAM authorizes for the request (local/iam/access/dynamodb.ts); it refuses what dynalite would not serve. */
  accessRequests(request: LocalRequest): Promise<readonly AccessRequest[]> {
    return dynamoDbAccessRequests(request);
  }

  handle(request: LocalRequest): Promise<LocalResponse> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!HOP_BY_HOP.has(name)) headers[name] = value;
    }
    headers['content-length'] = String(request.body.length);
    const target = new URL(`${request.path}?${request.query}`, this.url);
    return new Promise<LocalResponse>((resolve, reject) => {
      const forwarded = httpRequest(target, { method: request.method, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const responseHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined && !HOP_BY_HOP.has(name)) {
              responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
            }
          }
          resolve({
            status: response.statusCode ?? 500,
            headers: responseHeaders,
            body: Buffer.concat(chunks),
          });
        });
      });
      forwarded.on('error', reject);
      forwarded.end(request.body);
    });
  }

  /**
   * Creates the run history table as the HistoryTable construct defines it (partition `target`, sort `runKey`,
   * GSIs byApplication/bySource/byStatus sorted by `runKey`), unless it exists; returns when it is ACTIVE.
   */
  async ensureHistoryTable(tableName: string): Promise<void> {
    const indexes = Object.values(HISTORY_INDEXES);
    const attributes = [
      HISTORY_KEYS.partitionKey,
      HISTORY_KEYS.sortKey,
      ...indexes.map((i) => i.partitionKey),
    ];
    try {
      await this.client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: attributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
          KeySchema: [
            { AttributeName: HISTORY_KEYS.partitionKey, KeyType: 'HASH' },
            { AttributeName: HISTORY_KEYS.sortKey, KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: indexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' },
              { AttributeName: HISTORY_KEYS.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          })),
        }),
      );
    } catch (error: unknown) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    await this.waitUntilActive(tableName);
  }

  private async waitUntilActive(tableName: string): Promise<void> {
    const deadline = Date.now() + TABLE_ACTIVE_TIMEOUT_MS;
    for (;;) {
      const { Table } = await this.client.send(new DescribeTableCommand({ TableName: tableName }));
      const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
      if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
      if (Date.now() > deadline) {
        throw new Error(
          `The local DynamoDB table ${tableName} is still ${Table?.TableStatus} after 10 seconds`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops dynalite and closes its store. */
  async close(): Promise<void> {
    this.client.destroy();
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
    });
  }
}
