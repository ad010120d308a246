import { canonicalJson, executionName } from '../../scripts/cli/refresh-request';

const file = { service: 'rds', target: { instance: 'app1-dev' }, restore: { type: 'latestpoint' } };
const request = { target: 'app1-dev', refreshFile: file };
const now = new Date('2026-05-01T10:02:00Z');

describe('executionName', () => {
  it('is <target>-<12 hex>, the same for the same request in the same window', () => {
    const name = executionName(request, 'arn:aws:iam::111122223333:user/ana', now);

    expect(name).toMatch(/^app1-dev-[0-9a-f]{12}$/);
    expect(
      executionName(request, 'arn:aws:iam::111122223333:user/ana', new Date('2026-05-01T10:14:59Z')),
    ).toBe(name);
  });

  it('differs for another requester, another window, another attempt or another file', () => {
    const name = executionName(request, 'ana', now);

    expect(executionName(request, 'bo', now)).not.toBe(name);
    expect(executionName(request, 'ana', new Date('2026-05-01T10:15:00Z'))).not.toBe(name);
    expect(executionName(request, 'ana', now, 2)).not.toBe(name);
    expect(
      executionName({ ...request, refreshFile: { ...file, restore: { type: 'fromsnapshot' } } }, 'ana', now),
    ).not.toBe(name);
  });

  it('stays within the 80 characters Step Functions allows for the longest RDS identifier', () => {
    const target = 'a'.repeat(63);

    expect(executionName({ target, refreshFile: file }, 'ana', now)).toHaveLength(76);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level, so key order does not matter', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });
});
