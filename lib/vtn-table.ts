import { Annotations, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_LAYOUT } from '../lambdas/core/storage/dynamo/table-layout';

export interface VtnTableProps {
  tableName?: string;
  removalPolicy: RemovalPolicy;
  /**
   * Create the table without deletion protection: a create that rolls back could not delete a
   * protected table, and every retry would then fail on its name. Deploy once more without it.
   */
  firstDeploy?: boolean;
  /**
   * Declare only the first this many of the layout's indexes. CloudFormation adds at most one
   * index to an existing table per deploy, so a table several indexes behind gains them over as
   * many deploys, each one more; all of them by default.
   */
  indexCount?: number;
}

/** The single table and its GSIs, from the same layout the queries use. */
export class VtnTable extends Construct {
  readonly table: ITable;

  constructor(scope: Construct, id: string, props: VtnTableProps) {
    super(scope, id);
    const string = (name: string) => ({ name, type: AttributeType.STRING });
    const retained = props.removalPolicy !== RemovalPolicy.DESTROY;
    const table = new Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: string(TABLE_LAYOUT.partitionKey),
      sortKey: string(TABLE_LAYOUT.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: retained && !props.firstDeploy,
      removalPolicy: props.removalPolicy,
      // Feeds webhook notifications; a deletion's notification carries the deleted object.
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: TABLE_LAYOUT.timeToLiveAttribute,
    });
    for (const index of Object.values(TABLE_LAYOUT.indexes).slice(0, props.indexCount)) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: string(index.partitionKey),
        sortKey: string(index.sortKey),
        projectionType: ProjectionType.ALL,
      });
    }
    if (props.indexCount !== undefined && props.indexCount < Object.keys(TABLE_LAYOUT.indexes).length) {
      Annotations.of(this).addWarningV2(
        'vtn:tableIndexes',
        `The table declares ${props.indexCount} of its ${Object.keys(TABLE_LAYOUT.indexes).length} indexes; the queries that read the others fail until a deploy adds them (one more per deploy).`,
      );
    }
    if (retained && props.firstDeploy) {
      Annotations.of(this).addWarningV2(
        'vtn:firstDeploy',
        'The table is deployed without deletion protection; once this deploy has succeeded, deploy again without firstDeploy to turn it on.',
      );
    }
    this.table = table;
  }
}
