import type { RequestContext } from '../access';

/**
 * Tags as IAM condition keys. A request's tags are `aws:RequestTag/<key>` (with `aws:TagKeys`, the list of their
 * keys); a resource's tags are `aws:ResourceTag/<key>`. Some services also supply their own names for the same
 * values (`rds:req-tag/<key>`, `rds:db-tag/<key>`, `secretsmanager:ResourceTag/<key>`), given here as prefixes.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html
 */

/** A tag as the APIs carry it; a missing value is the empty string, as the services store it. */
export interface TagLike {
  readonly Key?: string;
  readonly Value?: string;
}

/** `aws:RequestTag/<key>` (and `<prefix>/<key>` for each prefix) per tag, and `aws:TagKeys`; nothing for no tags. */
export function requestTagKeys(tags: readonly TagLike[], prefixes: readonly string[] = []): RequestContext {
  const keyed = keyedTags(tags);
  if (keyed.length === 0) return {};
  return {
    ...tagValues(keyed, ['aws:RequestTag', ...prefixes]),
    ...tagKeysKey(keyed.map(([key]) => key)),
  };
}

/** `aws:ResourceTag/<key>` (and `<prefix>/<key>` for each prefix) per tag of the resource. */
export function resourceTagKeys(tags: readonly TagLike[], prefixes: readonly string[] = []): RequestContext {
  return tagValues(keyedTags(tags), ['aws:ResourceTag', ...prefixes]);
}

/** `aws:TagKeys`: the tag keys a request names (to add or to remove); nothing when it names none. */
export function tagKeysKey(keys: readonly string[]): RequestContext {
  return keys.length === 0 ? {} : { 'aws:TagKeys': [...new Set(keys)] };
}

function keyedTags(tags: readonly TagLike[]): [string, string][] {
  return tags.flatMap((tag) => (tag.Key === undefined ? [] : [[tag.Key, tag.Value ?? '']]));
}

function tagValues(tags: readonly [string, string][], prefixes: readonly string[]): RequestContext {
  const context: Record<string, string> = {};
  for (const [key, value] of tags) {
    for (const prefix of prefixes) context[`${prefix}/${key}`] = value;
  }
  return context;
}
