import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { stepHandler } from '../shared/handler';
import { RunStateSchema, requirePoll } from '../shared/run/run-state';
import { checkAdminPassword, startAdminPassword } from './set-admin-password';

const rds = new RDSClient(SDK_CLIENT_CONFIG);
const secretsManager = new SecretsManagerClient(SDK_CLIENT_CONFIG);

export const start = stepHandler('Set admin password', RunStateSchema, (event) =>
  startAdminPassword(rds, secretsManager, event.plan, new Date()),
);

export const check = stepHandler('Check admin password', RunStateSchema, (event) =>
  checkAdminPassword(rds, event.plan, requirePoll(event.polls, 'adminPassword'), new Date()),
);
