import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KeyMetadata } from '@aws-sdk/client-kms';
import * as z from 'zod';
import type { AccessRequest } from '../../iam/access';
import type { KeyResolver, KeyScope, ResolvedKey } from '../../iam/access/customer-keys';
import { kmsAccessRequests } from '../../iam/access/kms';
import { jsonService, operation } from '../json-protocol';
import { AwsError, type LocalRequest, type LocalResponse, type LocalService } from '../service';

/** The KMS key states a local key can be put in. */
export const KEY_STATES = [
  'Creating',
  'Enabled',
  'Disabled',
  'PendingDeletion',
  'PendingImport',
  'PendingReplicaDeletion',
  'Unavailable',
  'Updating',
] as const;
export type KeyState = (typeof KEY_STATES)[number];

const KeyRecordSchema = z.object({
  keyId: z.string(),
  arn: z.string(),
  account: z.string(),
  state: z.enum(KEY_STATES),
  description: z.string(),
  manager: z.enum(['AWS', 'CUSTOMER']),
  aliases: z.array(z.string()),
  createdAt: z.number(),
});
type KeyRecord = z.output<typeof KeyRecordSchema>;

export interface CreateKeyOptions {
  /** @default - a new UUID */
  readonly keyId?: string;
  /** @default 'Enabled' */
  readonly state?: KeyState;
  /** Alias names, each starting with `alias/`. */
  readonly aliases?: readonly string[];
  readonly description?: string;
  /**
   * The Region and account that own the key: another account's key (a cross-account source's) is named by its
   * key ARN or alias ARN.
   * @default - the service's scope
   */
  readonly scope?: { readonly region: string; readonly account: string };
}

export interface LocalKmsOptions {
  /**
   * Directory of `kms-keys.json`, so keys persist between processes.
   * @default - in memory only
   */
  readonly stateDir?: string;
  /** @default - us-east-1, account 000000000000 */
  readonly scope?: { region: string; account: string };
}

/**
 * A local KMS that knows keys and their states, for DescribeKey (AWS JSON 1.1, `TrentService.DescribeKey`).
 * Keys are made with `createKey` (in any account); AWS managed aliases (`alias/aws/rds`) resolve to a key made on
 * first use, as in AWS. Another account's key is found only by its key ARN or alias ARN; whether the caller may
 * use it is its key policy's business (IAM).
 */
export class LocalKms implements LocalService, KeyResolver {
  readonly name = 'kms';
  private readonly keys = new Map<string, KeyRecord>();
  private readonly file: string | undefined;
  private readonly service: LocalService;

  constructor(private readonly options: LocalKmsOptions = {}) {
    this.file = options.stateDir ? path.join(options.stateDir, 'kms-keys.json') : undefined;
    if (this.file && existsSync(this.file)) {
      const keys = z.array(KeyRecordSchema).parse(JSON.parse(readFileSync(this.file, 'utf8')));
      for (const key of keys) this.keys.set(key.keyId, key);
    }
    this.service = jsonService('kms', 'TrentService', {
      DescribeKey: operation(z.looseObject({ KeyId: z.string().min(1) }), (input, request) => ({
        KeyMetadata: this.describeKey(input.KeyId, request),
      })),
    });
  }

  handle(request: LocalRequest): Promise<LocalResponse> {
    return this.service.handle(request);
  }

  /** What IAM authorizes for the request (local/iam/access/kms.ts). */
  accessRequests(request: LocalRequest): Promise<readonly AccessRequest[]> {
    return kmsAccessRequests(request, this);
  }

  /**
   * The key a key id, key ARN, alias name or alias ARN names, for IAM (local/iam/access/customer-keys.ts); an
   * AWS managed alias gets its key on first use, as in AWS.
   */
  resolveKey(keyId: string, scope: KeyScope = this.scope()): ResolvedKey | undefined {
    const key = this.find(keyId, scope);
    return key && { arn: key.arn, awsManaged: key.manager === 'AWS', aliases: key.aliases };
  }

  /** Creates a key (or replaces the one with the same id) and returns its metadata. */
  createKey(options: CreateKeyOptions = {}): KeyMetadata {
    const { region, account } = options.scope ?? this.scope();
    const keyId = options.keyId ?? randomUUID();
    for (const alias of options.aliases ?? []) {
      if (!alias.startsWith('alias/')) throw new Error(`KMS alias "${alias}" must start with "alias/"`);
    }
    const key: KeyRecord = {
      keyId,
      arn: `arn:aws:kms:${region}:${account}:key/${keyId}`,
      account,
      state: options.state ?? 'Enabled',
      description: options.description ?? '',
      manager: 'CUSTOMER',
      aliases: [...(options.aliases ?? [])],
      createdAt: Date.now(),
    };
    this.keys.set(keyId, key);
    this.save();
    return metadata(key);
  }

  /** Puts a key in another state (e.g. Disabled, PendingDeletion), as a test or the CLI needs. */
  setKeyState(keyId: string, state: KeyState): void {
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`There is no local KMS key ${keyId}`);
    key.state = state;
    this.save();
  }

  /**
   * The metadata of the key named by key id, key ARN, alias name or alias ARN.
   * @throws AwsError NotFoundException as KMS answers for an unknown key or alias
   */
  describeKey(keyId: string, scope: { region: string; account: string } = this.scope()): KeyMetadata {
    const key = this.find(keyId, scope);
    if (!key) {
      const what = keyId.includes('alias/')
        ? `Alias ${aliasArn(keyId, scope)}`
        : `Key '${keyArn(keyId, scope)}'`;
      throw new AwsError(
        'NotFoundException',
        `${what} ${keyId.includes('alias/') ? 'is not found.' : 'does not exist'}`,
      );
    }
    return metadata(key);
  }

  /**
   * The key `id` names: a key id or alias name in the caller's Region and account, a key ARN or alias ARN in the
   * account it names (how another account's key is used).
   * https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html (KeyId)
   */
  private find(id: string, scope: { region: string; account: string }): KeyRecord | undefined {
    const arn = /^arn:aws[a-z-]*:kms:([^:]*):(\d{12}):(.+)$/.exec(id);
    const region = arn?.[1] ?? scope.region;
    const account = arn?.[2] ?? scope.account;
    const resource = arn?.[3] ?? id;
    if (resource.startsWith('alias/')) {
      const key = [...this.keys.values()].find(
        (k) => k.account === account && k.arn.split(':')[3] === region && k.aliases.includes(resource),
      );
      if (key || !resource.startsWith('alias/aws/') || account !== scope.account) return key;
      return this.awsManagedKey(resource, scope);
    }
    const keyId = resource.replace(/^key\//, '');
    const key = this.keys.get(keyId);
    return key?.arn === `arn:aws:kms:${region}:${account}:key/${keyId}` ? key : undefined;
  }

  private awsManagedKey(alias: string, scope: { region: string; account: string }): KeyRecord {
    const keyId = randomUUID();
    const key: KeyRecord = {
      keyId,
      arn: `arn:aws:kms:${scope.region}:${scope.account}:key/${keyId}`,
      account: scope.account,
      state: 'Enabled',
      description: `Default key that protects my ${alias.slice('alias/aws/'.length)} data when no other key is defined`,
      manager: 'AWS',
      aliases: [alias],
      createdAt: Date.now(),
    };
    this.keys.set(keyId, key);
    this.save();
    return key;
  }

  private scope(): { region: string; account: string } {
    return this.options.scope ?? { region: 'us-east-1', account: '000000000000' };
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${randomUUID()}.tmp`;
    writeFileSync(temporary, JSON.stringify([...this.keys.values()], null, 2));
    renameSync(temporary, this.file);
  }
}

function metadata(key: KeyRecord): KeyMetadata {
  return {
    AWSAccountId: key.account,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: new Date(key.createdAt),
    Enabled: key.state === 'Enabled',
    Description: key.description,
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: key.state,
    Origin: 'AWS_KMS',
    KeyManager: key.manager,
    KeySpec: 'SYMMETRIC_DEFAULT',
    CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
    EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    MultiRegion: false,
  };
}

function keyArn(id: string, scope: { region: string; account: string }): string {
  return id.startsWith('arn:') ? id : `arn:aws:kms:${scope.region}:${scope.account}:key/${id}`;
}

function aliasArn(id: string, scope: { region: string; account: string }): string {
  return id.startsWith('arn:') ? id : `arn:aws:kms:${scope.region}:${scope.account}:${id}`;
}
