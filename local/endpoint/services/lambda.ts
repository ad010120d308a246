import { JsonTooDeepError, parseJson } from '../../../lambdas/shared/json/parse-json';
import type { AccessRequest, PolicyDocument } from '../../iam/access';
import { type FunctionRegistry, lambdaAccessRequests } from '../../iam/access/lambda';
import { renderAwsError } from '../faults';
import { AwsError, type LocalRequest, type LocalResponse, type LocalService } from '../service';
import { throwIfViolated, validationError } from './constraints';

/**
 * A function the local Lambda runs in this process. It receives the invocation's payload parsed as JSON
 * (null when empty); what it returns, serialized as JSON, is the response payload.
 */
export type LocalFunction = (event: unknown) => unknown;

/** A Region and account. */
export interface LambdaScope {
  readonly region: string;
  readonly account: string;
}

/** What IAM sees of a registered function: its tags and its resource-based policy (for other accounts' callers). */
export interface LocalFunctionSettings {
  /** The function's tags, as Lambda's TagResource sets them (a hook carries `dbrefresh:hook=true`). @default - none */
  readonly tags?: FunctionTags;
  /** The function's resource-based policy. @default - none: only callers of its own account may invoke it */
  readonly policy?: PolicyDocument;
}

export interface LocalLambdaOptions {
  /** The region and account of functions registered by name. */
  readonly scope: LambdaScope;
}

/** A function's tags, by key. */
export type FunctionTags = Readonly<Record<string, string>>;

/** `/2015-03-31/functions/<FunctionName>/invocations`, the path of Invoke. */
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
/**
 * Invoke payloads: 6 MB for a synchronous request and for its response, 1 MB for an asynchronous request.
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html ("For synchronous invocations, the maximum payload
 * size is 6 MB. For asynchronous invocations, the maximum payload size is 1 MB.");
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
export const MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024;
/** The FunctionName pattern of the Invoke API model, quoted in ValidationExceptions. */
const MODEL_FUNCTION_NAME_PATTERN =
  '(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?';
const INVOCATION_TYPES = ['Event', 'RequestResponse', 'DryRun'];
/** `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`, `<account>:function:<name>` or `<name>[:<qualifier>]`. */
const FUNCTION_NAME =
  /^(?:arn:aws[a-z-]*:lambda:(?<region>[a-z0-9-]+):(?<account>\d{12}):function:|(?<partialAccount>\d{12}):function:)?(?<name>[A-Za-z0-9_-]{1,64})(?::(?<qualifier>[A-Za-z0-9$_-]+))?$/;

/**
 * A local Lambda service answering `Invoke` with functions registered in this process (with their tags), so the
 * hook steps can call a refresh file's hook functions locally.
 *
 * A function registered by ARN answers only to that ARN (a hook in another account keeps its ARN); one
 * registered by name gets the local region and account, where a bare name is looked up. An unknown function is a
 * ResourceNotFoundException, as is one of another Region; payloads are limited as Lambda limits them (6 MB
 * synchronous, 1 MB asynchronous, 6 MB responses); a function that throws answers as Lambda does: HTTP 200 with
 * `X-Amz-Function-Error: Unhandled` and `{errorType, errorMessage, trace}` as the payload.
 */
export class LocalLambda implements LocalService, FunctionRegistry {
  readonly name = 'lambda';
  /** Handlers and what IAM sees of them, by function ARN. */
  private readonly functions = new Map<string, { handler: LocalFunction; settings: LocalFunctionSettings }>();

  constructor(private readonly options: LocalLambdaOptions) {}

  /**
   * Registers (or replaces) the function `nameOrArn` with its tags (a hook the stack's policy may invoke carries
   * `dbrefresh:hook=true`); returns its ARN.
   * @throws Error when `nameOrArn` is not a function name or an unqualified function ARN
   */
  register(nameOrArn: string, handler: LocalFunction, settings: LocalFunctionSettings = {}): string {
    const parsed = parseFunctionName(nameOrArn);
    if (!parsed || parsed.qualifier !== undefined) {
      throw new Error(
        `Cannot register local function "${nameOrArn}": give a function name or an unqualified ARN ` +
          '(arn:aws:lambda:<region>:<account>:function:<name>)',
      );
    }
    const arn = functionArn(
      parsed.region ?? this.options.scope.region,
      parsed.account ?? this.options.scope.account,
      parsed.name,
    );
    this.functions.set(arn, { handler, settings: { ...settings, tags: { ...settings.tags } } });
    return arn;
  }

  /**
   * The ARN of the registered function that `reference` (a name, partial ARN or ARN, as Invoke takes) names in
   * `scope` (the caller's Region and account), or undefined when there is none.
   */
  functionArnOf(reference: string, scope: LambdaScope = this.options.scope): string | undefined {
    const parsed = parseFunctionName(reference);
    if (!parsed) return undefined;
    const arn = functionArn(parsed.region ?? scope.region, parsed.account ?? scope.account, parsed.name);
    return this.functions.has(arn) ? arn : undefined;
  }

  /** The tags of the function `reference` names in `scope`, or undefined when there is no such function. */
  tagsOf(reference: string, scope: LambdaScope = this.options.scope): FunctionTags | undefined {
    const arn = this.functionArnOf(reference, scope);
    const tags = arn === undefined ? undefined : this.functions.get(arn)?.settings.tags;
    return tags && { ...tags };
  }

  /** The tags and policy of a registered function (by unqualified ARN), for IAM. */
  functionAccess(functionArn: string) {
    const fn = this.functions.get(functionArn);
    if (!fn) return undefined;
    const { tags = {}, policy } = fn.settings;
    return { tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })), policy };
  }

  /** What IAM authorizes for the request (local/iam/access/lambda.ts). */
  accessRequests(request: LocalRequest): Promise<readonly AccessRequest[]> {
    return lambdaAccessRequests(request, this);
  }

  /** Removes a function registered under this name or ARN; unknown ones are fine. */
  unregister(nameOrArn: string): void {
    const parsed = parseFunctionName(nameOrArn);
    if (!parsed) return;
    const { region, account } = this.options.scope;
    const arn = functionArn(parsed.region ?? region, parsed.account ?? account, parsed.name);
    this.functions.delete(arn);
  }

  async handle(request: LocalRequest): Promise<LocalResponse> {
    try {
      const match = INVOKE_PATH.exec(request.path);
      if (request.method !== 'POST' || !match?.[1]) {
        throw new AwsError(
          'UnknownOperationException',
          `The local Lambda endpoint implements only Invoke (POST /2015-03-31/functions/<name>/invocations), not ${request.method} ${request.path}`,
          404,
        );
      }
      return await this.invoke(decodeURIComponent(match[1]), request);
    } catch (error: unknown) {
      if (error instanceof AwsError) return renderAwsError(request, error);
      throw error;
    }
  }

  private async invoke(reference: string, request: LocalRequest): Promise<LocalResponse> {
    const invocationType = request.headers['x-amz-invocation-type'] ?? 'RequestResponse';
    throwIfViolated([
      INVOCATION_TYPES.includes(invocationType)
        ? undefined
        : {
            member: 'invocationType',
            value: invocationType,
            constraint: `Member must satisfy enum value set: [${INVOCATION_TYPES.join(', ')}]`,
          },
    ]);
    const handler = this.find(reference, request);
    checkRequestSize(request.body, invocationType);
    const event = parsePayload(request.body);
    const headers = { 'x-amz-executed-version': '$LATEST' };
    if (invocationType === 'DryRun') return { status: 204, headers };
    if (invocationType === 'Event') {
      // Lambda queues the event and answers at once; a failure is only the function's business.
      void Promise.resolve()
        .then(() => handler(event))
        .catch(() => undefined);
      return { status: 202, headers };
    }
    let result: unknown;
    try {
      result = await handler(event);
    } catch (error: unknown) {
      return functionErrorResponse(headers, functionError(error));
    }
    const body = JSON.stringify(result ?? null);
    const size = Buffer.byteLength(body, 'utf8');
    // A response over the quota reaches the caller as the function's error, not as an API error.
    if (size > MAX_SYNC_PAYLOAD_BYTES) {
      return functionErrorResponse(headers, {
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size (${size} bytes) exceeded maximum allowed payload size (${MAX_SYNC_PAYLOAD_BYTES} bytes).`,
        trace: [],
      });
    }
    return { status: 200, headers: { ...headers, 'content-type': 'application/json' }, body };
  }

  /**
   * The handler of the function `reference` names: a name or partial ARN means the caller's Region and account; a
   * function of another Region cannot be reached from this one; only $LATEST exists locally.
   * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html (FunctionName, Qualifier)
   */
  private find(reference: string, request: LocalRequest): LocalFunction {
    const parsed = parseFunctionName(reference);
    if (!parsed) {
      throw validationError([
        {
          member: 'functionName',
          value: reference,
          constraint: `Member must satisfy regular expression pattern: ${MODEL_FUNCTION_NAME_PATTERN}`,
        },
      ]);
    }
    if (parsed.region !== undefined && parsed.region !== request.region) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Functions from '${parsed.region}' are not reachable in this region ('${request.region}')`,
        404,
      );
    }
    const queried = request.query.get('Qualifier') ?? undefined;
    if (parsed.qualifier !== undefined && queried !== undefined && queried !== parsed.qualifier) {
      throw new AwsError(
        'InvalidParameterValueException',
        'The derived qualifier from the function name does not match the specified qualifier.',
      );
    }
    const qualifier = parsed.qualifier ?? queried;
    const wanted = functionArn(request.region, parsed.account ?? request.account, parsed.name);
    const fn = this.functions.get(wanted);
    if (!fn || (qualifier !== undefined && qualifier !== '$LATEST')) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Function not found: ${wanted}${qualifier ? `:${qualifier}` : ''}. ` +
          'Register it locally with LocalLambda.register (local mode runs functions in process)',
        404,
      );
    }
    return fn.handler;
  }
}

interface FunctionName {
  readonly name: string;
  readonly region?: string;
  readonly account?: string;
  readonly qualifier?: string;
}

function parseFunctionName(reference: string): FunctionName | undefined {
  const groups = FUNCTION_NAME.exec(reference)?.groups;
  if (!groups?.name) return undefined;
  return {
    name: groups.name,
    region: groups.region,
    account: groups.account ?? groups.partialAccount,
    qualifier: groups.qualifier,
  };
}

function functionArn(region: string, account: string, name: string): string {
  return `arn:aws:lambda:${region}:${account}:function:${name}`;
}

/**
 * A request payload over the quota of its invocation type is refused before the function runs.
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html (RequestTooLargeException, 413)
 */
function checkRequestSize(body: Buffer, invocationType: string): void {
  const limit = invocationType === 'Event' ? MAX_ASYNC_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES;
  if (body.byteLength > limit) {
    throw new AwsError(
      'RequestTooLargeException',
      `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
      413,
    );
  }
}

function parsePayload(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') return null;
  try {
    return parseJson(text, { what: 'The invocation payload' });
  } catch (error: unknown) {
    if (error instanceof JsonTooDeepError)
      throw new AwsError('InvalidRequestContentException', error.message);
    throw new AwsError('InvalidRequestContentException', 'Could not parse request body into json');
  }
}

/** Lambda's answer for a function error: HTTP 200, `X-Amz-Function-Error: Unhandled`, the error as the payload. */
function functionErrorResponse(
  headers: Record<string, string>,
  error: { errorType: string; errorMessage: string; trace: string[] },
): LocalResponse {
  return {
    status: 200,
    headers: { ...headers, 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' },
    body: JSON.stringify(error),
  };
}

/** What the Node.js runtime returns for an uncaught error. */
function functionError(error: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  if (error instanceof Error) {
    const trace = (error.stack ?? '').split('\n').filter((line) => line.trim() !== '');
    return { errorType: error.name, errorMessage: error.message, trace };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}
