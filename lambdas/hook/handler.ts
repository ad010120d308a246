import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { stepHandler } from '../shared/handler';
import { RunStateSchema } from '../shared/run/run-state';
import { invokeHook } from './invoke-hook';

const lambda = new LambdaClient(SDK_CLIENT_CONFIG);
const rds = new RDSClient(SDK_CLIENT_CONFIG);

/** Invokes the refresh file's beforeSwap hook against the temporary copy. */
export const beforeSwap = stepHandler('Run hook before swap', RunStateSchema, (event) =>
  invokeHook(lambda, rds, event.plan, 'beforeSwap'),
);

/** Invokes the refresh file's afterRefresh hook against the refreshed target. */
export const afterRefresh = stepHandler('Run hook after refresh', RunStateSchema, (event) =>
  invokeHook(lambda, rds, event.plan, 'afterRefresh'),
);
