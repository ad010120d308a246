import {
  derivedNameProblem,
  identifierProblem,
  MAX_IDENTIFIER_LENGTH,
  MAX_TARGET_LENGTH,
  RUN_ID_LENGTH,
  retiredName,
  temporaryName,
} from '../../../lambdas/shared/naming';

describe('identifierProblem', () => {
  it.each([['app1-dev'], ['a'], ['A1'], ['x'.repeat(MAX_IDENTIFIER_LENGTH)]])('accepts %s', (value) => {
    expect(identifierProblem(value)).toBeUndefined();
  });

  it.each([
    ['', 'is empty'],
    ['x'.repeat(MAX_IDENTIFIER_LENGTH + 1), 'more than RDS allows'],
    ['1app', 'must start with a letter'],
    ['-app', 'must start with a letter'],
    ['app_dev', 'contains "_"'],
    ['app.dev', 'contains "."'],
    ['app--dev', 'two consecutive hyphens'],
    ['app-', 'must not end with a hyphen'],
  ])('rejects %j: %s', (value, reason) => {
    expect(identifierProblem(value)).toContain(reason);
  });
});

describe('derived names', () => {
  it('suffixes the temporary copy and the retired target with the run id', () => {
    expect(temporaryName('app1-dev', 'k3x9q2ab')).toBe('app1-dev-new-k3x9q2ab');
    expect(retiredName('app1-dev', 'k3x9q2ab')).toBe('app1-dev-old-k3x9q2ab');
  });

  it('keeps the longest allowed target within the 63-character limit', () => {
    const target = 'a'.repeat(MAX_TARGET_LENGTH);
    const runId = 'r'.repeat(RUN_ID_LENGTH);

    expect(derivedNameProblem(target)).toBeUndefined();
    expect(temporaryName(target, runId)).toHaveLength(MAX_IDENTIFIER_LENGTH);
    expect(identifierProblem(retiredName(target, runId))).toBeUndefined();
  });

  it('rejects a target one character too long, naming the temporary copy', () => {
    expect(derivedNameProblem('a'.repeat(MAX_TARGET_LENGTH + 1))).toMatch(
      /temporary copy ".*-new-x{8}" would exceed/,
    );
  });
});
