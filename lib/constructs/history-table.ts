import { type CfnElement, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { HISTORY_INDEXES, HISTORY_KEYS } from '../../lambdas/shared/history/history-keys';
import { acknowledge } from './acknowledge';

export const HISTORY_TABLE_ENV = 'HISTORY_TABLE_NAME';

export interface HistoryTableProps {
  /**
   * What happens to the table when the stack is deleted.
   * @default - the table and its history are retained
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The run history: one item per refresh, on-demand, encrypted, with point-in-time recovery. */
export class HistoryTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: HistoryTableProps = {}) {
    super(scope, id);
    const sortKey = { name: HISTORY_KEYS.sortKey, type: AttributeType.STRING };
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: HISTORY_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey,
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: (props.removalPolicy ?? RemovalPolicy.RETAIN) === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      globalSecondaryIndexes: Object.values(HISTORY_INDEXES).map((index) => ({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey,
      })),
    });
  }

  /** Lets `fn` read and write runs and locks, and tells it the table name. */
  bindReadWrite(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    this.table.grantReadWriteData(fn);
    fn.addEnvironment(HISTORY_TABLE_ENV, this.table.tableName);
    this.acknowledgeIndexes(fn);
  }

  /** Lets `fn` query the history, and tells it the table name. */
  bindRead(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    this.table.grantReadData(fn);
    fn.addEnvironment(HISTORY_TABLE_ENV, this.table.tableName);
    this.acknowledgeIndexes(fn);
  }

  private acknowledgeIndexes(fn: IFunction): void {
    const logicalId = Stack.of(this).getLogicalId(this.table.node.defaultChild as CfnElement);
    acknowledge(
      fn,
      `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/index/*]`,
      "The history queries use the table's own indexes (byApplication, bySource, byStatus)",
    );
  }
}
