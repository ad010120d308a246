import {
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ENDPOINT_URL_ENV } from '../../scripts/cli/deployment';
import { main } from '../../scripts/cli/main';
import type { TestAccount } from './refresh-fixture';

/**
 * How the workflow tests drive a protected target's run as people do: started through the local Step
 * Functions, answered with `dbrefresh approve|reject --local` (the CLI in this process).
 */

/** How long a run may take to reach "Wait for approval". */
const WAIT_LIMIT_MS = 60_000;

/** Runs of a test account through its local states service, and the CLI pointed at the account. */
export interface ApprovalRuns {
  start(refreshFile: unknown, name: string): Promise<string>;
  /** The run's history record, once it shows its approval pending. */
  pendingRecord(target: string, name: string): Promise<Record<string, unknown>>;
  /** DescribeExecution until the execution is no longer RUNNING. */
  finished(executionArn: string): Promise<DescribeExecutionOutput>;
  /** The states the execution entered, in order. */
  enteredStates(executionArn: string): Promise<string[]>;
  close(): void;
}

/** The state directory of the account approvalRuns opened: the CLI signs with its administrator key. */
let cliStateDir: string | undefined;

/** Opens the runs of `test`; the CLI's `--local` then reaches this account, not a `dbrefresh local up` daemon. */
export function approvalRuns(test: TestAccount): ApprovalRuns {
  const sfn = new SFNClient({
    endpoint: test.account.url,
    region: test.account.region,
    credentials: test.account.credentials,
  });
  process.env[ENDPOINT_URL_ENV] = test.account.url;
  cliStateDir = test.account.stateDir;
  return {
    start: async (refreshFile, name) => {
      const started = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: test.account.stateMachineArn,
          name,
          input: JSON.stringify({ refreshFile, requestedBy: 'workflow test' }),
        }),
      );
      return started.executionArn ?? '';
    },
    pendingRecord: async (target, name) => {
      const deadline = Date.now() + WAIT_LIMIT_MS;
      while (Date.now() < deadline) {
        const record = await test.recordOf(target, name);
        if ((record?.approval as { status?: string } | undefined)?.status === 'pending') return record ?? {};
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`run ${name} did not ask for approval within ${WAIT_LIMIT_MS} ms`);
    },
    finished: async (executionArn) => {
      for (;;) {
        const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        if (execution.status !== 'RUNNING') return execution;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    enteredStates: async (executionArn) => {
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken }));
        events.push(...(page.events ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return events.flatMap((event) => event.stateEnteredEventDetails?.name ?? []);
    },
    close: () => {
      delete process.env[ENDPOINT_URL_ENV];
      cliStateDir = undefined;
      sfn.destroy();
    },
  };
}

/** Runs `dbrefresh <args> --local` in this process and returns what a user would see. */
export async function dbrefreshLocal(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const [command = '', ...rest] = args;
  const stateDir = cliStateDir === undefined ? [] : ['--state-dir', cliStateDir];
  const code = await main(['node', 'dbrefresh', command, ...stateDir, ...rest, '--local'], {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}
