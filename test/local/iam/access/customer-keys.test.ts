import type { LocalRequest } from '../../../../local/endpoint/service';
import { keyUseThroughService, resolveKey } from '../../../../local/iam/access/customer-keys';
import { ACCOUNT, OTHER_ACCOUNT, REGION, STEP_ROLE } from './sdk-requests';

const scope = { region: REGION, account: ACCOUNT };
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const request: LocalRequest = {
  method: 'POST',
  path: '/',
  query: new URLSearchParams(),
  headers: {},
  body: Buffer.alloc(0),
  service: 'rds',
  region: REGION,
  account: ACCOUNT,
  caller: STEP_ROLE,
};

describe('resolveKey', () => {
  it('takes a key id or key ARN for itself when no resolver knows it', () => {
    expect(resolveKey(KEY_ID, scope)).toEqual({
      arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_ID}`,
      awsManaged: false,
    });
    expect(resolveKey(`arn:aws:kms:${REGION}:${OTHER_ACCOUNT}:key/${KEY_ID}`, scope)?.arn).toBe(
      `arn:aws:kms:${REGION}:${OTHER_ACCOUNT}:key/${KEY_ID}`,
    );
  });

  it('knows an AWS managed alias as an AWS managed key', () => {
    expect(resolveKey('alias/aws/secretsmanager', scope)?.awsManaged).toBe(true);
    expect(resolveKey(`arn:aws:kms:${REGION}:${ACCOUNT}:alias/aws/rds`, scope)?.awsManaged).toBe(true);
  });

  it('asks the resolver first', () => {
    const resolved = {
      arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_ID}`,
      awsManaged: false,
      aliases: ['alias/app'],
    };

    expect(resolveKey('alias/app', scope, { resolveKey: () => resolved })).toBe(resolved);
  });

  it('fails to resolve an alias no one knows', () => {
    expect(resolveKey('alias/app', scope, { resolveKey: () => undefined })).toBeUndefined();
  });
});

describe('keyUseThroughService', () => {
  it('asks for each action on a customer key through the service, with the caller’s account', () => {
    const key = { arn: `arn:aws:kms:${REGION}:${OTHER_ACCOUNT}:key/${KEY_ID}`, awsManaged: false };

    const accesses = keyUseThroughService(key, ['kms:CreateGrant', 'kms:Decrypt'], 'rds', request);

    expect(accesses).toEqual([
      {
        action: 'kms:CreateGrant',
        resource: key.arn,
        context: {
          'kms:ViaService': `rds.${REGION}.amazonaws.com`,
          'kms:CallerAccount': ACCOUNT,
          'kms:GrantIsForAWSResource': true,
        },
        resourceAccount: OTHER_ACCOUNT,
      },
      {
        action: 'kms:Decrypt',
        resource: key.arn,
        context: { 'kms:ViaService': `rds.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT },
        resourceAccount: OTHER_ACCOUNT,
      },
    ]);
  });

  it('asks nothing of the caller for an AWS managed key or no key', () => {
    expect(keyUseThroughService({ arn: 'x', awsManaged: true }, ['kms:Decrypt'], 's3', request)).toEqual([]);
    expect(keyUseThroughService(undefined, ['kms:Decrypt'], 's3', request)).toEqual([]);
  });
});
