import type { RunInput } from '../../lambdas/shared/run/run-state';
import type { AslDefinition } from '../../lib/resolve-definition';
import type { LocalStateMachine } from '../endpoint/services/states';
import type { FunctionHost } from './function-host';
import { type LocalResources, loadRefreshMachine, REFRESH_STATE_MACHINE_NAME } from './refresh-machine';
import { runRefreshLocally } from './run-refresh';
import type { TaskTokens } from './task-tokens';

export { REFRESH_STATE_MACHINE_NAME };

export interface RefreshExecutionsOptions extends LocalResources {
  /** The account's function host, read when an execution starts (it needs the endpoint, which starts after its services). */
  readonly functions: () => FunctionHost;
  readonly region: string;
  readonly account: string;
  readonly taskTokens: TaskTokens;
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
      definition ??= loadRefreshMachine(options, options).definition;
      return definition;
    },
    // The Plan step validates the input; StartExecution only checked that it is JSON.
    run: (execution, hooks) =>
      runRefreshLocally(execution.input as RunInput, {
        ...options,
        functions: options.functions(),
        executionName: execution.name,
        signal: hooks.signal,
        onEvent: hooks.onEvent,
      }),
  };
}
