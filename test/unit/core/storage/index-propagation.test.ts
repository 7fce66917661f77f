import { BatchGetItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { hydrate } from '../../../../lambdas/core/openadr/temporal-fields';
import type { VtnEvent } from '../../../../lambdas/core/openadr/types';
import { DynamoGateway } from '../../../../lambdas/core/storage/dynamo/gateway';
import { withDeadline } from '../../../../lambdas/core/deadline';
import { Logger } from '../../../../lambdas/core/logger';
import { IndexPropagation } from '../../../../lambdas/core/storage/dynamo/index-propagation';
import { DynamoStorage } from '../../../../lambdas/core/storage/dynamo/dynamo-storage';
import { toItem, type Item } from '../../../../lambdas/core/storage/dynamo/item-codec';

const dynamo = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'local' });

const anEvent = (start: string) =>
  hydrate<VtnEvent>('EVENT', {
    id: 'evt-1',
    objectType: 'EVENT',
    programID: 'prog-1',
    createdDateTime: '2024-05-01T00:00:00Z',
    modificationDateTime: '2024-05-01T00:00:00Z',
    intervalPeriod: { start, duration: 'PT1H' },
  });

/** A lagging GSI: `shown(input, call)` decides what the n-th query on an exact index key returns. */
function laggingIndexes(shown: (input: QueryCommandInput, call: number) => Item[]) {
  let call = 0;
  dynamo.on(QueryCommand).callsFake((input: QueryCommandInput) => ({ Items: shown(input, call++) }));
}

const keyOf = (input: QueryCommandInput) => ({
  index: input.IndexName,
  partition: input.ExpressionAttributeValues?.[':pk'].S,
  sort: input.ExpressionAttributeValues?.[':sk'].S,
});

function propagation(timeoutMs = 1000) {
  let now = 0;
  const sleeps: number[] = [];
  const logged: string[] = [];
  // The written item itself is still the newest version unless a test says otherwise.
  dynamo.on(GetItemCommand).resolves({ Item: { id: { S: 'evt-1' }, version: { N: '1' } } });
  const settle = new IndexPropagation(new DynamoGateway(client, 'vtn'), {
    timeoutMs,
    clock: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    logger: new Logger('warn', {}, (line) => logged.push(line)),
  });
  return { settle, sleeps, logged };
}

beforeEach(() => dynamo.reset());

test('a create waits until every index it belongs to shows the item', async () => {
  const item = toItem(anEvent('2024-06-01T00:00:00Z'), 1);
  // Four index entries (programID, objectType-eventStart, programID-eventStart, objectType-eventEnd); visible from the third round.
  laggingIndexes((_input, call) => (call >= 8 ? [{ id: item.id, version: item.version }] : []));
  const { settle, sleeps } = propagation();
  await settle.settle(undefined, item);
  const queried = dynamo.commandCalls(QueryCommand).map((call) => keyOf(call.args[0].input));
  expect(new Set(queried.map((key) => key.index))).toEqual(
    new Set(['programID-index', 'objectType-eventStart-index', 'programID-eventStart-index', 'objectType-eventEnd-index']),
  );
  expect(queried).toContainEqual({ index: 'programID-index', partition: 'EVENT#prog-1', sort: 'evt-1' });
  expect(sleeps).toEqual([10, 20]);
  expect(dynamo.commandCalls(QueryCommand)).toHaveLength(12);
});

test('an update waits for the new version and for the entry it moved away from to go', async () => {
  const before = toItem(anEvent('2024-06-01T00:00:00Z'), 1);
  const after = toItem(anEvent('2024-07-01T00:00:00Z'), 2);
  let rounds = 0;
  laggingIndexes((input) => {
    rounds++;
    const { sort } = keyOf(input);
    // The old start stays in the index for a while; the new version shows at once.
    if (sort === before.eventStart.S) return rounds < 8 ? [{ id: before.id, version: before.version }] : [];
    return [{ id: after.id, version: after.version }];
  });
  const { settle, sleeps } = propagation();
  await settle.settle(before, after);
  const staleKeys = dynamo.commandCalls(QueryCommand).filter((call) => keyOf(call.args[0].input).sort === before.eventStart.S);
  expect(staleKeys.length).toBeGreaterThan(2);
  expect(sleeps.length).toBeGreaterThan(0);
});

test('a delete waits until the indexes no longer show the item', async () => {
  const item = toItem(anEvent('2024-06-01T00:00:00Z'), 3);
  laggingIndexes((_input, call) => (call < 3 ? [{ id: item.id, version: item.version }] : []));
  const { settle, sleeps } = propagation();
  await settle.settle(item, undefined);
  expect(sleeps).toEqual([10]);
});

test('gives up after its timeout, warning, without failing the write', async () => {
  laggingIndexes(() => []);
  const { settle, sleeps, logged } = propagation(200);
  await settle.settle(undefined, toItem(anEvent('2024-06-01T00:00:00Z'), 1));
  expect(sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(200);
  expect(sleeps.length).toBeLessThan(10);
  expect(logged).toHaveLength(1);
  expect(JSON.parse(logged[0])).toMatchObject({ level: 'warn', message: expect.stringContaining('index not yet updated'), indexes: expect.any(Array) });
});

test('a timeout of 0 does not read the indexes at all', async () => {
  const { settle } = propagation(0);
  await settle.settle(undefined, toItem(anEvent('2024-06-01T00:00:00Z'), 1));
  expect(dynamo.commandCalls(QueryCommand)).toHaveLength(0);
});

test('storage tells other instances about a write only once the indexes show it', async () => {
  dynamo.on(BatchGetItemCommand).resolves({ Responses: {} });
  dynamo.on(GetItemCommand).resolves({ Item: { id: { S: 'prog-1' } } });
  dynamo.on(PutItemCommand).resolves({});
  dynamo.on(UpdateItemCommand).resolves({ Attributes: { EVENT: { N: '2' } } });
  laggingIndexes((input, call) => (call >= 3 ? [{ id: { S: 'evt-1' }, version: { N: '1' } }] : []));
  const storage = new DynamoStorage({ client, tableName: 'vtn', programCacheTtlMs: 1000, eventCacheTtlMs: 1000, coherenceMs: 1000 });
  await storage.events.create(anEvent('2024-06-01T00:00:00Z'));
  const order = dynamo.calls().map((call) => call.args[0].constructor.name);
  const lastQuery = order.lastIndexOf('QueryCommand');
  expect(order.indexOf('PutItemCommand')).toBeLessThan(order.indexOf('QueryCommand'));
  expect(order.indexOf('UpdateItemCommand')).toBeGreaterThan(lastQuery);
});

test('an item in no index settles at once, silently', async () => {
  const { settle, logged } = propagation();
  await settle.settle(undefined, { objectType: { S: 'SUBSCRIPTION' }, id: { S: 's-1' }, version: { N: '1' } });
  expect(dynamo.commandCalls(QueryCommand)).toHaveLength(0);
  expect(logged).toEqual([]);
});

test('a newer version already in the index counts as settled', async () => {
  const { settle, sleeps } = propagation();
  laggingIndexes(() => [{ id: { S: 'evt-1' }, version: { N: '2' } }]);
  await settle.settle(undefined, toItem(anEvent('2024-06-01T00:00:00Z'), 1));
  expect(sleeps).toEqual([]);
});

test('a write overtaken by a delete stops waiting long before the timeout', async () => {
  const { settle, sleeps, logged } = propagation(3000);
  laggingIndexes(() => []);
  dynamo.on(GetItemCommand).resolves({});
  await settle.settle(undefined, toItem(anEvent('2024-06-01T00:00:00Z'), 1));
  expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(200);
  expect(logged).toEqual([]);
});

test('a failing index check is logged, never thrown: the write has happened', async () => {
  const { settle, logged } = propagation();
  dynamo.on(QueryCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
  await expect(settle.settle(undefined, toItem(anEvent('2024-06-01T00:00:00Z'), 1))).resolves.toBeUndefined();
  expect(JSON.parse(logged[0])).toMatchObject({ level: 'warn', message: expect.stringContaining('could not check') });
});

test('never waits past the request deadline: the write must still be answered', async () => {
  const { settle, sleeps, logged } = propagation(3000);
  laggingIndexes(() => []);
  await withDeadline(Date.now() + 50, () => settle.settle(undefined, toItem(anEvent('2024-06-01T00:00:00Z'), 1)));
  expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(200);
  expect(JSON.parse(logged[0])).toMatchObject({ level: 'warn', message: expect.stringContaining('index not yet updated') });
});
