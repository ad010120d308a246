import * as z from 'zod';
import { CaughtErrorSchema } from './run-state';

/**
 * What went wrong after the refresh itself was done, without undoing it: the run succeeds, and its history
 * record and notification carry these warnings. Today only the secret's rotation can fail this way.
 */
export const RunWarningSchema = z.object({
  /** The step that failed, as the execution history names it. */
  step: z.string(),
  /** The error name, as the state machine's Catch saw it. */
  error: z.string(),
  cause: z.string(),
  /** Where that leaves the target, and what to do. */
  outcome: z.string(),
});
export type RunWarning = z.output<typeof RunWarningSchema>;

/** The step that rotates the target's secret after the swap. */
export const ROTATION_STEP = 'Rotate secret';
/** The step that, after a failed rotation, gives the target a working password and clears the half-done rotation. */
export const UNDO_ROTATION_STEP = 'Undo failed rotation';
/** Where "Undo failed rotation" keeps its poll state, under `$.polls`. */
export const UNDO_ROTATION_POLL_KEY = 'undoRotation';

/** Where the state machine puts the error of a failed rotation (`$.rotationError`), and of a failed undo. */
export const ROTATION_ERROR_KEY = 'rotationError';
export const UNDO_ROTATION_ERROR_KEY = 'rotationUndoError';

/** The execution state's record of a failed rotation, which the success step turns into warnings. */
export const RotationFailureSchema = z.object({
  [ROTATION_ERROR_KEY]: CaughtErrorSchema.optional(),
  [UNDO_ROTATION_ERROR_KEY]: CaughtErrorSchema.optional(),
});
