import { CreateTopicCommand, ListTopicsCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { LocalEndpoint } from '../../../local/endpoint/server';
import { LocalSns, readOutbox } from '../../../local/endpoint/services/sns';
import { clientConfig, removeDirectory, startEndpoint, temporaryDirectory } from './endpoint-fixture';

describe('local SNS', () => {
  let stateDir: string;
  let local: LocalSns;
  let endpoint: LocalEndpoint;
  let sns: SNSClient;

  beforeEach(async () => {
    stateDir = temporaryDirectory('sns-');
    local = new LocalSns({ stateDir });
    endpoint = await startEndpoint({ services: [local] });
    sns = new SNSClient(clientConfig(endpoint));
  });

  afterEach(async () => {
    sns.destroy();
    await endpoint.close();
    removeDirectory(stateDir);
  });

  it('creates topics idempotently and lists them', async () => {
    const first = await sns.send(new CreateTopicCommand({ Name: 'dbrefresh' }));
    const again = await sns.send(new CreateTopicCommand({ Name: 'dbrefresh' }));

    const listed = await sns.send(new ListTopicsCommand({}));

    expect(first.TopicArn).toBe('arn:aws:sns:eu-west-1:000000000000:dbrefresh');
    expect(again.TopicArn).toBe(first.TopicArn);
    expect(listed.Topics).toEqual([{ TopicArn: first.TopicArn }]);
  });

  it('appends a published message with its subject and attributes to the outbox', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'dbrefresh' }));

    const out = await sns.send(
      new PublishCommand({
        TopicArn,
        Subject: 'Refresh of db-1 succeeded',
        Message: '{"status":"SUCCEEDED"}',
        MessageAttributes: { status: { DataType: 'String', StringValue: 'SUCCEEDED' } },
      }),
    );

    const outbox = readOutbox(stateDir);
    expect(outbox).toEqual([
      {
        messageId: out.MessageId,
        topicArn: TopicArn,
        subject: 'Refresh of db-1 succeeded',
        message: '{"status":"SUCCEEDED"}',
        attributes: { status: { DataType: 'String', StringValue: 'SUCCEEDED' } },
        at: expect.any(String),
      },
    ]);
    expect(local.published()).toEqual(outbox);
  });

  it('rejects a publish to an unknown topic with NotFound', async () => {
    await expect(
      sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:eu-west-1:000000000000:missing', Message: 'x' })),
    ).rejects.toMatchObject({ name: 'NotFoundException', message: 'Topic does not exist' });
    expect(readOutbox(stateDir)).toEqual([]);
  });

  it('creates an unknown topic on publish when autoCreateTopics is set', async () => {
    const auto = new LocalSns({ autoCreateTopics: true });
    const topicArn = 'arn:aws:sns:eu-west-1:111122223333:extra';

    await auto.handle({
      method: 'POST',
      path: '/',
      query: new URLSearchParams(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(
        `Action=Publish&Version=2010-03-31&TopicArn=${encodeURIComponent(topicArn)}&Message=hi`,
      ),
      service: 'sns',
      region: 'eu-west-1',
      account: '000000000000',
    });

    expect(auto.listTopics()).toEqual([topicArn]);
    expect(auto.published()).toMatchObject([{ topicArn, message: 'hi' }]);
  });

  it('keeps topics in the state directory', async () => {
    local.createTopic('kept');

    expect(new LocalSns({ stateDir }).listTopics()).toEqual(['arn:aws:sns:us-east-1:000000000000:kept']);
  });

  it('takes a JSON message structure with a default message', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'dbrefresh' }));

    const out = await sns.send(
      new PublishCommand({
        TopicArn,
        MessageStructure: 'json',
        Message: JSON.stringify({ default: 'done' }),
      }),
    );

    expect(out.MessageId).toBeDefined();
  });

  it.each([
    ['not JSON', '{default', 'JSON message body failed to parse'],
    ['without a default message', JSON.stringify({ email: 'done' }), 'No default entry in JSON message body'],
    [
      'nested 5,000 levels deep',
      `{"default":"x","deep":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      'nests objects and arrays 5001 levels deep, deeper than the limit of 100',
    ],
  ])('rejects a JSON message structure %s as InvalidParameter', async (_, Message, reason) => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'dbrefresh' }));

    await expect(
      sns.send(new PublishCommand({ TopicArn, MessageStructure: 'json', Message })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining(reason),
    });
    expect(local.published()).toHaveLength(0);
  });
});
