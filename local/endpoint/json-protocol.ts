import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { JsonTooDeepError, parseJson } from '../../lambdas/shared/json/parse-json';
import { renderAwsError } from './faults';
import { AwsError, type LocalRequest, type LocalResponse, type LocalService } from './service';

/** One operation of a JSON service: its input schema and what it does with the parsed input. */
export interface JsonOperation<S extends z.ZodType = z.ZodType> {
  readonly input: S;
  run(input: z.output<S>, request: LocalRequest): Promise<unknown> | unknown;
}

/** Declares an operation, typing `run`'s input from the schema. */
export function operation<S extends z.ZodType>(
  input: S,
  run: (input: z.output<S>, request: LocalRequest) => Promise<unknown> | unknown,
): JsonOperation<S> {
  return { input, run };
}

/**
 * A service speaking AWS JSON 1.1 (or 1.0): POST `/`, `X-Amz-Target: <targetPrefix>.<Operation>`, a JSON body
 * in and out; AwsErrors become `{"__type": code, "message"}` with their status (the SDK raises the exception
 * class the code names, in either version).
 */
export function jsonService(
  name: string,
  targetPrefix: string,
  operations: Record<string, JsonOperation>,
  version: '1.0' | '1.1' = '1.1',
): LocalService {
  const contentType = `application/x-amz-json-${version}`;
  return {
    name,
    async handle(request: LocalRequest): Promise<LocalResponse> {
      const requestId = randomUUID();
      try {
        const target = request.headers['x-amz-target'] ?? '';
        const action = target.startsWith(`${targetPrefix}.`) ? target.slice(targetPrefix.length + 1) : '';
        const op = Object.hasOwn(operations, action) ? operations[action] : undefined;
        if (!op) {
          throw new AwsError(
            'UnknownOperationException',
            `The local ${name} endpoint does not implement "${target}"; it implements ${Object.keys(operations).join(', ')}`,
          );
        }
        const parsed = op.input.safeParse(parseBody(request.body));
        if (!parsed.success) {
          throw new AwsError('ValidationException', `${action}: ${z.prettifyError(parsed.error)}`);
        }
        const output = await op.run(parsed.data, request);
        return {
          status: 200,
          headers: { 'content-type': contentType, 'x-amzn-requestid': requestId },
          body: JSON.stringify(toJsonWire(output ?? {})),
        };
      } catch (error: unknown) {
        if (error instanceof AwsError) {
          const response = renderAwsError(request, error, requestId);
          return { ...response, headers: { ...response.headers, 'content-type': contentType } };
        }
        throw error;
      }
    },
  };
}

/** The request's JSON, its nesting bounded before anything (zod) walks it recursively. */
function parseBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') return {};
  try {
    return parseJson(text, { what: 'The request body' });
  } catch (error: unknown) {
    if (error instanceof JsonTooDeepError) throw new AwsError('SerializationException', error.message);
    throw new AwsError('SerializationException', 'The request body is not valid JSON');
  }
}

/**
 * An SDK-shaped output as the JSON protocols carry it: dates as fractional epoch seconds, blobs as base64,
 * so services can return the SDK's own output types.
 */
export function toJsonWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toJsonWire);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toJsonWire(item)]));
  }
  return value;
}
