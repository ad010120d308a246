import type {
  AccessDecision,
  AccessRequest,
  PolicyDocument,
  PolicyStatementJson,
  Principal,
  RequestContext,
} from '../../../local/iam/access';
import { accessDeniedMessage, evaluateAccess } from '../../../local/iam/evaluate-policy';
import { InvalidPolicyError } from '../../../local/iam/policy-document';

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/StepsPlan`;
const SESSION_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/StepsPlan/run-1`;
const DB_ARN = `arn:aws:rds:eu-west-1:${ACCOUNT}:db:app1-dev`;
const NOW = new Date('2026-03-01T12:00:00Z');

/** A policy variable, `${inner}`, written so that no linter takes it for a misplaced template literal. */
const variable = (inner: string) => `\${${inner}}`;

/** A role session whose identity-based policies are the given statements (one document). */
function session(...statements: PolicyStatementJson[]): Principal {
  return {
    arn: SESSION_ARN,
    identityArn: ROLE_ARN,
    account: ACCOUNT,
    policies: statements.length === 0 ? [] : [{ Version: '2012-10-17', Statement: statements }],
  };
}

function access(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return { action: 'rds:ModifyDBInstance', resource: DB_ARN, context: {}, ...overrides };
}

function decide(principal: Principal, request: AccessRequest = access()): AccessDecision {
  return evaluateAccess(principal, request, { now: NOW });
}

/** Whether one identity-based statement allows the access. */
function allows(
  statement: Omit<PolicyStatementJson, 'Effect'>,
  request: Partial<AccessRequest> = {},
): boolean {
  return decide(session({ Effect: 'Allow', ...statement }), access(request)).allowed;
}

/** Whether an Allow-everything policy plus one Deny statement still allows the access. */
function survivesDeny(
  statement: Omit<PolicyStatementJson, 'Effect'>,
  request: Partial<AccessRequest> = {},
): boolean {
  const principal = session(
    { Effect: 'Allow', Action: '*', Resource: '*' },
    { Effect: 'Deny', ...statement },
  );
  return decide(principal, access(request)).allowed;
}

/** Whether an Allow on every action and resource, with this Condition block, allows a request with this context. */
function conditionAllows(condition: PolicyStatementJson['Condition'], context: RequestContext = {}): boolean {
  return allows({ Action: '*', Resource: '*', Condition: condition }, { context });
}

/** Whether the same block in a Deny statement leaves an otherwise allowed request allowed. */
function conditionSpares(condition: PolicyStatementJson['Condition'], context: RequestContext = {}): boolean {
  return survivesDeny({ Action: '*', Resource: '*', Condition: condition }, { context });
}

const ALLOW_MODIFY: PolicyStatementJson = {
  Effect: 'Allow',
  Action: 'rds:ModifyDBInstance',
  Resource: DB_ARN,
};

describe('evaluateAccess: explicit and implicit deny', () => {
  it('allows what an identity-based statement allows', () => {
    expect(decide(session(ALLOW_MODIFY))).toEqual({
      allowed: true,
      reason: 'allowed',
      statement: `statement 1 of identity-based policy 1 of ${ROLE_ARN}`,
    });
  });

  it('rejects what no statement allows (implicit deny)', () => {
    expect(decide(session())).toEqual({ allowed: false, reason: 'no-identity-allow' });
  });

  it('rejects with an explicit deny even when another policy allows', () => {
    const principal: Principal = {
      ...session(ALLOW_MODIFY),
      policies: [
        { Version: '2012-10-17', Statement: ALLOW_MODIFY },
        {
          Version: '2012-10-17',
          Statement: [{ Sid: 'NoChanges', Effect: 'Deny', Action: 'rds:Modify*', Resource: '*' }],
        },
      ],
    };

    expect(decide(principal)).toEqual({
      allowed: false,
      reason: 'explicit-deny',
      statement: `statement "NoChanges" of identity-based policy 2 of ${ROLE_ARN}`,
    });
  });

  it("rejects with an explicit deny in the resource's policy", () => {
    const resourcePolicy: PolicyDocument = {
      Version: '2012-10-17',
      Statement: { Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' },
    };

    const decision = decide(session(ALLOW_MODIFY), access({ resourcePolicy }));

    expect(decision).toMatchObject({ allowed: false, reason: 'explicit-deny' });
    expect(decision.statement).toContain('resource-based policy');
  });
});

describe('evaluateAccess: resource-based policies in the same account', () => {
  const grant = (principal: PolicyStatementJson['Principal']): PolicyDocument => ({
    Version: '2012-10-17',
    Statement: { Effect: 'Allow', Principal: principal, Action: 'rds:ModifyDBInstance', Resource: DB_ARN },
  });

  it.each([
    ['the session ARN', { AWS: SESSION_ARN }],
    ['the role ARN', { AWS: ROLE_ARN }],
    ['every principal ("*")', '*' as const],
    ['every AWS principal ({AWS: "*"})', { AWS: '*' }],
  ])('allows without an identity-based Allow when the policy names %s', (_, principal) => {
    expect(decide(session(), access({ resourcePolicy: grant(principal) })).allowed).toBe(true);
  });

  it.each([
    ['its account id', { AWS: ACCOUNT }],
    ['its account root ARN', { AWS: `arn:aws:iam::${ACCOUNT}:root` }],
  ])(
    'rejects when the policy names only %s (delegation) and no identity-based policy allows',
    (_, principal) => {
      expect(decide(session(), access({ resourcePolicy: grant(principal) }))).toEqual({
        allowed: false,
        reason: 'no-identity-allow',
      });
    },
  );

  it('allows an account delegation together with an identity-based Allow', () => {
    expect(decide(session(ALLOW_MODIFY), access({ resourcePolicy: grant({ AWS: ACCOUNT }) })).allowed).toBe(
      true,
    );
  });

  it.each([
    ['another session of the role', { AWS: `arn:aws:sts::${ACCOUNT}:assumed-role/StepsPlan/other` }],
    ['another role', { AWS: `arn:aws:iam::${ACCOUNT}:role/StepsSwap` }],
    ['another account', { AWS: OTHER_ACCOUNT }],
    ['a service', { Service: 'rds.amazonaws.com' }],
  ])('rejects when the policy names %s', (_, principal) => {
    expect(decide(session(), access({ resourcePolicy: grant(principal) })).allowed).toBe(false);
  });

  it('allows a service principal that the policy names', () => {
    const service: Principal = {
      arn: 'secretsmanager.amazonaws.com',
      identityArn: 'secretsmanager.amazonaws.com',
      account: ACCOUNT,
      policies: [],
    };

    expect(
      decide(service, access({ resourcePolicy: grant({ Service: 'secretsmanager.amazonaws.com' }) })).allowed,
    ).toBe(true);
  });
});

describe('evaluateAccess: another account', () => {
  const topic = `arn:aws:sns:eu-west-1:${OTHER_ACCOUNT}:alerts`;
  const publish = (statements: PolicyStatementJson[], resourcePolicy?: PolicyDocument) =>
    decide(
      session(...statements),
      access({ action: 'sns:Publish', resource: topic, resourceAccount: OTHER_ACCOUNT, resourcePolicy }),
    );
  const allowPublish: PolicyStatementJson = { Effect: 'Allow', Action: 'sns:Publish', Resource: topic };
  const topicPolicy = (principal: PolicyStatementJson['Principal']): PolicyDocument => ({
    Version: '2012-10-17',
    Statement: { Effect: 'Allow', Principal: principal, Action: 'sns:Publish', Resource: topic },
  });

  it('rejects an identity-based Allow alone: the resource has no policy', () => {
    expect(publish([allowPublish])).toEqual({ allowed: false, reason: 'no-resource-allow' });
  });

  it("rejects an identity-based Allow when the resource's policy names someone else", () => {
    expect(publish([allowPublish], topicPolicy({ AWS: '999999999999' }))).toEqual({
      allowed: false,
      reason: 'no-resource-allow',
    });
  });

  it("rejects the resource's Allow alone: the caller's identity-based policy must allow too", () => {
    expect(publish([], topicPolicy({ AWS: SESSION_ARN }))).toEqual({
      allowed: false,
      reason: 'no-identity-allow',
    });
  });

  it.each([
    ['the caller account', { AWS: ACCOUNT }],
    ['the caller role', { AWS: ROLE_ARN }],
    ['everyone', '*' as const],
  ])("allows when both allow (the resource's policy names %s)", (_, principal) => {
    expect(publish([allowPublish], topicPolicy(principal)).allowed).toBe(true);
  });
});

describe('evaluateAccess: KMS key policies', () => {
  const key = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const decrypt = (statements: PolicyStatementJson[], principal: PolicyStatementJson['Principal']) =>
    decide(
      session(...statements),
      access({
        action: 'kms:Decrypt',
        resource: key,
        resourcePolicy: {
          Version: '2012-10-17',
          Statement: { Effect: 'Allow', Principal: principal, Action: 'kms:*', Resource: '*' },
        },
      }),
    );
  const allowDecrypt: PolicyStatementJson = { Effect: 'Allow', Action: 'kms:Decrypt', Resource: key };

  it('rejects an identity-based Allow when the key policy neither names the caller nor its account', () => {
    expect(decrypt([allowDecrypt], { AWS: `arn:aws:iam::${ACCOUNT}:role/KeyAdmin` })).toEqual({
      allowed: false,
      reason: 'no-resource-allow',
    });
  });

  it('allows an identity-based Allow when the key policy delegates to the account', () => {
    expect(decrypt([allowDecrypt], { AWS: `arn:aws:iam::${ACCOUNT}:root` }).allowed).toBe(true);
  });

  it('rejects an account delegation without an identity-based Allow', () => {
    expect(decrypt([], { AWS: `arn:aws:iam::${ACCOUNT}:root` })).toEqual({
      allowed: false,
      reason: 'no-identity-allow',
    });
  });

  it('allows when the key policy names the role itself', () => {
    expect(decrypt([], { AWS: ROLE_ARN }).allowed).toBe(true);
  });
});

describe('Action and NotAction', () => {
  it.each([
    ['the exact action', 'rds:ModifyDBInstance'],
    ['the action in another case (prefix and name are case-insensitive)', 'RDS:modifydbinstance'],
    ['every action', '*'],
    ['every action of the service', 'rds:*'],
    ['a name with *', 'rds:Modify*'],
    ['a name with * inside', 'rds:*DB*'],
    ['a name with ?', 'rds:ModifyDBInstanc?'],
  ])('allows %s', (_, pattern) => {
    expect(allows({ Action: pattern, Resource: '*' })).toBe(true);
  });

  it.each([
    ['another action', 'rds:DeleteDBInstance'],
    ['another service with the same action name', 'ec2:ModifyDBInstance'],
    ['a longer name', 'rds:ModifyDBInstanceAttribute'],
    ['a ? that needs one more character', 'rds:ModifyDBInstance?'],
  ])('rejects %s', (_, pattern) => {
    expect(allows({ Action: pattern, Resource: '*' })).toBe(false);
  });

  it('allows when any listed action matches', () => {
    expect(allows({ Action: ['rds:Delete*', 'rds:Modify*'], Resource: '*' })).toBe(true);
  });

  it('allows NotAction for every action it does not list', () => {
    expect(allows({ NotAction: ['iam:*', 'rds:Delete*'], Resource: '*' })).toBe(true);
  });

  it('rejects NotAction for an action it lists', () => {
    expect(allows({ NotAction: 'rds:modify*', Resource: '*' })).toBe(false);
  });

  it('rejects through a Deny with NotAction for every action it does not list', () => {
    expect(survivesDeny({ NotAction: 'rds:Describe*', Resource: '*' })).toBe(false);
  });
});

describe('Resource and NotResource', () => {
  it.each([
    ['the exact ARN', DB_ARN],
    ['every resource', '*'],
    ['* within the resource name', `arn:aws:rds:eu-west-1:${ACCOUNT}:db:app1-*`],
    ['* for the region and the account', 'arn:aws:rds:*:*:db:app1-dev'],
    ['? for one character', `arn:aws:rds:eu-west-1:${ACCOUNT}:db:app?-dev`],
    ['* ending a segment, across the colons after it', `arn:aws:rds:eu-west-1:${ACCOUNT}:db*`],
  ])('allows %s', (_, pattern) => {
    expect(allows({ Action: '*', Resource: pattern })).toBe(true);
  });

  it.each([
    ['another name', `arn:aws:rds:eu-west-1:${ACCOUNT}:db:app1-prod`],
    ['the same ARN in another case (ARNs are case-sensitive)', DB_ARN.replace('app1-dev', 'App1-Dev')],
    ['another region', `arn:aws:rds:us-east-1:${ACCOUNT}:db:app1-dev`],
    ['another resource type', `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:app1-dev`],
    ['a * inside a segment, across a colon', `arn:aws:rds:eu-west-1:${ACCOUNT}:d*v`],
  ])('rejects %s', (_, pattern) => {
    expect(allows({ Action: '*', Resource: pattern })).toBe(false);
  });

  it('allows * across the slashes of an S3 key', () => {
    expect(
      allows(
        { Action: '*', Resource: 'arn:aws:s3:::scripts/*' },
        { resource: 'arn:aws:s3:::scripts/app1/dev/01.sql' },
      ),
    ).toBe(true);
  });

  it('rejects an ARN pattern for an action without a resource type (resource "*")', () => {
    expect(allows({ Action: '*', Resource: 'arn:aws:rds:*:*:*' }, { resource: '*' })).toBe(false);
  });

  it('allows NotResource for every resource it does not list', () => {
    expect(allows({ Action: '*', NotResource: `arn:aws:rds:*:*:db:*-prod` })).toBe(true);
  });

  it('rejects NotResource for a resource it lists', () => {
    expect(allows({ Action: '*', NotResource: `arn:aws:rds:*:*:db:app1-*` })).toBe(false);
  });
});

describe('Principal and NotPrincipal (resource-based policies)', () => {
  const resourcePolicy = (statement: Omit<PolicyStatementJson, 'Action' | 'Resource'>): PolicyDocument => ({
    Version: '2012-10-17',
    Statement: { Action: '*', Resource: '*', ...statement },
  });
  /** An identity-based Allow and one resource-based statement. */
  const withResourceStatement = (statement: Omit<PolicyStatementJson, 'Action' | 'Resource'>) =>
    decide(session(ALLOW_MODIFY), access({ resourcePolicy: resourcePolicy(statement) })).allowed;

  it('rejects through a Deny that names the caller account', () => {
    expect(withResourceStatement({ Effect: 'Deny', Principal: { AWS: ACCOUNT } })).toBe(false);
  });

  it('rejects through a Deny that names the caller role (every session of it)', () => {
    expect(withResourceStatement({ Effect: 'Deny', Principal: { AWS: ROLE_ARN } })).toBe(false);
  });

  it('allows past a Deny that names another role', () => {
    expect(
      withResourceStatement({ Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Other` } }),
    ).toBe(true);
  });

  it('allows past a Deny with NotPrincipal naming the account, the role and the session', () => {
    const notPrincipal = { AWS: [`arn:aws:iam::${ACCOUNT}:root`, ROLE_ARN, SESSION_ARN] };

    expect(withResourceStatement({ Effect: 'Deny', NotPrincipal: notPrincipal })).toBe(true);
  });

  it.each([
    ['only the session', { AWS: SESSION_ARN }],
    ['only the role', { AWS: ROLE_ARN }],
    ['the role and the session, not the account', { AWS: [ROLE_ARN, SESSION_ARN] }],
    ['only the account', { AWS: ACCOUNT }],
  ])('rejects through a Deny with NotPrincipal naming %s', (_, notPrincipal) => {
    expect(withResourceStatement({ Effect: 'Deny', NotPrincipal: notPrincipal })).toBe(false);
  });

  it('allows through an Allow with NotPrincipal naming someone else', () => {
    const decision = decide(
      session(),
      access({ resourcePolicy: resourcePolicy({ Effect: 'Allow', NotPrincipal: { AWS: OTHER_ACCOUNT } }) }),
    );

    expect(decision.allowed).toBe(true);
  });

  it('rejects an Allow with NotPrincipal naming the caller role', () => {
    const decision = decide(
      session(),
      access({ resourcePolicy: resourcePolicy({ Effect: 'Allow', NotPrincipal: { AWS: ROLE_ARN } }) }),
    );

    expect(decision.allowed).toBe(false);
  });
});

describe('Condition block logic', () => {
  const tagged: RequestContext = {
    'aws:ResourceTag/dbrefresh:refreshable': 'true',
    'aws:ResourceTag/env': 'dev',
  };

  it('allows whatever the case of the key name', () => {
    expect(
      conditionAllows({ StringEquals: { 'AWS:resourcetag/DBREFRESH:REFRESHABLE': 'true' } }, tagged),
    ).toBe(true);
  });

  it('allows a tag key in another case (the tag key part of the name is case-insensitive too)', () => {
    expect(conditionAllows({ StringEquals: { 'aws:ResourceTag/Env': 'dev' } }, tagged)).toBe(true);
  });

  it('rejects a value in another case (values are case-sensitive unless the operator says otherwise)', () => {
    expect(conditionAllows({ StringEquals: { 'aws:ResourceTag/env': 'DEV' } }, tagged)).toBe(false);
  });

  it('allows when every key of an operator matches', () => {
    const condition = {
      StringEquals: { 'aws:ResourceTag/dbrefresh:refreshable': 'true', 'aws:ResourceTag/env': 'dev' },
    };

    expect(conditionAllows(condition, tagged)).toBe(true);
  });

  it('rejects when one key of an operator does not match (keys are ANDed)', () => {
    const condition = {
      StringEquals: { 'aws:ResourceTag/dbrefresh:refreshable': 'true', 'aws:ResourceTag/env': 'prod' },
    };

    expect(conditionAllows(condition, tagged)).toBe(false);
  });

  it('rejects when one operator does not match (operators are ANDed)', () => {
    const condition = {
      StringEquals: { 'aws:ResourceTag/dbrefresh:refreshable': 'true' },
      StringLike: { 'aws:ResourceTag/env': 'prod*' },
    };

    expect(conditionAllows(condition, tagged)).toBe(false);
  });

  it('allows when any value of a key matches (values are ORed)', () => {
    expect(conditionAllows({ StringEquals: { 'aws:ResourceTag/env': ['test', 'dev'] } }, tagged)).toBe(true);
  });

  it('rejects a negated operator when any of its values matches (values are NORed)', () => {
    expect(conditionAllows({ StringNotEquals: { 'aws:ResourceTag/env': ['test', 'dev'] } }, tagged)).toBe(
      false,
    );
  });
});

/** One row of an operator's truth table: the case, the policy value, the request's value, the expected result. */
type Row = [string, unknown, RequestContext[string] | undefined, boolean];

/** An operator's truth table, each row evaluated as an Allow on the key `k` (undefined: the key is missing). */
function truthTable(operator: string, rows: readonly Row[]): void {
  it.each(rows)('%s', (_, policyValue, requestValue, expected) => {
    const context: RequestContext = requestValue === undefined ? {} : { k: requestValue };

    expect(conditionAllows({ [operator]: { k: policyValue } }, context)).toBe(expected);
  });
}

describe('StringEquals', () => {
  truthTable('StringEquals', [
    ['allows an equal value', 'dev', 'dev', true],
    ['rejects another value', 'dev', 'prod', false],
    ['rejects another case', 'dev', 'Dev', false],
    ['rejects a missing key', 'dev', undefined, false],
    ['allows one of the listed values', ['dev', 'test'], 'test', true],
    ['rejects * as a wildcard', 'd*', 'dev', false],
    ['allows a policy number against its text', 5, '5', true],
    ['allows a request boolean against its text', 'true', true, true],
    ['allows a one-value list in the request', 'dev', ['dev'], true],
  ]);
});

describe('StringNotEquals', () => {
  truthTable('StringNotEquals', [
    ['allows another value', 'prod', 'dev', true],
    ['rejects an equal value', 'dev', 'dev', false],
    ['allows a missing key (negated operators match a missing key)', 'prod', undefined, true],
    ['rejects when any listed value is equal', ['prod', 'dev'], 'dev', false],
  ]);
});

describe('StringEqualsIgnoreCase and StringNotEqualsIgnoreCase', () => {
  truthTable('StringEqualsIgnoreCase', [
    ['allows another case', 'DEV', 'dev', true],
    ['rejects another value', 'prod', 'dev', false],
    ['rejects a missing key', 'dev', undefined, false],
  ]);
  truthTable('StringNotEqualsIgnoreCase', [
    ['rejects the value in another case', 'DEV', 'dev', false],
    ['allows another value', 'prod', 'dev', true],
    ['allows a missing key', 'dev', undefined, true],
  ]);
});

describe('StringLike and StringNotLike', () => {
  truthTable('StringLike', [
    ['allows * for any run of characters', 'app1-*', 'app1-dev', true],
    ['allows ? for one character', 'app?-dev', 'app1-dev', true],
    ['rejects ? for no character', 'app1-dev?', 'app1-dev', false],
    ['rejects another case', 'APP1-*', 'app1-dev', false],
    ['allows * across slashes and colons', 'a*z', 'a/b:c/z', true],
    ['rejects a partial match without a wildcard', 'app1', 'app1-dev', false],
    ['rejects a missing key', '*', undefined, false],
  ]);
  truthTable('StringNotLike', [
    ['rejects a matching value', 'app1-*', 'app1-dev', false],
    ['allows a value that does not match', 'app2-*', 'app1-dev', true],
    ['allows a missing key', 'app1-*', undefined, true],
  ]);
});

describe('Numeric operators', () => {
  truthTable('NumericEquals', [
    ['allows an equal number', '10', '10', true],
    ['allows an equal decimal written otherwise', '10.0', '10', true],
    ['rejects another number', '10', '11', false],
    ['rejects a missing key', '10', undefined, false],
    ['rejects a request value that is no number', '10', 'ten', false],
  ]);
  truthTable('NumericNotEquals', [
    ['allows another number', '10', '11', true],
    ['rejects an equal number', '10', '10', false],
    ['allows a missing key', '10', undefined, true],
  ]);
  truthTable('NumericLessThan', [
    ['allows a smaller number', '10', '9', true],
    ['rejects an equal number', '10', '10', false],
  ]);
  truthTable('NumericLessThanEquals', [
    ['allows an equal number', '10', '10', true],
    ['rejects a greater number', '10', '11', false],
  ]);
  truthTable('NumericGreaterThan', [
    ['allows a greater number', 10, '10.5', true],
    ['rejects an equal number', 10, '10', false],
  ]);
  truthTable('NumericGreaterThanEquals', [
    ['allows an equal number', '-1', '-1', true],
    ['rejects a smaller number', '0', '-1', false],
  ]);
});

describe('Date operators', () => {
  truthTable('DateEquals', [
    [
      'allows the same instant in another notation',
      '2026-03-01T13:00:00+01:00',
      '2026-03-01T12:00:00Z',
      true,
    ],
    ['allows epoch seconds against an ISO date', '1772366400', '2026-03-01T12:00:00Z', true],
    ['rejects another instant', '2026-03-01T12:00:01Z', '2026-03-01T12:00:00Z', false],
    ['rejects a missing key', '2026-03-01T12:00:00Z', undefined, false],
    ['rejects a request value that is no date', '2026-03-01T12:00:00Z', 'yesterday', false],
  ]);
  truthTable('DateNotEquals', [
    ['allows another instant', '2026-03-02', '2026-03-01T12:00:00Z', true],
    ['allows a missing key', '2026-03-02', undefined, true],
  ]);
  truthTable('DateLessThan', [
    ['allows an earlier date', '2026-03-02', '2026-03-01T12:00:00Z', true],
    ['rejects a later date', '2026-03-01', '2026-03-01T12:00:00Z', false],
  ]);
  truthTable('DateLessThanEquals', [
    ['allows the same date', '2026-03-01T12:00:00Z', '2026-03-01T12:00:00Z', true],
  ]);
  truthTable('DateGreaterThan', [['allows a later date', '2026-03-01', '2026-03-01T12:00:00Z', true]]);
  truthTable('DateGreaterThanEquals', [['rejects an earlier date', '2027', '2026-03-01T12:00:00Z', false]]);

  it('allows before a date read from aws:CurrentTime', () => {
    expect(conditionAllows({ DateLessThan: { 'aws:CurrentTime': '2026-03-02T00:00:00Z' } })).toBe(true);
  });

  it('rejects after a date read from aws:EpochTime', () => {
    expect(conditionAllows({ DateGreaterThan: { 'aws:EpochTime': '2026-03-02T00:00:00Z' } })).toBe(false);
  });
});

describe('Bool', () => {
  truthTable('Bool', [
    ['allows a request boolean', 'true', true, true],
    ['allows the text of a boolean', 'false', 'false', true],
    ['rejects the other boolean', 'true', false, false],
    ['allows a policy boolean', true, 'true', true],
    ['rejects a missing key', 'false', undefined, false],
  ]);
});

describe('BinaryEquals', () => {
  truthTable('BinaryEquals', [
    [
      'allows the same bytes',
      Buffer.from('key').toString('base64'),
      Buffer.from('key').toString('base64'),
      true,
    ],
    [
      'rejects other bytes',
      Buffer.from('key').toString('base64'),
      Buffer.from('kez').toString('base64'),
      false,
    ],
    ['rejects a missing key', 'a2V5', undefined, false],
  ]);
});

describe('IpAddress and NotIpAddress', () => {
  truthTable('IpAddress', [
    ['allows an address within the range', '203.0.113.0/24', '203.0.113.7', true],
    ['rejects an address outside the range', '203.0.113.0/24', '203.0.114.7', false],
    ['allows the one address of a range without prefix (/32)', '203.0.113.7', '203.0.113.7', true],
    ['rejects a neighbour of a range without prefix', '203.0.113.7', '203.0.113.8', false],
    ['allows an IPv6 address within the range', '2001:DB8:1234:5678::/64', '2001:db8:1234:5678::1', true],
    ['rejects a missing key', '203.0.113.0/24', undefined, false],
  ]);
  truthTable('NotIpAddress', [
    ['allows an address outside the range', '203.0.113.0/24', '198.51.100.1', true],
    ['rejects an address within the range', '203.0.113.0/24', '203.0.113.1', false],
    ['allows a missing key', '203.0.113.0/24', undefined, true],
  ]);
});

describe('ARN operators', () => {
  const topic = `arn:aws:sns:eu-west-1:${ACCOUNT}:alerts`;
  truthTable('ArnEquals', [
    ['allows the same ARN', topic, topic, true],
    ['allows wildcards within a component', `arn:aws:sns:*:${ACCOUNT}:*`, topic, true],
    ['rejects another account', `arn:aws:sns:*:${OTHER_ACCOUNT}:*`, topic, false],
    ['rejects a value that is no ARN', '*', 'alerts', false],
  ]);
  truthTable('ArnLike', [
    [
      'rejects a * that would span components (StringLike would match)',
      'arn:aws:someservice:*:111122223333:finance/*',
      'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt',
      false,
    ],
    [
      'allows colons inside the sixth component',
      'arn:aws:logs:*:*:log-group:*',
      `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:x:*`,
      true,
    ],
    ['rejects a missing key', 'arn:*:*:*:*:*', undefined, false],
  ]);
  truthTable('ArnNotEquals', [
    ['rejects the same ARN', topic, topic, false],
    ['allows a missing key', topic, undefined, true],
  ]);
  truthTable('ArnNotLike', [['allows another ARN', `arn:aws:sns:*:${OTHER_ACCOUNT}:*`, topic, true]]);

  it('rejects through StringLike what ArnLike refuses, as the docs show', () => {
    const value = 'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt';

    expect(
      conditionAllows({ StringLike: { k: 'arn:aws:someservice:*:111122223333:finance/*' } }, { k: value }),
    ).toBe(true);
  });
});

describe('Null', () => {
  truthTable('Null', [
    ['allows true for a missing key', 'true', undefined, true],
    ['rejects true for a present key', 'true', 'x', false],
    ['allows false for a present key', 'false', 'x', true],
    ['rejects false for a missing key', 'false', undefined, false],
    ['allows a JSON boolean', false, 'x', true],
    ['rejects true for an empty string (undetermined)', 'true', '', false],
    ['rejects false for an empty string (undetermined)', 'false', '', false],
  ]);

  it('rejects through a Deny whose Null meets an empty string (undetermined)', () => {
    expect(conditionSpares({ Null: { k: 'true' } }, { k: '' })).toBe(false);
  });
});

describe('…IfExists', () => {
  truthTable('StringEqualsIfExists', [
    ['allows a missing key', 'dev', undefined, true],
    ['allows a present equal value', 'dev', 'dev', true],
    ['rejects a present other value', 'dev', 'prod', false],
  ]);
  truthTable('NumericLessThanIfExists', [['allows a missing key', '5', undefined, true]]);

  it('rejects through a Deny with a negated IfExists operator on a missing key', () => {
    expect(conditionSpares({ StringNotEqualsIfExists: { 'aws:ResourceTag/env': 'dev' } })).toBe(false);
  });
});

describe('ForAllValues', () => {
  truthTable('ForAllValues:StringEquals', [
    ['allows when every request value is listed', ['a', 'b', 'c'], ['a', 'c'], true],
    ['rejects when one request value is not listed', ['a', 'b'], ['a', 'z'], false],
    ['allows a missing key', ['a'], undefined, true],
    ['allows an empty list', ['a'], [], true],
    ['allows an empty string (an empty set)', ['a'], '', true],
    ['allows a single value that is listed', ['a'], 'a', true],
  ]);
  truthTable('ForAllValues:StringNotLike', [
    ['allows when no request value matches', 'key1*', ['key2:audit'], true],
    ['rejects when one request value matches', 'key1*', ['key2:audit', 'key1:legal'], false],
    ['allows a missing key', 'key1*', undefined, true],
  ]);
  truthTable('ForAllValues:StringEqualsIfExists', [['allows a missing key', 'a', undefined, true]]);
});

describe('ForAnyValue', () => {
  truthTable('ForAnyValue:StringEquals', [
    ['allows when one request value is listed', ['a'], ['z', 'a'], true],
    ['rejects when no request value is listed', ['a'], ['y', 'z'], false],
    ['rejects a missing key', ['a'], undefined, false],
    ['rejects an empty list', ['a'], [], false],
    ['rejects an empty string (an empty set)', ['a'], '', false],
  ]);
  truthTable('ForAnyValue:StringNotEquals', [
    ['allows when one request value is not listed', ['a'], ['a', 'b'], true],
    ['rejects when every request value is listed', ['a', 'b'], ['a', 'b'], false],
    ['rejects a missing key', ['a'], undefined, false],
  ]);
  truthTable('ForAnyValue:StringLikeIfExists', [['allows a missing key', 'a*', undefined, true]]);
});

describe('a single-valued operator on a key with several values', () => {
  it('rejects through an Allow: AWS requires a set qualifier, the outcome is undetermined', () => {
    expect(
      conditionAllows({ StringEquals: { 'aws:TagKeys': 'env' } }, { 'aws:TagKeys': ['env', 'owner'] }),
    ).toBe(false);
  });

  it('rejects through a Deny for the same reason', () => {
    expect(
      conditionSpares({ StringEquals: { 'aws:TagKeys': 'none' } }, { 'aws:TagKeys': ['env', 'owner'] }),
    ).toBe(false);
  });

  it('rejects through an Allow when two tag keys differ only by case and hold different values', () => {
    const context = { 'aws:ResourceTag/env': 'dev', 'aws:ResourceTag/Env': 'prod' };

    expect(conditionAllows({ StringEquals: { 'aws:ResourceTag/env': 'dev' } }, context)).toBe(false);
  });
});

describe('policy variables', () => {
  const user: Principal = {
    arn: `arn:aws:iam::${ACCOUNT}:user/ops/alice`,
    identityArn: `arn:aws:iam::${ACCOUNT}:user/ops/alice`,
    account: ACCOUNT,
    policies: [],
  };
  const asUser = (statement: PolicyStatementJson, request: AccessRequest, version = '2012-10-17') =>
    decide({ ...user, policies: [{ Version: version, Statement: statement }] }, request).allowed;
  const bucketKey = (key: string) => access({ action: 's3:GetObject', resource: `arn:aws:s3:::home/${key}` });

  it("allows a Resource built from the user's name", () => {
    const statement: PolicyStatementJson = {
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::home/${variable('aws:username')}/*`,
    };

    expect(asUser(statement, bucketKey('alice/notes.txt'))).toBe(true);
  });

  it("rejects another user's folder", () => {
    const statement: PolicyStatementJson = {
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::home/${variable('aws:username')}/*`,
    };

    expect(asUser(statement, bucketKey('bob/notes.txt'))).toBe(false);
  });

  it('rejects variables in a policy without Version 2012-10-17 (they are literal text)', () => {
    const statement: PolicyStatementJson = {
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::home/${variable('aws:username')}/*`,
    };

    expect(asUser(statement, bucketKey('alice/notes.txt'), '2008-10-17')).toBe(false);
  });

  it('rejects a variable before the fifth colon of a Resource (it is literal text there)', () => {
    const statement: PolicyStatementJson = {
      Effect: 'Allow',
      Action: '*',
      Resource: `arn:aws:rds:${variable('aws:RequestedRegion')}:*:db:*`,
    };

    expect(asUser(statement, access({ context: { 'aws:RequestedRegion': 'eu-west-1' } }))).toBe(false);
  });

  it('allows a condition value read from a tag of the principal', () => {
    const condition = { StringEquals: { 'aws:ResourceTag/team': variable('aws:PrincipalTag/team') } };

    expect(
      conditionAllows(condition, { 'aws:ResourceTag/team': 'data', 'aws:PrincipalTag/team': 'data' }),
    ).toBe(true);
  });

  it('rejects through an Allow whose variable the request cannot resolve', () => {
    expect(
      conditionAllows(
        { StringEquals: { 'aws:ResourceTag/team': variable('aws:PrincipalTag/team') } },
        { 'aws:ResourceTag/team': 'data' },
      ),
    ).toBe(false);
  });

  it('rejects through a Deny whose variable the request cannot resolve (undetermined)', () => {
    expect(
      conditionSpares(
        { StringNotEquals: { 'aws:ResourceTag/team': variable('aws:PrincipalTag/team') } },
        { 'aws:ResourceTag/team': 'data' },
      ),
    ).toBe(false);
  });

  it('allows the default value of a variable the request cannot resolve', () => {
    expect(
      conditionAllows({ StringEquals: { k: variable("aws:PrincipalTag/team, 'none'") } }, { k: 'none' }),
    ).toBe(true);
  });

  it.each([
    [variable('*'), 'a*b'],
    [variable('?'), 'a?b'],
    [variable('$'), 'a$b'],
  ])('allows %s as its literal character (StringLike against %s)', (special, value) => {
    expect(conditionAllows({ StringLike: { k: `a${special}b` } }, { k: value })).toBe(true);
  });

  it('rejects the special variable for * as a wildcard', () => {
    expect(conditionAllows({ StringLike: { k: `a${variable('*')}b` } }, { k: 'axb' })).toBe(false);
  });

  it('rejects a variable value as a wildcard: a * in a value is literal', () => {
    expect(
      conditionAllows(
        { StringLike: { k: variable('aws:PrincipalTag/prefix') } },
        { k: 'anything', 'aws:PrincipalTag/prefix': '*' },
      ),
    ).toBe(false);
  });

  it('rejects a variable with a numeric operator (variables are literal there)', () => {
    expect(
      conditionAllows(
        { NumericEquals: { k: variable('aws:PrincipalTag/n') } },
        { k: '5', 'aws:PrincipalTag/n': '5' },
      ),
    ).toBe(false);
  });

  it('rejects a multivalued key as a variable', () => {
    expect(
      conditionAllows(
        { StringEquals: { k: variable('aws:TagKeys') } },
        { k: 'env', 'aws:TagKeys': ['env', 'owner'] },
      ),
    ).toBe(false);
  });
});

describe('global keys the evaluator adds', () => {
  it.each([
    [
      'aws:PrincipalArn is the role ARN, not the session ARN',
      { ArnEquals: { 'aws:PrincipalArn': ROLE_ARN } },
    ],
    ['aws:PrincipalAccount', { StringEquals: { 'aws:PrincipalAccount': ACCOUNT } }],
    ['aws:PrincipalType', { StringEquals: { 'aws:PrincipalType': 'AssumedRole' } }],
    ['aws:EpochTime', { NumericEquals: { 'aws:EpochTime': String(NOW.getTime() / 1000) } }],
    ['aws:CurrentTime', { DateEquals: { 'aws:CurrentTime': NOW.toISOString() } }],
  ])('allows a condition on %s', (_, condition) => {
    expect(conditionAllows(condition)).toBe(true);
  });

  it('rejects a request context that claims another principal', () => {
    expect(
      conditionAllows(
        { ArnEquals: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/Admin` } },
        { 'aws:principalarn': `arn:aws:iam::${ACCOUNT}:role/Admin` },
      ),
    ).toBe(false);
  });

  it('rejects aws:username for a role session (it has none)', () => {
    expect(conditionAllows({ StringLike: { 'aws:username': '*' } })).toBe(false);
  });
});

describe('policies IAM would refuse', () => {
  it.each([
    [
      'an unknown condition operator',
      { Action: '*', Resource: '*', Condition: { StringMatches: { k: 'v' } } },
    ],
    ['Null with IfExists', { Action: '*', Resource: '*', Condition: { NullIfExists: { k: 'true' } } }],
    [
      'Null with a set qualifier',
      { Action: '*', Resource: '*', Condition: { 'ForAllValues:Null': { k: 'true' } } },
    ],
    [
      'Null with a value other than true/false',
      { Action: '*', Resource: '*', Condition: { Null: { k: 'yes' } } },
    ],
    ['a statement without Resource', { Action: '*' }],
    ['a statement with Action and NotAction', { Action: '*', NotAction: 'iam:*', Resource: '*' }],
    ['a Principal in an identity-based policy', { Action: '*', Resource: '*', Principal: '*' as const }],
    ['a wildcard in the service prefix', { Action: 'rd*:Describe*', Resource: '*' }],
    ['a wildcard in the service segment of an ARN', { Action: '*', Resource: 'arn:aws:*:eu-west-1:*:db:*' }],
  ])('fails when the policy has %s', (_, statement) => {
    expect(() => allows(statement as Omit<PolicyStatementJson, 'Effect'>)).toThrow(InvalidPolicyError);
  });

  it('fails when a resource-based policy names no principal, naming the statement', () => {
    const resourcePolicy = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'Open', Effect: 'Allow', Action: '*' }],
    } as PolicyDocument;

    expect(() => decide(session(ALLOW_MODIFY), access({ resourcePolicy }))).toThrow(
      /statement "Open": needs Principal or NotPrincipal/,
    );
  });
});

describe('accessDeniedMessage', () => {
  it('says no identity-based policy allows the action', () => {
    const request = access();

    expect(accessDeniedMessage(session(), request, decide(session(), request))).toBe(
      `User: ${SESSION_ARN} is not authorized to perform: rds:ModifyDBInstance on resource: ${DB_ARN} because no identity-based policy allows the rds:ModifyDBInstance action`,
    );
  });

  it('says which kind of policy denied explicitly', () => {
    const principal = session({ Effect: 'Deny', Action: '*', Resource: '*' });

    expect(accessDeniedMessage(principal, access(), decide(principal))).toBe(
      `User: ${SESSION_ARN} is not authorized to perform: rds:ModifyDBInstance on resource: ${DB_ARN} with an explicit deny in an identity-based policy`,
    );
  });

  it('says no resource-based policy allows the action', () => {
    const request = access({ resourceAccount: OTHER_ACCOUNT });
    const principal = session(ALLOW_MODIFY);

    expect(accessDeniedMessage(principal, request, decide(principal, request))).toMatch(
      / because no resource-based policy allows the rds:ModifyDBInstance action$/,
    );
  });

  it('names no resource for an action without a resource type', () => {
    const request = access({ action: 'secretsmanager:GetRandomPassword', resource: '*' });

    expect(accessDeniedMessage(session(), request, decide(session(), request))).toBe(
      `User: ${SESSION_ARN} is not authorized to perform: secretsmanager:GetRandomPassword because no identity-based policy allows the secretsmanager:GetRandomPassword action`,
    );
  });

  it('fails when the decision allowed the access', () => {
    const principal = session(ALLOW_MODIFY);

    expect(() => accessDeniedMessage(principal, access(), decide(principal))).toThrow(/was allowed/);
  });
});
