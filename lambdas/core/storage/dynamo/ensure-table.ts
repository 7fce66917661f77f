import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
} from '@aws-sdk/client-dynamodb';
import { TABLE_LAYOUT, keyAttributes } from './table-layout';

const ATTRIBUTE_DEFINITIONS = keyAttributes().map((name) => ({ AttributeName: name, AttributeType: 'S' as const }));

const INDEXES: GlobalSecondaryIndex[] = Object.values(TABLE_LAYOUT.indexes).map((index) => ({
  IndexName: index.indexName,
  KeySchema: [
    { AttributeName: index.partitionKey, KeyType: 'HASH' },
    { AttributeName: index.sortKey, KeyType: 'RANGE' },
  ],
  Projection: { ProjectionType: 'ALL' },
}));

/**
 * Creates the table and its indexes when missing, adds the indexes a table made by an older
 * version lacks, and waits until all are active. For local development and tests; in AWS the
 * CDK stack owns the table.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const existing = await describe(client, tableName);
  if (!existing) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: ATTRIBUTE_DEFINITIONS,
          KeySchema: [
            { AttributeName: TABLE_LAYOUT.partitionKey, KeyType: 'HASH' },
            { AttributeName: TABLE_LAYOUT.sortKey, KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: INDEXES,
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error; // another process created it first
    }
  }
  let table = await untilActive(client, tableName, deadline);
  // DynamoDB builds one new index at a time.
  for (const index of INDEXES.filter((wanted) => !table.indexNames.includes(wanted.IndexName!))) {
    const cannot = (reason: string) =>
      new Error(
        `table ${tableName} lacks the index ${index.IndexName} and this database cannot add it (${reason}); ` +
          'recreate the table (for the local VTN\'s embedded database: delete its data directory)',
      );
    try {
      await client.send(new UpdateTableCommand({ TableName: tableName, AttributeDefinitions: ATTRIBUTE_DEFINITIONS, GlobalSecondaryIndexUpdates: [{ Create: index }] }));
    } catch (error) {
      throw cannot((error as Error).message);
    }
    table = await untilActive(client, tableName, deadline);
    if (!table.indexNames.includes(index.IndexName!)) throw cannot('the update was accepted but made no index');
  }
}

async function untilActive(client: DynamoDBClient, tableName: string, deadline: number): Promise<{ indexNames: string[] }> {
  for (;;) {
    const table = await describe(client, tableName);
    if (table?.status === 'ACTIVE') return table;
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become active in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The table's status (CREATING until every index is active too) and index names; undefined when missing. */
async function describe(client: DynamoDBClient, tableName: string): Promise<{ status?: string; indexNames: string[] } | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    const indexesActive = indexes.every((index) => index.IndexStatus === 'ACTIVE');
    return {
      status: Table?.TableStatus === 'ACTIVE' && !indexesActive ? 'CREATING' : Table?.TableStatus,
      indexNames: indexes.map((index) => index.IndexName!),
    };
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}
