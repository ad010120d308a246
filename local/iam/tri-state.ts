/**
 * Three-valued logic for policy evaluation: a statement element can match, not match, or be undetermined
 * where AWS documents no outcome (a policy variable it cannot resolve, a plain operator on a key with several
 * values). Local mode reads an undetermined statement strictly: an Allow does not apply, a Deny does.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
 */
export type Tri = boolean | 'unknown';

/** Undetermined: neither matched nor not matched. */
export const UNKNOWN = 'unknown';

/** Logical OR (Kleene): true when any is true, else unknown when any is unknown. */
export function anyOf(values: Iterable<Tri>): Tri {
  let result: Tri = false;
  for (const value of values) {
    if (value === true) return true;
    if (value === UNKNOWN) result = UNKNOWN;
  }
  return result;
}

/** Logical AND (Kleene): false when any is false, else unknown when any is unknown. */
export function allOf(values: Iterable<Tri>): Tri {
  let result: Tri = true;
  for (const value of values) {
    if (value === false) return false;
    if (value === UNKNOWN) result = UNKNOWN;
  }
  return result;
}

/** Logical NOT (Kleene): unknown stays unknown. */
export function not(value: Tri): Tri {
  return value === UNKNOWN ? UNKNOWN : !value;
}
