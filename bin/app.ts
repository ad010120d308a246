#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { RefreshStack } from '../lib/refresh-stack';

const app = new App();
new RefreshStack(app, 'DbRefresh', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'dbrefresh: refreshes non-production RDS and Aurora databases from production',
});
