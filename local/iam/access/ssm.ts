import * as z from 'zod';
import { AwsError, type LocalRequest } from '../../endpoint/service';
import type { AccessRequest } from '../access';
import { jsonBody, jsonOperation, unknownOperation } from './requests';
import { type AccessSpec, describedAccesses } from './service-authorization';

/**
 * What IAM authorizes for each action of the local SSM Run Command, as the Service Authorization Reference lists
 * it (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html):
 * SendCommand on the document and on every instance it targets (an EC2 instance `i-…` is an EC2 resource, a
 * hybrid managed node `mi-…` an SSM one), GetCommandInvocation and ListCommandInvocations on `*`.
 */

/**
 * Documents that AWS owns have no account in their ARN; their names start with one of the prefixes customers
 * cannot use ("aws", "amazon", "amzn").
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html
 */
const AWS_OWNED_DOCUMENT = /^(aws|amazon|amzn)/i;
const DOCUMENT_ARN = /^arn:aws[\w-]*:ssm:[a-z0-9-]+:(\d{12})?:document\/.+$/;

const SendCommand = z.looseObject({
  DocumentName: z.string().min(1),
  InstanceIds: z.array(z.string()).optional(),
});

/**
 * The accesses of an SSM request.
 * @throws AwsError for an operation the local SSM does not have, a body it refuses, or an instance id that is
 *   no EC2 instance's or managed node's
 */
export async function ssmAccessRequests(request: LocalRequest): Promise<AccessRequest[]> {
  const name = jsonOperation(request, 'AmazonSSM') ?? '';
  switch (name) {
    case 'SendCommand': {
      const body = jsonBody(request, name, SendCommand);
      return describedAccesses([
        { action: 'ssm:SendCommand', resource: documentArn(body.DocumentName, request) },
        ...(body.InstanceIds ?? []).map(
          (id): AccessSpec => ({
            action: 'ssm:SendCommand',
            resource: instanceArn(id, request),
          }),
        ),
      ]);
    }
    case 'GetCommandInvocation':
    case 'ListCommandInvocations':
      return describedAccesses([{ action: `ssm:${name}`, resource: '*' }]);
    default:
      throw unknownOperation('ssm', name);
  }
}

function documentArn(name: string, request: LocalRequest): string {
  if (name.startsWith('arn:')) {
    if (!DOCUMENT_ARN.test(name)) throw new AwsError('InvalidDocument', `"${name}" is not a document's ARN`);
    return name;
  }
  const account = AWS_OWNED_DOCUMENT.test(name) ? '' : request.account;
  return `arn:aws:ssm:${request.region}:${account}:document/${name}`;
}

function instanceArn(id: string, request: LocalRequest): string {
  if (id.startsWith('i-')) return `arn:aws:ec2:${request.region}:${request.account}:instance/${id}`;
  if (id.startsWith('mi-')) return `arn:aws:ssm:${request.region}:${request.account}:managed-instance/${id}`;
  throw new AwsError(
    'InvalidInstanceId',
    `"${id}" is not the id of an EC2 instance (i-…) or a managed node (mi-…)`,
  );
}
