import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { requireEnv } from '../shared/env';
import { stepHandler } from '../shared/handler';
import { ApprovalRequestSchema, type ApprovalServices, requestApproval } from './request-approval';

const services: ApprovalServices = {
  doc: DynamoDBDocumentClient.from(new DynamoDBClient(SDK_CLIENT_CONFIG)),
  sns: new SNSClient(SDK_CLIENT_CONFIG),
  table: requireEnv('HISTORY_TABLE_NAME'),
  topicArn: requireEnv('NOTIFICATION_TOPIC_ARN'),
};

/** Asks for the approval of a protected target's refresh; the state machine then waits on the task token. */
export const handler = stepHandler('Wait for approval', ApprovalRequestSchema, (event) =>
  requestApproval(services, event, new Date()),
);
