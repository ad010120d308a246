import {
  CreateTopicCommand,
  ListTopicsCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { LocalSns } from '../../../../local/endpoint/services/sns';
import type { PolicyDocument } from '../../../../local/iam/access';
import { snsAccessRequests, type TopicAttributes } from '../../../../local/iam/access/sns';
import { ACCOUNT, capturing, OTHER_ACCOUNT, REGION, summary } from './sdk-requests';

const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OTHER_TOPIC = `arn:aws:sns:${REGION}:${OTHER_ACCOUNT}:team-alerts`;
const ENCRYPTED_TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:encrypted`;
const MANAGED_TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:aws-managed`;
const otherPolicy: PolicyDocument = {
  Statement: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sns:Publish', Resource: OTHER_TOPIC }],
};
const topics: TopicAttributes = {
  topicAccess: (arn) =>
    ({
      [OTHER_TOPIC]: { policy: otherPolicy },
      [ENCRYPTED_TOPIC]: { kmsMasterKeyId: KEY_ARN },
      [MANAGED_TOPIC]: { kmsMasterKeyId: 'alias/aws/sns' },
    })[arn],
};

const sns = new LocalSns({ scope: { region: REGION, account: ACCOUNT } });
const notifications = sns.createTopic('dbrefresh-notifications');
const { requestOf } = capturing(SNSClient);

async function accessesFor(command: unknown, lookup: TopicAttributes = sns) {
  return snsAccessRequests(await requestOf(command), lookup);
}

describe('SNS accesses', () => {
  it('authorizes Publish on the topic of the caller’s account', async () => {
    const accesses = await sns.accessRequests(
      await requestOf(new PublishCommand({ TopicArn: notifications, Message: 'done' })),
    );

    expect(accesses).toEqual([
      {
        action: 'sns:Publish',
        resource: notifications,
        context: {},
        // A new topic's default access policy: its owner's account only.
        resourcePolicy: expect.objectContaining({ Id: '__default_policy_ID' }),
      },
    ]);
  });

  it('authorizes Publish to another account’s topic with its owner and its access policy', async () => {
    const [access] = await accessesFor(
      new PublishCommand({ TopicArn: OTHER_TOPIC, Message: 'done' }),
      topics,
    );

    expect(access).toMatchObject({ resourceAccount: OTHER_ACCOUNT, resourcePolicy: otherPolicy });
  });

  it('authorizes the topic’s customer key for its publisher through SNS, no key for aws/sns', async () => {
    const encrypted = await accessesFor(
      new PublishCommand({ TopicArn: ENCRYPTED_TOPIC, Message: 'x' }),
      topics,
    );
    const managed = await accessesFor(new PublishCommand({ TopicArn: MANAGED_TOPIC, Message: 'x' }), topics);

    expect(summary(encrypted)).toEqual([
      `sns:Publish ${ENCRYPTED_TOPIC}`,
      `kms:GenerateDataKey ${KEY_ARN}`,
      `kms:Decrypt ${KEY_ARN}`,
    ]);
    expect(encrypted[1]?.context).toEqual({
      'kms:ViaService': `sns.${REGION}.amazonaws.com`,
      'kms:CallerAccount': ACCOUNT,
    });
    expect(summary(managed)).toEqual([`sns:Publish ${MANAGED_TOPIC}`]);
  });

  it('authorizes a topic created with tags as CreateTopic and TagResource with the request tags', async () => {
    const accesses = await accessesFor(
      new CreateTopicCommand({ Name: 'alerts', Tags: [{ Key: 'team', Value: 'dba' }] }),
    );

    const arn = `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`;
    expect(summary(accesses)).toEqual([`sns:CreateTopic ${arn}`, `sns:TagResource ${arn}`]);
    expect(accesses[0]?.context).toEqual({ 'aws:RequestTag/team': 'dba', 'aws:TagKeys': ['team'] });
  });

  it('authorizes ListTopics on "*"', async () => {
    expect(summary(await accessesFor(new ListTopicsCommand({})))).toEqual(['sns:ListTopics *']);
  });

  it('rejects a Publish without a topic ARN, as SNS does', async () => {
    await expect(
      accessesFor(new PublishCommand({ PhoneNumber: '+15555550100', Message: 'x' })),
    ).rejects.toMatchObject({ code: 'InvalidParameter' });
  });

  it('rejects an action the local SNS does not have', async () => {
    await expect(
      accessesFor(
        new SubscribeCommand({ TopicArn: notifications, Protocol: 'email', Endpoint: 'a@example.com' }),
      ),
    ).rejects.toMatchObject({ code: 'InvalidAction' });
  });
});
