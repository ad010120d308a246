import type { LocalRequest } from '../../endpoint/service';
import type { AccessRequest } from '../access';
import { queryRequest, unknownOperation } from './requests';

/**
 * What IAM authorizes for STS GetCallerIdentity: nothing. "No permissions are required to perform this
 * operation": even an explicit Deny of sts:GetCallerIdentity does not stop it.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 * @throws AwsError InvalidAction for any other STS action (local mode serves none)
 */
export async function stsAccessRequests(request: LocalRequest): Promise<AccessRequest[]> {
  const { action } = queryRequest(request);
  if (action !== 'GetCallerIdentity') throw unknownOperation('sts', action, 'InvalidAction');
  return [];
}
