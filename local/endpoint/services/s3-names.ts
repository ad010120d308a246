import { AwsError } from '../service';

/** An S3 error that names what it is about, as S3's XML error does (`<BucketName>`, `<Key>`). */
export class S3Error extends AwsError {
  constructor(
    code: string,
    message: string,
    status: number,
    /** Extra elements of the `<Error>` document, in order. */
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(code, message, status);
  }
}

/** Names S3 reserves for its own features: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/**
 * What is wrong with a general purpose bucket name, or undefined when S3 would take it: 3 to 63 characters of
 * lower-case letters, digits, dots and hyphens, beginning and ending with a letter or digit, no two adjacent dots,
 * not an IP address, none of the reserved prefixes and suffixes.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'it must be 3 to 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name))
    return 'it may hold only lower-case letters, digits, dots (.) and hyphens (-)';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name))
    return 'it must begin and end with a letter or digit';
  if (name.includes('..')) return 'it must not hold two adjacent dots';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'it must not be formatted as an IP address';
  const prefix = RESERVED_PREFIXES.find((reserved) => name.startsWith(reserved));
  if (prefix) return `it must not begin with the reserved prefix "${prefix}"`;
  const suffix = RESERVED_SUFFIXES.find((reserved) => name.endsWith(reserved));
  if (suffix) return `it must not end with the reserved suffix "${suffix}"`;
  return undefined;
}

/** @throws S3Error InvalidBucketName naming the bucket and the rule it breaks */
export function checkBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem !== undefined) {
    throw new S3Error(
      'InvalidBucketName',
      `The specified bucket is not valid: "${name}": ${problem} (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).`,
      400,
      { BucketName: name },
    );
  }
}

/** An object key is at most 1,024 bytes of UTF-8: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html */
export const MAX_KEY_BYTES = 1024;

/** @throws S3Error KeyTooLongError when the key's UTF-8 form is longer than 1,024 bytes */
export function checkObjectKey(key: string): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    throw new S3Error(
      'KeyTooLongError',
      `Your key is too long: ${bytes} bytes of UTF-8, and S3 keys hold at most ${MAX_KEY_BYTES}.`,
      400,
      { Size: String(bytes), MaxSizeAllowed: String(MAX_KEY_BYTES) },
    );
  }
}

/** Where an S3 request goes: its bucket (empty for the service) and key (empty for the bucket). */
export interface S3Address {
  readonly bucket: string;
  readonly key: string;
}

/**
 * The bucket and key of a request, virtual-hosted style (`<bucket>.localhost/<key>`) or path style
 * (`/<bucket>/<key>`), percent-decoded strictly: `..`, `/`, `%2F` and NUL are ordinary characters of a key.
 * @throws S3Error InvalidURI when the path is not valid percent-encoded UTF-8
 */
export function s3Address(headers: Readonly<Record<string, string>>, rawPath: string): S3Address {
  const host = (headers.host ?? '').replace(/:\d+$/, '');
  const virtualHost = /^(.+)\.localhost$/.exec(host);
  const path = rawPath.replace(/^\//, '');
  if (virtualHost?.[1]) return { bucket: virtualHost[1], key: decodeStrictly(path) };
  const slash = path.indexOf('/');
  if (slash < 0) return { bucket: decodeStrictly(path), key: '' };
  return { bucket: decodeStrictly(path.slice(0, slash)), key: decodeStrictly(path.slice(slash + 1)) };
}

function decodeStrictly(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new S3Error('InvalidURI', `Couldn't parse the specified URI: "${text.slice(0, 80)}".`, 400);
  }
}
