import { rdsErrors } from '../errors';
import type { RdsTag } from '../state';

/** Tags on RDS resources: how many a resource may carry, and what keys and values may be. */

/** "A tag set can contain as many as 50 tags, or it can be empty." */
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Tagging.html
export const MAX_TAGS = 50;

/** Unicode letters, digits, white space, `_ . : / = + - @` (the API reference's Java regex). */
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_Tag.html
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const RESERVED_PREFIXES = ['aws:', 'rds:'];

/**
 * Checks each tag's key and value: keys 1 to 128 characters, values up to 256, of the allowed characters,
 * neither starting with `aws:` or `rds:`.
 * @throws AwsError InvalidParameterValue naming the tag and the rule
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_Tag.html
export function checkTags(tags: readonly RdsTag[]): void {
  for (const { Key: key, Value: value } of tags) {
    const keyLength = [...key].length;
    if (keyLength < 1 || keyLength > 128 || !TAG_CHARACTERS.test(key)) {
      throw rdsErrors.invalidValue(
        `Invalid tag key "${key}": use 1 to 128 Unicode letters, digits, white space or _ . : / = + - @.`,
      );
    }
    if ([...value].length > 256 || !TAG_CHARACTERS.test(value)) {
      throw rdsErrors.invalidValue(
        `Invalid value for tag "${key}": use up to 256 Unicode letters, digits, white space or _ . : / = + - @.`,
      );
    }
    for (const [what, text] of [
      ['key', key],
      ['value', value],
    ] as const) {
      const reserved = RESERVED_PREFIXES.find((prefix) => text.toLowerCase().startsWith(prefix));
      if (reserved) {
        throw rdsErrors.invalidValue(
          `Tag ${what}s starting with "${reserved}" are reserved for AWS use: ${what === 'key' ? key : `the value of ${key}`}.`,
        );
      }
    }
  }
}

/**
 * Checks that a resource with `existing` tags, once `added` are put on it (same keys replace), holds at most 50.
 * @throws AwsError InvalidParameterValue with the count and the fix
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Tagging.html
export function checkTagCount(existing: readonly RdsTag[], added: readonly RdsTag[]): void {
  const keys = new Set([...existing, ...added].map((tag) => tag.Key));
  if (keys.size > MAX_TAGS) {
    throw rdsErrors.invalidValue(
      `Cannot add tags: the resource would have ${keys.size} tags, and a resource can have at most ${MAX_TAGS}. ` +
        'Remove tags first (RemoveTagsFromResource) or add fewer.',
    );
  }
}
