import type { AccessRequest } from '../../iam/access';
import type { KeyResolver } from '../../iam/access/customer-keys';
import { rdsAccessRequests } from '../../iam/access/rds';
import type { QueryAction } from '../query-protocol';
import { handleQueryRequest } from '../query-protocol';
import type { LocalRequest, LocalResponse, LocalService } from '../service';
import { RdsAccount } from './account';
import * as clusters from './cluster-actions';
import type { RdsAction, RdsContext } from './context';
import { rotateAdminPassword } from './credentials';
import type { EngineBackend, ManagedSecretStore, TerminalStatusHook } from './dependencies';
import { fromEngineError } from './errors';
import * as groups from './group-actions';
import * as instances from './instance-actions';
import * as snapshots from './snapshot-actions';
import { RdsStateFile } from './state';
import { PHASE_MILLISECONDS } from './status-clock';
import * as tags from './tag-actions';

/** The XML namespace of RDS responses (API version 2014-10-31). */
export const RDS_NAMESPACE = 'http://rds.amazonaws.com/doc/2014-10-31/';

export interface RdsServiceOptions {
  /** The engines that play the DB instances (an EngineManager). */
  readonly engines: EngineBackend;
  /** Where `rds.json`, the account's state, is kept. */
  readonly stateDir: string;
  /**
   * Scales the minimum time each status is shown (1 s per phase at 1): 0 makes every change finish as
   * soon as its engine work has.
   * @default 1
   */
  readonly delayScale?: number;
  /**
   * The local Secrets Manager, for ManageMasterUserPassword.
   * @default - none: ManageMasterUserPassword is refused (see useSecretStore)
   */
  readonly secrets?: ManagedSecretStore;
  /** @default - every change reaches its normal outcome */
  readonly terminalStatus?: TerminalStatusHook;
  /** @default Date */
  readonly now?: () => Date;
  /**
   * Told when background engine work fails; the resource then shows its failed status.
   * @default - written to stderr
   */
  readonly onWorkFailed?: (what: string, error: unknown) => void;
}

const ACTIONS: Readonly<Record<string, RdsAction>> = {
  DescribeDBInstances: instances.describeDBInstances,
  CreateDBInstance: instances.createDBInstance,
  CreateDBInstanceReadReplica: instances.createDBInstanceReadReplica,
  RestoreDBInstanceToPointInTime: instances.restoreDBInstanceToPointInTime,
  RestoreDBInstanceFromDBSnapshot: instances.restoreDBInstanceFromDBSnapshot,
  ModifyDBInstance: instances.modifyDBInstance,
  DeleteDBInstance: instances.deleteDBInstance,
  StopDBInstance: instances.stopDBInstance,
  StartDBInstance: instances.startDBInstance,
  DescribeDBClusters: clusters.describeDBClusters,
  CreateDBCluster: clusters.createDBCluster,
  RestoreDBClusterToPointInTime: clusters.restoreDBClusterToPointInTime,
  RestoreDBClusterFromSnapshot: clusters.restoreDBClusterFromSnapshot,
  ModifyDBCluster: clusters.modifyDBCluster,
  DeleteDBCluster: clusters.deleteDBCluster,
  StopDBCluster: clusters.stopDBCluster,
  StartDBCluster: clusters.startDBCluster,
  CreateDBSnapshot: snapshots.createDBSnapshot,
  CreateDBClusterSnapshot: snapshots.createDBClusterSnapshot,
  DescribeDBSnapshots: snapshots.describeDBSnapshots,
  DescribeDBClusterSnapshots: snapshots.describeDBClusterSnapshots,
  DeleteDBSnapshot: snapshots.deleteDBSnapshot,
  DeleteDBClusterSnapshot: snapshots.deleteDBClusterSnapshot,
  DescribeDBInstanceAutomatedBackups: snapshots.describeDBInstanceAutomatedBackups,
  AddTagsToResource: tags.addTagsToResource,
  RemoveTagsFromResource: tags.removeTagsFromResource,
  ListTagsForResource: tags.listTagsForResource,
  CreateDBParameterGroup: groups.createDBParameterGroup,
  DescribeDBParameterGroups: groups.describeDBParameterGroups,
  CreateDBClusterParameterGroup: groups.createDBClusterParameterGroup,
  DescribeDBClusterParameterGroups: groups.describeDBClusterParameterGroups,
  CreateOptionGroup: groups.createOptionGroup,
  DescribeOptionGroups: groups.describeOptionGroups,
  CreateDBSubnetGroup: groups.createDBSubnetGroup,
  DescribeDBSubnetGroups: groups.describeDBSubnetGroups,
};

/**
 * The local RDS API (Query protocol), for the real `@aws-sdk/client-rds` pointed at the local endpoint.
 *
 * Every standalone DB instance and every Aurora cluster is a real MariaDB or PostgreSQL server (MySQL
 * family → MariaDB, PostgreSQL family → PostgreSQL) listening on 127.0.0.1, which is its Endpoint. Restores,
 * clones, snapshots and password changes really happen in the engines, in the background, while the
 * resources show RDS's statuses. The whole account is saved in `<stateDir>/rds.json`; the servers keep
 * running between processes. One process should serve a state directory at a time.
 */
export class RdsService implements LocalService {
  readonly name = 'rds';
  private readonly options: RdsServiceOptions;
  private secretStore?: ManagedSecretStore;
  private keys?: KeyResolver;
  private opened?: Promise<RdsAccount>;
  private readonly actions: Record<string, QueryAction> = {};

  constructor(options: RdsServiceOptions) {
    this.options = options;
    this.secretStore = options.secrets;
    for (const [name, action] of Object.entries(ACTIONS)) {
      this.actions[name] = async (input, request) => {
        const context: RdsContext = {
          account: await this.account(),
          scope: { region: request.region, account: request.account },
        };
        try {
          return await action(context, input);
        } catch (error: unknown) {
          throw fromEngineError(error);
        }
      };
    }
  }

  /** Wires in the local Secrets Manager after both services exist (each needs the other). */
  useSecretStore(store: ManagedSecretStore): void {
    this.secretStore = store;
  }

  /** Wires in the local KMS, which resolves the key ids and aliases requests name for IAM. */
  useKeys(keys: KeyResolver): void {
    this.keys = keys;
  }

  /** What IAM authorizes for the request, read from the account as it is now (local/iam/access/rds.ts). */
  async accessRequests(request: LocalRequest): Promise<readonly AccessRequest[]> {
    await this.settle();
    return rdsAccessRequests(request, await this.account(), { keys: this.keys });
  }

  handle(request: LocalRequest): Promise<LocalResponse> {
    return handleQueryRequest(
      { name: this.name, namespace: RDS_NAMESPACE, actions: this.actions, before: () => this.settle() },
      request,
    );
  }

  /**
   * Sets a new random password for the master user of the instance or cluster named in a secret (the JSON of
   * the RDS rotation functions: `dbInstanceIdentifier` or `dbClusterIdentifier`, or an RDS-managed secret
   * found by `secretArn`) and returns the secret's new value. The local Secrets Manager calls it for RotateSecret.
   */
  async rotateAdminPassword(secretValue: string, secretArn?: string): Promise<string> {
    await this.settle();
    return rotateAdminPassword(await this.account(), secretValue, secretArn);
  }

  /** Resolves once no engine work runs and every result is saved (tests, shutdown). */
  async idle(): Promise<void> {
    if (this.opened) await (await this.opened).idle();
  }

  /** Waits for the engine work under way, so the state file records how it ended. */
  async close(): Promise<void> {
    await this.idle();
  }

  private account(): Promise<RdsAccount> {
    this.opened ??= RdsAccount.open({
      engines: this.options.engines,
      stateFile: new RdsStateFile(this.options.stateDir),
      phaseMilliseconds: Math.round(PHASE_MILLISECONDS * (this.options.delayScale ?? 1)),
      now: this.options.now ?? (() => new Date()),
      secrets: () => this.secretStore,
      terminalStatus: this.options.terminalStatus,
      onWorkFailed: this.options.onWorkFailed ?? reportToStderr,
    });
    return this.opened;
  }

  private async settle(): Promise<void> {
    const account = await this.account();
    if (account.settle()) await account.save();
  }
}

function reportToStderr(what: string, error: unknown): void {
  const detail = error instanceof Error ? error.message : String(error);
  process.stderr.write(`local RDS: ${what} failed: ${detail}\n`);
}
