import { randomBytes } from 'node:crypto';
import { AwsError } from '../service';

/** What an RDS ARN names: `arn:aws:rds:<region>:<account>:<type>:<identifier>`. */
export type ArnType =
  | 'db'
  | 'cluster'
  | 'snapshot'
  | 'cluster-snapshot'
  | 'pg'
  | 'cluster-pg'
  | 'og'
  | 'subgrp';

/** Where ARNs point: the region and account of the request being answered. */
export interface ArnScope {
  readonly region: string;
  readonly account: string;
}

export function rdsArn(scope: ArnScope, type: ArnType, identifier: string): string {
  return `arn:aws:rds:${scope.region}:${scope.account}:${type}:${identifier}`;
}

/** Type and identifier of an RDS ARN, or undefined when `value` is not one. */
export function parseRdsArn(value: string): { type: string; identifier: string } | undefined {
  const match = /^arn:aws[\w-]*:rds:[^:]*:[^:]*:([a-z-]+):(.+)$/.exec(value);
  return match?.[1] && match[2] ? { type: match[1], identifier: match[2] } : undefined;
}

const IDENTIFIER = /^[a-z](?!.*--)[a-z0-9-]*$/;

/**
 * An instance or cluster identifier (or an ARN of one) as RDS stores it: lower case. An ARN of any
 * account is accepted: the local account plays every account, so "shared" resources are its own.
 * @throws AwsError InvalidParameterValue with RDS's wording for a malformed identifier
 */
export function resourceIdentifier(parameter: string, value: string, type: ArnType): string {
  const identifier = namedIdentifier(parameter, value, type);
  checkIdentifier(parameter, identifier);
  return identifier;
}

/** A snapshot identifier: like an instance's, but RDS's automated ones also contain ':' (`rds:db-2024-…`). */
export function snapshotIdentifier(parameter: string, value: string, type: ArnType): string {
  return namedIdentifier(parameter, value, type);
}

/** The identifier `value` is, or names as an ARN of `type`, in lower case. */
function namedIdentifier(parameter: string, value: string, type: ArnType): string {
  const arn = parseRdsArn(value);
  if (arn && arn.type !== type) {
    throw new AwsError(
      'InvalidParameterValue',
      `The parameter ${parameter} names a ${arn.type} ARN (${value}); it must name a ${type}`,
    );
  }
  return (arn?.identifier ?? value).toLowerCase();
}

/**
 * Instance and cluster identifiers are 1 to 63 letters, digits or hyphens, begin with a letter, and neither
 * end with a hyphen nor contain two; DB snapshot identifiers and final snapshot identifiers may have 255.
 * @throws AwsError InvalidParameterValue with RDS's wording
 */
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSnapshot.html (DBSnapshotIdentifier)
export function checkIdentifier(parameter: string, identifier: string, maxLength = 63): void {
  if (!IDENTIFIER.test(identifier) || identifier.endsWith('-') || identifier.length > maxLength) {
    throw new AwsError(
      'InvalidParameterValue',
      `The parameter ${parameter} is not a valid identifier. Identifiers must begin with a letter; must contain ` +
        'only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens. ' +
        `This one must have 1 to ${maxLength} characters.`,
    );
  }
}

/** A new resource id like RDS's (`db-` or `cluster-` and 26 upper-case letters and digits). */
export function newResourceId(prefix: 'db' | 'cluster'): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const id = [...randomBytes(26)].map((byte) => alphabet[byte % alphabet.length]).join('');
  return `${prefix}-${id}`;
}

/** The engine server of a resource: its resource id in lower case (stable across renames). */
export function serverIdOf(resourceId: string): string {
  return resourceId.toLowerCase();
}
