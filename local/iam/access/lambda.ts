import { AwsError, type LocalRequest } from '../../endpoint/service';
import type { AccessRequest, PolicyDocument } from '../access';
import { ownerIfOther } from './requests';
import { type AccessSpec, describedAccesses } from './service-authorization';
import { resourceTagKeys, type TagLike } from './tags';

/**
 * What IAM authorizes for the local Lambda's one action, Invoke: `lambda:InvokeFunction` on the function (its
 * qualified ARN when the request names a version or alias), with the function's tags as `aws:ResourceTag/<key>`
 * (the stack invokes hooks only when they carry `dbrefresh:hook=true`). A function of another account is
 * invoked only when its resource-based policy allows the caller too.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
 * https://docs.aws.amazon.com/lambda/latest/dg/attribute-based-access-control.html
 * https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
 */

/** What the mapper reads of the functions the local Lambda runs. */
export interface FunctionRegistry {
  /** The tags and resource-based policy of the function with this unqualified ARN, if it is registered. */
  functionAccess(
    functionArn: string,
  ): { readonly tags: readonly TagLike[]; readonly policy?: PolicyDocument } | undefined;
}

/** `/2015-03-31/functions/<FunctionName>/invocations`, the path of Invoke. */
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const FUNCTION_NAME =
  /^(?:arn:aws[a-z-]*:lambda:(?<region>[a-z0-9-]+):(?<account>\d{12}):function:|(?<partialAccount>\d{12}):function:)?(?<name>[A-Za-z0-9_-]{1,64})(?::(?<qualifier>[A-Za-z0-9$_-]+))?$/;

/**
 * The accesses of a Lambda request.
 * @throws AwsError for a request the local Lambda does not implement or a function name it cannot read
 */
export async function lambdaAccessRequests(
  request: LocalRequest,
  functions?: FunctionRegistry,
): Promise<AccessRequest[]> {
  const match = INVOKE_PATH.exec(request.path);
  if (request.method !== 'POST' || !match?.[1]) {
    throw new AwsError(
      'UnknownOperationException',
      `The local Lambda endpoint implements only Invoke, not ${request.method} ${request.path}`,
      404,
    );
  }
  const reference = decodeURIComponent(match[1]);
  const qualifier = request.query.get('Qualifier') ?? undefined;
  return describedAccesses([invokeFunction(reference, qualifier, request, functions)]);
}

/**
 * `lambda:InvokeFunction` on the function a name, partial ARN or ARN names (a bare name is in the caller's
 * region and account), also what Secrets Manager asks of the caller for a rotation function.
 * @throws AwsError ValidationException for a reference that names no function
 */
export function invokeFunction(
  reference: string,
  qualifier: string | undefined,
  request: LocalRequest,
  functions?: FunctionRegistry,
): AccessSpec {
  const groups = FUNCTION_NAME.exec(reference)?.groups;
  if (!groups?.name) {
    throw new AwsError(
      'ValidationException',
      `FunctionName "${reference}" is not a function name, a partial ARN or a function ARN`,
    );
  }
  const unqualified =
    `arn:aws:lambda:${groups.region ?? request.region}:` +
    `${groups.account ?? groups.partialAccount ?? request.account}:function:${groups.name}`;
  const version = groups.qualifier ?? qualifier;
  const resource = version === undefined ? unqualified : `${unqualified}:${version}`;
  const registered = functions?.functionAccess(unqualified);
  return {
    action: 'lambda:InvokeFunction',
    resource,
    context: resourceTagKeys(registered?.tags ?? []),
    ...ownerIfOther(resource, request),
    ...(registered?.policy ? { resourcePolicy: registered.policy } : {}),
  };
}
