import type { AccessDecision, AccessRequest, Principal } from '../../iam/access';
import { actionOf } from '../faults';
import { AwsError, type LocalRequest, type LocalService } from '../service';
import { serviceProtocol } from './service-protocols';

/** Decides one access for a principal: local mode's IAM policy evaluator. */
export type Authorizer = (principal: Principal, access: AccessRequest) => AccessDecision;

export interface AuthorizeOptions {
  readonly authorize: Authorizer;
  /** The administrator's ARN: the only caller allowed where a service does not say what IAM authorizes. */
  readonly administratorArn: string;
}

/**
 * Calls every principal may make without any permission. STS GetCallerIdentity: "No permissions are required to
 * perform this operation" (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
 */
const UNAUTHORIZED_CALLS: ReadonlySet<string> = new Set(['sts:GetCallerIdentity']);

/**
 * Whether IAM allows a signed request: every access the service says it needs (`accessRequests`) must be allowed
 * for the caller. A service that does not say lets only the administrator through, so a missing mapping shows up
 * as a refusal naming it, never as a silent allow.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * @returns the error to answer, or undefined when the request is allowed
 */
export async function authorizeRequest(
  service: LocalService,
  request: LocalRequest & { readonly caller: Principal },
  options: AuthorizeOptions,
): Promise<AwsError | undefined> {
  const call = `${service.name}:${actionOf(request)}`;
  if (UNAUTHORIZED_CALLS.has(call)) return undefined;
  if (!service.accessRequests) {
    if (request.caller.arn === options.administratorArn) return undefined;
    return accessDenied(
      service.name,
      `User: ${request.caller.arn} is not authorized to perform: ${call}: local mode does not know what IAM ` +
        `authorizes for this action (the local ${service.name} service describes no access requests for it), so ` +
        "only the administrator may call it; map the action in the service's accessRequests",
    );
  }
  for (const access of await service.accessRequests(request)) {
    const decision = options.authorize(request.caller, access);
    if (!decision.allowed) return accessDeniedError(service.name, request.caller, access, decision);
  }
  return undefined;
}

/**
 * AWS's refusal of an access, in the service's own error: `User: <arn> is not authorized to perform: <action> on
 * resource: <arn> because no identity-based policy allows the <action> action` (or "with an explicit deny in an
 * identity-based policy", or "because no resource-based policy allows the <action> action").
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 */
export function accessDeniedError(
  service: string,
  principal: Principal,
  access: AccessRequest,
  decision: AccessDecision,
): AwsError {
  const prefix = `User: ${principal.arn} is not authorized to perform: ${access.action} on resource: ${access.resource}`;
  const reasons: Record<Exclude<AccessDecision['reason'], 'allowed'>, string> = {
    'explicit-deny': 'with an explicit deny in an identity-based policy',
    'no-identity-allow': `because no identity-based policy allows the ${access.action} action`,
    'no-resource-allow': `because no resource-based policy allows the ${access.action} action`,
  };
  const reason = decision.reason === 'allowed' ? reasons['no-identity-allow'] : reasons[decision.reason];
  return accessDenied(service, `${prefix} ${reason}`);
}

/**
 * The access-denied error of each service: AccessDenied 403 for Query services (RDS, STS, CloudFormation) and S3,
 * AuthorizationError 403 for SNS (https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html), and
 * AccessDeniedException for JSON services: 400 for AWS JSON (as DynamoDB documents,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html), 403 for REST-JSON
 * (https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html).
 */
export function accessDenied(service: string, message: string): AwsError {
  if (service === 'sns') return new AwsError('AuthorizationError', message, 403);
  const protocol = serviceProtocol(service);
  if (protocol === 'query' || protocol === 's3') return new AwsError('AccessDenied', message, 403);
  return new AwsError('AccessDeniedException', message, protocol === 'rest-json' ? 403 : 400);
}
