import {
  AddTagsToResourceCommand,
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ListTagsForResourceCommand,
  RDSClient,
  RemoveTagsFromResourceCommand,
  type Tag,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DbRefreshError } from '../../lambdas/shared/errors';
import { fixTags } from '../../lambdas/tags/fix-tags';
import { handler } from '../../lambdas/tags/handler';
import { auroraPlan, rdsPlan, runState } from '../fixtures/plans';

const rds = mockClient(RDSClient);
const client = new RDSClient({});
const arn = (kind: 'db' | 'cluster', id: string) => `arn:aws:rds:eu-west-1:111122223333:${kind}:${id}`;

function instanceExists(id: string): void {
  rds
    .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: id })
    .resolves({ DBInstances: [{ DBInstanceIdentifier: id, DBInstanceArn: arn('db', id) }] });
}

function tagsOf(resourceArn: string, tags: Tag[]): void {
  rds.on(ListTagsForResourceCommand, { ResourceName: resourceArn }).resolves({ TagList: tags });
}

beforeEach(() => {
  rds.reset();
});

describe('fixTags', () => {
  it('removes keys the plan does not have and adds the missing or different ones', async () => {
    const plan = rdsPlan({ steps: { ...rdsPlan().steps, replicas: false } });
    instanceExists('app1-dev');
    tagsOf(arn('db', 'app1-dev'), [
      { Key: 'team', Value: 'analytics' },
      { Key: 'owner', Value: 'prod-dba' },
      { Key: 'dbrefresh:refreshable', Value: 'true' },
      { Key: 'dbrefresh:run', Value: 'old00run' },
      { Key: 'dbrefresh:source', Value: 'app1-prod' },
    ]);

    const result = await fixTags(client, plan);

    expect(rds).toHaveReceivedCommandWith(RemoveTagsFromResourceCommand, {
      ResourceName: arn('db', 'app1-dev'),
      TagKeys: ['owner'],
    });
    expect(rds).toHaveReceivedCommandWith(AddTagsToResourceCommand, {
      ResourceName: arn('db', 'app1-dev'),
      Tags: [
        { Key: 'team', Value: 'payments' },
        { Key: 'dbrefresh:run', Value: 'ab12cd34' },
        { Key: 'dbrefresh:restore-point', Value: '2026-11-21T02:55:00.000Z' },
      ],
    });
    expect(result).toEqual({ tagged: [arn('db', 'app1-dev')] });
  });

  it('never removes the tags AWS owns', async () => {
    const plan = rdsPlan({ steps: { ...rdsPlan().steps, replicas: false } });
    instanceExists('app1-dev');
    tagsOf(arn('db', 'app1-dev'), [
      ...plan.tags,
      { Key: 'aws:cloudformation:stack-name', Value: 'app1' },
      { Key: 'cost-centre', Value: '42' },
    ]);

    await fixTags(client, plan);

    expect(rds).toHaveReceivedCommandWith(RemoveTagsFromResourceCommand, { TagKeys: ['cost-centre'] });
    expect(rds).not.toHaveReceivedCommand(AddTagsToResourceCommand);
  });

  it('makes no change to a resource that already has exactly the plan tags', async () => {
    const plan = rdsPlan();
    instanceExists('app1-dev');
    instanceExists('app1-dev-ro');
    tagsOf(arn('db', 'app1-dev'), plan.tags);
    tagsOf(arn('db', 'app1-dev-ro'), [...plan.tags].reverse());

    const result = await fixTags(client, plan);

    expect(rds).not.toHaveReceivedCommand(RemoveTagsFromResourceCommand);
    expect(rds).not.toHaveReceivedCommand(AddTagsToResourceCommand);
    expect(result.tagged).toEqual([arn('db', 'app1-dev'), arn('db', 'app1-dev-ro')]);
  });

  it('tags the RDS target and its read replicas', async () => {
    const plan = rdsPlan();
    instanceExists('app1-dev');
    instanceExists('app1-dev-ro');
    tagsOf(arn('db', 'app1-dev'), plan.tags);
    tagsOf(arn('db', 'app1-dev-ro'), []);

    await fixTags(client, plan);

    expect(rds).toHaveReceivedCommandTimes(AddTagsToResourceCommand, 1);
    expect(rds).toHaveReceivedCommandWith(AddTagsToResourceCommand, {
      ResourceName: arn('db', 'app1-dev-ro'),
      Tags: plan.tags,
    });
  });

  it('tags the Aurora cluster, its writer and its readers under their final names', async () => {
    const plan = auroraPlan();
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'app2-test' }).resolves({
      DBClusters: [{ DBClusterIdentifier: 'app2-test', DBClusterArn: arn('cluster', 'app2-test') }],
    });
    instanceExists('app2-test-1');
    instanceExists('app2-test-2');
    rds.on(ListTagsForResourceCommand).resolves({ TagList: [] });

    const result = await fixTags(client, plan);

    expect(result.tagged).toEqual([
      arn('cluster', 'app2-test'),
      arn('db', 'app2-test-1'),
      arn('db', 'app2-test-2'),
    ]);
    expect(rds).toHaveReceivedCommandTimes(AddTagsToResourceCommand, 3);
    expect(rds).not.toHaveReceivedCommand(RemoveTagsFromResourceCommand);
  });

  it('fails when a replica of the refreshed target does not exist', async () => {
    instanceExists('app1-dev');
    rds
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'app1-dev-ro' })
      .rejects(new DBInstanceNotFoundFault({ message: 'DBInstance app1-dev-ro not found.', $metadata: {} }));
    tagsOf(arn('db', 'app1-dev'), []);

    await expect(fixTags(client, rdsPlan())).rejects.toThrow(DbRefreshError);
    await expect(fixTags(client, rdsPlan())).rejects.toThrow(
      'DB instance app1-dev-ro of the refreshed target',
    );
    expect(rds).not.toHaveReceivedCommand(AddTagsToResourceCommand);
  });

  it('fails when the refreshed target does not exist', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .rejects(new DBInstanceNotFoundFault({ message: 'DBInstance app1-dev not found.', $metadata: {} }));

    await expect(fixTags(client, rdsPlan())).rejects.toThrow(
      'The refreshed target instance app1-dev does not exist',
    );
  });
});

describe('tags handler', () => {
  it('fixes the tags of the plan in the run state', async () => {
    const plan = rdsPlan({ steps: { ...rdsPlan().steps, replicas: false } });
    instanceExists('app1-dev');
    tagsOf(arn('db', 'app1-dev'), plan.tags);

    await expect(handler(runState(plan))).resolves.toEqual({ tagged: [arn('db', 'app1-dev')] });
  });
});
