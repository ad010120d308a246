import {
  CreateDBParameterGroupCommand,
  CreateDBSubnetGroupCommand,
  CreateOptionGroupCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';

/**
 * The DB parameter, option and DB subnet groups a refresh file names, created in the local account as a user
 * creates them before naming them (local RDS refuses a group that does not exist, as RDS does). Default groups
 * (`default.mysql8.0`, `default`) always exist and need no seeding.
 */
export interface SeedGroups {
  /** A parameter group of a family: `{ name: 'billing-pg16-dev', family: 'postgres16' }`. */
  readonly parameterGroups?: readonly { readonly name: string; readonly family: string }[];
  readonly optionGroups?: readonly {
    readonly name: string;
    readonly engine: string;
    readonly majorVersion: string;
  }[];
  /** A subnet group over two local subnets unless it names its own. */
  readonly subnetGroups?: readonly { readonly name: string; readonly subnetIds?: readonly string[] }[];
}

export async function seedGroups(rds: RDSClient, groups: SeedGroups): Promise<void> {
  for (const { name, family } of groups.parameterGroups ?? []) {
    await rds.send(
      new CreateDBParameterGroupCommand({
        DBParameterGroupName: name,
        DBParameterGroupFamily: family,
        Description: `${name} (seeded)`,
      }),
    );
  }
  for (const { name, engine, majorVersion } of groups.optionGroups ?? []) {
    await rds.send(
      new CreateOptionGroupCommand({
        OptionGroupName: name,
        EngineName: engine,
        MajorEngineVersion: majorVersion,
        OptionGroupDescription: `${name} (seeded)`,
      }),
    );
  }
  for (const { name, subnetIds } of groups.subnetGroups ?? []) {
    await rds.send(
      new CreateDBSubnetGroupCommand({
        DBSubnetGroupName: name,
        DBSubnetGroupDescription: `${name} (seeded)`,
        SubnetIds: [...(subnetIds ?? [`${name}-a`, `${name}-b`])],
      }),
    );
  }
}
