import { requestTagKeys, resourceTagKeys, tagKeysKey } from '../../../../local/iam/access/tags';

describe('tag condition keys', () => {
  it('gives a request’s tags as aws:RequestTag keys, the service’s own names, and aws:TagKeys', () => {
    const keys = requestTagKeys(
      [
        { Key: 'dbrefresh:refreshable', Value: 'true' },
        { Key: 'team', Value: undefined },
      ],
      ['rds:req-tag'],
    );

    expect(keys).toEqual({
      'aws:RequestTag/dbrefresh:refreshable': 'true',
      'rds:req-tag/dbrefresh:refreshable': 'true',
      'aws:RequestTag/team': '',
      'rds:req-tag/team': '',
      'aws:TagKeys': ['dbrefresh:refreshable', 'team'],
    });
  });

  it('gives no key for a request without tags', () => {
    expect(requestTagKeys([])).toEqual({});
    expect(tagKeysKey([])).toEqual({});
  });

  it('gives a resource’s tags as aws:ResourceTag keys and the service’s own names', () => {
    expect(resourceTagKeys([{ Key: 'environment', Value: 'production' }], ['rds:db-tag'])).toEqual({
      'aws:ResourceTag/environment': 'production',
      'rds:db-tag/environment': 'production',
    });
  });

  it('names each key once in aws:TagKeys', () => {
    expect(tagKeysKey(['a', 'b', 'a'])).toEqual({ 'aws:TagKeys': ['a', 'b'] });
  });
});
