import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TagResourceCommand,
} from '@aws-sdk/client-sfn';
import { STATES_OPERATIONS, statesAccessRequests } from '../../../../local/iam/access/states';
import { ACCOUNT, accessesThrough, REGION, summary } from './sdk-requests';

const STATE_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:DbRefresh`;
const EXECUTION = `arn:aws:states:${REGION}:${ACCOUNT}:execution:DbRefresh:app1-dev-20260101`;

const accessesFor = accessesThrough(SFNClient, (request) => statesAccessRequests(request));

describe('Step Functions accesses', () => {
  it('authorizes state machine actions on the state machine and execution actions on the execution', async () => {
    const accesses = [
      ...(await accessesFor(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, input: '{}' }))),
      ...(await accessesFor(new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE }))),
      ...(await accessesFor(new DescribeStateMachineCommand({ stateMachineArn: STATE_MACHINE }))),
      ...(await accessesFor(new DescribeExecutionCommand({ executionArn: EXECUTION }))),
      ...(await accessesFor(new GetExecutionHistoryCommand({ executionArn: EXECUTION }))),
      ...(await accessesFor(new StopExecutionCommand({ executionArn: EXECUTION }))),
    ];

    expect(summary(accesses)).toEqual([
      `states:StartExecution ${STATE_MACHINE}`,
      `states:ListExecutions ${STATE_MACHINE}`,
      `states:DescribeStateMachine ${STATE_MACHINE}`,
      `states:DescribeExecution ${EXECUTION}`,
      `states:GetExecutionHistory ${EXECUTION}`,
      `states:StopExecution ${EXECUTION}`,
    ]);
  });

  it('authorizes task token answers and ListStateMachines on "*"', async () => {
    const accesses = [
      ...(await accessesFor(new SendTaskSuccessCommand({ taskToken: 't', output: '{}' }))),
      ...(await accessesFor(new SendTaskFailureCommand({ taskToken: 't' }))),
      ...(await accessesFor(new SendTaskHeartbeatCommand({ taskToken: 't' }))),
      ...(await accessesFor(new ListStateMachinesCommand({}))),
    ];

    expect(summary(accesses)).toEqual([
      'states:SendTaskSuccess *',
      'states:SendTaskFailure *',
      'states:SendTaskHeartbeat *',
      'states:ListStateMachines *',
    ]);
  });

  it('rejects an ARN of another kind with InvalidArn, as Step Functions does', async () => {
    await expect(
      accessesFor(new DescribeExecutionCommand({ executionArn: STATE_MACHINE })),
    ).rejects.toMatchObject({
      code: 'InvalidArn',
    });
  });

  it('rejects ListExecutions without a state machine', async () => {
    await expect(accessesFor(new ListExecutionsCommand({}))).rejects.toMatchObject({
      code: 'ValidationException',
    });
  });

  it('rejects an operation the local Step Functions does not have', async () => {
    await expect(
      accessesFor(new TagResourceCommand({ resourceArn: STATE_MACHINE, tags: [] })),
    ).rejects.toMatchObject({
      code: 'UnknownOperationException',
    });
  });

  it('describes the ten operations of the local Step Functions', () => {
    expect(Object.keys(STATES_OPERATIONS)).toHaveLength(10);
  });
});
