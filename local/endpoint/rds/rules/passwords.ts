import { rdsErrors } from '../errors';
import { AURORA_ENGINES } from '../settings';

/**
 * Master passwords: their length per engine and the characters RDS refuses. Messages never repeat the password.
 */

/** Inclusive length ranges of MasterUserPassword for DB instances, by engine (prefix for editions). */
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html (MasterUserPassword)
const INSTANCE_LENGTHS: readonly (readonly [string, number, number])[] = [
  ['mariadb', 8, 41],
  ['mysql', 8, 41],
  ['postgres', 8, 128],
  ['oracle', 8, 30],
  ['sqlserver', 8, 128],
  ['db2', 8, 255],
];

/** Aurora and Multi-AZ DB clusters: 8 to 41 characters, whatever the engine. */
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html (MasterUserPassword)
const CLUSTER_LENGTH = [8, 41] as const;

/**
 * Never `/`, `"` or `@` (API reference), nor `'` or a space (the naming constraints of the User Guide forbid
 * them for every engine: the stricter reading of the two pages); Oracle also refuses `&`.
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints
const FORBIDDEN = ['/', '"', '@', "'", ' '];
const ORACLE_FORBIDDEN = ['&'];

/**
 * Checks a master password for `engine` as CreateDBInstance, CreateDBCluster, ModifyDBInstance and
 * ModifyDBCluster do: the engine's length, printable ASCII without the forbidden characters.
 * @throws AwsError InvalidParameterValue naming the rule, never the password
 */
export function checkMasterPassword(engine: string, password: string): void {
  const [min, max] = passwordLength(engine);
  if (password.length < min || password.length > max) {
    throw rdsErrors.invalidValue(
      `The parameter MasterUserPassword is not a valid password because it is shorter than ${min} characters or longer than ${max} (engine ${engine}).`,
    );
  }
  const forbidden = engine.startsWith('oracle') ? [...FORBIDDEN, ...ORACLE_FORBIDDEN] : FORBIDDEN;
  if (!/^[\x20-\x7e]+$/.test(password) || forbidden.some((character) => password.includes(character))) {
    const listed = forbidden.map((character) => (character === ' ' ? 'space' : `'${character}'`)).join(', ');
    throw rdsErrors.invalidValue(
      `The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides ${listed} may be used (engine ${engine}).`,
    );
  }
}

function passwordLength(engine: string): readonly [number, number] {
  if (AURORA_ENGINES.has(engine)) return CLUSTER_LENGTH;
  const found = INSTANCE_LENGTHS.find(([prefix]) => engine.startsWith(prefix));
  return found ? [found[1], found[2]] : CLUSTER_LENGTH;
}
