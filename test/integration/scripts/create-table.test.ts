import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_LAYOUT } from '../../../lambdas/core/storage/dynamo/table-layout';
import { createTableCommand } from '../../../scripts/create-table';
import { TestDatabase } from '../../support/database';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

// No AWS credentials needed: a local database takes any.
const env = (extra: Record<string, string>) => extra;

test('creates TABLE_NAME with every index at DYNAMODB_ENDPOINT, and leaves it alone the second time', async () => {
  const tableName = `vtn-sam-${process.pid}`;
  const out: string[] = [];
  for (let run = 0; run < 2; run++) {
    expect(await createTableCommand(env({ DYNAMODB_ENDPOINT: db.endpoint, TABLE_NAME: tableName }), (text) => out.push(text))).toBe(0);
  }
  const { Table } = await db.client.send(new DescribeTableCommand({ TableName: tableName }));
  expect(Table?.KeySchema?.map((key) => key.AttributeName)).toEqual([TABLE_LAYOUT.partitionKey, TABLE_LAYOUT.sortKey]);
  expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(Object.values(TABLE_LAYOUT.indexes).map((index) => index.indexName).sort());
  expect(out).toEqual([`table ${tableName} at ${db.endpoint} is ready, with its indexes\n`, `table ${tableName} at ${db.endpoint} is ready, with its indexes\n`]);
});

test('refuses without an endpoint, with an AWS endpoint, and with a bad setting, naming it', async () => {
  const out: string[] = [];
  expect(await createTableCommand(env({}), (text) => out.push(text))).toBe(1);
  expect(await createTableCommand(env({ DYNAMODB_ENDPOINT: 'https://dynamodb.us-east-1.amazonaws.com' }), (text) => out.push(text))).toBe(1);
  expect(await createTableCommand(env({ DYNAMODB_ENDPOINT: db.endpoint, TABLE_NAME: 'no spaces' }), (text) => out.push(text))).toBe(1);
  expect(out[0]).toMatch(/set DYNAMODB_ENDPOINT/);
  expect(out[1]).toMatch(/is AWS, where the stack creates and owns the table/);
  expect(out[2]).toMatch(/TABLE_NAME must be/);
});
