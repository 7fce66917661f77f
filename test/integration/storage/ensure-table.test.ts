import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../../lambdas/core/storage/dynamo/ensure-table';
import { TABLE_LAYOUT } from '../../../lambdas/core/storage/dynamo/table-layout';
import { TestDatabase } from '../../support/database';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

test('creates the table with every index of the layout, and leaves an up-to-date table alone', async () => {
  const tableName = await db.freshTable();
  await ensureTable(db.client, tableName);
  const { Table } = await db.client.send(new DescribeTableCommand({ TableName: tableName }));
  expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(
    Object.values(TABLE_LAYOUT.indexes).map((index) => index.indexName).sort(),
  );
});

test('a table that lacks a newer index, on a database that cannot add one (dynalite), fails naming the index and the remedy', async () => {
  const tableName = `vtn-older-${process.pid}`;
  const { objectTypeEventStart } = TABLE_LAYOUT.indexes;
  await db.client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['objectType', 'id', 'eventStart'].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: 'objectType', KeyType: 'HASH' },
        { AttributeName: 'id', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: objectTypeEventStart.indexName,
          KeySchema: [
            { AttributeName: 'objectType', KeyType: 'HASH' },
            { AttributeName: 'eventStart', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  await expect(ensureTable(db.client, tableName)).rejects.toThrow(/lacks the index [\w-]+-index .*recreate the table .*delete its data directory/);
});
