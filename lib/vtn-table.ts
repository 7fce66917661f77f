import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_LAYOUT } from '../lambdas/core/storage/dynamo/table-layout';

export interface VtnTableProps {
  tableName?: string;
  removalPolicy: RemovalPolicy;
}

/** The single table and its GSIs, from the same layout the queries use. */
export class VtnTable extends Construct {
  readonly table: ITable;

  constructor(scope: Construct, id: string, props: VtnTableProps) {
    super(scope, id);
    const string = (name: string) => ({ name, type: AttributeType.STRING });
    const table = new Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: string(TABLE_LAYOUT.partitionKey),
      sortKey: string(TABLE_LAYOUT.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy,
      // Feeds webhook notifications; a deletion's notification carries the deleted object.
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
    });
    for (const index of Object.values(TABLE_LAYOUT.indexes)) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: string(index.partitionKey),
        sortKey: string(index.sortKey),
        projectionType: ProjectionType.ALL,
      });
    }
    this.table = table;
  }
}
