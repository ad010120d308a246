import {
  type DBCluster,
  type DBInstance,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { renameState } from '../../../../lambdas/shared/aws/rename-state';
import type { Rename } from '../../../../lambdas/shared/run/plan';
import { awsError } from '../../../fixtures/aws-errors';
import { describesFrom } from '../../../fixtures/rds-describe';

const rds = mockClient(RDSClient);
const client = new RDSClient({});
const RUN_ID = 'ab12cd34';
const RUN_TAGS = [{ Key: 'dbrefresh:run', Value: RUN_ID }];
const OLD_RUN_TAGS = [{ Key: 'dbrefresh:run', Value: 'zz99yy88' }];

const retireTarget: Rename = { kind: 'instance', from: 'app1-dev', to: 'app1-dev-old-ab12cd34' };
const promoteCopy: Rename = { kind: 'instance', from: 'app1-dev-new-ab12cd34', to: 'app1-dev' };
const promoteCluster: Rename = { kind: 'cluster', from: 'app2-test-new-ab12cd34', to: 'app2-test' };

/** Describe answers: the listed instances and clusters exist, every other name is missing, as RDS answers. */
function existing(instances: DBInstance[], clusters: DBCluster[] = []): void {
  describesFrom(
    rds,
    new Map(instances.map((instance) => [instance.DBInstanceIdentifier, instance])),
    new Map(clusters.map((cluster) => [cluster.DBClusterIdentifier, cluster])),
  );
}

function instance(id: string, tags = OLD_RUN_TAGS, status = 'available'): DBInstance {
  return { DBInstanceIdentifier: id, DBInstanceStatus: status, TagList: tags };
}

beforeEach(() => {
  rds.reset();
});

describe('renameState', () => {
  it('is pending while only the resource under the old name exists', async () => {
    existing([instance('app1-dev')]);

    const state = await renameState(client, retireTarget, RUN_ID);

    expect(state).toMatchObject({ stage: 'pending', from: { id: 'app1-dev', status: 'available' } });
  });

  it('is applied when the retired name, which carries the run id, replaced the old name', async () => {
    existing([instance('app1-dev-old-ab12cd34', OLD_RUN_TAGS, 'renaming')]);

    const state = await renameState(client, retireTarget, RUN_ID);

    expect(state).toMatchObject({
      stage: 'applied',
      to: { id: 'app1-dev-old-ab12cd34', status: 'renaming' },
    });
  });

  it("is applied when the resource under the target's name carries this run's tag", async () => {
    existing([instance('app1-dev', RUN_TAGS)]);

    const state = await renameState(client, promoteCopy, RUN_ID);

    expect(state).toMatchObject({ stage: 'applied', to: { id: 'app1-dev' } });
  });

  it("is not applied when the target's name serves a resource of another run and the copy is gone", async () => {
    existing([instance('app1-dev', OLD_RUN_TAGS)]);

    const state = await renameState(client, promoteCopy, RUN_ID);

    expect(state).toEqual({ stage: 'absent' });
  });

  it("is applied when the retired resource's old name already serves this run's copy", async () => {
    existing([instance('app1-dev', RUN_TAGS), instance('app1-dev-old-ab12cd34')]);

    const state = await renameState(client, retireTarget, RUN_ID);

    expect(state).toMatchObject({ stage: 'applied', to: { id: 'app1-dev-old-ab12cd34' } });
  });

  it('is a conflict when both names exist, even if the new name looks like this run', async () => {
    existing([instance('app1-dev'), instance('app1-dev-old-ab12cd34', RUN_TAGS)]);

    const state = await renameState(client, retireTarget, RUN_ID);

    expect(state).toMatchObject({
      stage: 'conflict',
      from: { id: 'app1-dev' },
      to: { id: 'app1-dev-old-ab12cd34' },
    });
  });

  it('is a conflict when the copy is ready but the old target still holds the name', async () => {
    existing([instance('app1-dev-new-ab12cd34', RUN_TAGS), instance('app1-dev')]);

    const state = await renameState(client, promoteCopy, RUN_ID);

    expect(state.stage).toBe('conflict');
  });

  it('is absent when neither name exists', async () => {
    existing([]);

    const state = await renameState(client, retireTarget, RUN_ID);

    expect(state).toEqual({ stage: 'absent' });
  });

  it('looks clusters up with DescribeDBClusters', async () => {
    existing(
      [instance('app2-test')],
      [{ DBClusterIdentifier: 'app2-test', Status: 'available', TagList: RUN_TAGS }],
    );

    const state = await renameState(client, promoteCluster, RUN_ID);

    expect(state).toMatchObject({ stage: 'applied', to: { kind: 'cluster', id: 'app2-test' } });
    expect(rds).toHaveReceivedCommandWith(DescribeDBClustersCommand, { DBClusterIdentifier: 'app2-test' });
    expect(rds).toHaveReceivedCommandWith(DescribeDBClustersCommand, {
      DBClusterIdentifier: 'app2-test-new-ab12cd34',
    });
  });

  it('rejects when a describe fails for another reason than a missing resource', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));

    await expect(renameState(client, retireTarget, RUN_ID)).rejects.toThrow('Rate exceeded');
  });
});
