import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { invokeHook } from '../../lambdas/hook/invoke-hook';
import { GuardError, HookError } from '../../lambdas/shared/errors';
import type { Plan } from '../../lambdas/shared/run/plan';
import { auroraPlan, rdsPlan, runState } from '../fixtures/plans';

const HOOK_ARN = 'arn:aws:lambda:eu-west-1:444455556666:function:app1-reindex';
const lambdaMock = mockClient(LambdaClient);
const rdsMock = mockClient(RDSClient);
const lambda = new LambdaClient({ region: 'eu-west-1' });
const rds = new RDSClient({ region: 'eu-west-1' });

function withHooks(plan: Plan, hooks: NonNullable<Plan['file']['hooks']>): Plan {
  return { ...plan, file: { ...plan.file, hooks } };
}

/** A response payload as the SDK returns it (a Uint8Array with string helpers, which the code does not use). */
function bytes(text: string): InvokeCommandOutput['Payload'] {
  return new TextEncoder().encode(text) as InvokeCommandOutput['Payload'];
}

function json(value: unknown): InvokeCommandOutput['Payload'] {
  return bytes(JSON.stringify(value));
}

function sentPayload(): Record<string, unknown> {
  const payload = lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input.Payload;
  return JSON.parse(new TextDecoder().decode(payload as Uint8Array));
}

beforeEach(() => {
  lambdaMock.reset();
  rdsMock.reset();
  rdsMock.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: 'app1-dev-new-ab12cd34',
        DBInstanceStatus: 'available',
        Endpoint: { Address: 'app1-dev-new-ab12cd34.abc.eu-west-1.rds.amazonaws.com', Port: 3306 },
      },
    ],
  });
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: json({ ok: true }) });
});

describe('invokeHook', () => {
  it('invokes the beforeSwap hook with the temporary copy to reach', async () => {
    const plan = withHooks(rdsPlan(), { beforeSwap: HOOK_ARN });

    const result = await invokeHook(lambda, rds, plan, 'beforeSwap');

    expect(result).toEqual({ hook: 'beforeSwap', statusCode: 200 });
    expect(rdsMock).toHaveReceivedCommandWith(DescribeDBInstancesCommand, {
      DBInstanceIdentifier: 'app1-dev-new-ab12cd34',
    });
    expect(lambdaMock).toHaveReceivedCommandWith(InvokeCommand, {
      FunctionName: HOOK_ARN,
      InvocationType: 'RequestResponse',
    });
    expect(sentPayload()).toEqual({
      hook: 'beforeSwap',
      runId: 'ab12cd34',
      executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:dbrefresh:run-1',
      application: 'app1',
      environment: 'development',
      service: 'rds',
      engine: 'mysql',
      source: 'app1-prod',
      target: 'app1-dev',
      endpoint: 'app1-dev-new-ab12cd34.abc.eu-west-1.rds.amazonaws.com',
      port: 3306,
      restorePoint: '2026-11-21T02:55:00.000Z',
    });
  });

  it('invokes the afterRefresh hook with the refreshed target to reach', async () => {
    rdsMock.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'app2-test' }).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: 'app2-test',
          Status: 'available',
          Endpoint: 'app2-test.cluster-abc',
          Port: 5432,
        },
      ],
    });
    const plan = withHooks(auroraPlan(), { afterRefresh: HOOK_ARN });

    await invokeHook(lambda, rds, plan, 'afterRefresh');

    expect(sentPayload()).toMatchObject({
      hook: 'afterRefresh',
      target: 'app2-test',
      endpoint: 'app2-test.cluster-abc',
      port: 5432,
      engine: 'aurora-postgresql',
    });
  });

  it('fails when the hook function returns an error, naming the hook, function and error', async () => {
    lambdaMock.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: json({ errorType: 'ReindexError', errorMessage: 'index orders_idx is corrupt', trace: [] }),
    });
    const plan = withHooks(rdsPlan(), { beforeSwap: HOOK_ARN });

    const attempt = invokeHook(lambda, rds, plan, 'beforeSwap');

    await expect(attempt).rejects.toThrow(HookError);
    await expect(attempt).rejects.toThrow(
      `Hook beforeSwap (${HOOK_ARN}) failed: ReindexError: index orders_idx is corrupt`,
    );
  });

  it('fails with the raw payload when a function error is not JSON', async () => {
    lambdaMock.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: bytes('Task timed out after 30.00 seconds'),
    });
    const plan = withHooks(rdsPlan(), { beforeSwap: HOOK_ARN });

    await expect(invokeHook(lambda, rds, plan, 'beforeSwap')).rejects.toThrow(
      `Hook beforeSwap (${HOOK_ARN}) failed: Unhandled: Task timed out after 30.00 seconds`,
    );
  });

  it('fails when the database to reach has no endpoint yet', async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ DBInstanceIdentifier: 'app1-dev-new-ab12cd34', DBInstanceStatus: 'creating' }],
    });
    const plan = withHooks(rdsPlan(), { beforeSwap: HOOK_ARN });

    await expect(invokeHook(lambda, rds, plan, 'beforeSwap')).rejects.toThrow(
      'Hook beforeSwap cannot be invoked: DB instance app1-dev-new-ab12cd34 has no endpoint (status creating)',
    );
    expect(lambdaMock).not.toHaveReceivedCommand(InvokeCommand);
  });

  it('fails when the database to reach does not exist', async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .rejects(new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} }));
    const plan = withHooks(rdsPlan(), { afterRefresh: HOOK_ARN });

    await expect(invokeHook(lambda, rds, plan, 'afterRefresh')).rejects.toThrow(
      'Hook afterRefresh cannot be invoked: DB instance app1-dev does not exist',
    );
  });

  it('rejects a plan without that hook', async () => {
    const plan = withHooks(rdsPlan(), { afterRefresh: HOOK_ARN });

    const attempt = invokeHook(lambda, rds, plan, 'beforeSwap');

    await expect(attempt).rejects.toThrow(GuardError);
    await expect(attempt).rejects.toThrow('No beforeSwap hook is configured for app1-dev');
    expect(lambdaMock).not.toHaveReceivedAnyCommand();
  });
});

describe('hook handlers', () => {
  it('beforeSwap parses the run state and invokes the hook', async () => {
    const { beforeSwap } = await import('../../lambdas/hook/handler');

    const result = await beforeSwap(runState(withHooks(rdsPlan(), { beforeSwap: HOOK_ARN })));

    expect(result).toEqual({ hook: 'beforeSwap', statusCode: 200 });
  });

  it('afterRefresh invokes the afterRefresh hook', async () => {
    rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'app1-dev' }).resolves({
      DBInstances: [{ DBInstanceIdentifier: 'app1-dev', Endpoint: { Address: 'app1-dev.abc', Port: 3306 } }],
    });
    const { afterRefresh } = await import('../../lambdas/hook/handler');

    await afterRefresh(runState(withHooks(rdsPlan(), { afterRefresh: HOOK_ARN })));

    expect(sentPayload()).toMatchObject({ hook: 'afterRefresh', endpoint: 'app1-dev.abc' });
  });
});
