import { GuardError } from '../shared/errors';
import type { Plan } from '../shared/run/plan';

/**
 * Checks of the resolved plan against what RDS will do with the copy, so that a refresh RDS would refuse
 * (or one that could never reach its copy) is refused by the plan, before anything changes, instead of
 * failing hours later.
 * @throws GuardError naming the setting and the fix
 */
export function checkCopy(plan: Plan, options: CopyCheckOptions = {}): void {
  checkManagedPasswordReplicas(plan);
  checkCopyReachable(plan, options.databaseFunctionsInVpc);
}

export interface CopyCheckOptions {
  /**
   * Whether the functions that connect to databases run in the databases' VPC; undefined when the caller
   * cannot tell (`dbrefresh plan`), which leaves the check out.
   */
  readonly databaseFunctionsInVpc?: boolean;
}

/**
 * The copy is restored private ("When the DB instance isn't publicly accessible, it is an internal DB
 * instance with a DNS name that resolves to a private IP address",
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html, PubliclyAccessible)
 * and stays so until it is masked and swapped. A Lambda function reaches private resources only when it is
 * connected to their VPC (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html), so without
 * the databases' network the scripts and preserve steps would wait for connections until they time out,
 * hours after the restore. The EC2 runner of scripts.method "ec2" runs in the databases' network.
 */
function checkCopyReachable(plan: Plan, databaseFunctionsInVpc: boolean | undefined): void {
  if (databaseFunctionsInVpc !== false) return;
  const lambdaScripts = plan.steps.scripts && plan.file.scripts?.method !== 'ec2';
  const work = [
    ...(lambdaScripts ? ['scripts (run in Lambda)'] : []),
    ...(plan.steps.preserve ? ['preserve'] : []),
  ];
  if (work.length === 0) return;
  throw new GuardError(
    `The refresh file asks for ${work.join(' and ')}, which connect to the copy of ${plan.target.id}, but this deployment runs its functions outside any VPC and the copy stays private until it is masked and swapped, so they could not reach it. Deploy the stack in the databases' network (cdk deploy -c vpcId=vpc-... -c subnetIds=subnet-a,subnet-b -c securityGroupIds=sg-...)${lambdaScripts ? ', or run the scripts on a runner instance in that network (scripts.method "ec2")' : ''}`,
  );
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
