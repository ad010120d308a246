import { RDSClient } from '@aws-sdk/client-rds';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { stepHandler } from '../shared/handler';
import { RunStateSchema, requirePoll } from '../shared/run/run-state';
import { checkRestore, startRestore } from './restore-copy';

const rds = new RDSClient(SDK_CLIENT_CONFIG);

export const start = stepHandler('Restore temporary copy', RunStateSchema, (event) =>
  startRestore(rds, event.plan, new Date()),
);

export const check = stepHandler('Check restore', RunStateSchema, (event) =>
  checkRestore(rds, event.plan, requirePoll(event.polls, 'restore'), new Date()),
);
