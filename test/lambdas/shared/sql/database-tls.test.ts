import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseTlsError } from '../../../../lambdas/shared/errors';
import { caBundleTls, RDS_TLS, tlsFromEnvironment } from '../../../../lambdas/shared/sql/database-tls';
import { findOpenssl } from '../../../../local/engines/binaries';
import { LocalCertificateAuthority } from '../../../../local/engines/certificate-authority';
import { temporaryDirectory } from './tls-fixture';

const directory = temporaryDirectory();

afterAll(() => directory.cleanUp());

function commonName(pem: string): string {
  return /CN=([^\n]+)/.exec(new X509Certificate(pem).subject)?.[1] ?? '';
}

describe('tlsFromEnvironment', () => {
  it('trusts the RDS CAs when DB_CA_BUNDLE is unset or empty', () => {
    expect(tlsFromEnvironment({})).toBe(RDS_TLS);
    expect(tlsFromEnvironment({ DB_CA_BUNDLE: '' })).toBe(RDS_TLS);
  });

  it('trusts the CAs of the file DB_CA_BUNDLE names instead', () => {
    expect(tlsFromEnvironment({ DB_CA_BUNDLE: '/etc/dbrefresh/ca.pem' }).trusted).toBe(
      'the certificate authorities in /etc/dbrefresh/ca.pem (DB_CA_BUNDLE)',
    );
  });

  it('has no way to turn verification off', () => {
    expect(tlsFromEnvironment({ DB_TLS: 'off' })).toBe(RDS_TLS);
  });
});

describe('RDS_TLS', () => {
  it('trusts the current RDS root CAs of every Region and the rds-ca-2019 root', async () => {
    const names = new Set((await RDS_TLS.certificates()).map(commonName));

    for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'eu-central-2']) {
      for (const ca of ['RSA2048 G1', 'RSA4096 G1', 'ECC384 G1']) {
        expect(names).toContain(`Amazon RDS ${region} Root CA ${ca}`);
      }
    }
    expect(names).toContain('Amazon RDS Root 2019 CA');
  });

  it('trusts RDS CAs only, not the public roots that sign RDS Proxy certificates', async () => {
    const certificates = await RDS_TLS.certificates();

    expect(certificates.length).toBeGreaterThan(100);
    for (const pem of certificates) expect(new X509Certificate(pem).subject).toMatch(/^OU=Amazon RDS$/m);
  });
});

describe('caBundleTls', () => {
  it('reads every certificate of the file', async () => {
    // given
    const authorities = ['first', 'second'].map(
      (name) => new LocalCertificateAuthority(path.join(directory.path, name), () => findOpenssl()),
    );
    await Promise.all(authorities.map((authority) => authority.ensure()));
    const bundle = path.join(directory.path, 'bundle.pem');
    writeFileSync(
      bundle,
      authorities.map((authority) => readFileSync(authority.certificateFile, 'utf8')).join('\n'),
    );

    // when
    const certificates = await caBundleTls(bundle).certificates();

    // then
    expect(certificates).toHaveLength(2);
    expect(certificates.map(commonName)).toEqual([
      expect.stringMatching(/^dbrefresh local CA /),
      expect.stringMatching(/^dbrefresh local CA /),
    ]);
  });

  it('rejects a file that holds no certificate, naming it', async () => {
    const file = path.join(directory.path, 'empty.pem');
    writeFileSync(file, 'not a certificate\n');

    const reading = caBundleTls(file).certificates();

    await expect(reading).rejects.toThrow(DatabaseTlsError);
    await expect(reading).rejects.toThrow(`DB_CA_BUNDLE names ${file}, which holds no PEM certificate`);
  });

  it('rejects a file whose certificate is damaged', async () => {
    const file = path.join(directory.path, 'damaged.pem');
    writeFileSync(file, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');

    await expect(caBundleTls(file).certificates()).rejects.toThrow(
      `Certificate 1 of 1 in ${file} (DB_CA_BUNDLE) is not a valid X.509 certificate`,
    );
  });
});
