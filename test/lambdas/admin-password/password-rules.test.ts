import {
  checkMasterPassword,
  MASTER_PASSWORD_RULES,
  randomPasswordRequest,
} from '../../../lambdas/admin-password/password-rules';
import { DbRefreshError } from '../../../lambdas/shared/errors';
import { ENGINES } from '../../../lambdas/shared/refresh-model/refresh-file-schema';

const ALPHABET = 'aB3#kT9!vLm2pR7$wXy5nQ8%cD4_fG6+hJ1=sZ0~uV';

/** A valid-looking password of `length` characters, from characters every engine takes. */
function passwordOf(length: number): string {
  return ALPHABET.repeat(Math.ceil(length / ALPHABET.length)).slice(0, length);
}

describe('MASTER_PASSWORD_RULES', () => {
  it.each([
    ['mysql', 8, 41],
    ['mariadb', 8, 41],
    ['postgres', 8, 128],
    ['oracle', 8, 30],
    ['aurora-mysql', 8, 41],
    ['aurora-postgresql', 8, 41],
  ] as const)('lets %s passwords be %i to %i characters long', (family, min, max) => {
    expect(MASTER_PASSWORD_RULES[family]).toMatchObject({ minLength: min, maxLength: max });
  });

  it('refuses / " and @ for every engine, and & and \' for Oracle only', () => {
    for (const family of ENGINES) {
      expect(MASTER_PASSWORD_RULES[family].forbidden).toEqual(expect.stringContaining('/'));
      expect(MASTER_PASSWORD_RULES[family].forbidden).toEqual(expect.stringContaining('"'));
      expect(MASTER_PASSWORD_RULES[family].forbidden).toEqual(expect.stringContaining('@'));
      const oracle = family === 'oracle';
      expect(MASTER_PASSWORD_RULES[family].forbidden.includes('&')).toBe(oracle);
      expect(MASTER_PASSWORD_RULES[family].forbidden.includes("'")).toBe(oracle);
    }
  });
});

describe('randomPasswordRequest', () => {
  it.each(ENGINES)(
    'asks for a %s password the engine takes: every type, no space, none it refuses',
    (family) => {
      const rule = MASTER_PASSWORD_RULES[family];

      const request = randomPasswordRequest(family);

      expect(request.PasswordLength).toBeGreaterThanOrEqual(rule.minLength);
      expect(request.PasswordLength).toBeLessThanOrEqual(rule.maxLength);
      expect(request.PasswordLength).toBe(Math.min(32, rule.maxLength));
      for (const character of [...rule.forbidden, ' ', "'", '\\']) {
        expect(request.ExcludeCharacters).toContain(character);
      }
      expect(request).toMatchObject({
        IncludeSpace: false,
        RequireEachIncludedType: true,
        ExcludePunctuation: false,
      });
    },
  );

  it('asks for 30 characters for Oracle, its maximum', () => {
    expect(randomPasswordRequest('oracle').PasswordLength).toBe(30);
  });
});

describe('checkMasterPassword', () => {
  it.each(ENGINES)('accepts a %s password of the longest length the engine takes', (family) => {
    expect(() =>
      checkMasterPassword(family, passwordOf(MASTER_PASSWORD_RULES[family].maxLength)),
    ).not.toThrow();
  });

  it.each([
    ['mysql', 'is 42 characters long, not 8 to 41', passwordOf(42)],
    ['mariadb', 'is 7 characters long, not 8 to 41', passwordOf(7)],
    ['postgres', 'is 129 characters long, not 8 to 128', passwordOf(129)],
    ['oracle', 'is 31 characters long, not 8 to 30', passwordOf(31)],
    ['aurora-postgresql', 'is 42 characters long, not 8 to 41', passwordOf(42)],
    ['oracle', 'contains "&"', 'abcd&EFG123'],
    ['oracle', `contains "'"`, "abcd'EFG123"],
    ['postgres', 'contains "/", """, "@"', 'abcd/EFG"123@'],
    ['mysql', 'contains a space or a character that is not printable ASCII', 'abcd EFG123'],
    ['mysql', 'contains a space or a character that is not printable ASCII', 'abcdéEFG123'],
  ] as const)('rejects a %s password that %s', (family, problem, password) => {
    const check = () => checkMasterPassword(family, password);

    expect(check).toThrow(DbRefreshError);
    expect(check).toThrow(problem);
    expect(check).not.toThrow(password);
  });
});
