import { randomInt } from 'node:crypto';
import type { GetRandomPasswordRequest } from '@aws-sdk/client-secrets-manager';
import { AwsError } from '../service';

const CHARACTER_TYPES = {
  lowercase: 'abcdefghijklmnopqrstuvwxyz',
  uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  numbers: '0123456789',
  punctuation: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
} as const;

/**
 * A random password as GetRandomPassword makes it: by default 32 characters of letters, digits and
 * punctuation with at least one of each included type (RequireEachIncludedType), none of ExcludeCharacters.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetRandomPassword.html
 */
export function randomPassword(input: GetRandomPasswordRequest = {}): string {
  const length = input.PasswordLength ?? 32;
  if (!Number.isInteger(length) || length < 1 || length > 4096) {
    throw new AwsError('InvalidParameterException', `PasswordLength must be 1 to 4096, not ${length}.`);
  }
  const excluded = new Set(input.ExcludeCharacters ?? '');
  const allowed = (characters: string): string => [...characters].filter((c) => !excluded.has(c)).join('');
  const groups = [
    input.ExcludeLowercase ? '' : allowed(CHARACTER_TYPES.lowercase),
    input.ExcludeUppercase ? '' : allowed(CHARACTER_TYPES.uppercase),
    input.ExcludeNumbers ? '' : allowed(CHARACTER_TYPES.numbers),
    input.ExcludePunctuation ? '' : allowed(CHARACTER_TYPES.punctuation),
  ].filter((group) => group.length > 0);
  const pool = groups.join('') + (input.IncludeSpace && !excluded.has(' ') ? ' ' : '');
  if (pool.length === 0) {
    throw new AwsError('InvalidParameterException', 'The password parameters exclude every character.');
  }
  const required = (input.RequireEachIncludedType ?? true) ? groups : [];
  if (required.length > length) {
    throw new AwsError(
      'InvalidParameterException',
      `PasswordLength ${length} is too short to include one character of each of the ${required.length} included types.`,
    );
  }
  const pick = (characters: string): string => characters[randomInt(characters.length)] ?? '';
  const characters = [
    ...required.map(pick),
    ...Array.from({ length: length - required.length }, () => pick(pool)),
  ];
  for (let i = characters.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [characters[i], characters[j]] = [characters[j] ?? '', characters[i] ?? ''];
  }
  return characters.join('');
}
