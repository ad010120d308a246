import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NOTIFICATION_TOPIC_ENV, NotificationTopic } from '../../../lib/constructs/notification-topic';

function synth(bind: boolean): Template {
  const stack = new Stack(new App(), 'Test');
  const notifications = new NotificationTopic(stack, 'Notifications');
  if (bind) {
    const fn = new LambdaFunction(stack, 'Fn', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => {};'),
    });
    notifications.bindPublish(fn);
  }
  return Template.fromStack(stack);
}

describe('NotificationTopic', () => {
  it('encrypts the topic with its own rotating KMS key', () => {
    const template = synth(false);

    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('NotificationsKey'), 'Arn'] },
    });
  });

  it('refuses publishing without TLS', () => {
    const template = synth(false);

    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('lets a bound function publish and use the key, and sets the topic in its environment', () => {
    const template = synth(true);

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: { [NOTIFICATION_TOPIC_ENV]: { Ref: Match.stringLikeRegexp('NotificationsTopic') } },
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sns:Publish', Effect: 'Allow' }),
          Match.objectLike({
            Action: Match.arrayWith(['kms:Decrypt', 'kms:GenerateDataKey*']),
            Effect: 'Allow',
          }),
        ]),
      },
    });
  });
});
