import type { QueryInput } from '../../endpoint/query-protocol';
import { AwsError, type LocalRequest } from '../../endpoint/service';
import type { AccessRequest, PolicyDocument } from '../access';
import { type KeyResolver, keyUseThroughService, resolveKey } from './customer-keys';
import { ownerIfOther, queryRequest, unknownOperation } from './requests';
import { type AccessSpec, describedAccesses } from './service-authorization';
import { requestTagKeys, type TagLike } from './tags';

/**
 * What IAM authorizes for each action of the local SNS, as the Service Authorization Reference lists it
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html): Publish on the
 * topic, whose access policy decides too (and alone lets another account's caller publish); a topic encrypted
 * with a customer managed key needs kms:GenerateDataKey and kms:Decrypt of its publishers, through SNS; a topic
 * created with tags needs sns:TagResource too.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
 * https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html
 */

/** What the mapper reads of the local topics. */
export interface TopicAttributes {
  /** The topic's access policy and KMS key, or undefined when there is no such topic. */
  topicAccess(
    topicArn: string,
  ): { readonly policy?: PolicyDocument; readonly kmsMasterKeyId?: string } | undefined;
}

export interface SnsAccessOptions {
  /** Resolves key ids and aliases (the local KMS). @default - key ARNs and ids stand for themselves */
  readonly keys?: KeyResolver;
}

const TOPIC_ARN = /^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/;

/**
 * The accesses of an SNS request.
 * @throws AwsError for an action the local SNS does not have, a Publish without a topic ARN, or a topic key the
 *   local KMS does not have
 */
export async function snsAccessRequests(
  request: LocalRequest,
  topics: TopicAttributes,
  options: SnsAccessOptions = {},
): Promise<AccessRequest[]> {
  const { action, input } = queryRequest(request);
  switch (action) {
    case 'Publish':
      return describedAccesses(publish(request, input, topics, options));
    case 'CreateTopic':
      return describedAccesses(createTopic(request, input));
    case 'ListTopics':
      return describedAccesses([{ action: 'sns:ListTopics', resource: '*' }]);
    default:
      throw unknownOperation('sns', action, 'InvalidAction');
  }
}

/** Publish on the topic, with its policy and, for a customer managed key, the key through SNS. */
function publish(
  request: LocalRequest,
  input: QueryInput,
  topics: TopicAttributes,
  options: SnsAccessOptions,
): AccessSpec[] {
  const topicArn = input.string('TopicArn') ?? input.string('TargetArn');
  if (!topicArn || !TOPIC_ARN.test(topicArn)) {
    throw new AwsError(
      'InvalidParameter',
      `Invalid parameter: TopicArn Reason: ${topicArn ? `"${topicArn}" is not a topic ARN` : 'no value for required parameter'}`,
    );
  }
  const topic = topics.topicAccess(topicArn);
  const keyId = topic?.kmsMasterKeyId;
  const key =
    keyId === undefined
      ? undefined
      : resolveKey(keyId, { region: request.region, account: request.account }, options.keys);
  if (keyId !== undefined && !key) {
    throw new AwsError('KMSNotFound', `The KMS key ${keyId} of topic ${topicArn} is not in the local KMS`);
  }
  return [
    {
      action: 'sns:Publish',
      resource: topicArn,
      ...ownerIfOther(topicArn, request),
      ...(topic?.policy ? { resourcePolicy: topic.policy } : {}),
    },
    ...keyUseThroughService(key, ['kms:GenerateDataKey', 'kms:Decrypt'], 'sns', request),
  ];
}

/** CreateTopic on the topic's ARN with the request's tags, which need sns:TagResource too. */
function createTopic(request: LocalRequest, input: QueryInput): AccessSpec[] {
  const arn = `arn:aws:sns:${request.region}:${request.account}:${input.requiredString('Name')}`;
  const tags: TagLike[] = (input.structures('Tags') ?? []).map((tag) => ({
    Key: tag.string('Key'),
    Value: tag.string('Value'),
  }));
  const keys = requestTagKeys(tags);
  return [
    { action: 'sns:CreateTopic', resource: arn, request: keys },
    ...(tags.length > 0 ? [{ action: 'sns:TagResource', resource: arn, request: keys }] : []),
  ];
}
