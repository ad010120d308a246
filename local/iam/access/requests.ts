import * as z from 'zod';
import { parseQueryRequest, type QueryInput } from '../../endpoint/query-protocol';
import { AwsError, type LocalRequest } from '../../endpoint/service';
import type { RequestContext } from '../access';

/**
 * What every access mapper reads of a request: who calls (their account), where the request goes (region and
 * account of the resources it names by name), and its parameters in the service's protocol. A request whose
 * parameters cannot be read is refused with the error the service gives it: a mapper never lets a request
 * through unauthorized because it could not read it.
 */

/** The account of the caller: the signer's, or the endpoint's account for a request not yet signed. */
export function callerAccount(request: LocalRequest): string {
  return request.caller?.account ?? request.account;
}

/** The account an ARN names (`arn:aws:rds:eu-west-1:111122223333:snapshot:x` → `111122223333`), if any. */
export function arnAccount(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account === undefined || account === '' ? undefined : account;
}

/**
 * `{ resourceAccount }` when `arn` belongs to an account other than the caller's, so the evaluator asks that
 * resource's own policy too (cross-account access needs both sides to allow it).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
 */
export function ownerIfOther(arn: string, request: LocalRequest): { resourceAccount?: string } {
  const owner = arnAccount(arn);
  return owner !== undefined && owner !== callerAccount(request) ? { resourceAccount: owner } : {};
}

/** The `X-Amz-Target` operation of a JSON request (`secretsmanager.GetSecretValue` → `GetSecretValue`). */
export function jsonOperation(request: LocalRequest, targetPrefix: string): string | undefined {
  const target = request.headers['x-amz-target'] ?? '';
  return target.startsWith(`${targetPrefix}.`) ? target.slice(targetPrefix.length + 1) : undefined;
}

/**
 * A JSON request's body read with `schema`.
 * @throws AwsError SerializationException for a body that is not JSON, ValidationException for one `schema` refuses
 */
export function jsonBody<S extends z.ZodType>(
  request: LocalRequest,
  operation: string,
  schema: S,
): z.output<S> {
  const text = request.body.toString('utf8');
  let json: unknown = {};
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      throw new AwsError('SerializationException', 'The request body is not valid JSON');
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new AwsError('ValidationException', `${operation}: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** A Query request's action and parameters. @throws AwsError MissingAction as the Query services answer it */
export function queryRequest(request: LocalRequest): { action: string; input: QueryInput } {
  const { action, input } = parseQueryRequest(request);
  return { action, input };
}

/** The error a service answers for an operation it does not have, which its mapper cannot describe either. */
export function unknownOperation(
  service: string,
  operation: string,
  code = 'UnknownOperationException',
): AwsError {
  return new AwsError(
    code,
    `The local ${service} endpoint does not implement ${operation || 'this request'}, so local IAM cannot authorize it`,
  );
}

/** The condition keys whose value is defined (a request that leaves a parameter out supplies no key for it). */
export function definedKeys(keys: Record<string, string | number | boolean | undefined>): RequestContext {
  const defined: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(keys)) if (value !== undefined) defined[key] = value;
  return defined;
}
