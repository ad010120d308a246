import type { GetRandomPasswordCommandInput } from '@aws-sdk/client-secrets-manager';
import { DbRefreshError } from '../shared/errors';
import type { Engine } from '../shared/refresh-model';

/** What RDS accepts as the master password of one engine family. */
export interface MasterPasswordRule {
  readonly minLength: number;
  readonly maxLength: number;
  /** Characters the engine refuses anywhere in the password. */
  readonly forbidden: string;
}

/**
 * RDS refuses `/`, `"` and `@` in every master password, and Oracle `&` and `'` too.
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html (MasterUserPassword)
 */
const RDS_FORBIDDEN = '/"@';
const ORACLE_FORBIDDEN = `${RDS_FORBIDDEN}&'`;

/**
 * The master password rules per engine family. RDS instances: MySQL and MariaDB 8 to 41 characters,
 * PostgreSQL 8 to 128, Oracle 8 to 30
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html); the master password
 * of an Aurora cluster (set with ModifyDBCluster), whichever its engine: 8 to 41
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html).
 */
export const MASTER_PASSWORD_RULES: Readonly<Record<Engine, MasterPasswordRule>> = {
  mysql: { minLength: 8, maxLength: 41, forbidden: RDS_FORBIDDEN },
  mariadb: { minLength: 8, maxLength: 41, forbidden: RDS_FORBIDDEN },
  postgres: { minLength: 8, maxLength: 128, forbidden: RDS_FORBIDDEN },
  oracle: { minLength: 8, maxLength: 30, forbidden: ORACLE_FORBIDDEN },
  'aurora-mysql': { minLength: 8, maxLength: 41, forbidden: RDS_FORBIDDEN },
  'aurora-postgresql': { minLength: 8, maxLength: 41, forbidden: RDS_FORBIDDEN },
};

/** The length dbrefresh generates, shortened to what the engine takes. */
const PREFERRED_LENGTH = 32;

/**
 * Left out of every generated password beyond what RDS refuses: a space, `'` and `\` would need quoting in
 * scripts, connection strings and URLs.
 */
const ALSO_EXCLUDED = " '\\";

/**
 * The GetRandomPassword request for an engine family: as long as the engine allows up to 32 characters, with
 * every character type, and none the engine refuses.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetRandomPassword.html
 */
export function randomPasswordRequest(family: Engine): GetRandomPasswordCommandInput {
  const rule = MASTER_PASSWORD_RULES[family];
  return {
    PasswordLength: Math.min(PREFERRED_LENGTH, rule.maxLength),
    ExcludeCharacters: [...new Set(`${rule.forbidden}${ALSO_EXCLUDED}`)].join(''),
    ExcludePunctuation: false,
    IncludeSpace: false,
    RequireEachIncludedType: true,
  };
}

/**
 * Checks a password against the engine family's rules before it is stored or set, so a password RDS would
 * refuse never reaches the secret. The message names the rule, never the password.
 * @throws DbRefreshError naming the engine and the rule broken
 */
export function checkMasterPassword(family: Engine, password: string): void {
  const rule = MASTER_PASSWORD_RULES[family];
  const problems: string[] = [];
  if (password.length < rule.minLength || password.length > rule.maxLength) {
    problems.push(`is ${password.length} characters long, not ${rule.minLength} to ${rule.maxLength}`);
  }
  const refused = [...new Set([...password].filter((character) => rule.forbidden.includes(character)))];
  if (refused.length > 0) problems.push(`contains ${refused.map((c) => `"${c}"`).join(', ')}`);
  if ([...password].some((character) => character < ' ' || character > '~' || character === ' ')) {
    problems.push('contains a space or a character that is not printable ASCII');
  }
  if (problems.length > 0) {
    throw new DbRefreshError(
      `The generated admin password ${problems.join(' and ')}, which RDS refuses for ${family}; ` +
        'Secrets Manager GetRandomPassword did not honour the request. Start the refresh again',
    );
  }
}
