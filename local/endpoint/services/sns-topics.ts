import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import type { PolicyDocument } from '../../iam/access';
import { AwsError } from '../service';

/** Where a topic lives. */
export interface TopicScope {
  readonly region: string;
  readonly account: string;
}

const TopicRecordSchema = z.object({
  arn: z.string(),
  /** The attributes set with CreateTopic or SetTopicAttributes; Policy is always set. */
  attributes: z.record(z.string(), z.string()),
});
type TopicRecord = z.output<typeof TopicRecordSchema>;

/** The file holds records; files written before topics had attributes hold ARNs only. */
const TopicsFileSchema = z.array(z.union([z.string(), TopicRecordSchema]));

/**
 * Topic names: 1 to 256 ASCII letters, digits, hyphens and underscores; a FIFO topic's ends with `.fifo`.
 * https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html (Name)
 */
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const FIFO_SUFFIX = '.fifo';
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_.-]+)$/;

/**
 * The attributes CreateTopic and SetTopicAttributes take (FifoTopic only at creation).
 * https://docs.aws.amazon.com/sns/latest/api/API_SetTopicAttributes.html
 */
const SETTABLE_ATTRIBUTES = new Set([
  'ApplicationFailureFeedbackRoleArn',
  'ApplicationSuccessFeedbackRoleArn',
  'ApplicationSuccessFeedbackSampleRate',
  'ArchivePolicy',
  'ContentBasedDeduplication',
  'DeliveryPolicy',
  'DisplayName',
  'FifoThroughputScope',
  'FirehoseFailureFeedbackRoleArn',
  'FirehoseSuccessFeedbackRoleArn',
  'FirehoseSuccessFeedbackSampleRate',
  'HTTPFailureFeedbackRoleArn',
  'HTTPSuccessFeedbackRoleArn',
  'HTTPSuccessFeedbackSampleRate',
  'KmsMasterKeyId',
  'LambdaFailureFeedbackRoleArn',
  'LambdaSuccessFeedbackRoleArn',
  'LambdaSuccessFeedbackSampleRate',
  'Policy',
  'SignatureVersion',
  'SQSFailureFeedbackRoleArn',
  'SQSSuccessFeedbackRoleArn',
  'SQSSuccessFeedbackSampleRate',
  'TracingConfig',
]);
/**
 * Topic policy quotas: 30 KB, 100 statements.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html
 */
const MAX_POLICY_BYTES = 30_720;
const MAX_POLICY_STATEMENTS = 100;

/** An SNS topic's name, region and account, from its ARN; undefined for anything else. */
export function parseTopicArn(arn: string): { region: string; account: string; name: string } | undefined {
  const match = TOPIC_ARN.exec(arn);
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return { region: match[1], account: match[2], name: match[3] };
}

/**
 * The access policy SNS gives a new topic: only the owner account may use it.
 * https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html (Policy: "By default, only the topic owner can
 * publish or subscribe to the topic"); the statement is the one SNS writes (`__default_policy_ID`).
 */
export function defaultTopicPolicy(
  topicArn: string,
  owner: string,
): PolicyDocument & { readonly Id: string } {
  return {
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: topicArn,
        Condition: { StringEquals: { 'AWS:SourceOwner': owner } },
      },
    ],
  };
}

/** The topics of the local SNS, with their attributes, kept in `<stateDir>/sns-topics.json`. */
export class TopicStore {
  private readonly topics = new Map<string, TopicRecord>();
  private readonly file: string | undefined;

  constructor(stateDir: string | undefined) {
    this.file = stateDir ? path.join(stateDir, 'sns-topics.json') : undefined;
    if (this.file && existsSync(this.file)) {
      for (const entry of TopicsFileSchema.parse(JSON.parse(readFileSync(this.file, 'utf8')))) {
        const record = typeof entry === 'string' ? newRecord(entry, {}) : entry;
        this.topics.set(record.arn, record);
      }
    }
  }

  /**
   * Creates the topic, or returns the existing one's ARN when its attributes are the same (CreateTopic is
   * idempotent for the owner); the same name with other attributes is refused.
   * https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html
   */
  create(name: string, scope: TopicScope, attributes: Readonly<Record<string, string>> = {}): string {
    checkTopicName(name, attributes);
    const arn = `arn:aws:sns:${scope.region}:${scope.account}:${name}`;
    for (const [attribute, value] of Object.entries(attributes)) checkAttribute(arn, attribute, value, true);
    const existing = this.topics.get(arn);
    if (existing) {
      const differs = Object.entries(attributes).some(([key, value]) => existing.attributes[key] !== value);
      if (differs) {
        throw new AwsError(
          'InvalidParameter',
          'Invalid parameter: Attributes Reason: Topic already exists with different attributes',
        );
      }
      return arn;
    }
    this.topics.set(arn, newRecord(arn, attributes));
    this.save();
    return arn;
  }

  /** Sets one attribute. https://docs.aws.amazon.com/sns/latest/api/API_SetTopicAttributes.html */
  setAttribute(topicArn: string, name: string, value: string): void {
    const topic = this.require(topicArn);
    checkAttribute(topicArn, name, value, false);
    topic.attributes[name] = value;
    this.save();
  }

  /**
   * The attributes GetTopicAttributes answers: those set, with TopicArn, Owner and the subscription counts.
   * https://docs.aws.amazon.com/sns/latest/api/API_GetTopicAttributes.html
   */
  attributesOf(topicArn: string): Record<string, string> {
    const topic = this.require(topicArn);
    const owner = parseTopicArn(topic.arn)?.account ?? '';
    return {
      TopicArn: topic.arn,
      Owner: owner,
      SubscriptionsConfirmed: '0',
      SubscriptionsPending: '0',
      SubscriptionsDeleted: '0',
      ...topic.attributes,
    };
  }

  has(topicArn: string): boolean {
    return this.topics.has(topicArn);
  }

  /** The topic's attribute, or undefined when the topic or the attribute is absent. */
  attribute(topicArn: string, name: string): string | undefined {
    return this.topics.get(topicArn)?.attributes[name];
  }

  list(): string[] {
    return [...this.topics.keys()].sort();
  }

  /** @throws AwsError NotFound as SNS answers for a topic that does not exist */
  require(topicArn: string): TopicRecord {
    const topic = this.topics.get(topicArn);
    if (!topic) throw new AwsError('NotFound', 'Topic does not exist', 404);
    return topic;
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${randomUUID()}.tmp`;
    const records = [...this.topics.values()].sort((a, b) => a.arn.localeCompare(b.arn));
    writeFileSync(temporary, JSON.stringify(records, null, 2));
    renameSync(temporary, this.file);
  }
}

function newRecord(arn: string, attributes: Readonly<Record<string, string>>): TopicRecord {
  const owner = parseTopicArn(arn)?.account ?? '';
  return {
    arn,
    attributes: { Policy: JSON.stringify(defaultTopicPolicy(arn, owner)), ...attributes },
  };
}

/**
 * The name's characters, and `.fifo` exactly when the topic is a FIFO topic (attribute FifoTopic `true`).
 * https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html (Name)
 */
function checkTopicName(name: string, attributes: Readonly<Record<string, string>>): void {
  const fifo = attributes.FifoTopic === 'true';
  const base = fifo && name.endsWith(FIFO_SUFFIX) ? name.slice(0, -FIFO_SUFFIX.length) : name;
  if (!TOPIC_NAME.test(base) || name.length > 256) {
    throw new AwsError(
      'InvalidParameter',
      `Invalid parameter: Topic Name "${name}": 1 to 256 ASCII letters, digits, hyphens and underscores` +
        (fifo
          ? ', ending with .fifo for a FIFO topic'
          : ' (a FIFO topic, ending with .fifo, needs FifoTopic=true)'),
    );
  }
  if (fifo && !name.endsWith(FIFO_SUFFIX)) {
    throw new AwsError(
      'InvalidParameter',
      `Invalid parameter: Topic Name "${name}": Fifo Topic names must end with .fifo`,
    );
  }
}

/**
 * Only the topic attributes SNS knows can be set, FifoTopic only at creation, and a Policy must be a valid topic
 * policy (see checkPolicy).
 * https://docs.aws.amazon.com/sns/latest/api/API_SetTopicAttributes.html
 */
function checkAttribute(topicArn: string, name: string, value: string, creating: boolean): void {
  if (!SETTABLE_ATTRIBUTES.has(name) && !(creating && name === 'FifoTopic')) {
    throw new AwsError(
      'InvalidParameter',
      `Invalid parameter: AttributeName: ${name} is not an attribute SNS lets you set on a topic`,
    );
  }
  if (name === 'Policy') checkPolicy(topicArn, value);
}

/**
 * A topic policy is a JSON policy document of at most 30 KB with 1 to 100 statements, each with its own Sid,
 * allowing or denying SNS actions on this topic alone (its Resource is the topic's ARN).
 * https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html
 */
function checkPolicy(topicArn: string, value: string): void {
  const invalid = (reason: string) =>
    new AwsError('InvalidParameter', `Invalid parameter: Policy Error: ${reason}`);
  if (Buffer.byteLength(value, 'utf8') > MAX_POLICY_BYTES) {
    throw invalid(`the policy is larger than ${MAX_POLICY_BYTES} bytes`);
  }
  let document: unknown;
  try {
    document = JSON.parse(value);
  } catch {
    throw invalid('the policy is not valid JSON');
  }
  const statement = isObject(document) ? document.Statement : undefined;
  const statements = Array.isArray(statement) ? statement : isObject(statement) ? [statement] : [];
  if (statements.length === 0 || statements.length > MAX_POLICY_STATEMENTS) {
    throw invalid(
      `a topic policy has 1 to ${MAX_POLICY_STATEMENTS} statements, this one ${statements.length}`,
    );
  }
  const sids = new Set<unknown>();
  for (const item of statements) {
    if (!isObject(item)) throw invalid('every statement must be an object');
    if (item.Sid !== undefined && sids.has(item.Sid))
      throw invalid(`the Sid ${String(item.Sid)} is not unique`);
    sids.add(item.Sid);
    const resources = listOf(item.Resource);
    if (resources.length !== 1 || resources[0] !== topicArn) {
      throw invalid(`a statement's Resource must be the topic's ARN ${topicArn}`);
    }
    const actions = listOf(item.Action);
    if (actions.some((action) => typeof action !== 'string' || !/^(sns:|\*$)/i.test(action))) {
      throw invalid('Policy statement action out of service scope!');
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function listOf(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
