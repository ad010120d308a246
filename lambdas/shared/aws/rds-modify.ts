import {
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import type { ResourceKind } from '../run/plan';

/** Renames an instance or cluster right away (RDS keeps its data, endpoint follows the new name). */
export async function renameResource(
  rds: RDSClient,
  kind: ResourceKind,
  from: string,
  to: string,
): Promise<void> {
  if (kind === 'instance') {
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: from,
        NewDBInstanceIdentifier: to,
        ApplyImmediately: true,
      }),
    );
  } else {
    await rds.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: from,
        NewDBClusterIdentifier: to,
        ApplyImmediately: true,
      }),
    );
  }
}

export async function setDeletionProtection(
  rds: RDSClient,
  kind: ResourceKind,
  id: string,
  deletionProtection: boolean,
): Promise<void> {
  if (kind === 'instance') {
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: id,
        DeletionProtection: deletionProtection,
        ApplyImmediately: true,
      }),
    );
  } else {
    await rds.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: id,
        DeletionProtection: deletionProtection,
        ApplyImmediately: true,
      }),
    );
  }
}

/** Deletes a resource this run created, with no final snapshot: it never held data anyone else had. */
export async function deleteRunResource(rds: RDSClient, kind: ResourceKind, id: string): Promise<void> {
  if (kind === 'instance') {
    await rds.send(
      new DeleteDBInstanceCommand({
        DBInstanceIdentifier: id,
        SkipFinalSnapshot: true,
        DeleteAutomatedBackups: true,
      }),
    );
  } else {
    await rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: id, SkipFinalSnapshot: true }));
  }
}
