import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { stepHandler } from '../shared/handler';
import { RunStateSchema, requirePoll } from '../shared/run/run-state';
import { checkSwap, startSwap } from './swap-names';

const clients = {
  rds: new RDSClient(SDK_CLIENT_CONFIG),
  secrets: new SecretsManagerClient(SDK_CLIENT_CONFIG),
};

export const start = stepHandler('Swap names', RunStateSchema, (event) =>
  startSwap(clients, event.plan, new Date()),
);

export const check = stepHandler('Check swap', RunStateSchema, (event) =>
  checkSwap(clients, event.plan, requirePoll(event.polls, 'swap'), new Date()),
);
