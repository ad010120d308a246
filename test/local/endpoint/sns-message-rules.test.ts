import { type MessageAttributeValue, PublishCommand, type PublishCommandInput } from '@aws-sdk/client-sns';
import {
  MAX_MESSAGE_BYTES,
  messageSize,
  type PublishedAttribute,
} from '../../../local/endpoint/services/sns-message-rules';
import { type SnsFixture, startSns } from './sns-fixture';

const TOPIC = 'arn:aws:sns:eu-west-1:000000000000:dbrefresh-notifications';

let fixture: SnsFixture;

beforeAll(async () => {
  fixture = await startSns();
  fixture.local.createTopic('dbrefresh-notifications');
});

afterAll(async () => {
  await fixture.close();
});

function publish(input: Omit<PublishCommandInput, 'TopicArn'> & { TopicArn?: string }) {
  return fixture.sns.send(new PublishCommand({ TopicArn: TOPIC, ...input }));
}

/** A String attribute, typed both as the SDK sends it and as the local SNS receives it. */
function stringAttribute(value: string): MessageAttributeValue & PublishedAttribute {
  return { DataType: 'String', StringValue: value };
}

describe('Publish subject', () => {
  it('takes a subject of 99 printable ASCII characters', async () => {
    await expect(publish({ Message: 'm', Subject: 'x'.repeat(99) })).resolves.toHaveProperty('MessageId');
  });

  it.each([
    ['of 100 characters', 'x'.repeat(100), 'less than 100'],
    ['that is empty', '', 'empty'],
    ['with a line break', 'refresh\nfailed', 'line break'],
    ['with a tab', 'refresh\tfailed', 'not printable ASCII'],
    ['with a character outside ASCII', 'réfresh', 'not printable ASCII'],
  ])('rejects a subject %s (InvalidParameter)', async (_what, subject, reason) => {
    await expect(publish({ Message: 'm', Subject: subject })).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining(reason),
    });
  });
});

describe('Publish message size', () => {
  it('takes a message of exactly 256 KB with its attributes', async () => {
    const attributes = { status: stringAttribute('succeeded') };
    const overhead = messageSize({ message: '', attributes });

    await expect(
      publish({ Message: 'x'.repeat(MAX_MESSAGE_BYTES - overhead), MessageAttributes: attributes }),
    ).resolves.toHaveProperty('MessageId');
  });

  it('rejects a message that its attributes take over 256 KB (InvalidParameter)', async () => {
    await expect(
      publish({
        Message: 'x'.repeat(MAX_MESSAGE_BYTES - 10),
        MessageAttributes: { status: stringAttribute('succeeded') },
      }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('too long'),
    });
  });

  it('counts the message in UTF-8 bytes, not characters', () => {
    expect(messageSize({ message: 'é', attributes: { a: stringAttribute('ü') } })).toBe(2 + 1 + 6 + 2);
  });

  it('rejects an empty message (InvalidParameter)', async () => {
    await expect(publish({ Message: '' })).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});

describe('Publish message attributes', () => {
  it('takes the String attributes dbrefresh sends', async () => {
    await expect(
      publish({
        Message: 'm',
        MessageAttributes: {
          application: stringAttribute('shop'),
          environment: stringAttribute('dev'),
          target: stringAttribute('shop-dev'),
          status: stringAttribute('approval-needed'),
        },
      }),
    ).resolves.toHaveProperty('MessageId');
    expect(fixture.local.published().at(-1)?.attributes.status).toEqual(stringAttribute('approval-needed'));
  });

  it.each([
    ['a name with the reserved prefix AWS.', { 'AWS.status': stringAttribute('x') }],
    ['a name with the reserved prefix amazon. in any case', { 'amazon.status': stringAttribute('x') }],
    ['a name with two periods in a row', { 'run..id': stringAttribute('x') }],
    ['a name ending with a period', { 'status.': stringAttribute('x') }],
    ['a name with a space', { 'run id': stringAttribute('x') }],
    ['an empty String value', { status: stringAttribute('') }],
    ['an unknown data type', { status: { DataType: 'Text', StringValue: 'x' } }],
    ['a Number that is not a number', { count: { DataType: 'Number', StringValue: 'many' } }],
    ['a String.Array that is not a JSON array', { tags: { DataType: 'String.Array', StringValue: 'a,b' } }],
  ])('rejects %s (ParameterValueInvalid)', async (_what, attributes) => {
    await expect(publish({ Message: 'm', MessageAttributes: attributes })).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
    });
  });

  it('takes a custom type label and a Number', async () => {
    await expect(
      publish({
        Message: 'm',
        MessageAttributes: {
          rows: { DataType: 'Number.int', StringValue: '42' },
          steps: { DataType: 'String.Array', StringValue: '["restore","swap"]' },
        },
      }),
    ).resolves.toHaveProperty('MessageId');
  });
});

describe('Publish target and structure', () => {
  it('rejects TopicArn and TargetArn together (InvalidParameter)', async () => {
    await expect(publish({ Message: 'm', TargetArn: TOPIC })).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('Only one of them'),
    });
  });

  it('rejects a topic of another Region (InvalidParameter)', async () => {
    fixture.local.createTopic('elsewhere', { region: 'us-east-1', account: '000000000000' });

    await expect(
      publish({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:elsewhere', Message: 'm' }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('Region'),
    });
  });

  it('rejects MessageStructure json without a default entry (InvalidParameter)', async () => {
    await expect(publish({ Message: '{"email":"hello"}', MessageStructure: 'json' })).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('default'),
    });
  });
});
