import type { RunInput } from '../../lambdas/shared/run/run-state';
import type { AslDefinition } from '../../lib/resolve-definition';
import type { LocalStateMachine } from '../endpoint/services/states';
import type { LocalCredentials } from '../iam/identities';
import { type LocalResources, loadRefreshMachine } from './refresh-machine';
import { runRefreshLocally } from './run-refresh';
import type { TaskTokens } from './task-tokens';

/** The name of the refresh state machine, in the stack and in local mode. */
export const REFRESH_STATE_MACHINE_NAME = 'DbRefresh';

export interface RefreshExecutionsOptions extends LocalResources {
  /** The local endpoint's URL, read when an execution starts (the endpoint starts after its services). */
  readonly endpoint: () => string;
  readonly region: string;
  readonly account: string;
  readonly taskTokens: TaskTokens;
  /** What the step functions sign their requests with. */
  readonly credentials: LocalCredentials;
  /**
   * How long each Wait lasts, in milliseconds.
   * @default - runRefreshLocally's default
   */
  readonly waitMilliseconds?: number;
}

/**
 * The refresh state machine as the local states service runs it: each execution is a runRefreshLocally
 * of the synthesized definition in this process, against the local account whose endpoint this is.
 */
export function refreshStateMachine(options: RefreshExecutionsOptions): LocalStateMachine {
  let definition: AslDefinition | undefined;
  return {
    name: REFRESH_STATE_MACHINE_NAME,
    definition: () => {
      definition ??= loadRefreshMachine(options).definition;
      return definition;
    },
    // The Plan step validates the input; StartExecution only checked that it is JSON.
    run: (execution, hooks) =>
      runRefreshLocally(execution.input as RunInput, {
        ...options,
        endpointUrl: options.endpoint(),
        executionName: execution.name,
        signal: hooks.signal,
        onEvent: hooks.onEvent,
      }),
  };
}
