import { defaultGroups } from '../../../../local/iam/access/rds-default-groups';

describe('defaultGroups', () => {
  it.each([
    ['mysql', '8.0.39', 'default.mysql8.0', 'default:mysql-8-0'],
    ['mariadb', '10.11.9', 'default.mariadb10.11', 'default:mariadb-10-11'],
    ['postgres', '15.8', 'default.postgres15', 'default:postgres-15'],
    ['postgres', '9.6.24', 'default.postgres9.6', 'default:postgres-9-6'],
    ['aurora-mysql', '8.0.mysql_aurora.3.07.1', 'default.aurora-mysql8.0', 'default:aurora-mysql-8-0'],
    ['aurora-postgresql', '16.4', 'default.aurora-postgresql16', 'default:aurora-postgresql-16'],
  ])('names the default groups of %s %s', (engine, version, parameterGroup, optionGroup) => {
    expect(defaultGroups(engine, version)).toEqual({
      parameterGroup,
      clusterParameterGroup: parameterGroup,
      optionGroup,
      subnetGroup: 'default',
    });
  });
});
