import { createHash } from 'node:crypto';
import type { AccessRequest } from '../../iam/access';
import { cloudFormationAccessRequests } from '../../iam/access/cloudformation';
import { type QueryInput, queryService, type XmlStructure, xmlList } from '../query-protocol';
import { AwsError, type LocalRequest, type LocalResponse, type LocalService } from '../service';

/** One output of a local stack, as DescribeStacks lists it. */
export interface LocalStackOutput {
  readonly key: string;
  readonly value: string;
  readonly description?: string;
}

/** A stack the local account pretends is deployed: its name and outputs. */
export interface LocalStack {
  readonly name: string;
  readonly outputs: readonly LocalStackOutput[];
}

export interface LocalCloudFormationOptions {
  readonly stacks: readonly LocalStack[];
  readonly scope: { readonly region: string; readonly account: string };
  /**
   * When the stacks were "created".
   * @default - when this object was created
   */
  readonly createdAt?: Date;
}

const NAMESPACE = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

/**
 * A local CloudFormation (Query protocol, 2010-05-15) answering DescribeStacks for the stacks local mode
 * stands in for, so a tool that finds its deployment through the stack's outputs (the CLI) reads local values
 * the same way. Each stack is CREATE_COMPLETE; an unknown stack is the ValidationError CloudFormation answers.
 */
export class LocalCloudFormation implements LocalService {
  readonly name = 'cloudformation';
  private readonly service: LocalService;
  private readonly createdAt: Date;

  constructor(private readonly options: LocalCloudFormationOptions) {
    this.createdAt = options.createdAt ?? new Date();
    this.service = queryService({
      name: 'cloudformation',
      namespace: NAMESPACE,
      actions: {
        DescribeStacks: (input) => ({ Stacks: xmlList('member', this.describeStacks(input)) }),
      },
    });
  }

  handle(request: LocalRequest): Promise<LocalResponse> {
    return this.service.handle(request);
  }

  /** What IAM authorizes for the request (local/iam/access/cloudformation.ts). */
  accessRequests(request: LocalRequest): Promise<readonly AccessRequest[]> {
    return cloudFormationAccessRequests(request);
  }

  /** The ARN of a local stack: `arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>`, stable per name. */
  stackId(name: string): string {
    const { region, account } = this.options.scope;
    const hex = createHash('sha256').update(`${account}/${region}/${name}`).digest('hex');
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    return `arn:aws:cloudformation:${region}:${account}:stack/${name}/${id}`;
  }

  private describeStacks(input: QueryInput): XmlStructure[] {
    const wanted = input.string('StackName');
    if (wanted === undefined) return this.options.stacks.map((stack) => this.describe(stack));
    const stack = this.options.stacks.find(
      (candidate) => candidate.name === wanted || this.stackId(candidate.name) === wanted,
    );
    if (!stack) throw new AwsError('ValidationError', `Stack with id ${wanted} does not exist`);
    return [this.describe(stack)];
  }

  private describe(stack: LocalStack): XmlStructure {
    return {
      StackId: this.stackId(stack.name),
      StackName: stack.name,
      CreationTime: this.createdAt,
      StackStatus: 'CREATE_COMPLETE',
      DisableRollback: false,
      Outputs: xmlList(
        'member',
        stack.outputs.map((output) => ({
          OutputKey: output.key,
          OutputValue: output.value,
          Description: output.description,
        })),
      ),
    };
  }
}
