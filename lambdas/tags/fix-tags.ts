import {
  AddTagsToResourceCommand,
  ListTagsForResourceCommand,
  type RDSClient,
  RemoveTagsFromResourceCommand,
} from '@aws-sdk/client-rds';
import { findInstance, findResource } from '../shared/aws/rds';
import { DbRefreshError } from '../shared/errors';
import { logger } from '../shared/handler';
import type { Plan } from '../shared/run/plan';

/** What the tags step reports: every resource that now carries exactly the plan's tags. */
export interface FixTagsResult {
  readonly tagged: string[];
}

/** AWS's own tags: neither listed as removable nor accepted by AddTagsToResource. */
const AWS_TAG_PREFIX = 'aws:';

/**
 * Gives the refreshed target and its instances exactly the plan's tags.
 *
 * The copy was restored with the source's tags or the plan's, and tags set since may linger, so the
 * tags of each resource are compared with the plan's: extra keys are removed, missing or different
 * ones added, and a resource already right is left untouched. Keys starting with "aws:" belong to AWS.
 */
export async function fixTags(rds: RDSClient, plan: Plan): Promise<FixTagsResult> {
  const wanted = plan.tags.filter((tag) => !tag.Key.startsWith(AWS_TAG_PREFIX));
  const wantedKeys = new Set(wanted.map((tag) => tag.Key));
  const tagged: string[] = [];
  for (const arn of await resourceArns(rds, plan)) {
    const out = await rds.send(new ListTagsForResourceCommand({ ResourceName: arn }));
    const current = out.TagList ?? [];
    const extraKeys = current.flatMap(({ Key }) =>
      Key !== undefined && !Key.startsWith(AWS_TAG_PREFIX) && !wantedKeys.has(Key) ? [Key] : [],
    );
    const missing = wanted.filter(
      (tag) => !current.some((have) => have.Key === tag.Key && have.Value === tag.Value),
    );
    if (extraKeys.length > 0) {
      await rds.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: extraKeys }));
    }
    if (missing.length > 0) {
      await rds.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: missing }));
    }
    logger.info('Tags fixed', { arn, removedKeys: extraKeys, addedKeys: missing.map((tag) => tag.Key) });
    tagged.push(arn);
  }
  return { tagged };
}

/** The ARNs of the refreshed target and of its Aurora writer and readers, or its RDS read replicas. */
async function resourceArns(rds: RDSClient, plan: Plan): Promise<string[]> {
  const target = await findResource(rds, plan.target.kind, plan.target.id);
  if (!target) {
    throw new DbRefreshError(
      `The refreshed target ${plan.target.kind} ${plan.target.id} does not exist, so its tags cannot be set; check that the swap finished.`,
    );
  }
  const arns = [target.arn];
  for (const id of memberIds(plan)) {
    const instance = await findInstance(rds, id);
    if (!instance?.DBInstanceArn) {
      throw new DbRefreshError(
        `DB instance ${id} of the refreshed target ${plan.target.id} does not exist, so its tags cannot be set; check that the swap and the replicas step finished.`,
      );
    }
    arns.push(instance.DBInstanceArn);
  }
  return arns;
}

function memberIds(plan: Plan): string[] {
  if (plan.target.kind === 'cluster') {
    return [plan.writer, ...plan.replicas].flatMap((member) => (member ? [member.finalId] : []));
  }
  // RDS read replicas exist only when the replicas step ran.
  return plan.steps.replicas ? plan.replicas.map((replica) => replica.finalId) : [];
}
