import * as z from 'zod';
import { AwsError, type LocalRequest } from '../../endpoint/service';
import type { AccessRequest } from '../access';
import { jsonBody, jsonOperation, ownerIfOther, unknownOperation } from './requests';
import { type AccessSpec, describedAccesses } from './service-authorization';

/**
 * What IAM authorizes for each action of the local Step Functions, as the Service Authorization Reference lists
 * it (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html): starting,
 * listing and describing on the state machine's ARN, execution actions on the execution's ARN, and the task
 * token and listing actions, which name no resource, on `*`.
 */

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;

const OnStateMachine = z.looseObject({ stateMachineArn: z.string() });
const OnExecution = z.looseObject({ executionArn: z.string() });

/** One operation: what it reads of the body, and its accesses. */
interface Operation {
  accesses(request: LocalRequest, operation: string): AccessSpec[];
}

function onStateMachine(): Operation {
  return {
    accesses: (request, operation) => [
      on(
        operation,
        arnOf(jsonBody(request, operation, OnStateMachine).stateMachineArn, STATE_MACHINE_ARN),
        request,
      ),
    ],
  };
}

function onExecution(): Operation {
  return {
    accesses: (request, operation) => [
      on(operation, arnOf(jsonBody(request, operation, OnExecution).executionArn, EXECUTION_ARN), request),
    ],
  };
}

function onEverything(): Operation {
  return { accesses: (_, operation) => [{ action: `states:${operation}`, resource: '*' }] };
}

/** Every operation of the local Step Functions (local/endpoint/services/states.ts), by name. */
export const STATES_OPERATIONS: Readonly<Record<string, Operation>> = {
  StartExecution: onStateMachine(),
  DescribeExecution: onExecution(),
  // ListExecutions also lists a Map Run's executions; the local state machine has none.
  ListExecutions: {
    accesses: (request, operation) => {
      const { stateMachineArn } = jsonBody(
        request,
        operation,
        z.looseObject({ stateMachineArn: z.string().optional() }),
      );
      if (stateMachineArn === undefined) {
        throw new AwsError('ValidationException', 'ListExecutions needs a stateMachineArn');
      }
      return [on(operation, arnOf(stateMachineArn, STATE_MACHINE_ARN), request)];
    },
  },
  GetExecutionHistory: onExecution(),
  StopExecution: onExecution(),
  DescribeStateMachine: onStateMachine(),
  ListStateMachines: onEverything(),
  SendTaskSuccess: onEverything(),
  SendTaskFailure: onEverything(),
  SendTaskHeartbeat: onEverything(),
};

/**
 * The accesses of a Step Functions request.
 * @throws AwsError for an operation the local Step Functions does not have, a body it refuses or an ARN it
 *   cannot read (InvalidArn)
 */
export async function statesAccessRequests(request: LocalRequest): Promise<AccessRequest[]> {
  const name = jsonOperation(request, 'AWSStepFunctions') ?? '';
  const operation = Object.hasOwn(STATES_OPERATIONS, name) ? STATES_OPERATIONS[name] : undefined;
  if (!operation) throw unknownOperation('states', name);
  return describedAccesses(operation.accesses(request, name));
}

function on(operation: string, resource: string, request: LocalRequest): AccessSpec {
  return { action: `states:${operation}`, resource, ...ownerIfOther(resource, request) };
}

/** @throws AwsError InvalidArn as Step Functions answers an ARN of another kind */
function arnOf(value: string, pattern: RegExp): string {
  if (!pattern.test(value)) {
    throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${value}'`);
  }
  return value;
}
