import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { requireEnv } from '../shared/env';
import { stepHandler } from '../shared/handler';
import {
  FailedRunSchema,
  type FinishServices,
  recordFailure,
  recordSuccess,
  SucceededRunSchema,
} from './record-outcome';

const services: FinishServices = {
  doc: DynamoDBDocumentClient.from(new DynamoDBClient(SDK_CLIENT_CONFIG)),
  sns: new SNSClient(SDK_CLIENT_CONFIG),
  table: requireEnv('HISTORY_TABLE_NAME'),
  topicArn: requireEnv('NOTIFICATION_TOPIC_ARN'),
};

/** Record and notify: the run succeeded (with warnings when the rotation after the swap failed). */
export const succeeded = stepHandler('Record and notify', SucceededRunSchema, (event) =>
  recordSuccess(services, event, new Date()),
);

/** Record and notify: the run failed (after the rollback); the state machine then ends in a Fail state. */
export const failed = stepHandler('Record and notify failure', FailedRunSchema, (event) =>
  recordFailure(services, event, new Date()),
);
