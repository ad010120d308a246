import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CURRENT_STAGE,
  describeSecret,
  ROTATION_FUNCTION_TAG,
  versionWithStage,
} from '../shared/aws/secrets';
import { GuardError } from '../shared/errors';
import type { RefreshFile } from '../shared/refresh-model';
import type { Plan } from '../shared/run/plan';

/**
 * Why the target's secret ARN changes with every refresh when RDS manages the password, for the plan to say.
 * RDS creates the secret of an instance or cluster when it is told to manage its password, and deletes it
 * with the instance or cluster; nothing gives a new instance an existing secret (MasterUserSecretKmsKeyId only
 * picks the key that encrypts the new one).
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html
 */
export const MANAGED_SECRET_NOTE =
  "RDS creates a new secret (rds!...) for the copy and deletes the old target's with it, so the target's " +
  'MasterUserSecret ARN changes with every refresh: applications must look it up with DescribeDBInstances or ' +
  'DescribeDBClusters (MasterUserSecret.SecretArn) each time they start. For a secret whose name and ARN stay the ' +
  'same across refreshes, set adminPassword.managed to false (dbrefresh then writes a named secret).';

/**
 * The admin password part of the plan: which secret the run writes, its current version (for the rollback),
 * and, when the file asks for a rotation, the rotation function RotateSecret will invoke. Reads only.
 * @throws GuardError when the secret is scheduled for deletion, or a rotation is asked for a secret that has
 *   none configured
 */
export async function inspectSecret(
  sm: SecretsManagerClient,
  file: RefreshFile,
  targetId: string,
): Promise<Plan['adminPassword']> {
  const managed = file.adminPassword?.managed === true;
  const secretName = file.adminPassword?.secretName ?? `dbrefresh/${targetId}`;
  const rotate = file.adminPassword?.rotate === true;
  // The RDS-managed secret of the copy does not exist before the run; RDS configures its rotation.
  if (managed) return { managed, secretName, versionAtStart: null, rotate, note: MANAGED_SECRET_NOTE };
  const secret = await describeSecret(sm, secretName);
  if (secret?.DeletedDate) {
    throw new GuardError(
      `Secret ${secretName} is scheduled for deletion (since ${secret.DeletedDate.toISOString()}); restore it ` +
        '(aws secretsmanager restore-secret) or set adminPassword.secretName to another secret',
    );
  }
  const versionAtStart = secret ? (versionWithStage(secret, CURRENT_STAGE) ?? null) : null;
  if (!rotate) return { managed, secretName, versionAtStart, rotate };
  const rotationFunctionArn = secret?.RotationLambdaARN;
  if (!secret?.RotationEnabled || !rotationFunctionArn) {
    throw new GuardError(
      `adminPassword.rotate is true but secret ${secretName} ${secret ? 'has no rotation configured' : 'does not exist yet, so it has no rotation configured'}; ` +
        `configure its rotation with a rotation function tagged ${ROTATION_FUNCTION_TAG.Key}=${ROTATION_FUNCTION_TAG.Value} ` +
        `(aws secretsmanager rotate-secret --secret-id ${secretName} --rotation-lambda-arn <function ARN> --rotation-rules AutomaticallyAfterDays=30), ` +
        'or set adminPassword.rotate to false',
    );
  }
  return { managed, secretName, versionAtStart, rotate, rotationFunctionArn };
}
