import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CREDENTIALS_FILE, LocalIdentities } from '../../local/iam/identities';
import {
  CliError,
  callerIdentity,
  type Deployment,
  deploymentArguments,
  ENDPOINT_URL_ENV,
  executionArnOf,
  findDeployment,
  LOCAL_ENV,
  runOperatingCommand,
} from '../../scripts/cli/deployment';

const cloudFormation = mockClient(CloudFormationClient);

const STACK_OUTPUTS = [
  { OutputKey: 'StateMachineArn', OutputValue: 'arn:aws:states:eu-west-2:111122223333:stateMachine:Refresh' },
  { OutputKey: 'HistoryTableName', OutputValue: 'DbRefresh-History' },
  { OutputKey: 'NotificationTopicArn', OutputValue: 'arn:aws:sns:eu-west-2:111122223333:DbRefresh-Topic' },
];

function stackNotFound(stack: string): Error {
  return Object.assign(new Error(`Stack with id ${stack} does not exist`), {
    name: 'ValidationError',
    $metadata: { httpStatusCode: 400 },
  });
}

const savedEnv = { ...process.env };

beforeEach(() => {
  cloudFormation.reset();
  delete process.env[LOCAL_ENV];
  delete process.env[ENDPOINT_URL_ENV];
});

afterAll(() => {
  process.env = savedEnv;
});

describe('findDeployment', () => {
  it('reads the outputs of the DbRefresh stack in the given region', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'DbRefresh',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: STACK_OUTPUTS,
        },
      ],
    });

    const deployment = await findDeployment({ region: 'eu-west-2' });

    expect(deployment).toEqual({
      local: false,
      region: 'eu-west-2',
      stack: 'DbRefresh',
      stateMachineArn: 'arn:aws:states:eu-west-2:111122223333:stateMachine:Refresh',
      historyTableName: 'DbRefresh-History',
      notificationTopicArn: 'arn:aws:sns:eu-west-2:111122223333:DbRefresh-Topic',
      clientConfig: { region: 'eu-west-2' },
    });
    expect(cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'DbRefresh' });
  });

  it('reads the stack that --stack names', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'Other',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: STACK_OUTPUTS,
        },
      ],
    });

    const deployment = await findDeployment({ region: 'eu-west-2', stack: 'Other' });

    expect(deployment.stack).toBe('Other');
    expect(cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'Other' });
  });

  it('fails when the stack does not exist, naming it, the region and the fix', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(stackNotFound('DbRefresh'));

    await expect(findDeployment({ region: 'eu-west-2' })).rejects.toThrow(
      new CliError('stack DbRefresh not found in eu-west-2; deploy it (npx cdk deploy) or pass --stack'),
    );
  });

  it('fails when the stack lacks an output dbrefresh needs', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'DbRefresh',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: STACK_OUTPUTS.slice(0, 2),
        },
      ],
    });

    await expect(findDeployment({ region: 'eu-west-2' })).rejects.toThrow(
      /stack DbRefresh in eu-west-2 has no output NotificationTopicArn: .*deploy this version \(npx cdk deploy\)/,
    );
  });

  it('passes other AWS errors on', async () => {
    const denied = Object.assign(new Error('not authorized to perform cloudformation:DescribeStacks'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    cloudFormation.on(DescribeStacksCommand).rejects(denied);

    await expect(findDeployment({ region: 'eu-west-2' })).rejects.toBe(denied);
  });

  it("uses the local endpoint with the local administrator's credentials in local mode", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'dbrefresh-cli-'));
    const administrator = LocalIdentities.open(stateDir, '000000000000').administrator.credentials;
    process.env[ENDPOINT_URL_ENV] = 'http://127.0.0.1:4566';
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'DbRefresh',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: STACK_OUTPUTS,
        },
      ],
    });

    const deployment = await findDeployment({ local: true, stateDir });

    expect(deployment.local).toBe(true);
    expect(deployment.region).toBe('eu-west-1');
    expect(deployment.clientConfig).toEqual({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:4566',
      credentials: administrator,
    });
  });

  it('fails in local mode without the administrator key, naming the file and how to create it', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'dbrefresh-cli-'));
    process.env[ENDPOINT_URL_ENV] = 'http://127.0.0.1:4566';

    await expect(findDeployment({ local: true, stateDir })).rejects.toThrow(
      `${join(stateDir, CREDENTIALS_FILE)} does not exist, so there is no local administrator key to sign with: ` +
        `\`dbrefresh local up --state-dir ${stateDir}\` creates it`,
    );
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
  });

  it('fails in local mode on a damaged administrator key file, naming it and the fix', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'dbrefresh-cli-'));
    writeFileSync(join(stateDir, CREDENTIALS_FILE), '{"accessKeyId": "AKIA');
    process.env[ENDPOINT_URL_ENV] = 'http://127.0.0.1:4566';

    await expect(findDeployment({ local: true, stateDir })).rejects.toThrow(
      `${join(stateDir, CREDENTIALS_FILE)} does not hold the local administrator's access key (accessKeyId AKIA…, secretAccessKey); ` +
        'delete it and run `dbrefresh local up` to issue a new one',
    );
  });

  it('takes local mode from DBREFRESH_LOCAL=1', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'dbrefresh-cli-'));
    LocalIdentities.open(stateDir, '000000000000');
    process.env[LOCAL_ENV] = '1';
    process.env[ENDPOINT_URL_ENV] = 'http://127.0.0.1:4566';
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'DbRefresh',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: STACK_OUTPUTS,
        },
      ],
    });

    expect((await findDeployment({ stateDir })).local).toBe(true);
  });

  it('fails when local mode is not running, telling how to start it', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'dbrefresh-cli-'));

    await expect(findDeployment({ local: true, stateDir })).rejects.toThrow(
      `local mode is not running (no endpoint serves ${stateDir}); start it with \`dbrefresh local up --state-dir ${stateDir}\``,
    );
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
  });
});

describe('executionArnOf', () => {
  it('names an execution of the deployment state machine', () => {
    const deployment = { stateMachineArn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:DbRefresh' };

    expect(executionArnOf(deployment as Deployment, 'shop-dev-0123456789ab')).toBe(
      'arn:aws:states:eu-west-1:000000000000:execution:DbRefresh:shop-dev-0123456789ab',
    );
  });
});

describe('deploymentArguments', () => {
  it('repeats what a follow-up command needs to reach the same deployment', () => {
    const aws = { local: false, stack: 'DbRefresh' } as Deployment;

    expect(deploymentArguments(aws)).toBe('');
    expect(deploymentArguments({ ...aws, stack: 'DbRefreshTest' })).toBe(' --stack DbRefreshTest');
    expect(deploymentArguments({ ...aws, local: true, stateDir: '/tmp/account' })).toBe(
      ' --local --state-dir /tmp/account',
    );
  });
});

describe('callerIdentity', () => {
  it('is local:<user> in local mode', async () => {
    expect(await callerIdentity({ local: true } as Deployment)).toMatch(/^local:.+/);
  });

  it('is the caller ARN from STS on AWS', async () => {
    const sts = mockClient(STSClient);
    sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:sts::111122223333:assumed-role/Dba/jane' });

    const deployment = { local: false, clientConfig: { region: 'eu-west-1' } } as Deployment;

    expect(await callerIdentity(deployment)).toBe('arn:aws:sts::111122223333:assumed-role/Dba/jane');
    sts.restore();
  });

  it('rejects credentials STS returns no ARN for', async () => {
    const sts = mockClient(STSClient);
    sts.on(GetCallerIdentityCommand).resolves({});

    const deployment = { local: false, clientConfig: { region: 'eu-west-1' } } as Deployment;

    await expect(callerIdentity(deployment)).rejects.toThrow(CliError);
    sts.restore();
  });
});

describe('runOperatingCommand', () => {
  function capture() {
    const output = { out: jest.fn(), err: jest.fn() };
    let code: number | undefined;
    return { output, setExitCode: (value: number) => (code = value), code: () => code };
  }

  it('reports the action exit code', async () => {
    const run = capture();

    await runOperatingCommand(run.output, run.setExitCode, async () => 0);

    expect(run.code()).toBe(0);
  });

  it('prints a problem the user can fix as one error line and exits 1', async () => {
    const run = capture();

    await runOperatingCommand(run.output, run.setExitCode, async () => {
      throw new CliError(
        'stack DbRefresh not found in eu-west-1; deploy it (npx cdk deploy) or pass --stack',
      );
    });

    expect(run.output.err).toHaveBeenCalledWith(
      'error: stack DbRefresh not found in eu-west-1; deploy it (npx cdk deploy) or pass --stack\n',
    );
    expect(run.code()).toBe(1);
  });

  it('explains missing credentials', async () => {
    const run = capture();

    await runOperatingCommand(run.output, run.setExitCode, async () => {
      throw Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      });
    });

    expect(run.output.err).toHaveBeenCalledWith(
      expect.stringMatching(/^error: no AWS credentials found .*--local/),
    );
    expect(run.code()).toBe(1);
  });

  it('rejects with the error of a bug, for its stack trace', async () => {
    const run = capture();
    const bug = new TypeError('undefined is not a function');

    await expect(
      runOperatingCommand(run.output, run.setExitCode, async () => {
        throw bug;
      }),
    ).rejects.toBe(bug);
  });
});
