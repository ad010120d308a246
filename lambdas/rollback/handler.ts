import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { stepHandler } from '../shared/handler';
import { RunStateSchema, requirePoll } from '../shared/run/run-state';
import { checkRollback, startRollback } from './roll-back';

const clients = {
  rds: new RDSClient(SDK_CLIENT_CONFIG),
  secrets: new SecretsManagerClient(SDK_CLIENT_CONFIG),
};

export const start = stepHandler('Roll back', RunStateSchema, (event) =>
  startRollback(clients, event.plan, new Date()),
);

export const check = stepHandler('Check rollback', RunStateSchema, (event) =>
  checkRollback(clients, event.plan, requirePoll(event.polls, 'rollback'), new Date()),
);
