import {
  bucketNameProblem,
  checkObjectKey,
  MAX_KEY_BYTES,
  s3Address,
} from '../../../../local/endpoint/services/s3-names';

describe('bucketNameProblem', () => {
  it.each(['scripts', 'app1-refresh-scripts', 'a.b.c', 'dbrefresh-preserved-data', '123', 'a'.repeat(63)])(
    'takes %s',
    (name) => {
      expect(bucketNameProblem(name)).toBeUndefined();
    },
  );

  it.each([
    ['ab', 'it must be 3 to 63 characters long'],
    ['a'.repeat(64), 'it must be 3 to 63 characters long'],
    ['Scripts', 'it may hold only lower-case letters, digits, dots (.) and hyphens (-)'],
    ['my_bucket', 'it may hold only lower-case letters, digits, dots (.) and hyphens (-)'],
    ['../../etc', 'it may hold only lower-case letters, digits, dots (.) and hyphens (-)'],
    ['..%2F..%2Fetc', 'it may hold only lower-case letters, digits, dots (.) and hyphens (-)'],
    ['-scripts', 'it must begin and end with a letter or digit'],
    ['scripts.', 'it must begin and end with a letter or digit'],
    ['a..b', 'it must not hold two adjacent dots'],
    ['192.168.5.4', 'it must not be formatted as an IP address'],
    ['xn--scripts', 'it must not begin with the reserved prefix "xn--"'],
    ['sthree-scripts', 'it must not begin with the reserved prefix "sthree-"'],
    ['amzn-s3-demo-bucket', 'it must not begin with the reserved prefix "amzn-s3-demo-"'],
    ['scripts-s3alias', 'it must not end with the reserved suffix "-s3alias"'],
    ['scripts--ol-s3', 'it must not end with the reserved suffix "--ol-s3"'],
    ['scripts.mrap', 'it must not end with the reserved suffix ".mrap"'],
    ['scripts--x-s3', 'it must not end with the reserved suffix "--x-s3"'],
    ['scripts--table-s3', 'it must not end with the reserved suffix "--table-s3"'],
  ])('rejects %s: %s', (name, problem) => {
    expect(bucketNameProblem(name)).toBe(problem);
  });
});

describe('checkObjectKey', () => {
  it('takes a key of 1,024 bytes of UTF-8 and rejects one byte more as KeyTooLongError', () => {
    expect(() => checkObjectKey('é'.repeat(MAX_KEY_BYTES / 2))).not.toThrow();
    expect(() => checkObjectKey(`${'é'.repeat(MAX_KEY_BYTES / 2)}x`)).toThrow(
      expect.objectContaining({ code: 'KeyTooLongError', status: 400 }),
    );
  });
});

describe('s3Address', () => {
  it('decodes path-style and virtual-hosted-style addresses, keeping .. and encoded slashes in the key', () => {
    expect(s3Address({ host: '127.0.0.1:4566' }, '/scripts/a/../b%2F..%00')).toEqual({
      bucket: 'scripts',
      key: 'a/../b/..\0',
    });
    expect(s3Address({ host: 'scripts.localhost:4566' }, '/a%20b')).toEqual({
      bucket: 'scripts',
      key: 'a b',
    });
    expect(s3Address({}, '/..%2F..%2Fetc')).toEqual({ bucket: '../../etc', key: '' });
  });

  it('rejects a path that is not valid percent-encoded UTF-8 as InvalidURI', () => {
    expect(() => s3Address({}, '/scripts/%E0%A4%A')).toThrow(expect.objectContaining({ code: 'InvalidURI' }));
  });
});
