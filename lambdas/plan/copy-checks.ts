import { GuardError } from '../shared/errors';
import type { Plan } from '../shared/run/plan';

/**
 * Checks of the resolved plan against what RDS will do with the copy, so that a refresh RDS would refuse
 * (or one that could never reach its copy) is refused by the plan, before anything changes, instead of
 * failing hours later.
 * @throws GuardError naming the setting and the fix
 */
export function checkCopy(plan: Plan): void {
  checkManagedPasswordReplicas(plan);
}

/**
 * RDS does not create read replicas of an instance whose master password it manages: "Managing master
 * user passwords with Secrets Manager isn't supported for the following features: Creating a read replica
 * when the source DB or DB cluster manages credentials with Secrets Manager. This applies to all DB engines
 * except RDS for SQL Server."
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations).
 * Aurora readers are instances of the cluster, not read replicas, so they are not concerned.
 */
function checkManagedPasswordReplicas(plan: Plan): void {
  if (plan.target.kind !== 'instance' || !plan.adminPassword.managed || plan.replicas.length === 0) return;
  const replicas = plan.replicas.map((replica) => replica.finalId).join(', ');
  throw new GuardError(
    `adminPassword.managed is true, but the refresh recreates the read replicas ${replicas} of ${plan.target.id}, and RDS creates no read replica of an instance whose master password it manages. Remove adminPassword.managed (dbrefresh then generates the password and keeps it in adminPassword.secretName), or set replicas to [] to refresh ${plan.target.id} without read replicas`,
  );
}
