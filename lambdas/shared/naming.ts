/**
 * RDS identifier rules and the names dbrefresh derives from a target.
 *
 * A refresh restores into `<target>-new-<runId>` and retires the old target as `<target>-old-<runId>`,
 * so a target name must leave room for those suffixes inside RDS's 63-character limit.
 */

export const MAX_IDENTIFIER_LENGTH = 63;

/** Length of the run id that suffixes temporary and retired names (lowercase letters and digits). */
export const RUN_ID_LENGTH = 8;

const TEMPORARY_INFIX = '-new-';
const RETIRED_INFIX = '-old-';

/** The longest target name whose derived names still fit RDS's limit. */
export const MAX_TARGET_LENGTH =
  MAX_IDENTIFIER_LENGTH - Math.max(TEMPORARY_INFIX.length, RETIRED_INFIX.length) - RUN_ID_LENGTH;

export const IDENTIFIER_RULE =
  '1-63 letters, digits or hyphens, starting with a letter, with no two consecutive hyphens and no trailing hyphen';

/** Why `value` is not a valid RDS DB instance or cluster identifier, or undefined when it is. */
export function identifierProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > MAX_IDENTIFIER_LENGTH) return `is ${value.length} characters long, more than RDS allows`;
  if (!/^[a-zA-Z]/.test(value)) return 'must start with a letter';
  const invalid = value.match(/[^a-zA-Z0-9-]/);
  if (invalid) return `contains "${invalid[0]}", which RDS does not allow in identifiers`;
  if (value.includes('--')) return 'must not contain two consecutive hyphens';
  if (value.endsWith('-')) return 'must not end with a hyphen';
  return undefined;
}

/** Why the names derived from `target` would not fit, or undefined when they do. */
export function derivedNameProblem(target: string): string | undefined {
  if (target.length <= MAX_TARGET_LENGTH) return undefined;
  const example = temporaryName(target, 'x'.repeat(RUN_ID_LENGTH));
  return `is ${target.length} characters long: the temporary copy "${example}" would exceed RDS's ${MAX_IDENTIFIER_LENGTH}-character limit`;
}

/** The identifier the restored copy has until the swap. */
export function temporaryName(target: string, runId: string): string {
  return `${fitting(target)}${TEMPORARY_INFIX}${runId}`;
}

/** The identifier the old target has between the swap and its retirement. */
export function retiredName(target: string, runId: string): string {
  return `${fitting(target)}${RETIRED_INFIX}${runId}`;
}

/**
 * Targets are limited to MAX_TARGET_LENGTH by the refresh file; names dbrefresh finds on live
 * resources (an Aurora writer, a replica) may be longer and are shortened so the suffix fits.
 */
function fitting(name: string): string {
  return name.length <= MAX_TARGET_LENGTH ? name : name.slice(0, MAX_TARGET_LENGTH).replace(/-+$/, '');
}
