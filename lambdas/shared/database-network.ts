/**
 * The plan function's environment variable that says where the functions that connect to databases (the
 * scripts and preserve steps) run: in the databases' VPC ("vpc") or outside any VPC ("none"). The stack
 * sets it from its databaseNetwork; the plan refuses work those functions could not do.
 */
export const DATABASE_NETWORK_ENV = 'DATABASE_NETWORK';

export const DATABASE_NETWORK = { vpc: 'vpc', none: 'none' } as const;

/** Whether the database functions run in a VPC: undefined when the variable does not say (an older stack, the CLI). */
export function databaseFunctionsInVpc(value: string | undefined): boolean | undefined {
  if (value === DATABASE_NETWORK.vpc) return true;
  if (value === DATABASE_NETWORK.none) return false;
  return undefined;
}
