import { createHash, createHmac } from 'node:crypto';
import { InvalidEngineInputError } from '../../../local/engines/errors';
import { mysqlNativePasswordHash, scramSha256Verifier } from '../../../local/engines/password-verifiers';

/** The SCRAM-SHA-256 exchange of RFC 7677 section 3: user "user", password "pencil". */
const RFC_7677 = {
  password: 'pencil',
  salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
  authMessage:
    'n=user,r=rOprNGfwEbeRWgbNEkqO,' +
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,' +
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  clientProof: 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverSignature: '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

describe('mysqlNativePasswordHash', () => {
  it('computes what MariaDB PASSWORD() returns', () => {
    // SELECT PASSWORD('password') on MariaDB 10.11
    expect(mysqlNativePasswordHash('password')).toBe('*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
  });

  it('never contains the password', () => {
    const password = 'Abcdefgh12345678';

    const hash = mysqlNativePasswordHash(password);

    expect(hash).toMatch(/^\*[0-9A-F]{40}$/);
    expect(hash).not.toContain(password);
  });

  it('rejects a password that is not printable ASCII, without quoting it', () => {
    expect(() => mysqlNativePasswordHash('pässwörd-geheim')).toThrow(InvalidEngineInputError);
    expect(() => mysqlNativePasswordHash('pässwörd-geheim')).toThrow(/^(?!.*pässwörd).*printable ASCII/);
  });
});

describe('scramSha256Verifier', () => {
  it('writes the keys of the RFC 7677 exchange in PostgreSQL form', () => {
    // given
    const salt = Buffer.from(RFC_7677.salt, 'base64');

    // when
    const verifier = scramSha256Verifier(RFC_7677.password, salt);

    // then: the server key signs the exchange as the RFC's server did
    const match = /^SCRAM-SHA-256\$4096:([^$]+)\$([^:]+):(.+)$/.exec(verifier);
    expect(match?.[1]).toBe(RFC_7677.salt);
    const storedKey = Buffer.from(match?.[2] ?? '', 'base64');
    const serverKey = Buffer.from(match?.[3] ?? '', 'base64');
    expect(hmac(serverKey, RFC_7677.authMessage).toString('base64')).toBe(RFC_7677.serverSignature);
    // and the client's proof checks against the stored key, as the server checks it
    const signature = hmac(storedKey, RFC_7677.authMessage);
    const proof = Buffer.from(RFC_7677.clientProof, 'base64');
    const clientKey = Buffer.from(proof.map((byte, index) => byte ^ (signature[index] ?? 0)));
    expect(createHash('sha256').update(clientKey).digest().equals(storedKey)).toBe(true);
  });

  it('salts each verifier afresh', () => {
    expect(scramSha256Verifier('Abcdefgh12345678')).not.toBe(scramSha256Verifier('Abcdefgh12345678'));
  });

  it('rejects a password that is not printable ASCII', () => {
    expect(() => scramSha256Verifier('tab\there-password')).toThrow(InvalidEngineInputError);
  });
});
