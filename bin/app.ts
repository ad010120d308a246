#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { type DatabaseNetworkIds, RefreshStack } from '../lib/refresh-stack';

const app = new App();

/** `cdk deploy -c vpcId=vpc-1 -c subnetIds=subnet-a,subnet-b -c securityGroupIds=sg-1` places the scripts step in the VPC. */
function databaseNetwork(): DatabaseNetworkIds | undefined {
  const vpcId = app.node.tryGetContext('vpcId');
  if (typeof vpcId !== 'string' || vpcId === '') return undefined;
  const list = (key: string) =>
    String(app.node.tryGetContext(key) ?? '')
      .split(',')
      .map((value) => value.trim())
      .filter((value) => value !== '');
  return { vpcId, subnetIds: list('subnetIds'), securityGroupIds: list('securityGroupIds') };
}

const scriptBuckets = app.node.tryGetContext('scriptBucketNames');
/** `-c scriptRunner=true` creates the runner instance of `scripts.method: "ec2"`; `-c scriptRunnerInstanceId=i-...` uses one. */
const scriptRunner = String(app.node.tryGetContext('scriptRunner') ?? '') === 'true';
const scriptRunnerInstanceId = app.node.tryGetContext('scriptRunnerInstanceId');
const scriptRunnerCommand = app.node.tryGetContext('scriptRunnerCommand');
/** `-c scriptRunnerSecretNames=/development/*,dbrefresh/*` lets the runner read those secrets. */
const scriptRunnerSecretNames = app.node.tryGetContext('scriptRunnerSecretNames');
/** `cdk deploy -c refreshFiles=refresh-files` deploys the schedules the folder's refresh files declare. */
const refreshFiles = app.node.tryGetContext('refreshFiles');

new RefreshStack(app, 'DbRefresh', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'dbrefresh: refreshes non-production RDS and Aurora databases from production',
  databaseNetwork: databaseNetwork(),
  scriptBucketNames: typeof scriptBuckets === 'string' ? scriptBuckets.split(',') : undefined,
  scriptRunner,
  scriptRunnerInstanceId: typeof scriptRunnerInstanceId === 'string' ? scriptRunnerInstanceId : undefined,
  scriptRunnerCommand: typeof scriptRunnerCommand === 'string' ? scriptRunnerCommand : undefined,
  scriptRunnerSecretNames:
    typeof scriptRunnerSecretNames === 'string' && scriptRunnerSecretNames !== ''
      ? scriptRunnerSecretNames.split(',').map((name) => name.trim())
      : undefined,
  refreshFilesDir: typeof refreshFiles === 'string' && refreshFiles !== '' ? refreshFiles : undefined,
});
