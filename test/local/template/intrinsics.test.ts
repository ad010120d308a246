import {
  resolveIntrinsics,
  resolveString,
  type TemplateValues,
  UnresolvedReferenceError,
} from '../../../local/template/intrinsics';

const values: TemplateValues = {
  partition: 'aws',
  region: 'eu-west-1',
  account: '000000000000',
  urlSuffix: 'amazonaws.com',
  stackName: 'DbRefresh',
  resources: {
    HistoryTable: {
      ref: 'dbrefresh-history',
      attributes: { Arn: 'arn:aws:dynamodb:eu-west-1:000000000000:table/dbrefresh-history' },
    },
    Topic: { ref: 'arn:aws:sns:eu-west-1:000000000000:alerts', attributes: { TopicName: 'alerts' } },
  },
};

const resolve = (fragment: unknown) => resolveIntrinsics(fragment, values, 'Resources.X.Properties');

describe('resolveIntrinsics', () => {
  it.each([
    ['AWS::Partition', 'aws'],
    ['AWS::Region', 'eu-west-1'],
    ['AWS::AccountId', '000000000000'],
    ['AWS::URLSuffix', 'amazonaws.com'],
    ['AWS::StackName', 'DbRefresh'],
  ])('resolves Ref %s', (pseudo, expected) => {
    expect(resolve({ Ref: pseudo })).toBe(expected);
  });

  it("resolves Ref to a resource's own value", () => {
    expect(resolve({ Ref: 'Topic' })).toBe('arn:aws:sns:eu-west-1:000000000000:alerts');
  });

  it('resolves Fn::GetAtt in its list and its dotted forms', () => {
    expect(resolve([{ 'Fn::GetAtt': ['Topic', 'TopicName'] }, { 'Fn::GetAtt': 'HistoryTable.Arn' }])).toEqual(
      ['alerts', 'arn:aws:dynamodb:eu-west-1:000000000000:table/dbrefresh-history'],
    );
  });

  it('resolves Fn::Join of nested references', () => {
    const arn = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds:', { Ref: 'AWS::Region' }, ':*:db:*']],
    };

    expect(resolve(arn)).toBe('arn:aws:rds:eu-west-1:*:db:*');
  });

  it('resolves Fn::Sub with references, attributes, a variable map and an escaped literal', () => {
    const sub = {
      'Fn::Sub': [
        `\${Prefix}/\${HistoryTable}/\${Topic.TopicName}/\${AWS::Region}/\${!Literal}`,
        { Prefix: { Ref: 'AWS::AccountId' } },
      ],
    };

    expect(resolve(sub)).toBe(`000000000000/dbrefresh-history/alerts/eu-west-1/\${Literal}`);
  });

  it('resolves Fn::Select of Fn::Split', () => {
    const select = { 'Fn::Select': [1, { 'Fn::Split': [':', { Ref: 'Topic' }] }] };

    expect(resolve(select)).toBe('aws');
  });

  it('removes what AWS::NoValue stands in, in objects and lists', () => {
    expect(
      resolve({ Keep: 'a', Drop: { Ref: 'AWS::NoValue' }, List: ['b', { Ref: 'AWS::NoValue' }] }),
    ).toEqual({
      Keep: 'a',
      List: ['b'],
    });
  });

  it('leaves plain values and objects with several keys as they are', () => {
    expect(resolve({ Statement: [{ Effect: 'Allow', Action: 'x:Y', Resource: '*' }], Count: 2 })).toEqual({
      Statement: [{ Effect: 'Allow', Action: 'x:Y', Resource: '*' }],
      Count: 2,
    });
  });

  it.each([
    [
      'a Ref without a local value',
      { Ref: 'Unknown' },
      /Resources\.X\.Properties\.A\[0\]: \{"Ref":"Unknown"\} has no local value/,
    ],
    [
      'an attribute without a local value',
      { 'Fn::GetAtt': ['Topic', 'Arn'] },
      /\["Topic","Arn"\]\} has no local value/,
    ],
    [
      'a function local mode does not resolve',
      { 'Fn::If': ['IsProd', 'a', 'b'] },
      /"Fn::If".* is not resolved in local mode/,
    ],
    [
      'a Sub variable without a local value',
      { 'Fn::Sub': `x-\${Missing}` },
      /has no local value for \$\{Missing\}/,
    ],
    ['Fn::Select beyond the list', { 'Fn::Select': [3, ['a']] }, /selects no item at 3/],
    ['Fn::Join of a non-string', { 'Fn::Join': ['', ['a', ['b']]] }, /joins a non-string at item 1/],
  ])('fails on %s, naming where it is', (_, fragment, message) => {
    expect(() => resolveIntrinsics({ A: [fragment] }, values, 'Resources.X.Properties')).toThrow(message);
  });

  it('fails when AWS::NoValue is the whole value', () => {
    expect(() => resolve({ Ref: 'AWS::NoValue' })).toThrow(UnresolvedReferenceError);
  });
});

describe('resolveString', () => {
  it('resolves to a string', () => {
    expect(resolveString({ Ref: 'HistoryTable' }, values, 'Outputs.Table')).toBe('dbrefresh-history');
  });

  it('fails when the fragment is no string, naming the path', () => {
    expect(() => resolveString({ 'Fn::Split': [',', 'a,b'] }, values, 'Outputs.Table')).toThrow(
      /^Outputs\.Table: .* is not a string$/,
    );
  });
});
