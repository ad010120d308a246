import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../scripts/cli/main';

/** The deployment the unit tests of the operating commands find (through a mocked DescribeStacks). */
export const STACK = {
  region: 'eu-west-1',
  stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:DbRefresh',
  historyTableName: 'DbRefresh-History',
  notificationTopicArn: 'arn:aws:sns:eu-west-1:111122223333:DbRefresh-Notifications',
} as const;

/** Who the mocked STS says the caller is. */
export const CALLER_ARN = 'arn:aws:sts::111122223333:assumed-role/Dba/jane';

export const executionArn = (name: string) =>
  `arn:aws:states:eu-west-1:111122223333:execution:DbRefresh:${name}`;

/**
 * Answers DescribeStacks with the outputs of STACK, and GetCallerIdentity with CALLER_ARN; reset it in
 * beforeEach with the other mocks.
 */
export function mockStack() {
  const cloudFormation = mockClient(CloudFormationClient);
  const sts = mockClient(STSClient);
  const answer = () => {
    sts.on(GetCallerIdentityCommand).resolves({ Arn: CALLER_ARN });
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'DbRefresh',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: [
            { OutputKey: 'StateMachineArn', OutputValue: STACK.stateMachineArn },
            { OutputKey: 'HistoryTableName', OutputValue: STACK.historyTableName },
            { OutputKey: 'NotificationTopicArn', OutputValue: STACK.notificationTopicArn },
          ],
        },
      ],
    });
  };
  return {
    cloudFormation,
    reset: () => {
      cloudFormation.reset();
      sts.reset();
      answer();
    },
  };
}

/** Runs `dbrefresh <args> --region eu-west-1` in this process and returns what a user would see. */
export async function dbrefresh(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'dbrefresh', ...args, '--region', STACK.region], {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

/** Writes a refresh file into a new temporary directory and returns its path. */
export function writeRefreshFile(content: unknown, name = 'app1-dev.json'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'dbrefresh-cli-')), name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

/** A valid concise refresh file of app1-dev. */
export function app1DevFile() {
  return {
    application: 'app1',
    environment: 'development',
    service: 'rds',
    engine: 'mysql',
    source: { instance: 'app1-prod' },
    target: { instance: 'app1-dev' },
    restore: { type: 'latestpoint' },
  };
}
