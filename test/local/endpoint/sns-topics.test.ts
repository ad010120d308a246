import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  PublishCommand,
  SetTopicAttributesCommand,
} from '@aws-sdk/client-sns';
import { LocalKms } from '../../../local/endpoint/services/kms';
import { defaultTopicPolicy } from '../../../local/endpoint/services/sns-topics';
import { uniqueName } from './endpoint-fixture';
import { type SnsFixture, startSns } from './sns-fixture';

const OTHER_ACCOUNT = '111122223333';
const REGION = 'eu-west-1';

let kms: LocalKms;
let fixture: SnsFixture;
let name: string;

beforeAll(async () => {
  kms = new LocalKms({ scope: { region: REGION, account: '000000000000' } });
  fixture = await startSns({ kms });
});

afterAll(async () => {
  await fixture.close();
});

beforeEach(() => {
  name = uniqueName('topic');
});

function topicArn(topicName: string, account = '000000000000'): string {
  return `arn:aws:sns:${REGION}:${account}:${topicName}`;
}

/** A topic policy that lets `account` publish to the topic. */
function publishPolicy(arn: string, account: string, action = 'sns:Publish') {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'publish', Effect: 'Allow', Principal: { AWS: account }, Action: action, Resource: arn },
    ],
  };
}

function createTopic(attributes?: Record<string, string>) {
  return fixture.sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes }));
}

async function attributesOf(topicArn: string | undefined) {
  return (await fixture.sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }))).Attributes;
}

describe('topic policies', () => {
  it('gives a new topic the default policy: only the owner account may use it', async () => {
    const { TopicArn = '' } = await createTopic();

    const attributes = await attributesOf(TopicArn);

    expect(attributes).toMatchObject({ TopicArn, Owner: '000000000000' });
    expect(JSON.parse(attributes?.Policy ?? '')).toEqual(defaultTopicPolicy(TopicArn, '000000000000'));
    expect(fixture.local.topicPolicy(TopicArn)).toMatchObject({
      Statement: [{ Condition: { StringEquals: { 'AWS:SourceOwner': '000000000000' } } }],
    });
  });

  it('keeps the policy CreateTopic and SetTopicAttributes give', async () => {
    const allowPublish = (account: string) => JSON.stringify(publishPolicy(topicArn(name), account));
    const { TopicArn = '' } = await createTopic({ Policy: allowPublish('444455556666') });

    await fixture.sns.send(
      new SetTopicAttributesCommand({
        TopicArn,
        AttributeName: 'Policy',
        AttributeValue: allowPublish('777788889999'),
      }),
    );

    expect(fixture.local.topicPolicy(TopicArn)).toMatchObject({
      Statement: [{ Principal: { AWS: '777788889999' } }],
    });
  });

  it.each([
    ['that is not JSON', () => '{"Version":"2012-10-17"'],
    ['without statements', () => '{"Version":"2012-10-17","Statement":[]}'],
    ['for another topic', () => JSON.stringify(publishPolicy(topicArn('another-topic'), '444455556666'))],
    [
      'with an action of another service',
      () => JSON.stringify(publishPolicy(topicArn(name), '444455556666', 'sqs:SendMessage')),
    ],
  ])('rejects a policy %s (InvalidParameter)', async (_what, policy) => {
    await expect(createTopic({ Policy: policy() })).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('Policy'),
    });
  });

  it('rejects an attribute SNS does not know (InvalidParameter)', async () => {
    const { TopicArn } = await createTopic();

    await expect(
      fixture.sns.send(
        new SetTopicAttributesCommand({ TopicArn, AttributeName: 'Colour', AttributeValue: 'blue' }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('Colour'),
    });
  });

  it('returns the same topic for the same name, and rejects the name with other attributes', async () => {
    const first = await createTopic({ DisplayName: 'dbrefresh' });

    await expect(createTopic({ DisplayName: 'dbrefresh' })).resolves.toEqual(
      expect.objectContaining({ TopicArn: first.TopicArn }),
    );
    await expect(createTopic({ DisplayName: 'other' })).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('different attributes'),
    });
  });

  it('holds topics of other accounts, with their owner and policy', async () => {
    const policy = publishPolicy(topicArn(name, OTHER_ACCOUNT), '000000000000');
    const scope = { region: REGION, account: OTHER_ACCOUNT };

    const arn = fixture.local.createTopic(name, scope, { Policy: JSON.stringify(policy) });
    await fixture.sns.send(new PublishCommand({ TopicArn: arn, Message: 'to another account' }));

    expect(arn).toBe(`arn:aws:sns:${REGION}:${OTHER_ACCOUNT}:${name}`);
    expect(fixture.local.topicOwner(arn)).toBe(OTHER_ACCOUNT);
    expect(fixture.local.topicPolicy(arn)).toEqual(policy);
    expect(fixture.local.published().at(-1)).toMatchObject({ topicArn: arn, message: 'to another account' });
  });

  it('answers undefined for a topic that does not exist', () => {
    const arn = topicArn('none');

    expect([
      fixture.local.topicPolicy(arn),
      fixture.local.topicOwner(arn),
      fixture.local.topicKmsKeyId(arn),
    ]).toEqual([undefined, undefined, undefined]);
  });
});

describe('encrypted topics', () => {
  it('resolves KmsMasterKeyId to the key ARN, and has none for alias/aws/sns', async () => {
    const key = kms.createKey({ aliases: [`alias/${name}`] });
    const { TopicArn: encrypted = '' } = await createTopic({ KmsMasterKeyId: `alias/${name}` });
    const managed = fixture.local.createTopic(`${name}-managed`, undefined, {
      KmsMasterKeyId: 'alias/aws/sns',
    });

    expect(await attributesOf(encrypted)).toMatchObject({ KmsMasterKeyId: `alias/${name}` });
    expect(fixture.local.topicKmsKeyId(encrypted)).toBe(key.Arn);
    expect(fixture.local.topicKmsKeyId(managed)).toBeUndefined();
  });

  it('rejects a publish while the key is disabled (KMSDisabled) or missing (KMSNotFound)', async () => {
    const key = kms.createKey();
    const { TopicArn: disabled } = await createTopic({ KmsMasterKeyId: key.KeyId ?? '' });
    kms.setKeyState(key.KeyId ?? '', 'Disabled');
    const missing = fixture.local.createTopic(
      `${name}-missing`,
      { region: REGION, account: '000000000000' },
      {
        KmsMasterKeyId: 'alias/no-such-key',
      },
    );

    await expect(
      fixture.sns.send(new PublishCommand({ TopicArn: disabled, Message: 'm' })),
    ).rejects.toMatchObject({
      name: 'KMSDisabledException',
    });
    await expect(
      fixture.sns.send(new PublishCommand({ TopicArn: missing, Message: 'm' })),
    ).rejects.toMatchObject({
      name: 'KMSNotFoundException',
    });
  });
});

describe('FIFO topics', () => {
  it('rejects a .fifo name without FifoTopic=true (InvalidParameter)', async () => {
    await expect(fixture.sns.send(new CreateTopicCommand({ Name: `${name}.fifo` }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });

  it('rejects a publish without MessageGroupId, then without MessageDeduplicationId (InvalidParameter)', async () => {
    const { TopicArn } = await fixture.sns.send(
      new CreateTopicCommand({ Name: `${name}.fifo`, Attributes: { FifoTopic: 'true' } }),
    );

    await expect(fixture.sns.send(new PublishCommand({ TopicArn, Message: 'm' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('MessageGroupId'),
    });
    await expect(
      fixture.sns.send(new PublishCommand({ TopicArn, Message: 'm', MessageGroupId: 'shop' })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('Deduplication'),
    });
    await expect(
      fixture.sns.send(
        new PublishCommand({
          TopicArn,
          Message: 'm',
          MessageGroupId: 'shop',
          MessageDeduplicationId: 'run-1',
        }),
      ),
    ).resolves.toHaveProperty('MessageId');
  });

  it('rejects a MessageDeduplicationId on a standard topic (InvalidParameter)', async () => {
    const { TopicArn } = await createTopic();

    await expect(
      fixture.sns.send(new PublishCommand({ TopicArn, Message: 'm', MessageDeduplicationId: 'run-1' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});
