import { isIP } from 'node:net';
import {
  type ConnectionOptions,
  checkServerIdentity,
  createSecureContext,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import type { Connection as MysqlConnection, SslOptions } from 'mysql2/promise';
import { DatabaseTlsError } from '../errors';
import type { ConnectionSettings } from './connect';
import type { TlsMode, VerifiedTls } from './database-tls';

/**
 * The TLS options each driver (mysql2, pg) gets for a TlsMode, and the checks and errors around its handshake,
 * for connect.ts. Both verify the server's certificate against the trusted CAs only (never Node's public roots)
 * and against the host name connected to.
 */

const OLDEST_TLS_VERSION = 'TLSv1.2';

/** One options object per VerifiedTls, so that mysql2 builds its secure context once (it caches by object). */
const mysqlSslOptions = new WeakMap<VerifiedTls, SslOptions>();

/** mysql2's TLS options for `tls`: the trusted CAs only, the chain and the host name verified. */
export async function mysqlSsl(tls: TlsMode, host: string): Promise<SslOptions | undefined> {
  if (tls === 'off') return undefined;
  let options = mysqlSslOptions.get(tls);
  if (options === undefined) {
    options = {
      ca: [...(await tls.certificates())],
      rejectUnauthorized: true,
      verifyIdentity: true,
      minVersion: OLDEST_TLS_VERSION,
    };
    mysqlSslOptions.set(tls, options);
  }
  // mysql2 resumes TLS sessions per options object, and a resumed session shows no certificate to check an IP
  // address against (see checkAddressIdentity): a new object per connection to an address resumes none.
  return isIP(host) === 0 ? options : { ...options };
}

/** One secure context per VerifiedTls: the hundred RDS CAs take tens of milliseconds to load. */
const postgresContexts = new WeakMap<VerifiedTls, SecureContext>();

/**
 * pg's TLS options for `tls`: a secure context of the trusted CAs only; Node checks the chain and the host
 * name (its default checkServerIdentity, with the host pg passes).
 */
export async function postgresSsl(tls: TlsMode): Promise<ConnectionOptions | false> {
  if (tls === 'off') return false;
  let secureContext = postgresContexts.get(tls);
  if (secureContext === undefined) {
    secureContext = createSecureContext({
      ca: [...(await tls.certificates())],
      minVersion: OLDEST_TLS_VERSION,
    });
    postgresContexts.set(tls, secureContext);
  }
  return { secureContext, rejectUnauthorized: true };
}

/** Errors of the TLS handshake: mysql2's (it replaces the TLS error's code) and Node's certificate checks. */
const TLS_ERROR_CODES: ReadonlySet<string> = new Set([
  'HANDSHAKE_SSL_ERROR',
  'HANDSHAKE_NO_SSL_SUPPORT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
]);

/** pg's message when the server answers the SSLRequest with "N". */
const POSTGRES_NO_TLS = 'The server does not support SSL connections';

/**
 * Runs `connect`, turning a TLS failure into a DatabaseTlsError naming the server, what is trusted and the fix.
 * These errors carry certificate names, never data, so their message is kept.
 */
export async function withTlsErrors<T>(
  settings: ConnectionSettings,
  tls: TlsMode,
  connect: () => Promise<T>,
): Promise<T> {
  try {
    return await connect();
  } catch (error: unknown) {
    // Not `instanceof Error`: a driver's error may come from another realm (Node's own TLS errors under jest).
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    const isTls = (typeof code === 'string' && TLS_ERROR_CODES.has(code)) || message === POSTGRES_NO_TLS;
    if (tls === 'off' || !isTls) throw error;
    throw tlsFailure(settings, tls, String(message), error);
  }
}

function tlsFailure(
  settings: ConnectionSettings,
  tls: VerifiedTls,
  reason: string,
  cause?: unknown,
): DatabaseTlsError {
  return new DatabaseTlsError(
    `The TLS connection to the database at ${settings.host}:${settings.port} failed: ${reason}. ` +
      `dbrefresh verifies the database's certificate against ${tls.trusted} and the host name it connects to ` +
      `(the endpoint address RDS reports); ${tls.fix}`,
    { cause },
  );
}

/** The TLS socket under mysql2's promise wrapper: there at runtime, not in the wrapper's types. */
interface SecuredConnection {
  readonly connection: { readonly stream: Partial<Pick<TLSSocket, 'getPeerCertificate'>> };
}

/**
 * Checks that the certificate names the IP address connected to. mysql2 checks a host name before it logs in,
 * but an IP address (local mode's Endpoint.Address; RDS reports DNS names) against "localhost", Node's fallback
 * when no server name is sent, and offers no hook before the login: a mismatch found here ends the session
 * before it is used.
 * @throws DatabaseTlsError
 */
export function checkAddressIdentity(
  connection: MysqlConnection,
  settings: ConnectionSettings,
  tls: VerifiedTls,
): void {
  const { stream } = (connection as unknown as SecuredConnection).connection;
  const certificate = stream.getPeerCertificate?.(true);
  const mismatch =
    certificate === undefined
      ? new Error('the server presented no certificate')
      : checkServerIdentity(settings.host, certificate);
  if (mismatch === undefined) return;
  connection.destroy();
  throw tlsFailure(settings, tls, mismatch.message);
}
