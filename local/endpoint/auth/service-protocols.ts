import type { WireProtocol } from '../faults';

/**
 * How each AWS service the local endpoint may serve speaks, by SigV4 service name: the Query protocol (form
 * parameters in, XML out), AWS JSON (`X-Amz-Target` and a JSON body), REST-JSON (operations named by method and
 * path, as Lambda and Scheduler), or S3's REST-XML. Authentication and authorization errors take the shape and
 * the status the protocol uses.
 */
export type ServiceProtocol = 'query' | 'json' | 'rest-json' | 's3';

const QUERY_SERVICES: ReadonlySet<string> = new Set(['rds', 'sns', 'sts', 'cloudformation', 'iam', 'ec2']);
const REST_JSON_SERVICES: ReadonlySet<string> = new Set(['lambda', 'scheduler']);

/**
 * The `X-Amz-Target` prefix of each AWS JSON service, as its service model names it, and the SigV4 service it
 * belongs to: a request naming `TrentService.Decrypt` is a KMS request whatever its credential scope says.
 */
const JSON_TARGET_PREFIXES: Readonly<Record<string, string>> = {
  secretsmanager: 'secretsmanager',
  TrentService: 'kms',
  AWSStepFunctions: 'states',
  AmazonSSM: 'ssm',
  DynamoDB_20120810: 'dynamodb',
};

/** The protocol of a service, by its SigV4 name; services this module does not list speak AWS JSON. */
export function serviceProtocol(service: string): ServiceProtocol {
  if (service === 's3') return 's3';
  if (QUERY_SERVICES.has(service)) return 'query';
  if (REST_JSON_SERVICES.has(service)) return 'rest-json';
  return 'json';
}

/** The error rendering of a protocol (`faults.ts` renders REST-JSON errors as JSON, with the status given). */
export function wireProtocol(protocol: ServiceProtocol): WireProtocol {
  return protocol === 'rest-json' ? 'json' : protocol;
}

/**
 * The service a request is addressed to by its own shape, independent of its credential scope: S3 for a
 * virtual-hosted `<bucket>.localhost` host, the JSON service an `X-Amz-Target` header names. Undefined when the
 * shape does not say (Query and REST-JSON requests, path-style S3).
 */
export function addressedService(headers: Readonly<Record<string, string>>): string | undefined {
  if (/.\.localhost(:\d+)?$/.test(headers.host ?? '')) return 's3';
  const target = headers['x-amz-target'];
  if (target === undefined) return undefined;
  const prefix = target.slice(0, target.lastIndexOf('.'));
  return Object.hasOwn(JSON_TARGET_PREFIXES, prefix) ? JSON_TARGET_PREFIXES[prefix] : undefined;
}
