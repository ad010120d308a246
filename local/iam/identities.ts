import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import type { PolicyDocument, Principal } from './access';

/** What a caller signs with: an access key pair, and a session token for temporary credentials. */
export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Present on temporary credentials (role sessions); the request must carry it as X-Amz-Security-Token. */
  readonly sessionToken?: string;
}

/** An identity the endpoint knows: the credentials it signs with and the principal they stand for. */
export interface LocalIdentity {
  readonly credentials: LocalCredentials;
  readonly principal: Principal;
}

/** A role that sessions can be issued for: its name and its identity-based policies. */
export interface LocalRole {
  readonly name: string;
  readonly policies: readonly PolicyDocument[];
}

/** The file that keeps the administrator's key pair, readable by its owner only. */
export const CREDENTIALS_FILE = 'credentials.json';

/** The local account's administrator: what the CLI, the demo and the tests' inspection clients sign as. */
export const ADMINISTRATOR_NAME = 'local-administrator';

/** Allows everything, as AWS's AdministratorAccess managed policy does. */
const ADMINISTRATOR_ACCESS: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

const CredentialsFileSchema = z.object({
  accessKeyId: z.string().regex(/^AKIA[A-Z2-7]{16}$/),
  secretAccessKey: z.string().min(40),
});

/**
 * The identities of one local account. The administrator's long-term key pair is created once and kept in
 * `<stateDir>/credentials.json` (mode 0600), so only the account's owner can sign as it; role sessions are
 * temporary credentials issued in memory to the step functions and the script runner this process runs,
 * as Lambda and EC2 receive their role's credentials.
 */
export class LocalIdentities {
  readonly administrator: LocalIdentity;
  private readonly byAccessKey = new Map<string, LocalIdentity>();

  private constructor(
    readonly account: string,
    administratorCredentials: LocalCredentials,
  ) {
    this.administrator = {
      credentials: administratorCredentials,
      principal: {
        arn: `arn:aws:iam::${account}:user/${ADMINISTRATOR_NAME}`,
        identityArn: `arn:aws:iam::${account}:user/${ADMINISTRATOR_NAME}`,
        account,
        policies: [ADMINISTRATOR_ACCESS],
      },
    };
    this.byAccessKey.set(administratorCredentials.accessKeyId, this.administrator);
  }

  /** The identities of the account kept in `stateDir`, creating the administrator's key pair the first time. */
  static open(stateDir: string, account: string): LocalIdentities {
    return new LocalIdentities(account, readOrCreateAdministrator(stateDir));
  }

  /**
   * Temporary credentials for a session of `role`, as STS issues them when Lambda or EC2 assumes an execution
   * role: `arn:aws:sts::<account>:assumed-role/<role>/<session>`. They last as long as this process.
   */
  roleSession(role: LocalRole, sessionName: string): LocalCredentials {
    const credentials: LocalCredentials = {
      accessKeyId: `ASIA${randomKeyId()}`,
      secretAccessKey: randomSecret(),
      sessionToken: randomBytes(96).toString('base64'),
    };
    this.byAccessKey.set(credentials.accessKeyId, {
      credentials,
      principal: {
        arn: `arn:aws:sts::${this.account}:assumed-role/${role.name}/${sessionName}`,
        identityArn: `arn:aws:iam::${this.account}:role/${role.name}`,
        account: this.account,
        policies: role.policies,
      },
    });
    return credentials;
  }

  /** The identity an access key id belongs to, or undefined for a key this account never issued. */
  lookup(accessKeyId: string): LocalIdentity | undefined {
    return this.byAccessKey.get(accessKeyId);
  }
}

/** The administrator's key pair of a state directory, as the CLI reads it; undefined before the account exists. */
export function readAdministratorCredentials(stateDir: string): LocalCredentials | undefined {
  const file = path.join(stateDir, CREDENTIALS_FILE);
  if (!existsSync(file)) return undefined;
  const parsed = CredentialsFileSchema.safeParse(parseOrUndefined(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `${file} does not hold the local administrator's access key (accessKeyId AKIA…, secretAccessKey); ` +
        'delete it and run `dbrefresh local up` to issue a new one',
    );
  }
  return parsed.data;
}

/** A damaged file (not JSON) is reported like a wrong one, with the fix, not as a bare SyntaxError. */
function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function readOrCreateAdministrator(stateDir: string): LocalCredentials {
  const existing = readAdministratorCredentials(stateDir);
  if (existing) return existing;
  mkdirSync(stateDir, { recursive: true });
  const credentials = { accessKeyId: `AKIA${randomKeyId()}`, secretAccessKey: randomSecret() };
  const file = path.join(stateDir, CREDENTIALS_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
  return credentials;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 16 characters of AWS's access key alphabet (upper-case letters and 2–7). */
function randomKeyId(): string {
  return [...randomBytes(16)].map((byte) => BASE32[byte % 32]).join('');
}

function randomSecret(): string {
  return randomBytes(30).toString('base64');
}
