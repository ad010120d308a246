import { findDeployment } from './deployment';
import {
  consoleLinkOf,
  formatRunStatus,
  pollIntervalOf,
  readRun,
  runArnOf,
  runAsJson,
  type WatchOptions,
  watchRun,
  withRunClients,
} from './execution-watch';
import { formatJson } from './format';
import type { Output } from './main';
import type { RunCommandOptions } from './status';

/** `dbrefresh status <run>`: the run once. */
export async function statusCommand(
  run: string,
  options: RunCommandOptions,
  output: Output,
  now: Date = new Date(),
): Promise<number> {
  const deployment = await findDeployment(options);
  const arn = runArnOf(deployment, run);
  const view = await withRunClients(deployment, (clients) => readRun(clients, arn, run));
  output.out(
    `${options.json ? formatJson(runAsJson(view, now)) : formatRunStatus(view, now, consoleLinkOf(deployment, arn))}\n`,
  );
  return 0;
}

/** `dbrefresh watch <run>`: follows the run until it ends; exit code 0 only when it succeeded. */
export async function watchCommand(
  run: string,
  options: RunCommandOptions,
  output: Output,
  watch: Partial<WatchOptions> = {},
): Promise<number> {
  const deployment = await findDeployment(options);
  const arn = runArnOf(deployment, run);
  return withRunClients(deployment, (clients) =>
    watchRun(clients, arn, run, output, {
      json: options.json === true,
      intervalMilliseconds: pollIntervalOf(deployment),
      ...watch,
    }),
  );
}
