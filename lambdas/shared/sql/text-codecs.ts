/**
 * Stands in for iconv-lite in the scripts bundle (esbuild alias, see lib/constructs/task-function.ts).
 *
 * mysql2 decodes Node's own encodings (utf8, latin1, ascii, ...) itself and asks iconv-lite only for
 * legacy column charsets (cp1250, big5, sjis, ...). iconv-lite's tables are half a megabyte; Node's
 * TextDecoder (full ICU, as on Lambda) decodes the same charsets. dbrefresh connects in utf8mb4, so
 * nothing is ever encoded in a legacy charset.
 */

interface Decoder {
  write(buffer: Buffer): string;
  end(): string | undefined;
}

/** mysql2's names for charsets whose WHATWG name differs. */
const WHATWG_NAMES: Readonly<Record<string, string>> = {
  cp1250: 'windows-1250',
  cp1251: 'windows-1251',
  cp1256: 'windows-1256',
  cp1257: 'windows-1257',
  cp1252: 'windows-1252',
  cp866: 'ibm866',
  koi8r: 'koi8-r',
  koi8u: 'koi8-u',
  sjis: 'shift_jis',
  cp932: 'shift_jis',
  eucjpms: 'euc-jp',
  ujis: 'euc-jp',
  euckr: 'euc-kr',
  gb2312: 'gbk',
  macroman: 'macintosh',
  tis620: 'windows-874',
  utf16le: 'utf-16le',
  utf16: 'utf-16be',
};

export function getDecoder(encoding: string): Decoder {
  const name = WHATWG_NAMES[encoding.toLowerCase()] ?? encoding;
  const decoder = new TextDecoder(name);
  return {
    write: (buffer) => decoder.decode(buffer, { stream: true }),
    end: () => decoder.decode(),
  };
}

export function getEncoder(encoding: string): never {
  throw new Error(
    `Encoding to ${encoding} is not supported: dbrefresh connects in utf8mb4, so statements are sent in UTF-8`,
  );
}

export function encodingExists(encoding: string): boolean {
  try {
    getDecoder(encoding);
    return true;
  } catch {
    return false;
  }
}
