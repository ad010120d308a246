import { execFile } from 'node:child_process';
import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { EngineAccount } from './engine-account';
import { EngineCommandError } from './errors';
import { SERVER_HOST } from './server-process';

const run = promisify(execFile);

/** Where a server's TLS certificate and key live: in its own directory, never in its data directory. */
export interface ServerCertificateFiles {
  readonly certificateFile: string;
  readonly keyFile: string;
}

/** The names a server certificate is valid for: one IP address and one DNS name. */
export interface ServerNames {
  readonly ip: string;
  readonly dns: string;
}

/** The names every local server's certificate is valid for: the address RDS's Endpoint.Address reports, and its name. */
const LOCAL_SERVER_NAMES: ServerNames = { ip: SERVER_HOST, dns: 'localhost' };

const CA_VALIDITY_DAYS = 3650;
const SERVER_VALIDITY_DAYS = 397;
/** A server certificate closer than this to its end is replaced when the server starts. */
const RENEW_BEFORE_MILLISECONDS = 30 * 24 * 3600 * 1000;

/** Extensions of the CA and of a server certificate for `names` (OpenSSL configuration sections). */
const opensslConfig = (names: ServerNames) => `
[req]
distinguished_name = subject
prompt = no

[subject]
O = dbrefresh local mode
CN = localhost

[ca_extensions]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_extensions]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:${names.ip}, DNS:${names.dns}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

/** P-256 keys: fast to make, and every client and server TLS stack dbrefresh uses takes them. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * The certificate authority of one local account, the local stand-in for the RDS certificate authorities.
 *
 * Every local server serves TLS with a certificate this CA signs for 127.0.0.1 and localhost, as every RDS DB
 * instance serves one signed by an RDS CA for its endpoint, so the functions connect with the certificate
 * verified in local mode too (DB_CA_BUNDLE names `certificateFile`).
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html
 *
 * Its key never leaves `directory` (the key 0600, the certificate 0644, the directory 0711); certificates are
 * made with the openssl command. The CA is made once, in a temporary directory renamed into place, so every
 * process of the account (the endpoint, the CLI, a test) uses the same one.
 */
export class LocalCertificateAuthority {
  /** The CA's certificate (PEM), which clients trust. */
  readonly certificateFile: string;
  private readonly keyFile: string;
  private ready: Promise<X509Certificate> | undefined;

  constructor(
    readonly directory: string,
    /** Locates the openssl program (on first use). */
    private readonly openssl: () => string,
    /** What its server certificates are for (tests give other names). */
    private readonly serverNames: ServerNames = LOCAL_SERVER_NAMES,
  ) {
    this.certificateFile = path.join(directory, 'ca.pem');
    this.keyFile = path.join(directory, 'ca-key.pem');
  }

  /** Creates the CA unless it exists; resolves with its certificate. */
  async ensure(): Promise<X509Certificate> {
    this.ready ??= this.load().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /**
   * Gives a server a certificate of this CA for 127.0.0.1 and localhost, unless the one it has is such a
   * certificate and stays valid for a while: a new server gets one, and so does a server whose certificate was
   * signed by another CA (a copied state directory) or ends soon. The key is written owned by `account`, 0600,
   * as PostgreSQL requires.
   */
  async ensureServerCertificate(
    account: Pick<EngineAccount, 'writeFile'>,
    files: ServerCertificateFiles,
  ): Promise<void> {
    const ca = await this.ensure();
    if (await hasValidCertificate(files, ca, this.serverNames)) return;
    const issued = await this.withWorkDirectory(async (work) => {
      const key = path.join(work, 'server-key.pem');
      const request = path.join(work, 'server.csr');
      const certificate = path.join(work, 'server.pem');
      const config = await writeConfig(work, this.serverNames);
      await this.run(['req', '-new', ...NEW_KEY, '-config', config, '-keyout', key, '-out', request]);
      await this.run([
        'x509',
        '-req',
        '-in',
        request,
        '-CA',
        this.certificateFile,
        '-CAkey',
        this.keyFile,
        '-set_serial',
        randomSerial(),
        '-days',
        String(SERVER_VALIDITY_DAYS),
        '-sha256',
        '-extfile',
        config,
        '-extensions',
        'server_extensions',
        '-out',
        certificate,
      ]);
      return { key: await readFile(key, 'utf8'), certificate: await readFile(certificate, 'utf8') };
    });
    await account.writeFile(files.keyFile, issued.key, 0o600);
    await account.writeFile(files.certificateFile, issued.certificate, 0o644);
  }

  private async load(): Promise<X509Certificate> {
    const existing = await readCertificate(this.certificateFile);
    if (existing !== undefined) return existing;
    await mkdir(path.dirname(this.directory), { recursive: true, mode: 0o711 });
    const building = `${this.directory}.${randomUUID()}.building`;
    await mkdir(building, { mode: 0o700 });
    try {
      const config = await writeConfig(building, this.serverNames);
      await this.run([
        'req',
        '-x509',
        ...NEW_KEY,
        '-config',
        config,
        '-extensions',
        'ca_extensions',
        // A name of its own, so that clients never mistake one account's CA for another's.
        '-subj',
        `/O=dbrefresh local mode/CN=dbrefresh local CA ${randomUUID().slice(0, 8)}`,
        '-days',
        String(CA_VALIDITY_DAYS),
        '-sha256',
        '-keyout',
        path.join(building, 'ca-key.pem'),
        '-out',
        path.join(building, 'ca.pem'),
      ]);
      await rm(config);
      // openssl writes with the umask; the key stays ours alone, the certificate and the way to it are public.
      await chmod(path.join(building, 'ca-key.pem'), 0o600);
      await chmod(path.join(building, 'ca.pem'), 0o644);
      await chmod(building, 0o711);
      await rename(building, this.directory);
    } catch (error: unknown) {
      await rm(building, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      // Another process renamed its CA into place first: use that one.
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
    const made = await readCertificate(this.certificateFile);
    if (made === undefined)
      throw new EngineCommandError(`openssl made no CA certificate in ${this.directory}`);
    return made;
  }

  /** Runs `work` in a new private directory inside the CA's, removed afterwards. */
  private async withWorkDirectory<T>(work: (directory: string) => Promise<T>): Promise<T> {
    const directory = path.join(this.directory, `work-${randomUUID()}`);
    await mkdir(directory, { mode: 0o700 });
    try {
      return await work(directory);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }

  private async run(args: readonly string[]): Promise<void> {
    const openssl = this.openssl();
    try {
      await run(openssl, [...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: 60_000 });
    } catch (error: unknown) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
      throw new EngineCommandError(`openssl ${args[0]} failed: ${stderr || (error as Error).message}`, {
        cause: error,
      });
    }
  }
}

async function writeConfig(directory: string, names: ServerNames): Promise<string> {
  const file = path.join(directory, 'openssl.cnf');
  await writeFile(file, opensslConfig(names), { mode: 0o600 });
  return file;
}

/** A positive 127-bit serial number, unique in practice without a serial file. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return `0x${bytes.toString('hex')}`;
}

async function readCertificate(file: string): Promise<X509Certificate | undefined> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return new X509Certificate(pem);
}

async function hasValidCertificate(
  files: ServerCertificateFiles,
  ca: X509Certificate,
  names: ServerNames,
): Promise<boolean> {
  let certificate: X509Certificate | undefined;
  try {
    certificate = await readCertificate(files.certificateFile);
    await readFile(files.keyFile);
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if (certificate === undefined) return false;
  return (
    certificate.checkIssued(ca) &&
    certificate.verify(ca.publicKey) &&
    new Date(certificate.validTo).getTime() - Date.now() > RENEW_BEFORE_MILLISECONDS &&
    certificate.checkIP(names.ip) !== undefined &&
    certificate.checkHost(names.dns) !== undefined
  );
}
