import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { InvalidEngineInputError } from './errors';

/**
 * What a local server stores for a password, computed here so that the clear password never reaches a server:
 * a statement that sets a password is written to MariaDB's binary log (and replayed by replicas and restores)
 * and may be written to PostgreSQL's server log, so it carries only the hash the server would store anyway.
 */

/** Printable ASCII, as RDS allows in a master password. */
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * RDS master passwords are printable ASCII, so there is no character set or Unicode normalisation to agree
 * on between Node and the server (PostgreSQL's SASLprep leaves pure ASCII as it is).
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html (MasterUserPassword)
 * @throws InvalidEngineInputError naming the rule, never the password
 */
function checkPassword(password: string): void {
  if (!PRINTABLE_ASCII.test(password)) {
    throw new InvalidEngineInputError(
      'The admin password must be printable ASCII characters (as RDS requires of a master password); ' +
        'it holds another character',
    );
  }
}

/**
 * The `mysql_native_password` hash of `password`, as MariaDB's PASSWORD() computes it: `*` and the upper-case
 * hex of SHA1(SHA1(password)). `IDENTIFIED BY PASSWORD '<hash>'` sets it without the server seeing the password.
 * https://mariadb.com/kb/en/authentication-plugin-mysql_native_password/
 */
export function mysqlNativePasswordHash(password: string): string {
  checkPassword(password);
  const once = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(once).digest('hex').toUpperCase()}`;
}

/** PostgreSQL's default iteration count for SCRAM-SHA-256 verifiers (scram_iterations). */
const SCRAM_ITERATIONS = 4096;
const SCRAM_SALT_BYTES = 16;

/**
 * A SCRAM-SHA-256 verifier of `password` in the form PostgreSQL stores in pg_authid
 * (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, RFC 5802 and RFC 7677). PostgreSQL takes a
 * password given in this form as already encrypted and stores it unchanged.
 * https://www.postgresql.org/docs/current/sql-createrole.html (PASSWORD, "already encrypted")
 * @param salt random unless given (tests)
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(SCRAM_SALT_BYTES)): string {
  checkPassword(password);
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, SCRAM_ITERATIONS, 32, 'sha256');
  const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
