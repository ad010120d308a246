import { ModifyDBInstanceCommand, type RDSClient } from '@aws-sdk/client-rds';
import { findInstance } from '../shared/aws/rds';
import { DbRefreshError } from '../shared/errors';
import { logger } from '../shared/handler';
import { hasReachedStatus } from '../shared/rds-status';
import type { Plan } from '../shared/run/plan';

/**
 * Gives the refreshed target the public accessibility of the live target (or of the file) once the swap
 * is done: the copy was restored private so that nobody could reach its data before it was masked and
 * served under the target's name. An RDS target is one instance; an Aurora cluster's accessibility is that
 * of its instances. ModifyDBInstance changes PubliclyAccessible at once, whatever ApplyImmediately says
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html), but only on an
 * available instance, and the read replicas created next need their source available again, so this is
 * done when every instance shows the value and is available.
 * @returns true once applied (at once when the target is to stay private, as the copy already is)
 */
export async function applyPublicAccess(rds: RDSClient, plan: Plan): Promise<boolean> {
  if (plan.file.target.publiclyAccessible !== true) return true;
  const ids =
    plan.target.kind === 'instance'
      ? [plan.target.id]
      : [plan.writer, ...plan.replicas].flatMap((member) => (member ? [member.finalId] : []));
  let applied = true;
  for (const id of ids) {
    const instance = await findInstance(rds, id);
    if (!instance) {
      throw new DbRefreshError(
        `${id} is gone although the swap just gave it its name; check what deleted it, then refresh again`,
      );
    }
    const status = instance.DBInstanceStatus;
    if (instance.PubliclyAccessible === true) {
      if (!hasReachedStatus(id, status)) applied = false;
      continue;
    }
    applied = false;
    if (status !== 'available') continue;
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: id,
        PubliclyAccessible: true,
        ApplyImmediately: true,
      }),
    );
    logger.info('Making the refreshed target publicly accessible, as the target was', { instance: id });
  }
  return applied;
}
