import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { DATABASE_NETWORK_ENV, databaseFunctionsInVpc } from '../shared/database-network';
import { requireEnv } from '../shared/env';
import { stepHandler } from '../shared/handler';
import { RunInputSchema } from '../shared/run/run-state';
import { planRefresh } from './plan-refresh';

const clients = {
  rds: new RDSClient(SDK_CLIENT_CONFIG),
  secrets: new SecretsManagerClient(SDK_CLIENT_CONFIG),
  kms: new KMSClient(SDK_CLIENT_CONFIG),
  history: DynamoDBDocumentClient.from(new DynamoDBClient(SDK_CLIENT_CONFIG)),
  historyTable: requireEnv('HISTORY_TABLE_NAME'),
  scriptRunnerConfigured: (process.env.SCRIPT_RUNNER_INSTANCE_ID ?? '') !== '',
  scriptRunnerSecretNames: (process.env.SCRIPT_RUNNER_SECRET_NAMES ?? '')
    .split(',')
    .filter((name) => name !== ''),
  databaseFunctionsInVpc: databaseFunctionsInVpc(process.env[DATABASE_NETWORK_ENV]),
};

/** The plan task passes the execution input with the execution's ARN and start time. */
export const PlanRequestSchema = z.object({
  input: RunInputSchema,
  executionArn: z.string(),
  startTime: z.string(),
});

export const handler = stepHandler('Plan refresh', PlanRequestSchema, (request) =>
  planRefresh(clients, request),
);
