import { AwsError } from '../service';

/**
 * A request member that breaks a constraint of the service's API model (length, pattern, list size): AWS
 * answers these before the operation runs, all at once, as one ValidationException.
 */
export interface ConstraintViolation {
  /** The member as AWS names it in the message: the model's name with a lower-case first letter. */
  readonly member: string;
  /** The value, quoted in the message; undefined for sensitive members (SecretString, inputs), as AWS omits them. */
  readonly value?: string;
  /** What the member must do, in AWS's words: `Member must have length less than or equal to 80`. */
  readonly constraint: string;
}

/**
 * The ValidationException AWS answers for members that break the model's constraints, in its wording:
 * `1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: Member must have length less
 * than or equal to 80`. Nothing when every check passed. Every JSON service lists it among its common errors,
 * e.g. https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonErrors.html (ValidationException, 400)
 */
export function throwIfViolated(checks: readonly (ConstraintViolation | undefined)[]): void {
  const violations = checks.filter((check): check is ConstraintViolation => check !== undefined);
  if (violations.length > 0) throw validationError(violations);
}

/** The ValidationException for `violations` (at least one), worded as {@link throwIfViolated} says. */
export function validationError(violations: readonly ConstraintViolation[]): AwsError {
  const count = `${violations.length} validation error${violations.length === 1 ? '' : 's'} detected`;
  const details = violations.map(
    ({ member, value, constraint }) =>
      `Value ${value === undefined ? '' : `'${value}' `}at '${member}' failed to satisfy constraint: ${constraint}`,
  );
  return new AwsError('ValidationException', `${count}: ${details.join('; ')}`);
}

/** How a length is counted: in characters (the model's default) or in bytes of UTF-8 (payloads AWS sizes so). */
export type LengthUnit = 'characters' | 'utf8-bytes';

export interface LengthRule {
  readonly min?: number;
  readonly max?: number;
  /** @default 'characters' */
  readonly unit?: LengthUnit;
  /** Leave the value out of the message (secret values, execution inputs). */
  readonly sensitive?: boolean;
}

/** A length check of an optional member: undefined when absent or within `rule`. */
export function lengthViolation(
  member: string,
  value: string | Uint8Array | undefined,
  rule: LengthRule,
): ConstraintViolation | undefined {
  if (value === undefined) return undefined;
  const length = lengthOf(value, rule.unit ?? 'characters');
  const shown = rule.sensitive || typeof value !== 'string' ? undefined : value;
  if (rule.max !== undefined && length > rule.max) {
    return { member, value: shown, constraint: `Member must have length less than or equal to ${rule.max}` };
  }
  if (rule.min !== undefined && length < rule.min) {
    return {
      member,
      value: shown,
      constraint: `Member must have length greater than or equal to ${rule.min}`,
    };
  }
  return undefined;
}

/** A list-size check of an optional list member. */
export function listSizeViolation(
  member: string,
  list: readonly unknown[] | undefined,
  rule: { readonly min?: number; readonly max: number },
): ConstraintViolation | undefined {
  if (list === undefined) return undefined;
  if (list.length > rule.max) {
    return { member, constraint: `Member must have length less than or equal to ${rule.max}` };
  }
  if (rule.min !== undefined && list.length < rule.min) {
    return { member, constraint: `Member must have length greater than or equal to ${rule.min}` };
  }
  return undefined;
}

/** The size of a text as AWS counts payload quotas: bytes of its UTF-8 encoding. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function lengthOf(value: string | Uint8Array, unit: LengthUnit): number {
  if (typeof value !== 'string') return value.byteLength;
  return unit === 'utf8-bytes' ? utf8Bytes(value) : [...value].length;
}
