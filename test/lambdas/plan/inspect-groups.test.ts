import {
  DescribeDBClusterParameterGroupsCommand,
  DescribeDBParameterGroupsCommand,
  DescribeOptionGroupsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  checkGroups,
  parameterGroupFamily,
  type RestoredEngine,
  restoredEngine,
} from '../../../lambdas/plan/inspect-groups';
import type { SourceFacts } from '../../../lambdas/plan/inspect-source';
import { GuardError } from '../../../lambdas/shared/errors';
import { awsError } from '../../fixtures/aws-errors';
import { auroraFile, rdsFile } from '../../fixtures/concise-files';
import { describesGroups } from '../../fixtures/rds-describe';

const rds = mockClient(RDSClient);
const client = new RDSClient({ region: 'eu-west-1' });
const MYSQL_84: RestoredEngine = { engine: 'mysql', version: '8.4.3' };

function source(engine: string, engineVersion: string): SourceFacts {
  return {
    id: 'src',
    arn: 'arn',
    engine,
    engineVersion,
    restorePoint: '2026-11-21T02:55:00.000Z',
    snapshot: null,
  };
}

beforeEach(() => {
  rds.reset();
  describesGroups(rds, {
    parameterGroups: {
      'app1-mysql80': 'mysql8.0',
      'app1-mysql84': 'mysql8.4',
      'shop-instances': 'aurora-mysql8.0',
    },
    clusterParameterGroups: { 'shop-cluster-57': 'aurora-mysql5.7', 'shop-cluster': 'aurora-mysql8.0' },
    optionGroups: {
      'app1-options-80': { engine: 'mysql', majorVersion: '8.0' },
      'app1-options-84': { engine: 'mysql', majorVersion: '8.4' },
    },
  });
});

describe('parameterGroupFamily', () => {
  it.each([
    ['mysql', '8.0.39', 'mysql8.0'],
    ['mysql', '8.4.3', 'mysql8.4'],
    ['mariadb', '10.11.9', 'mariadb10.11'],
    ['postgres', '16.4', 'postgres16'],
    ['postgres', '9.6.24', 'postgres9.6'],
    ['oracle-ee', '19.0.0.0.ru-2024-10.rur-2024-10.r1', 'oracle-ee-19'],
    ['oracle-se2-cdb', '21.0.0.0.ru-2024-10.rur-2024-10.r1', 'oracle-se2-cdb-21'],
    ['oracle-ee', '12.2.0.1.ru-2022-01.rur-2022-01.r1', 'oracle-ee-12.2'],
    ['aurora-mysql', '8.0.mysql_aurora.3.08.0', 'aurora-mysql8.0'],
    ['aurora-mysql', '5.7.mysql_aurora.2.11.2', 'aurora-mysql5.7'],
    ['aurora-postgresql', '16.4', 'aurora-postgresql16'],
  ])('names the family of %s %s %s', (engine, version, family) => {
    expect(parameterGroupFamily({ engine, version })).toBe(family);
  });
});

describe('restoredEngine', () => {
  it("is the source's version when the file names none, or the same", () => {
    const snapshot = auroraFile({ engineVersion: '16.4' }, { type: 'fromsnapshot', snapshot: 'latest' });

    expect(restoredEngine(rdsFile(), source('mysql', '8.0.39'))).toEqual({
      engine: 'mysql',
      version: '8.0.39',
    });
    expect(restoredEngine(snapshot, source('aurora-postgresql', '16.4'))).toEqual({
      engine: 'aurora-postgresql',
      version: '16.4',
    });
  });

  it("is the file's version when a cluster snapshot is restored to a later one", () => {
    const file = auroraFile({ engineVersion: '16.6' }, { type: 'fromsnapshot', snapshot: 'latest' });

    expect(restoredEngine(file, source('aurora-postgresql', '16.4')).version).toBe('16.6');
  });

  it("rejects an older version than the snapshot's", () => {
    const file = auroraFile(
      { engineVersion: '8.0.mysql_aurora.3.05.2' },
      { type: 'fromsnapshot', snapshot: 'latest' },
    );

    expect(() => restoredEngine(file, source('aurora-mysql', '8.0.mysql_aurora.3.08.0'))).toThrow(
      "target.engineVersion is 8.0.mysql_aurora.3.05.2, older than the snapshot's 8.0.mysql_aurora.3.08.0",
    );
  });

  it("rejects another version for a restore that keeps the source's", () => {
    const file = auroraFile({ engineVersion: '16.6' });

    expect(() => restoredEngine(file, source('aurora-postgresql', '16.4'))).toThrow(
      "target.engineVersion is 16.6, but a fastcloning restore keeps the source's engine version 16.4",
    );
  });
});

describe('checkGroups', () => {
  it('accepts the default group of the family without reading it, and own groups of the family', async () => {
    await checkGroups(client, rdsFile({ parameterGroup: 'default.mysql8.4' }), rdsFile(), MYSQL_84);
    expect(rds).not.toHaveReceivedCommand(DescribeDBParameterGroupsCommand);

    const own = rdsFile({ parameterGroup: 'app1-mysql84', optionGroup: 'app1-options-84' });
    await expect(checkGroups(client, own, own, MYSQL_84)).resolves.toBeUndefined();
    expect(rds).toHaveReceivedCommandWith(DescribeOptionGroupsCommand, {
      OptionGroupName: 'app1-options-84',
    });
  });

  it("rejects the live target's group of the family of an older version, naming the family to use", async () => {
    const attempt = checkGroups(client, rdsFile({ parameterGroup: 'app1-mysql80' }), rdsFile(), MYSQL_84);

    await expect(attempt).rejects.toThrow(GuardError);
    await expect(attempt).rejects.toThrow(
      `The live target's parameter group (target.parameterGroup) is "app1-mysql80", a DB parameter group of family mysql8.0, but the copy will run mysql 8.4.3 (family mysql8.4), and RDS applies a group only to its own family; set target.parameterGroup to a group of family mysql8.4 (for example "default.mysql8.4")`,
    );
  });

  it("names the file's field when the file gives the group", async () => {
    const file = rdsFile({ parameterGroup: 'default.mysql8.0' });

    await expect(checkGroups(client, file, file, MYSQL_84)).rejects.toThrow(
      'target.parameterGroup is "default.mysql8.0", a DB parameter group of family mysql8.0',
    );
  });

  it('rejects a group that does not exist', async () => {
    const file = rdsFile({ parameterGroup: 'app1-gone' });

    await expect(checkGroups(client, file, file, MYSQL_84)).rejects.toThrow(
      'target.parameterGroup is "app1-gone", which does not exist in this account and region; create it with family mysql8.4',
    );
  });

  it('rejects an option group for another major version, or one that does not exist', async () => {
    const older = rdsFile({ optionGroup: 'app1-options-80' });
    const gone = rdsFile({ optionGroup: 'app1-options-gone' });

    await expect(checkGroups(client, older, older, MYSQL_84)).rejects.toThrow(
      'target.optionGroup is "app1-options-80", an option group for mysql 8.0, but the copy will run mysql 8.4.3; set target.optionGroup to an option group for mysql 8.4',
    );
    await expect(checkGroups(client, gone, gone, MYSQL_84)).rejects.toThrow(
      'target.optionGroup is "app1-options-gone", which does not exist in this account and region',
    );
  });

  it("checks an Aurora cluster's cluster and instance parameter groups", async () => {
    const restored = { engine: 'aurora-mysql', version: '8.0.mysql_aurora.3.08.0' };
    const fine = auroraFile({ clusterParameterGroup: 'shop-cluster', parameterGroup: 'shop-instances' });
    const older = auroraFile({ clusterParameterGroup: 'shop-cluster-57' });

    await expect(checkGroups(client, fine, fine, restored)).resolves.toBeUndefined();
    await expect(checkGroups(client, older, older, restored)).rejects.toThrow(
      'target.clusterParameterGroup is "shop-cluster-57", a DB cluster parameter group of family aurora-mysql5.7',
    );
    expect(rds).toHaveReceivedCommandWith(DescribeDBClusterParameterGroupsCommand, {
      DBClusterParameterGroupName: 'shop-cluster',
    });
  });

  it('checks nothing when RDS did not report the version', async () => {
    const file = rdsFile({ parameterGroup: 'app1-gone' });

    await checkGroups(client, file, file, { engine: 'mysql', version: 'unknown' });

    expect(rds).not.toHaveReceivedAnyCommand();
  });

  it('rethrows errors other than a missing group', async () => {
    rds.on(DescribeDBParameterGroupsCommand).rejects(awsError('AccessDenied', 'not authorized'));
    const file = rdsFile({ parameterGroup: 'app1-mysql84' });

    await expect(checkGroups(client, file, file, MYSQL_84)).rejects.toThrow('not authorized');
  });
});
