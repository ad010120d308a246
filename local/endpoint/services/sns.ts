import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import type { AccessRequest, PolicyDocument } from '../../iam/access';
import type { KeyResolver } from '../../iam/access/customer-keys';
import { snsAccessRequests, type TopicAttributes } from '../../iam/access/sns';
import { type QueryInput, queryService, xmlList } from '../query-protocol';
import { AwsError, type LocalRequest, type LocalResponse, type LocalService } from '../service';
import type { LocalKms } from './kms';
import { checkPublishedMessage, type PublishedAttribute } from './sns-message-rules';
import { parseTopicArn, type TopicScope, TopicStore } from './sns-topics';

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
  readonly scope?: TopicScope;
  /**
   * The KMS keys a topic's KmsMasterKeyId names: publishing to a topic whose key is missing, disabled or pending
   * deletion fails as in SNS.
   * @default - KmsMasterKeyId is kept and shown, but its key is not checked
   */
  readonly kms?: Pick<LocalKms, 'describeKey'>;
}

const NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
/** The AWS managed key for SNS, which every principal of the account may use through SNS. */
const AWS_MANAGED_KEY = 'alias/aws/sns';

/**
 * A local SNS (Query protocol, 2010-03-31): topics of any account with their attributes (access policy, KMS key,
 * FIFO settings), and a Publish that checks the message as SNS does and appends it to an outbox file instead of
 * delivering it, so tests and the CLI can read what a run notified. Whether a caller may publish to a topic
 * (another account's needs that topic's policy) is IAM's decision, made before `handle` runs.
 */
export class LocalSns implements LocalService, TopicAttributes {
  readonly name = 'sns';
  private readonly topics: TopicStore;
  private readonly messages: OutboxMessage[] = [];
  /** Where messages are appended; undefined when in memory. */
  readonly outboxFile: string | undefined;
  private readonly service: LocalService;
  private keys?: KeyResolver;

  constructor(private readonly options: LocalSnsOptions = {}) {
    this.topics = new TopicStore(options.stateDir);
    this.outboxFile = options.stateDir ? path.join(options.stateDir, 'outbox.jsonl') : undefined;
    this.service = queryService({
      name: 'sns',
      namespace: NAMESPACE,
      actions: {
        CreateTopic: (input, request) => ({
          TopicArn: this.createTopic(input.requiredString('Name'), request, mapOf(input, 'Attributes')),
        }),
        Publish: (input, request) => ({ MessageId: this.publish(input, request) }),
        ListTopics: () => ({
          Topics: xmlList(
            'member',
            this.listTopics().map((TopicArn) => ({ TopicArn })),
          ),
        }),
        GetTopicAttributes: (input) => ({
          Attributes: xmlList(
            'entry',
            Object.entries(this.topics.attributesOf(input.requiredString('TopicArn'))).map(
              ([key, value]) => ({ key, value }),
            ),
          ),
        }),
        SetTopicAttributes: (input) => {
          this.topics.setAttribute(
            input.requiredString('TopicArn'),
            input.requiredString('AttributeName'),
            input.string('AttributeValue') ?? '',
          );
          return undefined;
        },
      },
    });
  }

  handle(request: LocalRequest): Promise<LocalResponse> {
    return this.service.handle(request);
  }

  /** Wires in the local KMS, which resolves the topics' key ids and aliases for IAM. */
  useKeys(keys: KeyResolver): void {
    this.keys = keys;
  }

  /** What IAM authorizes for the request (local/iam/access/sns.ts). */
  accessRequests(request: LocalRequest): Promise<readonly AccessRequest[]> {
    return snsAccessRequests(request, this, { keys: this.keys });
  }

  /** What IAM reads of a topic: its access policy and customer managed key, or undefined when there is no such topic. */
  topicAccess(topicArn: string): { policy?: PolicyDocument; kmsMasterKeyId?: string } | undefined {
    if (!this.topics.has(topicArn)) return undefined;
    return { policy: this.topicPolicy(topicArn), kmsMasterKeyId: this.topicKmsKeyId(topicArn) };
  }

  /**
   * Creates the topic in `scope` (any account: tests make other accounts' topics this way) with the default
   * access policy unless `attributes` sets one, or finds it: creating an existing topic with the same attributes
   * returns its ARN, as in SNS.
   */
  createTopic(
    name: string,
    scope: TopicScope = this.scope(),
    attributes: Readonly<Record<string, string>> = {},
  ): string {
    return this.topics.create(name, scope, attributes);
  }

  listTopics(): string[] {
    return this.topics.list();
  }

  /** The messages published since this object was created (the outbox file keeps all of them). */
  published(): readonly OutboxMessage[] {
    return this.messages;
  }

  /** The topic's access policy (a resource-based policy), or undefined when there is no such topic. */
  topicPolicy(topicArn: string): PolicyDocument | undefined {
    const policy = this.topics.attribute(topicArn, 'Policy');
    return policy === undefined ? undefined : (JSON.parse(policy) as PolicyDocument);
  }

  /** The account that owns the topic, or undefined when there is no such topic. */
  topicOwner(topicArn: string): string | undefined {
    return this.topics.has(topicArn) ? parseTopicArn(topicArn)?.account : undefined;
  }

  /**
   * The ARN of the customer managed key the topic encrypts messages with (resolved when the local KMS knows it),
   * or undefined for an unencrypted topic, one using the AWS managed key alias/aws/sns, or no such topic.
   * Publishing to it needs kms:GenerateDataKey* and kms:Decrypt on that key.
   * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
   */
  topicKmsKeyId(topicArn: string): string | undefined {
    const keyId = this.topics.attribute(topicArn, 'KmsMasterKeyId');
    if (keyId === undefined || keyId === '' || isAwsManagedKey(keyId)) return undefined;
    const scope = parseTopicArn(topicArn);
    try {
      return (scope && this.options.kms?.describeKey(keyId, scope).Arn) || keyId;
    } catch (error: unknown) {
      if (error instanceof AwsError) return keyId;
      throw error;
    }
  }

  private publish(input: QueryInput, request: LocalRequest): string {
    const topicArn = targetOf(input, request);
    const message = input.string('Message');
    if (!message) throw new AwsError('InvalidParameter', 'Invalid parameter: Empty message');
    const attributes = messageAttributes(input);
    const subject = input.string('Subject');
    checkPublishedMessage({
      message,
      subject,
      messageStructure: input.string('MessageStructure'),
      attributes,
    });
    if (!this.topics.has(topicArn)) {
      const name = parseTopicArn(topicArn);
      if (!this.options.autoCreateTopics || !name)
        throw new AwsError('NotFound', 'Topic does not exist', 404);
      this.createTopic(name.name, name);
    }
    this.checkFifo(topicArn, input);
    this.checkKey(topicArn);
    const entry: OutboxMessage = {
      messageId: randomUUID(),
      topicArn,
      subject,
      message,
      attributes,
      at: new Date().toISOString(),
    };
    this.messages.push(entry);
    if (this.outboxFile) {
      mkdirSync(path.dirname(this.outboxFile), { recursive: true });
      appendFileSync(this.outboxFile, `${JSON.stringify(entry)}\n`);
    }
    return entry.messageId;
  }

  /**
   * A FIFO topic needs a MessageGroupId, and a MessageDeduplicationId unless it deduplicates by content; a
   * standard topic takes no MessageDeduplicationId.
   * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (MessageDeduplicationId, MessageGroupId)
   */
  private checkFifo(topicArn: string, input: QueryInput): void {
    const fifo = this.topics.attribute(topicArn, 'FifoTopic') === 'true';
    const deduplicationId = input.string('MessageDeduplicationId');
    if (!fifo) {
      if (deduplicationId !== undefined) {
        throw new AwsError(
          'InvalidParameter',
          'Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type',
        );
      }
      return;
    }
    if (!input.string('MessageGroupId')) {
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: The MessageGroupId parameter is required for FIFO topics',
      );
    }
    if (
      deduplicationId === undefined &&
      this.topics.attribute(topicArn, 'ContentBasedDeduplication') !== 'true'
    ) {
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
      );
    }
  }

  /**
   * An encrypted topic encrypts each message with its key: a key that is missing, disabled or in another state
   * fails the publish with KMSNotFound, KMSDisabled or KMSInvalidState.
   * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (Errors)
   */
  private checkKey(topicArn: string): void {
    const keyId = this.topics.attribute(topicArn, 'KmsMasterKeyId');
    const scope = parseTopicArn(topicArn);
    if (!this.options.kms || !scope || keyId === undefined || keyId === '' || isAwsManagedKey(keyId)) return;
    let state: string | undefined;
    try {
      state = this.options.kms.describeKey(keyId, scope).KeyState;
    } catch (error: unknown) {
      if (!(error instanceof AwsError)) throw error;
      throw new AwsError('KMSNotFound', `Invalid keyId ${keyId}: ${error.message}`);
    }
    if (state === 'Disabled') throw new AwsError('KMSDisabled', `The KMS key ${keyId} is disabled.`);
    if (state !== 'Enabled') {
      throw new AwsError(
        'KMSInvalidState',
        `The KMS key ${keyId} is ${state}, so SNS cannot encrypt with it.`,
      );
    }
  }

  private scope(): TopicScope {
    return this.options.scope ?? { region: 'us-east-1', account: '000000000000' };
  }
}

/**
 * The topic a Publish names: TopicArn or TargetArn, not both, a topic ARN in the endpoint's Region.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html ("You can publish messages only to topics and
 * endpoints in the same Amazon Web Services Region.")
 */
function targetOf(input: QueryInput, request: LocalRequest): string {
  const topicArn = input.string('TopicArn');
  const targetArn = input.string('TargetArn');
  if (topicArn && targetArn) {
    throw new AwsError(
      'InvalidParameter',
      'Invalid parameter: TopicArn or TargetArn Reason: Only one of them may be specified',
    );
  }
  const arn = topicArn || targetArn;
  if (!arn) {
    throw new AwsError(
      'InvalidParameter',
      'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
    );
  }
  const parsed = parseTopicArn(arn);
  if (!parsed)
    throw new AwsError('InvalidParameter', `Invalid parameter: TopicArn: ${arn} is not a topic ARN`);
  if (parsed.region !== request.region) {
    throw new AwsError(
      'InvalidParameter',
      `Invalid parameter: TopicArn: the topic is in ${parsed.region}, and SNS publishes only to topics of the ` +
        `Region it is called in (${request.region})`,
    );
  }
  return arn;
}

/** `MessageAttributes.entry.N.Name` / `.Value.DataType|StringValue|BinaryValue`, keyed by name. */
function messageAttributes(input: QueryInput): Record<string, PublishedAttribute> {
  const attributes: Record<string, PublishedAttribute> = {};
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

/** A Query map parameter (`Attributes.entry.N.key` / `.value`) as an object. */
function mapOf(input: QueryInput, name: string): Record<string, string> {
  return Object.fromEntries(
    (input.structures(name) ?? []).map((entry) => [entry.requiredString('key'), entry.string('value') ?? '']),
  );
}

function isAwsManagedKey(keyId: string): boolean {
  return keyId === AWS_MANAGED_KEY || keyId.endsWith(`:${AWS_MANAGED_KEY}`);
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
