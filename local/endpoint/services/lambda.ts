import { JsonTooDeepError, parseJson } from '../../../lambdas/shared/json/parse-json';
import { renderAwsError } from '../faults';
import { AwsError, type LocalRequest, type LocalResponse, type LocalService } from '../service';

/**
 * A function the local Lambda runs in this process. It receives the invocation's payload parsed as JSON
 * (null when empty); what it returns, serialized as JSON, is the response payload.
 */
export type LocalFunction = (event: unknown) => unknown;

export interface LocalLambdaOptions {
  /** The region and account of functions registered by name. */
  readonly scope: { readonly region: string; readonly account: string };
}

/** `/2015-03-31/functions/<FunctionName>/invocations`, the path of Invoke. */
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
/** `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`, `<account>:function:<name>` or `<name>[:<qualifier>]`. */
const FUNCTION_NAME =
  /^(?:arn:aws[a-z-]*:lambda:(?<region>[a-z0-9-]+):(?<account>\d{12}):function:|(?<partialAccount>\d{12}):function:)?(?<name>[A-Za-z0-9_-]{1,64})(?::(?<qualifier>[A-Za-z0-9$_-]+))?$/;

/**
 * A local Lambda service answering `Invoke` with functions registered in this process, so the hook steps
 * can call a refresh file's hook functions locally.
 *
 * A function registered by ARN answers only to that ARN (a hook in another account keeps its ARN); one
 * registered by name gets the local region and account, where a bare name is looked up. An unknown function is a
 * ResourceNotFoundException; a function that throws answers as Lambda does: HTTP 200 with
 * `X-Amz-Function-Error: Unhandled` and `{errorType, errorMessage, trace}` as the payload.
 */
export class LocalLambda implements LocalService {
  readonly name = 'lambda';
  /** Handlers by function ARN. */
  private readonly functions = new Map<string, LocalFunction>();

  constructor(private readonly options: LocalLambdaOptions) {}

  /**
   * Registers (or replaces) the function `nameOrArn`; returns its ARN.
   * @throws Error when `nameOrArn` is not a function name or an unqualified function ARN
   */
  register(nameOrArn: string, handler: LocalFunction): string {
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
    this.functions.set(arn, handler);
    return arn;
  }

  /** Removes a function registered under this name or ARN; unknown ones are fine. */
  unregister(nameOrArn: string): void {
    const parsed = parseFunctionName(nameOrArn);
    if (!parsed) return;
    const { region, account } = this.options.scope;
    this.functions.delete(functionArn(parsed.region ?? region, parsed.account ?? account, parsed.name));
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
    const handler = this.find(reference, request);
    const invocationType = request.headers['x-amz-invocation-type'] ?? 'RequestResponse';
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
    if (invocationType !== 'RequestResponse') {
      throw new AwsError(
        'InvalidParameterValueException',
        `InvocationType "${invocationType}" is not one of RequestResponse, Event, DryRun`,
      );
    }
    let result: unknown;
    try {
      result = await handler(event);
    } catch (error: unknown) {
      return {
        status: 200,
        headers: { ...headers, 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' },
        body: JSON.stringify(functionError(error)),
      };
    }
    return {
      status: 200,
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(result ?? null),
    };
  }

  private find(reference: string, request: LocalRequest): LocalFunction {
    const parsed = parseFunctionName(reference);
    if (!parsed) {
      throw new AwsError(
        'ValidationException',
        `FunctionName "${reference}" is not a function name, a partial ARN or a function ARN`,
      );
    }
    const qualifier = parsed.qualifier ?? request.query.get('Qualifier') ?? undefined;
    // A name alone, or a partial ARN, means "in the caller's region and account".
    const wanted = functionArn(
      parsed.region ?? request.region,
      parsed.account ?? request.account,
      parsed.name,
    );
    const fn = this.functions.get(wanted);
    if (!fn || (qualifier !== undefined && qualifier !== '$LATEST')) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Function not found: ${wanted}${qualifier ? `:${qualifier}` : ''}. ` +
          'Register it locally with LocalLambda.register (local mode runs functions in process)',
        404,
      );
    }
    return fn;
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

/** What the Node.js runtime returns for an uncaught error. */
function functionError(error: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  if (error instanceof Error) {
    const trace = (error.stack ?? '').split('\n').filter((line) => line.trim() !== '');
    return { errorType: error.name, errorMessage: error.message, trace };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}
