import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { APPROVAL_STEP, PLAN_STEP } from '../../../lambdas/finish/record-outcome';
import { STEP_NAMES } from '../../../lib/constructs/refresh-state-machine';
import { RefreshStack } from '../../../lib/refresh-stack';
import { type AslDefinition, resolveDefinition } from '../../../lib/resolve-definition';

// asl-validator ships no types
const aslValidator: (definition: unknown) => {
  isValid: boolean;
  errorsText: () => string;
} = require('asl-validator');

const stack = new RefreshStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'DbRefresh');
const definition = resolveDefinition(stack);
const states = definition.States;

type State = AslDefinition['States'][string];

/** The states a state can go to: Next, Default and Choice branches, and (optionally) its Catches. */
function successors(state: State, withCatches: boolean): string[] {
  const next = [state.Next, state.Default, ...(state.Choices ?? []).map((choice: State) => choice.Next)];
  if (withCatches) next.push(...(state.Catch ?? []).map((c: State) => c.Next));
  return next.filter((name): name is string => typeof name === 'string');
}

/** Whether every path from `name` (following all transitions) can reach a Fail state. */
function reachesFail(name: string, seen = new Set<string>()): boolean {
  if (seen.has(name)) return false;
  seen.add(name);
  const state = states[name];
  if (!state) return false;
  if (state.Type === 'Fail') return true;
  return successors(state, true).some((next) => reachesFail(next, seen));
}

/** The happy path: from StartAt, always taking the "yes, run it" branch of each Choice. */
function happyPath(): string[] {
  const path: string[] = [];
  let name: string | undefined = definition.StartAt;
  while (name && !path.includes(name)) {
    path.push(name);
    const state: State = states[name] ?? {};
    if (state.Type === 'Choice') {
      const runs = (state.Choices as State[]).find((choice) => choice.BooleanEquals === true);
      const done = (state.Choices as State[]).every((choice) => choice.Variable === undefined);
      name = runs?.Next ?? (done ? state.Default : state.Default);
    } else if (state.Type === 'Wait' && name.startsWith('Wait for')) {
      name = state.Next;
    } else {
      name = state.Next;
    }
  }
  return path;
}

describe('RefreshStateMachine', () => {
  it('passes asl-validator', () => {
    const result = aslValidator(structuredClone(definition)); // it annotates what it is given

    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('runs the steps in the order of DESIGN.md §3', () => {
    const path = happyPath().filter((name) => states[name]?.Type === 'Task' && !name.startsWith('Check '));

    expect(path).toEqual([
      STEP_NAMES.plan,
      STEP_NAMES.approval,
      STEP_NAMES.capturePreserved,
      STEP_NAMES.restore,
      STEP_NAMES.adminPassword,
      STEP_NAMES.reapplyPreserved,
      STEP_NAMES.scripts,
      STEP_NAMES.hookBeforeSwap,
      STEP_NAMES.swap,
      STEP_NAMES.replicas,
      STEP_NAMES.tags,
      STEP_NAMES.rotateSecret,
      STEP_NAMES.retire,
      STEP_NAMES.hookAfterRefresh,
      STEP_NAMES.recordSuccess,
      STEP_NAMES.deleteOldTarget,
    ]);
  });

  it('gives every Task a Catch of all errors that leads to a Fail state', () => {
    const tasks = Object.entries(states).filter(([, state]) => state.Type === 'Task');

    expect(tasks.length).toBeGreaterThan(20);
    for (const [name, state] of tasks) {
      const catchAll = (state.Catch ?? []).find((c: State) => c.ErrorEquals.includes('States.ALL'));
      expect({ name, catches: catchAll !== undefined }).toEqual({ name, catches: true });
      expect({ name, reachesFail: reachesFail(catchAll.Next) }).toEqual({ name, reachesFail: true });
    }
  });

  it('sends failures before the old target is retired through the rollback, and later ones straight to the record', () => {
    const firstAfterCatch = (task: string) => states[states[task]?.Catch[0].Next]?.Next;

    expect(firstAfterCatch(STEP_NAMES.capturePreserved)).toBe(STEP_NAMES.rollback);
    expect(firstAfterCatch(STEP_NAMES.restore)).toBe(STEP_NAMES.rollback);
    expect(firstAfterCatch(STEP_NAMES.reapplyPreserved)).toBe(STEP_NAMES.rollback);
    expect(firstAfterCatch(STEP_NAMES.swap)).toBe(STEP_NAMES.rollback);
    expect(firstAfterCatch(STEP_NAMES.tags)).toBe(STEP_NAMES.rollback);
    expect(firstAfterCatch(STEP_NAMES.retire)).toBe(STEP_NAMES.recordFailure);
    expect(states[STEP_NAMES.restore]?.Catch[0]).toMatchObject({ ResultPath: '$.error' });
    expect(states[`${STEP_NAMES.restore} failed`]).toMatchObject({
      Type: 'Pass',
      Result: STEP_NAMES.restore,
      ResultPath: '$.failedStep',
    });
  });

  it('keeps a failed rotation as a warning instead of rolling the finished refresh back, then undoes it and goes on', () => {
    for (const task of [STEP_NAMES.rotateSecret, 'Check rotate secret']) {
      expect(states[task]?.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Rotate secret failed' },
      ]);
    }
    expect(states['Rotate secret took too long']?.Next).toBe('Rotate secret failed');
    expect(states['Rotate secret failed']).toEqual({
      Type: 'Pass',
      InputPath: '$.error',
      ResultPath: '$.rotationError',
      Next: STEP_NAMES.undoRotation,
    });
    for (const task of [STEP_NAMES.undoRotation, 'Check undo failed rotation']) {
      expect(states[task]?.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Undo failed rotation failed' },
      ]);
    }
    expect(states['Undo failed rotation failed']).toEqual({
      Type: 'Pass',
      InputPath: '$.error',
      ResultPath: '$.rotationUndoError',
      Next: 'Old target to retire?',
    });
    expect(states['Undo failed rotation done?']?.Default).toBe('Old target to retire?');
    expect(states['Rotate secret done?']?.Default).toBe('Old target to retire?');
  });

  it('never reaches the rollback from the rotation', () => {
    const reachable = new Set<string>();
    const visit = (name: string) => {
      if (reachable.has(name) || name === 'Old target to retire?') return;
      reachable.add(name);
      const state = states[name];
      if (state) for (const next of successors(state, true)) visit(next);
    };
    visit(STEP_NAMES.rotateSecret);

    expect([...reachable]).toContain(STEP_NAMES.undoRotation);
    expect([...reachable]).not.toContain(STEP_NAMES.rollback);
    expect([...reachable]).not.toContain(STEP_NAMES.recordFailure);
  });

  it('records a failed plan without a rollback, after noting the execution it has no plan to name', () => {
    const afterCatch = states[STEP_NAMES.plan]?.Catch[0].Next;

    expect(states[afterCatch]).toMatchObject({
      Type: 'Pass',
      Result: STEP_NAMES.plan,
      Next: 'Note the execution',
    });
    expect(states['Note the execution']).toEqual({
      Type: 'Pass',
      Parameters: { 'arn.$': '$$.Execution.Id', 'startTime.$': '$$.Execution.StartTime' },
      ResultPath: '$.execution',
      Next: STEP_NAMES.recordFailure,
    });
  });

  it('asks for approval only when the plan says so, and waits on a task token until its timeout', () => {
    expect(states['Approval needed?']).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.plan.steps.approval', BooleanEquals: true, Next: STEP_NAMES.approval }],
    });
    expect(states[STEP_NAMES.approval]).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { Payload: { 'taskToken.$': '$$.Task.Token', 'plan.$': '$.plan' } },
      ResultPath: '$.approval',
      TimeoutSecondsPath: '$.plan.approval.timeoutSeconds',
    });
  });

  it('records a rejected or timed-out approval without a rollback: nothing exists yet', () => {
    const afterCatch = states[STEP_NAMES.approval]?.Catch[0];

    expect(afterCatch).toMatchObject({ ErrorEquals: ['States.ALL'], ResultPath: '$.error' });
    expect(states[afterCatch.Next]).toMatchObject({
      Type: 'Pass',
      Result: STEP_NAMES.approval,
      ResultPath: '$.failedStep',
      Next: STEP_NAMES.recordFailure,
    });
  });

  it('names the approval step as the finish step expects it', () => {
    expect(STEP_NAMES.approval).toBe(APPROVAL_STEP);
    expect(STEP_NAMES.plan).toBe(PLAN_STEP);
  });

  it('bounds every loop by a Choice that counts the checks', () => {
    const cycles: string[][] = [];
    const visit = (name: string, stack: string[]) => {
      const at = stack.indexOf(name);
      if (at >= 0) {
        cycles.push(stack.slice(at));
        return;
      }
      const state = states[name];
      if (!state) return;
      for (const next of successors(state, true)) visit(next, [...stack, name]);
    };
    visit(definition.StartAt, []);

    expect(cycles.length).toBeGreaterThanOrEqual(9);
    for (const cycle of cycles) {
      const bounded = cycle.some((name) =>
        (states[name]?.Choices ?? []).some(
          (choice: State) =>
            cycle.includes(choice.Next) &&
            (choice.And ?? []).some(
              (c: State) => c.NumericLessThan !== undefined && /\.attempt$/.test(c.Variable),
            ),
        ),
      );
      expect({ cycle: cycle.join(' → '), bounded }).toEqual({ cycle: cycle.join(' → '), bounded: true });
    }
  });

  it('skips optional steps with a Choice on the plan, not with a Lambda', () => {
    for (const [question, flag, step] of [
      ['Data to preserve?', 'preserve', STEP_NAMES.capturePreserved],
      ['Preserved data to reapply?', 'preserve', STEP_NAMES.reapplyPreserved],
      ['Scripts to run?', 'scripts', STEP_NAMES.scripts],
      ['Hook before swap?', 'hookBeforeSwap', STEP_NAMES.hookBeforeSwap],
      ['Replicas to create?', 'replicas', STEP_NAMES.replicas],
      ['Secret to rotate?', 'rotateSecret', STEP_NAMES.rotateSecret],
      ['Old target to retire?', 'retire', STEP_NAMES.retire],
      ['Hook after refresh?', 'hookAfterRefresh', STEP_NAMES.hookAfterRefresh],
    ] as const) {
      expect(states[question]).toMatchObject({
        Type: 'Choice',
        Choices: [{ Variable: `$.plan.steps.${flag}`, BooleanEquals: true, Next: step }],
      });
      expect(typeof states[question]?.Default).toBe('string');
    }
  });

  it('waits the time each check asks for, per step', () => {
    expect(states['Wait for restore temporary copy']).toEqual({
      Type: 'Wait',
      SecondsPath: '$.polls.restore.waitSeconds',
      Next: 'Check restore temporary copy',
    });
    expect(states[STEP_NAMES.restore]).toMatchObject({ ResultPath: '$.polls.restore' });
  });

  it('retries transient AWS errors and Lambda throttling with backoff and full jitter on every Task', () => {
    for (const [name, state] of Object.entries(states).filter(([, s]) => s.Type === 'Task')) {
      for (const error of ['TransientAwsError', 'Lambda.TooManyRequestsException']) {
        const retry = (state.Retry ?? []).find((r: State) => r.ErrorEquals.includes(error));
        expect({ name, error, retry }).toMatchObject({
          name,
          error,
          retry: { BackoffRate: 2, JitterStrategy: 'FULL' },
        });
      }
    }
  });

  it('gives the plan step the execution id and start time with the input', () => {
    expect(states[STEP_NAMES.plan]?.Parameters).toEqual({
      'input.$': '$',
      'executionArn.$': '$$.Execution.Id',
      'startTime.$': '$$.Execution.StartTime',
    });
  });

  it('maps every Task to a step function of the template', () => {
    const functionIds = stack.functions
      .all()
      .map((fn) => Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement));
    const used = Object.values(states)
      .filter((state) => state.Type === 'Task')
      .map((state) => String(state.Parameters?.FunctionName ?? state.Resource).split(':function:')[1]);

    for (const id of used) expect(functionIds).toContain(id);
    expect(new Set(used).size).toBe(functionIds.length);
  });

  it('logs without execution data and traces with X-Ray', () => {
    Template.fromStack(stack).hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { IncludeExecutionData: false, Level: 'ALL' },
    });
  });
});
