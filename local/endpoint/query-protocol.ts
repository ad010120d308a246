import { randomUUID } from 'node:crypto';
import { escapeXml } from './faults';
import { AwsError, type LocalRequest, type LocalResponse, type LocalService } from './service';

/**
 * The AWS Query protocol (RDS, SNS, ...): form-encoded `Action=...&Version=...&Param=...` requests and XML
 * responses `<XResponse xmlns="..."><XResult>…</XResult><ResponseMetadata>…</ResponseMetadata></XResponse>`.
 *
 * Requests flatten structures and lists into dotted names, as the SDK serializes them:
 * `Tags.Tag.1.Key=k` (a list whose members are named by the model), `TagKeys.member.1=k` (unnamed members),
 * `ServerlessV2ScalingConfiguration.MinCapacity=0.5` (a structure), `Attributes.entry.1.key=k` (a map).
 * {@link parseQueryParameters} rebuilds the tree: numbered segments become arrays, and the member wrapper of a
 * list (`Tag`, `member`, `entry`, ...) is dropped, so `Tags` reads as an array of `{Key, Value}`.
 */

/** A parsed parameter: a string, a list, or a structure. */
export type QueryValue = string | readonly QueryValue[] | QueryStructure;
export interface QueryStructure {
  readonly [name: string]: QueryValue;
}

/** What a Query operation returns: rendered as XML elements, in key order; undefined and null are left out. */
export type XmlValue = string | number | boolean | Date | null | undefined | XmlList | XmlStructure;
export interface XmlStructure {
  readonly [element: string]: XmlValue;
}

/** A list in a response: each item is wrapped in a `member` element (`<TagList><Tag>…</Tag></TagList>`). */
export class XmlList {
  constructor(
    readonly member: string,
    readonly items: readonly XmlValue[],
  ) {}
}

/** A response list whose items are `<member>` elements named as the service model names them. */
export function xmlList(member: string, items: readonly XmlValue[]): XmlList {
  return new XmlList(member, items);
}

/** One Query operation: takes the request's parameters, returns the `<XResult>` content (or nothing). */
export type QueryAction = (input: QueryInput, request: LocalRequest) => Promise<XmlValue> | XmlValue;

export interface QueryServiceOptions {
  /** SigV4 service name, e.g. `rds`. */
  readonly name: string;
  /** The XML namespace of responses, e.g. `http://rds.amazonaws.com/doc/2014-10-31/`. */
  readonly namespace: string;
  readonly actions: Readonly<Record<string, QueryAction>>;
  /** Runs before every action (e.g. to bring state up to date); its AwsErrors are answered like the action's. */
  readonly before?: (action: string, request: LocalRequest) => Promise<void> | void;
}

/**
 * Answers one Query request: parses it, runs the named action, renders its result or its AwsError.
 * An unknown action is a 400 InvalidAction; any other exception propagates (the endpoint answers 500).
 */
export async function handleQueryRequest(
  options: QueryServiceOptions,
  request: LocalRequest,
): Promise<LocalResponse> {
  const requestId = randomUUID();
  try {
    const { action, input } = parseQueryRequest(request);
    const run = Object.hasOwn(options.actions, action) ? options.actions[action] : undefined;
    if (!run) {
      throw new AwsError(
        'InvalidAction',
        `The action ${action} is not valid for this web service: the local ${options.name} endpoint implements ` +
          `${Object.keys(options.actions).sort().join(', ')}`,
      );
    }
    await options.before?.(action, request);
    const result = await run(input, request);
    return queryResponse(action, options.namespace, result, requestId);
  } catch (error: unknown) {
    if (error instanceof AwsError) return queryErrorResponse(error, options.namespace, requestId);
    throw error;
  }
}

/** A LocalService speaking the Query protocol. */
export function queryService(options: QueryServiceOptions): LocalService {
  return { name: options.name, handle: (request) => handleQueryRequest(options, request) };
}

/**
 * The action and parameters of a Query request: the URL's query string and a form-encoded body together.
 * @throws AwsError MissingAction when there is no Action parameter
 */
export function parseQueryRequest(request: Pick<LocalRequest, 'query' | 'body'>): {
  action: string;
  version?: string;
  input: QueryInput;
} {
  const pairs: [string, string][] = [...request.query.entries()];
  const body = request.body.toString('utf8');
  if (body.trim() !== '') pairs.push(...new URLSearchParams(body).entries());
  const parameters = parseQueryParameters(pairs);
  const { Action: action, Version: version, ...rest } = parameters;
  if (typeof action !== 'string' || action === '') {
    throw new AwsError('MissingAction', 'The request must contain the parameter Action');
  }
  return { action, version: typeof version === 'string' ? version : undefined, input: new QueryInput(rest) };
}

/** Rebuilds the parameter tree from flat `A.B.1.C=value` pairs (see the module comment). */
export function parseQueryParameters(pairs: Iterable<readonly [string, string]>): QueryStructure {
  const root: MutableNode = {};
  for (const [name, value] of pairs) {
    const segments = name.split('.');
    let node = root;
    segments.forEach((segment, index) => {
      if (index === segments.length - 1) {
        node[segment] = value;
        return;
      }
      const next = node[segment];
      if (typeof next === 'object') {
        node = next;
      } else {
        const created: MutableNode = {};
        node[segment] = created;
        node = created;
      }
    });
  }
  return finish(root) as QueryStructure;
}

interface MutableNode {
  [segment: string]: string | MutableNode;
}

/**
 * Numbered children become an array (in number order), and a wrapper whose only child is numbered
 * (`Tags` → `Tag` → 1, 2) becomes that array. A structure whose only member is a list stays a structure.
 */
function finish(node: string | MutableNode): QueryValue {
  if (typeof node === 'string') return node;
  if (isNumbered(node)) {
    return Object.keys(node)
      .map(Number)
      .sort((a, b) => a - b)
      .map((index) => finish(node[String(index)] as string | MutableNode));
  }
  const keys = Object.keys(node);
  const only = keys.length === 1 ? node[keys[0] as string] : undefined;
  if (only !== undefined && typeof only === 'object' && isNumbered(only)) return finish(only);
  const structure: Record<string, QueryValue> = {};
  for (const key of keys) structure[key] = finish(node[key] as string | MutableNode);
  return structure;
}

function isNumbered(node: MutableNode): boolean {
  const keys = Object.keys(node);
  return keys.length > 0 && keys.every((key) => /^[1-9]\d*$/.test(key));
}

/**
 * Typed, validated access to a request's parameters. Names may be dotted paths into structures
 * (`ServerlessV2ScalingConfiguration.MinCapacity`). Wrong types are 400 InvalidParameterValue, missing
 * required parameters 400 MissingParameter, both naming the parameter as the API does.
 */
export class QueryInput {
  constructor(
    readonly values: QueryStructure,
    private readonly prefix = '',
  ) {}

  has(name: string): boolean {
    return this.value(name) !== undefined;
  }

  string(name: string): string | undefined {
    const value = this.value(name);
    if (value === undefined || typeof value === 'string') return value;
    throw this.invalid(name, 'must be a single value');
  }

  requiredString(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') {
      throw new AwsError('MissingParameter', `The request must contain the parameter ${this.prefix}${name}`);
    }
    return value;
  }

  boolean(name: string): boolean | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (value === 'true' || value === 'false') return value === 'true';
    throw this.invalid(name, `must be true or false, not "${value}"`);
  }

  integer(name: string): number | undefined {
    const value = this.number(name);
    if (value === undefined || Number.isInteger(value)) return value;
    throw this.invalid(name, `must be a whole number, not ${value}`);
  }

  number(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed))
      throw this.invalid(name, `must be a number, not "${value}"`);
    return parsed;
  }

  /** A timestamp in ISO 8601 (what the SDK sends) or epoch seconds. */
  date(name: string): Date | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const date = /^\d+(\.\d+)?$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
    if (Number.isNaN(date.getTime())) throw this.invalid(name, `must be an ISO 8601 time, not "${value}"`);
    return date;
  }

  /** A list of strings; an empty list arrives as an empty value (`TagKeys=`). */
  strings(name: string): string[] | undefined {
    const value = this.value(name);
    if (value === undefined) return undefined;
    if (value === '') return [];
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return [...value];
    throw this.invalid(name, 'must be a list of values');
  }

  structure(name: string): QueryInput | undefined {
    const value = this.value(name);
    if (value === undefined) return undefined;
    if (typeof value === 'object' && !Array.isArray(value)) {
      return new QueryInput(value as QueryStructure, `${this.prefix}${name}.`);
    }
    throw this.invalid(name, 'must be a structure');
  }

  structures(name: string): QueryInput[] | undefined {
    const value = this.value(name);
    if (value === undefined) return undefined;
    if (value === '') return [];
    if (Array.isArray(value) && value.every((item) => typeof item === 'object' && !Array.isArray(item))) {
      return value.map(
        (item, index) => new QueryInput(item as QueryStructure, `${this.prefix}${name}.${index + 1}.`),
      );
    }
    throw this.invalid(name, 'must be a list of structures');
  }

  private value(name: string): QueryValue | undefined {
    let value: QueryValue | undefined = this.values;
    for (const segment of name.split('.')) {
      if (value === undefined || typeof value !== 'object' || Array.isArray(value)) return undefined;
      value = Object.hasOwn(value, segment) ? (value as QueryStructure)[segment] : undefined;
    }
    return value;
  }

  private invalid(name: string, problem: string): AwsError {
    return new AwsError('InvalidParameterValue', `The parameter ${this.prefix}${name} ${problem}`);
  }
}

/** A 200 `<ActionResponse>`, with `<ActionResult>` when the action returns something. */
export function queryResponse(
  action: string,
  namespace: string,
  result: XmlValue,
  requestId: string = randomUUID(),
): LocalResponse {
  const resultXml = result === undefined || result === null ? '' : element(`${action}Result`, result);
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${escapeXml(namespace)}">${resultXml}` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

/** An AwsError as Query services answer it: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`. */
export function queryErrorResponse(
  error: AwsError,
  namespace: string,
  requestId: string = randomUUID(),
): LocalResponse {
  return {
    status: error.status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${escapeXml(namespace)}"><Error>` +
      `<Type>${error.senderFault ? 'Sender' : 'Receiver'}</Type><Code>${escapeXml(error.code)}</Code>` +
      `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/** Renders `value` as the element `name` (or nothing, for undefined and null). */
export function element(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  return `<${name}>${content(value)}</${name}>`;
}

function content(value: Exclude<XmlValue, undefined | null>): string {
  if (value instanceof XmlList) return value.items.map((item) => element(value.member, item)).join('');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([name, child]) => element(name, child))
      .join('');
  }
  return escapeXml(String(value));
}
