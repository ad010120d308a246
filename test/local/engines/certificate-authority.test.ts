import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findOpenssl } from '../../../local/engines/binaries';
import { LocalCertificateAuthority } from '../../../local/engines/certificate-authority';
import { EngineNotInstalledError } from '../../../local/engines/errors';

let directory: string;
const written: Array<{ file: string; mode: number | undefined }> = [];
/** Stands in for the engine's account, recording the mode each file is written with. */
const account = {
  writeFile: async (file: string, content: string, mode?: number) => {
    written.push({ file, mode });
    await writeFile(file, content, { mode });
  },
};

beforeEach(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'dbrefresh-ca-'));
  written.length = 0;
});

afterEach(() => rmSync(directory, { recursive: true, force: true }));

function authority(name = 'ca'): LocalCertificateAuthority {
  return new LocalCertificateAuthority(path.join(directory, name), () => findOpenssl());
}

function serverFiles() {
  return {
    certificateFile: path.join(directory, 'server.pem'),
    keyFile: path.join(directory, 'server-key.pem'),
  };
}

describe('LocalCertificateAuthority', () => {
  it('creates a CA whose key only its owner can read', async () => {
    const ca = authority();

    const certificate = await ca.ensure();

    expect(certificate.ca).toBe(true);
    expect(certificate.subject).toMatch(/^CN=dbrefresh local CA [0-9a-f]{8}$/m);
    expect(statSync(path.join(ca.directory, 'ca-key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(ca.certificateFile).mode & 0o777).toBe(0o644);
  });

  it('is made once: other instances on the same directory, even at the same time, use the same CA', async () => {
    const [first, second] = await Promise.all([authority().ensure(), authority().ensure()]);

    const third = await authority().ensure();

    expect(second.fingerprint256).toBe(first.fingerprint256);
    expect(third.fingerprint256).toBe(first.fingerprint256);
  });

  it('issues a server certificate for 127.0.0.1 and localhost, its key written 0600', async () => {
    // given
    const ca = authority();
    const files = serverFiles();

    // when
    await ca.ensureServerCertificate(account, files);

    // then
    const certificate = new X509Certificate(readFileSync(files.certificateFile));
    expect(certificate.verify((await ca.ensure()).publicKey)).toBe(true);
    expect(certificate.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost');
    expect(certificate.ca).toBe(false);
    expect(certificate.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(written).toEqual([
      { file: files.keyFile, mode: 0o600 },
      { file: files.certificateFile, mode: 0o644 },
    ]);
  });

  it('keeps a server certificate that is still good', async () => {
    const ca = authority();
    const files = serverFiles();
    await ca.ensureServerCertificate(account, files);
    const issued = readFileSync(files.certificateFile, 'utf8');

    await ca.ensureServerCertificate(account, files);

    expect(readFileSync(files.certificateFile, 'utf8')).toBe(issued);
    expect(written).toHaveLength(2);
  });

  it('replaces a server certificate another CA signed', async () => {
    // given: a server directory copied from another account
    const files = serverFiles();
    await authority('other').ensureServerCertificate(account, files);
    const ca = authority();

    // when
    await ca.ensureServerCertificate(account, files);

    // then
    const certificate = new X509Certificate(readFileSync(files.certificateFile));
    expect(certificate.verify((await ca.ensure()).publicKey)).toBe(true);
  });

  it('replaces a server certificate whose key is gone', async () => {
    const ca = authority();
    const files = serverFiles();
    await ca.ensureServerCertificate(account, files);
    rmSync(files.keyFile);
    copyFileSync(files.certificateFile, `${files.certificateFile}.old`);

    await ca.ensureServerCertificate(account, files);

    expect(readFileSync(files.keyFile, 'utf8')).toMatch(/PRIVATE KEY/);
    expect(readFileSync(files.certificateFile, 'utf8')).not.toBe(
      readFileSync(`${files.certificateFile}.old`, 'utf8'),
    );
  });

  it('fails when openssl is not installed, naming the package', async () => {
    const ca = new LocalCertificateAuthority(path.join(directory, 'ca'), () => findOpenssl([directory]));

    await expect(ca.ensure()).rejects.toThrow(EngineNotInstalledError);
    await expect(ca.ensure()).rejects.toThrow('apt-get install -y openssl');
  });
});
