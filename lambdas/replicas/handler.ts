import { RDSClient } from '@aws-sdk/client-rds';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { stepHandler } from '../shared/handler';
import { RunStateSchema, requirePoll } from '../shared/run/run-state';
import { checkReplicas, REPLICAS_POLL_KEY, startReplicas } from './create-replicas';

const rds = new RDSClient(SDK_CLIENT_CONFIG);

/** Creates the RDS read replicas of the refreshed target; returns the poll state for `$.polls.replicas`. */
export const start = stepHandler('Create replicas', RunStateSchema, (event) =>
  startReplicas(rds, event.plan, new Date()),
);

/** Checks whether the read replicas are available. */
export const check = stepHandler('Check replicas', RunStateSchema, (event) =>
  checkReplicas(rds, event.plan, requirePoll(event.polls, REPLICAS_POLL_KEY), new Date()),
);
