import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { stepHandler } from '../shared/handler';
import { RunStateSchema, requirePoll } from '../shared/run/run-state';
import { ROTATION_STEP, UNDO_ROTATION_POLL_KEY, UNDO_ROTATION_STEP } from '../shared/run/run-warnings';
import { checkRotation, checkUndoRotation, startRotation, startUndoRotation } from './rotate-secret';

const rds = new RDSClient(SDK_CLIENT_CONFIG);
const secretsManager = new SecretsManagerClient(SDK_CLIENT_CONFIG);

export const start = stepHandler(ROTATION_STEP, RunStateSchema, (event) =>
  startRotation(rds, secretsManager, event.plan, new Date()),
);

export const check = stepHandler('Check secret rotation', RunStateSchema, (event) =>
  checkRotation(rds, secretsManager, event.plan, requirePoll(event.polls, 'rotateSecret'), new Date()),
);

/** After a failed rotation: sets the target's password back to its secret's current one, clears AWSPENDING. */
export const undoStart = stepHandler(UNDO_ROTATION_STEP, RunStateSchema, (event) =>
  startUndoRotation(rds, secretsManager, event.plan, new Date()),
);

export const undoCheck = stepHandler(`Check ${UNDO_ROTATION_STEP.toLowerCase()}`, RunStateSchema, (event) =>
  checkUndoRotation(rds, event.plan, requirePoll(event.polls, UNDO_ROTATION_POLL_KEY), new Date()),
);
