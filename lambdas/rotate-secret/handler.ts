import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { stepHandler } from '../shared/handler';
import { RunStateSchema, requirePoll } from '../shared/run/run-state';
import { checkRotation, startRotation } from './rotate-secret';

const rds = new RDSClient(SDK_CLIENT_CONFIG);
const secretsManager = new SecretsManagerClient(SDK_CLIENT_CONFIG);

export const start = stepHandler('Rotate secret', RunStateSchema, (event) =>
  startRotation(rds, secretsManager, event.plan, new Date()),
);

export const check = stepHandler('Check secret rotation', RunStateSchema, (event) =>
  checkRotation(rds, secretsManager, event.plan, requirePoll(event.polls, 'rotateSecret'), new Date()),
);
