import * as path from 'node:path';
import { ArnFormat, AssetHashType, Aws, BundlingOutput, DockerImage, Stack } from 'aws-cdk-lib';
import {
  AmazonLinuxCpuType,
  BlockDeviceVolume,
  EbsDeviceVolumeType,
  HttpTokens,
  Instance,
  InstanceClass,
  InstanceSize,
  InstanceType,
  MachineImage,
  Subnet,
  UserData,
} from 'aws-cdk-lib/aws-ec2';
import { type IGrantable, ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct, type IConstruct } from 'constructs';
import * as esbuild from 'esbuild';
import { DEFAULT_RUNNER_COMMAND, RUN_SHELL_SCRIPT } from '../../lambdas/scripts/run-on-ec2';
import { acknowledge, acknowledgeWildcards } from './acknowledge';
import { type DatabaseNetwork, LAMBDAS_DIR, TASK_BUNDLING } from './task-function';

/** Where the user data installs the runner bundle; DEFAULT_RUNNER_COMMAND runs it. */
export const RUNNER_BUNDLE_PATH = '/opt/dbrefresh/run-scripts.js';
/** The Node.js the user data installs (an Amazon Linux 2023 package); the bundle targets it. */
const NODE_MAJOR = 22;
/** Secrets the runner reads: those dbrefresh generates and those RDS manages. */
export const DEFAULT_SECRET_NAMES = ['dbrefresh/*', 'rds!*'];

/** A runner instance the scripts step can send its scripts to (SSM Run Command, AWS-RunShellScript). */
export interface IScriptRunner {
  readonly instanceId: string;
  /** The command line the step appends the job to. */
  readonly command: string;
  /** The secret names (IAM patterns) the instance's role may read the copy's admin login from. */
  readonly secretNames: readonly string[];
  /**
   * Lets `fn` send the scripts command to this instance only, and read how it went; sets the
   * SCRIPT_RUNNER_INSTANCE_ID and SCRIPT_RUNNER_COMMAND variables the step reads.
   */
  bindRunScripts(fn: LambdaFunction): void;
}

export interface ScriptRunnerProps {
  /** Where the runner runs: the databases' VPC, its (private) subnets and the security groups the databases admit. */
  readonly network: DatabaseNetwork;
  /**
   * Buckets the runner may read scripts from.
   * @default - any bucket ("*"), as the scripts functions
   */
  readonly scriptBucketNames?: readonly string[];
  /**
   * Secret names (patterns) the runner may read the copy's admin login from.
   * @default - `dbrefresh/*` (the default adminPassword.secretName) and `rds!*` (RDS-managed passwords)
   */
  readonly secretNames?: readonly string[];
  /**
   * @default - t4g.small (arm64, like the AMI)
   */
  readonly instanceType?: InstanceType;
  /**
   * The command line the scripts step appends the job to.
   * @default - DEFAULT_RUNNER_COMMAND, which runs the bundle the user data installs
   */
  readonly command?: string;
}

/**
 * The script runner: an Amazon Linux 2023 arm64 instance in the databases' private subnets, managed by SSM
 * only (no key pair, no public address, IMDSv2), whose user data installs Node.js and the runner bundle
 * built from `lambdas/scripts/ec2-runner.ts`. Its role reads the scripts and the admin secrets, nothing
 * else. The scripts step runs `scripts.method: "ec2"` on it, for scripts longer than Lambda allows.
 *
 * The subnets need a way to SSM, S3 and Secrets Manager (a NAT gateway or VPC endpoints), and the
 * security groups must let it reach the databases, as for the scripts functions.
 */
export class ScriptRunner extends Construct implements IScriptRunner {
  /**
   * An instance set up by other means (it must run the runner bundle, or `command` must name what does), whose
   * role may read the secrets named by `secretNames` (the plan refuses a refresh file whose secret it cannot).
   */
  static fromInstanceId(
    instanceId: string,
    command: string = DEFAULT_RUNNER_COMMAND,
    secretNames: readonly string[] = DEFAULT_SECRET_NAMES,
  ): IScriptRunner {
    return {
      instanceId,
      command,
      secretNames,
      bindRunScripts: (fn) => bindRunScripts(fn, instanceId, command),
    };
  }

  readonly instance: Instance;
  readonly instanceId: string;
  readonly command: string;
  readonly secretNames: readonly string[];

  constructor(scope: Construct, id: string, props: ScriptRunnerProps) {
    super(scope, id);
    this.command = props.command ?? DEFAULT_RUNNER_COMMAND;
    this.secretNames = props.secretNames ?? DEFAULT_SECRET_NAMES;
    const stack = Stack.of(this);
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('ec2.amazonaws.com'),
      description: 'dbrefresh script runner: SSM-managed; reads the SQL scripts and the admin secrets',
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    acknowledge(
      role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'The AWS managed policy an instance needs to be managed by SSM (Run Command); no SSH, no key pair',
    );
    grant(
      role,
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: (props.scriptBucketNames ?? ['*']).map(
          (bucket) => `arn:${Aws.PARTITION}:s3:::${bucket}/*`,
        ),
      }),
      'Script buckets come from refresh files unless the stack is given scriptBucketNames; only GetObject',
    );
    grant(
      role,
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: this.secretNames.map((name) =>
          stack.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: name,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
      "The copy's admin login is in a secret named at run time: dbrefresh's (dbrefresh/*) or RDS's (rds!*); read only",
    );

    const bundle = new Asset(this, 'Bundle', {
      path: LAMBDAS_DIR,
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Never used: the local esbuild always bundles, as for the functions (no Docker).
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22'),
        outputType: BundlingOutput.SINGLE_FILE,
        local: { tryBundle: (outputDir) => bundleRunner(outputDir) },
      },
    });
    // Its own bundle, that one object only (grantRead would allow the whole assets bucket).
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [`arn:${Aws.PARTITION}:s3:::${bundle.s3BucketName}/${bundle.s3ObjectKey}`],
      }),
    );

    const userData = UserData.forLinux();
    userData.addCommands(
      'set -eu',
      `dnf install -y nodejs${NODE_MAJOR}`,
      // The versioned package installs node-<major>; the command runs plain `node`.
      `[ -e /usr/bin/node ] || ln -s /usr/bin/node-${NODE_MAJOR} /usr/bin/node`,
      `mkdir -p ${path.posix.dirname(RUNNER_BUNDLE_PATH)}`,
    );
    userData.addS3DownloadCommand({
      bucket: bundle.bucket,
      bucketKey: bundle.s3ObjectKey,
      localFile: RUNNER_BUNDLE_PATH,
    });
    userData.addCommands(`chmod 0644 ${RUNNER_BUNDLE_PATH}`);

    const [first, ...more] = props.network.securityGroups;
    const subnets = props.network.vpc.selectSubnets(props.network.vpcSubnets).subnets;
    this.instance = new Instance(this, 'Instance', {
      vpc: props.network.vpc,
      // The subnets are imported by id alone; their zone is left out of the template (AWS::NoValue) and
      // EC2 takes it from the subnet.
      vpcSubnets: {
        subnets: subnets.slice(0, 1).map((subnet) =>
          Subnet.fromSubnetAttributes(this, 'Subnet', {
            subnetId: subnet.subnetId,
            availabilityZone: Aws.NO_VALUE,
          }),
        ),
      },
      securityGroup: first,
      instanceType: props.instanceType ?? InstanceType.of(InstanceClass.T4G, InstanceSize.SMALL),
      machineImage: MachineImage.latestAmazonLinux2023({ cpuType: AmazonLinuxCpuType.ARM_64 }),
      role,
      associatePublicIpAddress: false,
      // IMDSv2 on the instance itself (requireImdsv2 would add a launch template with a fixed name).
      httpTokens: HttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: BlockDeviceVolume.ebs(10, { encrypted: true, volumeType: EbsDeviceVolumeType.GP3 }),
        },
      ],
      propagateTagsToVolumeOnCreation: true,
      userData,
      // User data runs on the first boot only: a new bundle needs a new instance.
      userDataCausesReplacement: true,
    });
    for (const group of more) this.instance.addSecurityGroup(group);
    acknowledge(
      this.instance,
      'AwsSolutions-EC29',
      'The runner keeps no state: it is replaced on every new bundle and may be terminated at any time between refreshes',
    );
    this.instanceId = this.instance.instanceId;
  }

  bindRunScripts(fn: LambdaFunction): void {
    bindRunScripts(fn, this.instanceId, this.command);
  }
}

/** SendCommand of AWS-RunShellScript to the one instance, reading its invocations, and the variables. */
function bindRunScripts(fn: LambdaFunction, instanceId: string, command: string): void {
  const stack = Stack.of(fn);
  grant(
    fn,
    new PolicyStatement({
      actions: ['ssm:SendCommand'],
      resources: [
        // A hybrid (on-premises) managed node, mi-..., is an SSM resource; an EC2 instance an EC2 one.
        instanceId.startsWith('mi-')
          ? stack.formatArn({ service: 'ssm', resource: 'managed-instance', resourceName: instanceId })
          : stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: instanceId }),
        stack.formatArn({
          service: 'ssm',
          account: '',
          resource: 'document',
          resourceName: RUN_SHELL_SCRIPT,
        }),
      ],
    }),
    'SendCommand names the runner instance and the AWS-owned AWS-RunShellScript document only',
  );
  grant(
    fn,
    new PolicyStatement({
      // ListCommandInvocations lets a repeated start find the command it sent (SendCommand has no token).
      actions: ['ssm:GetCommandInvocation', 'ssm:ListCommandInvocations'],
      resources: ['*'],
    }),
    'GetCommandInvocation and ListCommandInvocations have no resource to scope to; they only read command status and output',
  );
  fn.addEnvironment('SCRIPT_RUNNER_INSTANCE_ID', instanceId);
  fn.addEnvironment('SCRIPT_RUNNER_COMMAND', command);
}

function grant(grantee: IGrantable, statement: PolicyStatement, reason: string): void {
  grantee.grantPrincipal.addToPrincipalPolicy(statement);
  acknowledgeWildcards(grantee as unknown as IConstruct, statement, reason);
}

/**
 * Builds `run-scripts.js` with the functions' esbuild settings, except that the AWS SDK is bundled (Node.js on
 * the instance has none) and the target is the Node.js the user data installs.
 */
function bundleRunner(outputDir: string): boolean {
  // The runner takes its instance role's credentials from the instance metadata: it keeps the SDK's default
  // credential chain, and only the functions' alias of the charset codecs.
  const alias = { 'iconv-lite': TASK_BUNDLING.esbuildArgs['--alias:iconv-lite'] };
  esbuild.buildSync({
    entryPoints: [path.join(LAMBDAS_DIR, 'scripts', 'ec2-runner.ts')],
    outfile: path.join(outputDir, path.posix.basename(RUNNER_BUNDLE_PATH)),
    bundle: true,
    platform: 'node',
    target: `node${NODE_MAJOR}`,
    format: 'cjs',
    minify: TASK_BUNDLING.minify,
    keepNames: TASK_BUNDLING.keepNames,
    mainFields: [...TASK_BUNDLING.mainFields],
    alias,
    logLevel: 'warning',
  });
  return true;
}
