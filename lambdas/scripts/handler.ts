import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { type StepContext, stepHandler } from '../shared/handler';
import { RunStateSchema } from '../shared/run/run-state';
import { openConnection, tlsModeFrom } from '../shared/sql/connect';
import { checkScripts, type ScriptsDependencies, startScripts } from './run-scripts';

const rds = new RDSClient(SDK_CLIENT_CONFIG);
const secrets = new SecretsManagerClient(SDK_CLIENT_CONFIG);
const s3 = new S3Client(SDK_CLIENT_CONFIG);
/** `off` only in local mode; see TlsMode. */
const tls = tlsModeFrom(process.env.DB_TLS);

function dependencies(context: StepContext): ScriptsDependencies {
  return { rds, secrets, s3, openConnection, tls, context, now: () => new Date() };
}

/** Runs the SQL scripts on the restored copy for as long as the invocation allows. */
export const start = stepHandler('Run scripts', RunStateSchema, (event, context) =>
  startScripts(event, dependencies(context)),
);

/** Runs the scripts on from `polls.scripts.position`, then the verification queries. */
export const check = stepHandler('Check run scripts', RunStateSchema, (event, context) =>
  checkScripts(event, dependencies(context)),
);
