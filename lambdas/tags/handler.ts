import { RDSClient } from '@aws-sdk/client-rds';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { stepHandler } from '../shared/handler';
import { RunStateSchema } from '../shared/run/run-state';
import { fixTags } from './fix-tags';

const rds = new RDSClient(SDK_CLIENT_CONFIG);

/** Gives the refreshed target and its instances exactly the plan's tags; returns `{ tagged: [arn...] }`. */
export const handler = stepHandler('Fix tags', RunStateSchema, (event) => fixTags(rds, event.plan));
