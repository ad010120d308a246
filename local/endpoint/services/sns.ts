import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { JsonTooDeepError, parseJson } from '../../../lambdas/shared/json/parse-json';
import { type QueryInput, queryService, xmlList } from '../query-protocol';
import { AwsError, type LocalRequest, type LocalResponse, type LocalService } from '../service';

/** One published message, as appended to `<stateDir>/outbox.jsonl`. */
export const OutboxMessageSchema = z.object({
  messageId: z.string(),
  topicArn: z.string(),
  subject: z.string().optional(),
  message: z.string(),
  attributes: z.record(
    z.string(),
    z.object({
      DataType: z.string(),
      StringValue: z.string().optional(),
      BinaryValue: z.string().optional(),
    }),
  ),
  /** ISO 8601. */
  at: z.string(),
});
export type OutboxMessage = z.output<typeof OutboxMessageSchema>;

export interface LocalSnsOptions {
  /**
   * Directory of `sns-topics.json` and the outbox `outbox.jsonl`.
   * @default - topics and messages in memory only
   */
  readonly stateDir?: string;
  /**
   * Publish to a topic that does not exist creates it instead of failing with NotFound.
   * @default false
   */
  readonly autoCreateTopics?: boolean;
  /** @default - us-east-1, account 000000000000 */
  readonly scope?: { region: string; account: string };
}

const NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/**
 * A local SNS (Query protocol, 2010-03-31): topics, and a Publish that appends each message to an outbox
 * file instead of delivering it, so tests and the CLI can read what a run notified.
 */
export class LocalSns implements LocalService {
  readonly name = 'sns';
  private readonly topics = new Set<string>();
  private readonly messages: OutboxMessage[] = [];
  private readonly topicsFile: string | undefined;
  /** Where messages are appended; undefined when in memory. */
  readonly outboxFile: string | undefined;
  private readonly service: LocalService;

  constructor(private readonly options: LocalSnsOptions = {}) {
    this.topicsFile = options.stateDir ? path.join(options.stateDir, 'sns-topics.json') : undefined;
    this.outboxFile = options.stateDir ? path.join(options.stateDir, 'outbox.jsonl') : undefined;
    if (this.topicsFile && existsSync(this.topicsFile)) {
      const topics = z.array(z.string()).parse(JSON.parse(readFileSync(this.topicsFile, 'utf8')));
      for (const arn of topics) this.topics.add(arn);
    }
    this.service = queryService({
      name: 'sns',
      namespace: NAMESPACE,
      actions: {
        CreateTopic: (input, request) => ({
          TopicArn: this.createTopic(input.requiredString('Name'), request),
        }),
        Publish: (input) => ({ MessageId: this.publish(input) }),
        ListTopics: () => ({
          Topics: xmlList(
            'member',
            this.listTopics().map((TopicArn) => ({ TopicArn })),
          ),
        }),
      },
    });
  }

  handle(request: LocalRequest): Promise<LocalResponse> {
    return this.service.handle(request);
  }

  /** Creates the topic (or finds it: creating an existing topic is fine, as in SNS) and returns its ARN. */
  createTopic(name: string, scope: { region: string; account: string } = this.scope()): string {
    if (!TOPIC_NAME.test(name)) {
      throw new AwsError(
        'InvalidParameter',
        `Invalid parameter: Topic Name "${name}": 1 to 256 letters, digits, hyphens and underscores (.fifo may end it)`,
      );
    }
    const arn = `arn:aws:sns:${scope.region}:${scope.account}:${name}`;
    if (!this.topics.has(arn)) {
      this.topics.add(arn);
      this.saveTopics();
    }
    return arn;
  }

  listTopics(): string[] {
    return [...this.topics].sort();
  }

  /** The messages published since this object was created (the outbox file keeps all of them). */
  published(): readonly OutboxMessage[] {
    return this.messages;
  }

  private publish(input: QueryInput): string {
    const topicArn = input.string('TopicArn') ?? input.string('TargetArn');
    if (!topicArn) {
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
      );
    }
    const message = input.string('Message');
    if (!message) throw new AwsError('InvalidParameter', 'Invalid parameter: Message Reason: Empty message');
    checkMessageStructure(input.string('MessageStructure'), message);
    if (!this.topics.has(topicArn)) {
      const name = /^arn:aws:sns:([^:]+):(\d{12}):(.+)$/.exec(topicArn);
      if (!this.options.autoCreateTopics || !name?.[1] || !name[2] || !name[3]) {
        throw new AwsError('NotFound', 'Topic does not exist', 404);
      }
      this.createTopic(name[3], { region: name[1], account: name[2] });
    }
    const entry: OutboxMessage = {
      messageId: randomUUID(),
      topicArn,
      subject: input.string('Subject'),
      message,
      attributes: messageAttributes(input),
      at: new Date().toISOString(),
    };
    this.messages.push(entry);
    if (this.outboxFile) {
      mkdirSync(path.dirname(this.outboxFile), { recursive: true });
      appendFileSync(this.outboxFile, `${JSON.stringify(entry)}\n`);
    }
    return entry.messageId;
  }

  private scope(): { region: string; account: string } {
    return this.options.scope ?? { region: 'us-east-1', account: '000000000000' };
  }

  private saveTopics(): void {
    if (!this.topicsFile) return;
    mkdirSync(path.dirname(this.topicsFile), { recursive: true });
    const temporary = `${this.topicsFile}.${randomUUID()}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.listTopics(), null, 2));
    renameSync(temporary, this.topicsFile);
  }
}

/**
 * With MessageStructure `json`, the message must be a JSON object with a string under `default` (one message per
 * protocol): https://docs.aws.amazon.com/sns/latest/api/API_Publish.html. Its nesting is bounded before parsing.
 */
function checkMessageStructure(structure: string | undefined, message: string): void {
  if (structure === undefined) return;
  if (structure !== 'json') {
    throw new AwsError(
      'InvalidParameter',
      `Invalid parameter: MessageStructure Reason: "${structure}" is not a valid value; the only one is json`,
    );
  }
  let parsed: unknown;
  try {
    parsed = parseJson(message, { what: 'The JSON message' });
  } catch (error: unknown) {
    const reason = error instanceof JsonTooDeepError ? error.message : 'JSON message body failed to parse';
    throw new AwsError('InvalidParameter', `Invalid parameter: Message Structure - ${reason}`);
  }
  const record = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
  if (typeof (record as Record<string, unknown>).default !== 'string') {
    throw new AwsError(
      'InvalidParameter',
      'Invalid parameter: Message Structure - No default entry in JSON message body',
    );
  }
}

/** `MessageAttributes.entry.N.Name` / `.Value.DataType|StringValue|BinaryValue`, keyed by name. */
function messageAttributes(input: QueryInput): OutboxMessage['attributes'] {
  const attributes: OutboxMessage['attributes'] = {};
  for (const entry of input.structures('MessageAttributes') ?? []) {
    const name = entry.requiredString('Name');
    attributes[name] = {
      DataType: entry.requiredString('Value.DataType'),
      StringValue: entry.string('Value.StringValue'),
      BinaryValue: entry.string('Value.BinaryValue'),
    };
  }
  return attributes;
}

/** Every message in an outbox file, oldest first; none when the file does not exist. */
export function readOutbox(stateDir: string): OutboxMessage[] {
  const file = path.join(stateDir, 'outbox.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => OutboxMessageSchema.parse(JSON.parse(line)));
}
