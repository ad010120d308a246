import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SDK_CLIENT_CONFIG } from '../shared/aws/transient';
import { requireEnv } from '../shared/env';
import { stepHandler } from '../shared/handler';
import { RunStateSchema } from '../shared/run/run-state';
import { tlsFromEnvironment } from '../shared/sql/database-tls';
import { openSession } from '../shared/sql/sql-session';
import { capturePreservedData } from './capture';
import type { PreserveDependencies } from './dependencies';
import { reapplyPreservedData } from './reapply';

const dependencies: PreserveDependencies = {
  rds: new RDSClient(SDK_CLIENT_CONFIG),
  secrets: new SecretsManagerClient(SDK_CLIENT_CONFIG),
  s3: new S3Client(SDK_CLIENT_CONFIG),
  bucket: requireEnv('PRESERVED_DATA_BUCKET'),
  openSession,
  /** Verified TLS: the RDS CAs, or local mode's CA (DB_CA_BUNDLE). */
  tls: tlsFromEnvironment(process.env),
  now: () => new Date(),
};

/** Reads the rows and users the target keeps, before the restore, into the preserved-data bucket. */
export const capture = stepHandler('Capture preserved data', RunStateSchema, (event) =>
  capturePreservedData(event, dependencies),
);

/** Writes the preserved rows and users into the copy, after its admin password is set. */
export const reapply = stepHandler('Reapply preserved data', RunStateSchema, (event) =>
  reapplyPreservedData(event, dependencies),
);
