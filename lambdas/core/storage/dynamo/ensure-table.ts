import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { TABLE_LAYOUT, keyAttributes } from './table-layout';

/**
 * Creates the table and its indexes when missing and waits until they are active; does nothing
 * when the table exists. For local development and tests; in AWS the CDK stack owns the table.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, timeoutMs = 60_000): Promise<void> {
  if (!(await tableStatus(client, tableName))) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: keyAttributes().map((name) => ({ AttributeName: name, AttributeType: 'S' })),
          KeySchema: [
            { AttributeName: TABLE_LAYOUT.partitionKey, KeyType: 'HASH' },
            { AttributeName: TABLE_LAYOUT.sortKey, KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: Object.values(TABLE_LAYOUT.indexes).map((index) => ({
            IndexName: index.indexName,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' },
              { AttributeName: index.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          })),
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error; // another process created it first
    }
  }
  const deadline = Date.now() + timeoutMs;
  while ((await tableStatus(client, tableName)) !== 'ACTIVE') {
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become active within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function tableStatus(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    return Table?.TableStatus === 'ACTIVE' && !indexesActive ? 'CREATING' : Table?.TableStatus;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}
