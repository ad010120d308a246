import * as z from 'zod';
import { AwsError, type LocalRequest } from '../../endpoint/service';
import type { AccessRequest } from '../access';
import { type KeyResolver, resolveKey } from './customer-keys';
import {
  callerAccount,
  definedKeys,
  jsonBody,
  jsonOperation,
  ownerIfOther,
  unknownOperation,
} from './requests';
import { describedAccesses } from './service-authorization';

/**
 * What IAM authorizes for the local KMS's one action, DescribeKey: `kms:DescribeKey` on the key the KeyId names
 * (an alias is resolved to its key, and named in `kms:RequestAlias`), with `kms:CallerAccount` and the key's
 * aliases (`kms:ResourceAliases`). Another account's key is usable only when its key policy allows it.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
 */

/**
 * The accesses of a KMS request.
 * @throws AwsError for an operation the local KMS does not have, or NotFoundException for an alias or key id the
 *   local KMS does not have (KMS cannot authorize a key it cannot find)
 */
export async function kmsAccessRequests(request: LocalRequest, keys: KeyResolver): Promise<AccessRequest[]> {
  const name = jsonOperation(request, 'TrentService') ?? '';
  if (name !== 'DescribeKey') throw unknownOperation('kms', name);
  const { KeyId: keyId } = jsonBody(request, name, z.looseObject({ KeyId: z.string().min(1) }));
  const key = resolveKey(keyId, { region: request.region, account: request.account }, keys);
  // An alias the local KMS cannot resolve names no key to authorize on.
  if (!key?.arn.includes(':key/')) {
    throw new AwsError('NotFoundException', `Key or alias ${keyId} does not exist in the local KMS`);
  }
  const alias = /(^|:)(alias\/.+)$/.exec(keyId)?.[2];
  return describedAccesses([
    {
      action: 'kms:DescribeKey',
      resource: key.arn,
      request: definedKeys({ 'kms:CallerAccount': callerAccount(request), 'kms:RequestAlias': alias }),
      context: key.aliases && key.aliases.length > 0 ? { 'kms:ResourceAliases': [...key.aliases] } : {},
      ...ownerIfOther(key.arn, request),
      ...(key.policy ? { resourcePolicy: key.policy } : {}),
    },
  ]);
}
