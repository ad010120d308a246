import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledge } from './acknowledge';

/** Where the step folders live: `lambdas/<step>/handler.ts`. */
export const LAMBDAS_DIR = path.join(__dirname, '..', '..', 'lambdas');

/**
 * How every step is bundled. The AWS SDK v3 clients are bundled, the versions the code is built and tested
 * against, as AWS recommends rather than relying on the runtime's copy:
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html#nodejs-sdk-included
 * ES module builds of dependencies are preferred so unused code is tree-shaken.
 * `keepNames` keeps error class names readable in logs (the Retry/Catch names are literals anyway).
 */
export const TASK_BUNDLING = {
  minify: true,
  keepNames: true,
  sourceMap: true,
  target: 'node24',
  format: OutputFormat.CJS,
  // Prefer packages' ES modules so esbuild can drop what a step does not use (zod's locales, say).
  mainFields: ['module', 'main'],
  externalModules: [],
  esbuildArgs: {
    // mysql2 needs iconv-lite only for legacy charsets; Node's TextDecoder covers them at a fraction of the size.
    '--alias:iconv-lite': path.join(__dirname, '..', '..', 'lambdas', 'shared', 'sql', 'text-codecs.ts'),
    // A function's credentials are in its environment: the SDK's default provider chain is left out.
    '--alias:@aws-sdk/credential-provider-node': path.join(
      __dirname,
      '..',
      '..',
      'lambdas',
      'shared',
      'aws',
      'lambda-credentials.ts',
    ),
  },
} as const satisfies BundlingOptions;

/** Where functions that reach databases run: the databases' VPC, subnets and security group. */
export interface DatabaseNetwork {
  readonly vpc: IVpc;
  readonly vpcSubnets?: SubnetSelection;
  readonly securityGroups: readonly ISecurityGroup[];
}

export interface TaskFunctionProps {
  /** The step folder under `lambdas/`: "plan", "restore", ... */
  readonly step: string;
  /**
   * The export of `lambdas/<step>/handler.ts` this function runs.
   * @default "handler"
   */
  readonly handler?: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /**
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;
  /**
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Run inside the databases' network, for steps that connect to a database.
   * @default - outside any VPC (the RDS, Secrets Manager, DynamoDB and SNS APIs are public endpoints)
   */
  readonly network?: DatabaseNetwork;
}

/**
 * A step's Lambda function with dbrefresh's defaults: Node.js 24 on arm64, bundled with the local
 * esbuild (no Docker), JSON logs kept for a month, X-Ray tracing.
 */
export class TaskFunction extends NodejsFunction {
  /** The source file the function is built from; the local runner runs the same file. */
  readonly entry: string;
  readonly handlerName: string;

  constructor(scope: Construct, id: string, props: TaskFunctionProps) {
    const entry = path.join(LAMBDAS_DIR, props.step, 'handler.ts');
    const handler = props.handler ?? 'handler';
    super(scope, id, {
      entry,
      handler,
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.minutes(1),
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup: new LogGroup(scope, `${id}Logs`, {
        retention: RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      bundling: TASK_BUNDLING,
      environment: { POWERTOOLS_SERVICE_NAME: 'dbrefresh', NODE_OPTIONS: '--enable-source-maps' },
      ...(props.network && {
        vpc: props.network.vpc,
        vpcSubnets: props.network.vpcSubnets,
        securityGroups: [...props.network.securityGroups],
      }),
    });
    this.entry = entry;
    this.handlerName = handler;
    for (const policy of ['AWSLambdaBasicExecutionRole', 'AWSLambdaVPCAccessExecutionRole']) {
      acknowledge(
        this,
        `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
        'The AWS managed policy Lambda needs to write its logs (and, in a VPC, to attach its network interfaces); it grants nothing else',
      );
    }
    acknowledge(
      this,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray tracing (PutTraceSegments, PutTelemetryRecords) has no resource to scope to',
    );
  }
}
