import type { RDSClient } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GuardError } from '../shared/errors';
import type { Plan } from '../shared/run/plan';
import type { TlsMode } from '../shared/sql/connect';
import type { PreserveDialect } from '../shared/sql/preserved-data';
import { mysqlPreserve } from '../shared/sql/preserved-mysql';
import { postgresPreserve } from '../shared/sql/preserved-postgres';
import type { SqlDialect } from '../shared/sql/split-statements';
import type { OpenSession } from '../shared/sql/sql-session';

/** What the capture and reapply steps work with, passed in so tests can replace each. */
export interface PreserveDependencies {
  readonly rds: RDSClient;
  readonly secrets: SecretsManagerClient;
  readonly s3: S3Client;
  /** The stack's preserved-data bucket (PRESERVED_DATA_BUCKET). */
  readonly bucket: string;
  readonly openSession: OpenSession;
  readonly tls: TlsMode;
  readonly now: () => Date;
}

const DIALECTS: Record<SqlDialect, PreserveDialect> = { mysql: mysqlPreserve, postgres: postgresPreserve };

/**
 * The run's SQL dialect and the preserve section, which the plan only lets through with a dialect.
 * @throws GuardError when the step should have been skipped
 */
export function preserveSettings(plan: Plan): {
  dialect: SqlDialect;
  sql: PreserveDialect;
  tables: readonly string[];
  users: readonly string[];
} {
  const preserve = plan.file.preserve;
  if (preserve === undefined || !plan.steps.preserve) {
    throw new GuardError(`The plan of ${plan.target.id} preserves nothing; this step should be skipped`);
  }
  if (plan.dialect === null) {
    throw new GuardError(`Tables and users cannot be preserved on engine ${plan.engine}`);
  }
  return {
    dialect: plan.dialect,
    sql: DIALECTS[plan.dialect],
    tables: preserve.tables ?? [],
    users: preserve.users ?? [],
  };
}
