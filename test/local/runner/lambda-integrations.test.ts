import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition } from '../../../lib/resolve-definition';
import {
  type InvokeFunction,
  integrationHandler,
  localDefinition,
  type TaskTarget,
  taskContext,
  taskTarget,
} from '../../../local/runner/lambda-integrations';
import '../../../local/runner/run-refresh'; // Promise.withResolvers on Node 20, as the runner installs it
import { TaskTokens } from '../../../local/runner/task-tokens';

const EXECUTION_ARN = 'arn:aws:states:eu-west-1:000000000000:execution:DbRefresh:run-1';
const APPROVE_ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:StepsApprove1234';

/** A protected refresh's approval, as a state machine would wait for it. */
const approvalDefinition: AslDefinition = {
  StartAt: 'Wait for approval',
  States: {
    'Wait for approval': {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: APPROVE_ARN,
        Payload: { 'taskToken.$': '$$.Task.Token', 'target.$': '$.target' },
      },
      TimeoutSecondsPath: '$.approvalTimeoutSeconds',
      ResultPath: '$.approval',
      Catch: [{ ErrorEquals: ['Rejected'], ResultPath: '$.error', Next: 'Refresh rejected' }],
      End: true,
    },
    'Refresh rejected': { Type: 'Pass', End: true },
  },
};

/** Runs a definition as runRefreshLocally does: local definition, integration handlers, `$$.Task`. */
function run(
  definition: AslDefinition,
  functions: Record<string, InvokeFunction>,
  input: unknown,
  tokens: TaskTokens,
) {
  const targets = new Map<string, TaskTarget>();
  for (const [stateName, state] of Object.entries(definition.States)) {
    const target = state.Type === 'Task' ? taskTarget(stateName, state) : undefined;
    if (target) targets.set(stateName, target);
  }
  const execution = { executionArn: EXECUTION_ARN, tokens };
  const machine = new StateMachine(localDefinition(definition, targets) as never, {
    validationOptions: { checkArn: false, checkPaths: true },
  });
  return machine.run(input as never, {
    context: { Execution: { Id: EXECUTION_ARN }, Task: taskContext(execution) } as never,
    overrides: {
      taskResourceLocalHandlers: Object.fromEntries(
        [...targets].map(([stateName, target]) => [
          stateName,
          integrationHandler(
            stateName,
            target.integration,
            functions[target.logicalId] ??
              (() => Promise.reject(new Error(`no function ${target.logicalId}`))),
            execution,
          ) as (input: unknown) => Promise<never>,
        ]),
      ),
    },
  }).result;
}

/** Resolves with the first task waiting for its token. */
async function waitingTask(tokens: TaskTokens) {
  for (;;) {
    const [task] = tokens.waiting(EXECUTION_ARN);
    if (task) return task;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('taskTarget', () => {
  it('maps a Resource that is a function to that function', () => {
    const target = taskTarget('Plan refresh', {
      Resource: 'arn:aws:lambda:eu-west-1:111122223333:function:StepsPlan',
    });

    expect(target).toEqual({ integration: 'function', logicalId: 'StepsPlan' });
  });

  it.each([
    ['arn:aws:states:::lambda:invoke', 'invoke'],
    ['arn:aws:states:::lambda:invoke.waitForTaskToken', 'invoke.waitForTaskToken'],
  ])('maps %s to the function in Parameters.FunctionName', (resource, integration) => {
    const target = taskTarget('Wait for approval', {
      Resource: resource,
      Parameters: { FunctionName: `${APPROVE_ARN}:$LATEST`, Payload: {} },
    });

    expect(target).toEqual({ integration, logicalId: 'StepsApprove1234' });
  });

  it('leaves a Resource of another service unmapped', () => {
    expect(taskTarget('Publish', { Resource: 'arn:aws:states:::sns:publish' })).toBeUndefined();
  });

  it('fails when the function is chosen at run time', () => {
    expect(() =>
      taskTarget('Wait for approval', {
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { 'FunctionName.$': '$.fn' },
      }),
    ).toThrow(
      'Task "Wait for approval" (arn:aws:states:::lambda:invoke) must name its function in Parameters.FunctionName',
    );
  });
});

describe('localDefinition', () => {
  it('leaves states that call a function directly as they are', () => {
    const definition: AslDefinition = {
      StartAt: 'Plan',
      States: { Plan: { Type: 'Task', Resource: APPROVE_ARN, TimeoutSeconds: 300, End: true } },
    };

    const local = localDefinition(
      definition,
      new Map([['Plan', { integration: 'function', logicalId: 'X' }]]),
    );

    expect(local).toEqual(definition);
  });

  it('gives a task that waits for its token without a timeout the longest timeout a timer allows', () => {
    const definition: AslDefinition = {
      StartAt: 'Wait',
      States: {
        Wait: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: APPROVE_ARN },
          End: true,
        },
      },
    };

    const local = localDefinition(
      definition,
      new Map([['Wait', { integration: 'invoke.waitForTaskToken', logicalId: 'X' }]]),
    );

    expect(local.States.Wait).toMatchObject({
      Parameters: { FunctionName: APPROVE_ARN, DbRefreshLocalTimeoutSeconds: 2_147_483 },
      TimeoutSecondsPath: '$.DbRefreshLocalTimeoutSeconds',
    });
  });
});

describe('taskContext', () => {
  it('reads a fresh token each time', () => {
    const context = taskContext({ executionArn: EXECUTION_ARN, tokens: new TaskTokens() });

    expect(context.Token).not.toBe(context.Token);
  });
});

describe('integrationHandler', () => {
  it('returns Lambda Invoke response of lambda:invoke, the result as its Payload', async () => {
    const handler = integrationHandler('Check', 'invoke', async (event) => ({ echoed: event }), {
      executionArn: EXECUTION_ARN,
      tokens: new TaskTokens(),
    });

    const result = await handler({ FunctionName: APPROVE_ARN, Payload: { a: 1 } });

    expect(result).toMatchObject({
      ExecutedVersion: '$LATEST',
      StatusCode: 200,
      Payload: { echoed: { a: 1 } },
    });
  });
});

describe('a task that waits for its token', () => {
  it('runs its function with the payload and a fresh token, then succeeds with the output sent', async () => {
    const tokens = new TaskTokens();
    const invoked: unknown[] = [];
    const approve = async (event: unknown) => {
      invoked.push(event);
      return { ignored: true };
    };

    const result = run(
      approvalDefinition,
      { StepsApprove1234: approve },
      { target: 'db-1', approvalTimeoutSeconds: 60 },
      tokens,
    );
    const task = await waitingTask(tokens);
    tokens.succeed(task.token, { decision: 'approved', by: 'alice' });

    await expect(result).resolves.toEqual({
      target: 'db-1',
      approvalTimeoutSeconds: 60,
      approval: { decision: 'approved', by: 'alice' },
    });
    expect(invoked).toEqual([{ taskToken: task.token, target: 'db-1' }]);
    expect(task).toEqual({ token: task.token, executionArn: EXECUTION_ARN, stateName: 'Wait for approval' });
  });

  it('fails with the error SendTaskFailure names, so Catch sees it', async () => {
    const tokens = new TaskTokens();

    const result = run(
      approvalDefinition,
      { StepsApprove1234: async () => null },
      { target: 'db-1', approvalTimeoutSeconds: 60 },
      tokens,
    );
    const task = await waitingTask(tokens);
    tokens.fail(task.token, 'Rejected', 'bob said no');

    await expect(result).resolves.toMatchObject({ error: { Error: 'Rejected', Cause: 'bob said no' } });
  });

  it('times out after TimeoutSecondsPath, read from the state input, and refuses a later answer', async () => {
    const tokens = new TaskTokens();

    const result = run(
      approvalDefinition,
      { StepsApprove1234: async () => null },
      { target: 'db-1', approvalTimeoutSeconds: 1 },
      tokens,
    );
    const task = await waitingTask(tokens);

    await expect(result).rejects.toMatchObject({ cause: { name: 'States.Timeout' } });
    expect(() => tokens.succeed(task.token, {})).toThrow(expect.objectContaining({ code: 'TaskTimedOut' }));
  });

  it('fails with the function error when its function fails', async () => {
    const tokens = new TaskTokens();
    const invokedTokens: unknown[] = [];
    const failing = async (event: unknown) => {
      invokedTokens.push((event as { taskToken: string }).taskToken);
      throw Object.assign(new Error('no approvers configured'), { name: 'Rejected' });
    };

    const result = run(
      approvalDefinition,
      { StepsApprove1234: failing },
      { target: 'db-1', approvalTimeoutSeconds: 60 },
      tokens,
    );

    await expect(result).resolves.toMatchObject({
      error: { Error: 'Rejected', Cause: 'no approvers configured' },
    });
    const [token] = invokedTokens;
    expect(() => tokens.succeed(String(token), {})).toThrow(
      expect.objectContaining({ code: 'TaskTimedOut' }),
    );
  });
});
