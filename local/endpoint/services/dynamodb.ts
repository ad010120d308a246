import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { Agent, request as httpRequest, type Server } from 'node:http';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { HISTORY_INDEXES, HISTORY_KEYS } from '../../../lambdas/shared/history/history-keys';
import { jsonTextDepth, MAX_JSON_DEPTH } from '../../../lambdas/shared/json/parse-json';
import type { AccessRequest } from '../../iam/access';
import { dynamoDbAccessRequests } from '../../iam/access/dynamodb';
import { renderAwsError } from '../faults';
import { AwsError, type LocalRequest, type LocalResponse, type LocalService } from '../service';

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
 * The local DynamoDB: dynalite (a DynamoDB implementation on LevelDB), with every DynamoDB request of the endpoint
 * forwarded to it unchanged once the endpoint has verified it. dynalite checks no signature, so it listens on no
 * port: only on a Unix socket in a directory of its own that only this account's owner can enter.
 */
export class LocalDynamoDb implements LocalService {
  readonly name = 'dynamodb';
  private readonly client: DynamoDBClient;
  private readonly agent: Agent;

  private constructor(
    private readonly server: Server,
    /** The socket dynalite listens on. */
    private readonly socketPath: string,
  ) {
    this.agent = socketAgent(socketPath);
    // dynalite wants a signed-looking request; it reaches only dynalite, through the private socket.
    this.client = new DynamoDBClient({
      endpoint: 'http://dynalite.internal',
      region: 'us-east-1',
      credentials: { accessKeyId: 'dynalite', secretAccessKey: 'dynalite-socket' },
      requestHandler: { httpAgent: this.agent },
    });
  }

  /** Starts dynalite; `close()` stops it. */
  static async start(options: LocalDynamoDbOptions = {}): Promise<LocalDynamoDb> {
    const dataDir = options.stateDir ? path.join(options.stateDir, 'dynamodb') : undefined;
    if (dataDir) await mkdir(dataDir, { recursive: true });
    const server = dynalite({ path: dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    // mkdtemp makes the directory 0700: no other account can reach the socket.
    const socketPath = path.join(await mkdtemp(path.join(tmpdir(), 'dbrefresh-dynalite-')), 'socket');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new LocalDynamoDb(server, socketPath);
  }

  /** What IAM authorizes for the request (local/iam/access/dynamodb.ts); it refuses what dynalite would not serve. */
  accessRequests(request: LocalRequest): Promise<readonly AccessRequest[]> {
    return dynamoDbAccessRequests(request);
  }

  handle(request: LocalRequest): Promise<LocalResponse> {
    // dynalite validates items recursively: bound the nesting first. DynamoDB itself refuses attributes nested
    // deeper than 32 levels (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
    const depth = jsonTextDepth(request.body.toString('utf8'));
    if (depth > MAX_JSON_DEPTH) {
      const error = new AwsError(
        'ValidationException',
        `Nesting Levels have exceeded supported limits: the request nests ${depth} levels of JSON, and local mode ` +
          `takes at most ${MAX_JSON_DEPTH} (DynamoDB attributes nest at most 32 levels)`,
      );
      return Promise.resolve(renderAwsError(request, error, undefined, 'json'));
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!HOP_BY_HOP.has(name)) headers[name] = value;
    }
    headers['content-length'] = String(request.body.length);
    headers.host = 'dynalite.internal';
    const target = `${request.path}${request.query.size > 0 ? `?${request.query}` : ''}`;
    return new Promise<LocalResponse>((resolve, reject) => {
      const forwarded = httpRequest(
        { socketPath: this.socketPath, path: target, method: request.method, headers },
        (response) => {
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
        },
      );
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
    this.agent.destroy();
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
    });
    await rm(path.dirname(this.socketPath), { recursive: true, force: true });
  }
}

/** An HTTP agent whose every connection goes to a Unix socket. */
function socketAgent(socketPath: string): Agent {
  const agent = new Agent({ keepAlive: true });
  agent.createConnection = () => createConnection(socketPath);
  return agent;
}
