import { RDSClient } from '@aws-sdk/client-rds';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { stepHandler } from '../shared/handler';
import { RunStateSchema, requirePoll } from '../shared/run/run-state';
import {
  checkDeletion,
  checkRetire,
  DELETE_POLL_KEY,
  RETIRE_POLL_KEY,
  startDeletion,
  startRetire,
} from './retire-old-target';

const rds = new RDSClient(SDK_CLIENT_CONFIG);

/** Deletes the old target, or stops it when the refresh keeps it; returns the poll state for `$.polls.retire`. */
export const start = stepHandler('Retire old target', RunStateSchema, (event) =>
  startRetire(rds, event.plan, new Date()),
);

/** Checks the retirement of the old target and moves it on. */
export const check = stepHandler('Check retire old target', RunStateSchema, (event) =>
  checkRetire(rds, event.plan, requirePoll(event.polls, RETIRE_POLL_KEY), new Date()),
);

/** Deletes an old target that was kept stopped; returns the poll state for `$.polls.deleteOldTarget`. */
export const deleteStart = stepHandler('Delete old target', RunStateSchema, (event) =>
  startDeletion(rds, event.plan, new Date()),
);

/** Checks the deletion of the old target and moves it on. */
export const deleteCheck = stepHandler('Check delete old target', RunStateSchema, (event) =>
  checkDeletion(rds, event.plan, requirePoll(event.polls, DELETE_POLL_KEY), new Date()),
);
