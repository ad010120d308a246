import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { type StepContext, stepHandler } from '../shared/handler';
import { RunStateSchema } from '../shared/run/run-state';
import { openConnection } from '../shared/sql/connect';
import { tlsFromEnvironment } from '../shared/sql/database-tls';
import {
  checkScriptsOnEc2,
  DEFAULT_RUNNER_COMMAND,
  type Ec2ScriptsDependencies,
  startScriptsOnEc2,
} from './run-on-ec2';
import { checkScripts, reserveMillisecondsFrom, type ScriptsDependencies, startScripts } from './run-scripts';

const rds = new RDSClient(SDK_CLIENT_CONFIG);
const secrets = new SecretsManagerClient(SDK_CLIENT_CONFIG);
const s3 = new S3Client(SDK_CLIENT_CONFIG);
/** Verified TLS: the RDS CAs, or local mode's CA (DB_CA_BUNDLE). */
const tls = tlsFromEnvironment(process.env);
/** Unset in the stack (60 s); local workflow tests shorten it so a script spans several invocations. */
const reserveMilliseconds = reserveMillisecondsFrom(process.env.SCRIPTS_RESERVE_MILLISECONDS);
const ssm = new SSMClient(SDK_CLIENT_CONFIG);
/** Method "ec2": the runner instance, set only when the stack has one (the start refuses the method without it). */
const runner: Omit<Ec2ScriptsDependencies, 'now'> = {
  rds,
  ssm,
  instanceId: process.env.SCRIPT_RUNNER_INSTANCE_ID || undefined,
  command: process.env.SCRIPT_RUNNER_COMMAND || DEFAULT_RUNNER_COMMAND,
};

function dependencies(context: StepContext): ScriptsDependencies {
  return { rds, secrets, s3, openConnection, tls, context, now: () => new Date(), reserveMilliseconds };
}

/** Runs the SQL scripts on the restored copy for as long as the invocation allows. */
export const start = stepHandler('Run scripts', RunStateSchema, (event, context) =>
  event.plan.file.scripts?.method === 'ec2'
    ? startScriptsOnEc2(event, { ...runner, now: () => new Date() })
    : startScripts(event, dependencies(context)),
);

/** Runs the scripts on from `polls.scripts.position`, then the verification queries. */
export const check = stepHandler('Check run scripts', RunStateSchema, (event, context) =>
  event.plan.file.scripts?.method === 'ec2'
    ? checkScriptsOnEc2(event, { ...runner, now: () => new Date() })
    : checkScripts(event, dependencies(context)),
);
