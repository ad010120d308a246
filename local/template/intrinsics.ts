/**
 * The values CloudFormation would give a template's references in one account: the pseudo parameters, and for
 * each resource (by logical id) what `Ref` returns and its `Fn::GetAtt` attributes.
 */
export interface TemplateValues {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly urlSuffix: string;
  readonly stackName: string;
  readonly resources: Readonly<Record<string, ResourceValues>>;
}

/** What `Ref` returns for one resource, and its attributes (`Arn`, `TopicName`, ...). */
export interface ResourceValues {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** A reference the local values cannot resolve; the message names where it is in the template and what it is. */
export class UnresolvedReferenceError extends Error {
  override readonly name = 'UnresolvedReferenceError';
}

/** `{"Ref": "AWS::NoValue"}`: the property (or list item) it stands in is removed. */
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * A template fragment with its intrinsic functions replaced by local values: `Ref` (resources and the pseudo
 * parameters AWS::Partition, AWS::Region, AWS::AccountId, AWS::URLSuffix, AWS::StackName, AWS::NoValue),
 * `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select` and `Fn::Split`.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/pseudo-parameter-reference.html
 * @param path where the fragment is in the template (`Resources.MyPolicy.Properties.PolicyDocument`), for errors
 * @throws UnresolvedReferenceError naming the path and the expression of the first reference without a local
 *   value, or of a function local mode does not resolve (Fn::If, Fn::ImportValue, ...)
 */
export function resolveIntrinsics(fragment: unknown, values: TemplateValues, path: string): unknown {
  const resolved = resolve(fragment, values, path);
  if (resolved === NO_VALUE)
    throw new UnresolvedReferenceError(`${path}: AWS::NoValue where a value is required`);
  return resolved;
}

/** {@link resolveIntrinsics} for a fragment that must resolve to a string. */
export function resolveString(fragment: unknown, values: TemplateValues, path: string): string {
  const resolved = resolveIntrinsics(fragment, values, path);
  if (typeof resolved !== 'string') {
    throw new UnresolvedReferenceError(`${path}: ${JSON.stringify(fragment)} is not a string`);
  }
  return resolved;
}

function resolve(fragment: unknown, values: TemplateValues, path: string): unknown {
  if (Array.isArray(fragment)) {
    return fragment
      .map((item, index) => resolve(item, values, `${path}[${index}]`))
      .filter((item) => item !== NO_VALUE);
  }
  if (typeof fragment !== 'object' || fragment === null) return fragment;
  const entries = Object.entries(fragment);
  const [name, argument] = entries[0] ?? [];
  if (entries.length === 1 && name !== undefined && (name === 'Ref' || name.startsWith('Fn::'))) {
    return intrinsic(name, argument, values, path);
  }
  const result: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    const item = resolve(value, values, `${path}.${key}`);
    if (item !== NO_VALUE) result[key] = item;
  }
  return result;
}

function intrinsic(name: string, argument: unknown, values: TemplateValues, path: string): unknown {
  const fail = (why: string): never => {
    throw new UnresolvedReferenceError(`${path}: ${JSON.stringify({ [name]: argument })} ${why}`);
  };
  const args = (count: number): unknown[] => {
    if (!Array.isArray(argument) || argument.length !== count) fail(`takes a list of ${count} arguments`);
    return argument as unknown[];
  };
  const text = (fragment: unknown, at: string): string => {
    const value = resolve(fragment, values, at);
    return typeof value === 'string' ? value : fail(`needs a string at ${at}, got ${JSON.stringify(value)}`);
  };
  const list = (fragment: unknown, at: string): unknown[] => {
    const value = resolve(fragment, values, at);
    return Array.isArray(value) ? value : fail(`needs a list at ${at}, got ${JSON.stringify(value)}`);
  };
  switch (name) {
    case 'Ref':
      return typeof argument === 'string'
        ? (ref(argument, values) ?? fail('has no local value'))
        : fail('names no id');
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = typeof argument === 'string' ? splitOnce(argument, '.') : args(2);
      const value = values.resources[String(logicalId)]?.attributes[String(attribute)];
      return value ?? fail('has no local value');
    }
    case 'Fn::Join': {
      const [delimiter, items] = args(2);
      return list(items, `${path}.Fn::Join[1]`)
        .map((item, index) => (typeof item === 'string' ? item : fail(`joins a non-string at item ${index}`)))
        .join(String(delimiter));
    }
    case 'Fn::Sub': {
      const [template, variables] = typeof argument === 'string' ? [argument, {}] : args(2);
      const map = resolve(variables, values, `${path}.Fn::Sub[1]`) as Record<string, unknown>;
      return String(template).replace(/\$\{([^}]*)\}/g, (whole, variable: string) => {
        if (variable.startsWith('!')) return `\${${variable.slice(1)}}`;
        const mapped = map[variable];
        if (typeof mapped === 'string') return mapped;
        const [logicalId, attribute] = splitOnce(variable, '.');
        const value =
          attribute === undefined
            ? ref(logicalId, values)
            : values.resources[logicalId]?.attributes[attribute];
        return typeof value === 'string' ? value : fail(`has no local value for ${whole}`);
      });
    }
    case 'Fn::Select': {
      const [index, items] = args(2);
      const position = Number(resolve(index, values, `${path}.Fn::Select[0]`));
      const selected = list(items, `${path}.Fn::Select[1]`)[position];
      return Number.isInteger(position) && selected != null
        ? selected
        : fail(`selects no item at ${position}`);
    }
    case 'Fn::Split': {
      const [delimiter, source] = args(2);
      return text(source, `${path}.Fn::Split[1]`).split(String(delimiter));
    }
    default:
      return fail('is not resolved in local mode');
  }
}

/**
 * What `Ref` returns: a pseudo parameter's value, or a resource's own.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-ref.html
 */
function ref(id: string, values: TemplateValues): string | typeof NO_VALUE | undefined {
  switch (id) {
    case 'AWS::Partition':
      return values.partition;
    case 'AWS::Region':
      return values.region;
    case 'AWS::AccountId':
      return values.account;
    case 'AWS::URLSuffix':
      return values.urlSuffix;
    case 'AWS::StackName':
      return values.stackName;
    case 'AWS::NoValue':
      return NO_VALUE;
    default:
      return values.resources[id]?.ref;
  }
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
