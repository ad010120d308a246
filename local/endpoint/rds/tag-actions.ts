import type { QueryInput, XmlValue } from '../query-protocol';
import type { RdsContext } from './context';
import { rdsErrors } from './errors';
import { parseRdsArn } from './identifiers';
import { tagList } from './render';
import { checkTagCount } from './rules/tags';
import { mergeTags, tagsOf } from './settings';
import type { RdsTag } from './state';

/** Tags of instances, clusters and snapshots, addressed by ARN as in RDS (ResourceName). */

export async function addTagsToResource(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const resource = taggedResource(context, input.requiredString('ResourceName'));
  const added = tagsOf(input);
  checkTagCount(resource.tags, added);
  resource.tags = mergeTags(resource.tags, added);
  await context.account.save();
  return undefined;
}

export async function removeTagsFromResource(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const resource = taggedResource(context, input.requiredString('ResourceName'));
  const keys = new Set(input.strings('TagKeys') ?? []);
  resource.tags = resource.tags.filter((tag) => !keys.has(tag.Key));
  await context.account.save();
  return undefined;
}

export async function listTagsForResource(context: RdsContext, input: QueryInput): Promise<XmlValue> {
  const resource = taggedResource(context, input.requiredString('ResourceName'));
  return { TagList: tagList(resource.tags) };
}

/**
 * The resource an ARN names.
 * @throws AwsError InvalidParameterValue for a name that is no RDS ARN, the type's NotFound error otherwise
 */
function taggedResource(context: RdsContext, resourceName: string): { tags: RdsTag[] } {
  const { account } = context;
  const arn = parseRdsArn(resourceName);
  const identifier = arn?.identifier.toLowerCase() ?? '';
  switch (arn?.type) {
    case 'db':
      return account.requireInstance(identifier);
    case 'cluster':
      return account.requireCluster(identifier);
    case 'snapshot':
      return account.requireSnapshot(identifier);
    case 'cluster-snapshot':
      return account.requireClusterSnapshot(identifier);
    default:
      throw rdsErrors.invalidValue(
        `The specified resource name does not match an RDS resource in this region: ${resourceName}. ` +
          'Use the ARN of a DB instance, DB cluster or snapshot',
      );
  }
}
