import { AwsError, type LocalRequest } from '../../endpoint/service';
import type { AccessRequest } from '../access';
import { queryRequest, unknownOperation } from './requests';
import { describedAccesses } from './service-authorization';

/**
 * What IAM authorizes for the local CloudFormation's one action, DescribeStacks, as the Service Authorization
 * Reference lists it (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html):
 * the stack named, by its ARN, or by name on `stack/<name>/*` (any stack of that name, whatever its id); every
 * stack without a name, on `*`.
 */

const STACK_ARN = /^arn:aws[\w-]*:cloudformation:[a-z0-9-]+:\d{12}:stack\/[^/]+\/.+$/;

/**
 * The accesses of a CloudFormation request.
 * @throws AwsError for an action the local CloudFormation does not have, or a stack ARN it cannot read
 */
export async function cloudFormationAccessRequests(request: LocalRequest): Promise<AccessRequest[]> {
  const { action, input } = queryRequest(request);
  if (action !== 'DescribeStacks') throw unknownOperation('cloudformation', action, 'InvalidAction');
  const stack = input.string('StackName');
  return describedAccesses([{ action: 'cloudformation:DescribeStacks', resource: stackArn(stack, request) }]);
}

function stackArn(stack: string | undefined, request: LocalRequest): string {
  if (stack === undefined || stack === '') return '*';
  if (!stack.startsWith('arn:'))
    return `arn:aws:cloudformation:${request.region}:${request.account}:stack/${stack}/*`;
  if (!STACK_ARN.test(stack)) throw new AwsError('ValidationError', `Stack with id ${stack} does not exist`);
  return stack;
}
