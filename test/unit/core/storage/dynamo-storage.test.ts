import {
  DeleteItemCommand,
  DynamoDBClient,
  BatchGetItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { StorageUnavailableError } from '../../../../lambdas/core/errors';
import { hydrate } from '../../../../lambdas/core/openadr/temporal-fields';
import type { Program, VtnEvent } from '../../../../lambdas/core/openadr/types';
import { DynamoStorage } from '../../../../lambdas/core/storage/dynamo/dynamo-storage';
import { coherenceShardKey } from '../../../../lambdas/core/storage/dynamo/coherence';
import { toItem } from '../../../../lambdas/core/storage/dynamo/item-codec';
import { parseDateTime } from '../../../../lambdas/core/time/temporal';

const dynamo = mockClient(DynamoDBClient);
const TABLE = 'vtn-unit';
const NOW = '2024-05-01T00:00:00Z';

const program = hydrate<Program>('PROGRAM', {
  id: 'prog-1',
  objectType: 'PROGRAM',
  programName: 'ResTOU',
  createdDateTime: NOW,
  modificationDateTime: NOW,
});
const event = hydrate<VtnEvent>('EVENT', {
  id: 'evt-1',
  objectType: 'EVENT',
  programID: 'prog-1',
  createdDateTime: NOW,
  modificationDateTime: NOW,
  intervalPeriod: { start: '2024-06-01T00:00:00Z', duration: 'PT1H' },
  intervals: [{ id: 0, payloads: [] }],
});

let clockMs = 1_000_000;
function storage(): DynamoStorage {
  return new DynamoStorage({
    client: new DynamoDBClient({ region: 'local' }),
    tableName: TABLE,
    programCacheTtlMs: 3_600_000,
    eventCacheTtlMs: 300_000,
    coherenceMs: 1_000,
    clock: () => clockMs,
    // Index propagation has its own tests; here the mocked indexes never show a write.
    indexSettleMs: 0,
  });
}

function queriesTo(partitionValue: string) {
  return dynamo
    .commandCalls(QueryCommand)
    .filter((call) => Object.values(call.args[0].input.ExpressionAttributeValues ?? {}).some((v) => v.S === partitionValue));
}

/** What the cache-version shards hold: these counts in the first, nothing in the others. */
function cacheVersions(counts: Record<string, number>) {
  const shard = { ...coherenceShardKey(0), ...Object.fromEntries(Object.entries(counts).map(([kind, n]) => [kind, { N: String(n) }])) };
  dynamo.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [shard] } });
}

beforeEach(() => {
  dynamo.reset();
  cacheVersions({ PROGRAM: 1, EVENT: 1 });
  dynamo.on(GetItemCommand).resolves({});
  dynamo.on(UpdateItemCommand).resolves({ Attributes: { PROGRAM: { N: '2' }, EVENT: { N: '2' } } });
  dynamo.on(QueryCommand).resolves({ Items: [] });
  dynamo.on(QueryCommand, { ExpressionAttributeValues: { ':v0': { S: 'PROGRAM' } } }).resolves({ Items: [toItem(program, 1)] });
  dynamo.on(QueryCommand, { ExpressionAttributeValues: { ':pk': { S: 'PROGRAM' } } }).resolves({ Items: [toItem(program, 1)] });
  dynamo.on(PutItemCommand).resolves({});
  dynamo.on(DeleteItemCommand).resolves({ Attributes: toItem(event, 1) });
});

describe('event query plans', () => {
  const start = parseDateTime('2024-06-01T00:00:00+02:00', 'dateStart');
  const end = parseDateTime('2024-06-30T00:00:00Z', 'dateEnd');

  it.each([
    ['no filter: the EVENT partition, consistently', {}, undefined, '#objectType = :v0', 'EVENT'],
    ['programID: programID-index', { programID: 'prog-1' }, 'programID-index', '#programID = :v0', 'EVENT#prog-1'],
    [
      'date range: objectType-eventStart-index',
      { dateStart: start, dateEnd: end },
      'objectType-eventStart-index',
      '#objectType = :v0 AND #eventStart BETWEEN :v1 AND :v2',
      'EVENT',
    ],
    [
      'programID and range: programID-eventStart-index',
      { programID: 'prog-1', dateStart: start },
      'programID-eventStart-index',
      '#programID = :v0 AND #eventStart >= :v1',
      'EVENT#prog-1',
    ],
    ['end only', { dateEnd: end }, 'objectType-eventStart-index', '#objectType = :v0 AND #eventStart <= :v1', 'EVENT'],
  ])('%s', async (_label, filter, indexName, keyCondition, partitionValue) => {
    await storage().events.list({ skip: 0, limit: 10, ...filter });
    const [call] = queriesTo(partitionValue);
    const input = call.args[0].input;
    expect(input.IndexName).toBe(indexName);
    expect(input.KeyConditionExpression).toBe(keyCondition);
    expect(input.ConsistentRead).toBe(indexName ? undefined : true);
    expect(input.Limit).toBe(10);
    if ('dateStart' in filter) expect(input.ExpressionAttributeValues![':v1'].S).toBe('2024-05-31T22:00:00.000000000Z');
  });

  it('asks for no more items than skip + limit', async () => {
    await storage().events.list({ skip: 20, limit: 5, programID: 'prog-1' });
    expect(queriesTo('EVENT#prog-1')[0].args[0].input.Limit).toBe(25);
  });

  const activeAt = parseDateTime('2024-06-01T00:30:00Z', 'now').toInstant();

  it('reads active events from objectType-eventEnd-index, after every key at now; targets as their entry lists', async () => {
    await storage().events.list({ skip: 0, limit: 10, targets: ['a', 'b'], activeAt });
    for (const list of ['EVENT_TARGET#a', 'EVENT_TARGET#b']) {
      const input = queriesTo(list)[0].args[0].input;
      expect(input.IndexName).toBe('objectType-eventEnd-index');
      expect(input.KeyConditionExpression).toBe('#objectType = :v0 AND #eventEnd > :v1');
      expect(input.FilterExpression).toBeUndefined();
      expect(input.ExpressionAttributeValues![':v1'].S).toBe('2024-06-01T00:30:00.000000000Z#~');
    }
    expect(queriesTo('EVENT')).toHaveLength(0);
  });

  it('filters active events of a program by programID on the end index', async () => {
    await storage().events.list({ skip: 0, limit: 10, programID: 'prog-1', activeAt });
    const input = queriesTo('EVENT')[0].args[0].input;
    expect(input.IndexName).toBe('objectType-eventEnd-index');
    expect(input.FilterExpression).toBe('#programID = :v1');
    expect(input.ExpressionAttributeValues![':v1'].S).toBe('EVENT#prog-1');
  });

  it('keeps a start range on its index and filters activity there', async () => {
    await storage().events.list({ skip: 0, limit: 10, programID: 'prog-1', dateStart: start, activeAt });
    const input = queriesTo('EVENT#prog-1')[0].args[0].input;
    expect(input.IndexName).toBe('programID-eventStart-index');
    expect(input.FilterExpression).toBe('#eventEnd > :v2');
  });
});

describe('subscription query plans', () => {
  it('reads a program’s subscriptions from programID-index, scoped to subscriptions', async () => {
    await storage().subscriptions.list({ skip: 0, limit: 5, programID: 'prog-1', clientName: 'ven-1', objects: ['EVENT'] });
    const input = queriesTo('SUBSCRIPTION#prog-1')[0].args[0].input;
    expect(input.IndexName).toBe('programID-index');
    expect(input.FilterExpression).toBe('#clientName = :v1 AND (contains(#objects, :v2))');
  });

  it('reads the SUBSCRIPTION partition otherwise', async () => {
    await storage().subscriptions.list({ skip: 0, limit: 5 });
    const input = queriesTo('SUBSCRIPTION')[0].args[0].input;
    expect(input.IndexName).toBeUndefined();
    expect(input.KeyConditionExpression).toBe('#objectType = :v0');
  });
});

describe('caches', () => {
  it('serves a repeated program list and event page with zero DynamoDB calls', async () => {
    const vtn = storage();
    await vtn.programs.list({ skip: 0, limit: 50 });
    await vtn.events.list({ skip: 0, limit: 50, programID: 'prog-1' });
    dynamo.resetHistory();
    await vtn.programs.list({ skip: 0, limit: 50 });
    await vtn.programs.get('prog-1');
    await vtn.events.list({ skip: 0, limit: 50, programID: 'prog-1' });
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('keeps a page of active events until its earliest end, ignoring events without one', async () => {
    const at = (ms: number) => new Date(ms).toISOString();
    const endsSoon = hydrate<VtnEvent>('EVENT', { id: 'evt-soon', objectType: 'EVENT', programID: 'prog-1', createdDateTime: NOW, modificationDateTime: NOW, intervalPeriod: { start: at(clockMs), duration: 'PT1M' } });
    const endless = hydrate<VtnEvent>('EVENT', { id: 'evt-endless', objectType: 'EVENT', programID: 'prog-1', createdDateTime: NOW, modificationDateTime: NOW, intervalPeriod: { start: at(clockMs), duration: 'P9999Y' } });
    const activeEvents = (events: VtnEvent[]) =>
      dynamo.on(QueryCommand, { IndexName: 'objectType-eventEnd-index' }).resolves({ Items: events.map((e) => toItem(e, 1)) });
    const activeAt = parseDateTime(at(clockMs), 'now').toInstant();
    const vtn = storage();
    activeEvents([endsSoon, endless]);
    await vtn.events.list({ skip: 0, limit: 10, activeAt });
    clockMs += 59_000;
    await vtn.events.list({ skip: 0, limit: 10, activeAt });
    expect(queriesTo('EVENT')).toHaveLength(1);
    clockMs += 2_000;
    await vtn.events.list({ skip: 0, limit: 10, activeAt });
    expect(queriesTo('EVENT')).toHaveLength(2);

    activeEvents([endless]);
    await vtn.events.list({ skip: 0, limit: 5, activeAt });
    clockMs += 299_000;
    await vtn.events.list({ skip: 0, limit: 5, activeAt });
    expect(queriesTo('EVENT')).toHaveLength(3);
    clockMs += 2_000;
    await vtn.events.list({ skip: 0, limit: 5, activeAt });
    expect(queriesTo('EVENT')).toHaveLength(4);
  });

  it('checks the shared version at most once per coherence window', async () => {
    const vtn = storage();
    await vtn.programs.list({ skip: 0, limit: 50 });
    dynamo.resetHistory();
    clockMs += 1_001;
    await vtn.programs.list({ skip: 0, limit: 50 });
    await vtn.programs.list({ skip: 0, limit: 50 });
    expect(dynamo.commandCalls(BatchGetItemCommand)).toHaveLength(1);
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('drops the caches when another instance has written', async () => {
    const vtn = storage();
    await vtn.programs.list({ skip: 0, limit: 50 });
    cacheVersions({ PROGRAM: 7, EVENT: 1 });
    clockMs += 1_001;
    dynamo.resetHistory();
    await vtn.programs.list({ skip: 0, limit: 50 });
    expect(queriesTo('PROGRAM')).toHaveLength(1);
  });

  type Write = [string, (vtn: DynamoStorage) => Promise<unknown>, 'programs' | 'events'];
  const writes: Write[] = [
    ['event create', (vtn) => vtn.events.create({ ...event, id: 'evt-2' }), 'events'],
    ['event update', (vtn) => vtn.events.update('evt-1', (current) => current), 'events'],
    ['event delete', (vtn) => vtn.events.delete('evt-1'), 'events'],
    ['program delete', (vtn) => vtn.programs.delete('prog-1'), 'events'],
    ['program create', (vtn) => vtn.programs.create({ ...program, id: 'prog-2', programName: 'Other' }), 'programs'],
    ['program update', (vtn) => vtn.programs.update('prog-1', (current) => current), 'programs'],
  ];

  it.each(writes)('%s invalidates locally and bumps the shared version', async (_label, write, cache) => {
    const vtn = storage();
    dynamo.on(GetItemCommand, { Key: { objectType: { S: 'EVENT' }, id: { S: 'evt-1' } } }).resolves({ Item: toItem(event, 3) });
    dynamo.on(GetItemCommand, { Key: { objectType: { S: 'PROGRAM' }, id: { S: 'prog-1' } } }).resolves({ Item: toItem(program, 3) });
    dynamo.on(DeleteItemCommand, { Key: { objectType: { S: 'PROGRAM' }, id: { S: 'prog-1' } } }).resolves({ Attributes: toItem(program, 3) });
    dynamo
      .on(GetItemCommand, { Key: { objectType: { S: 'PROGRAM_NAME' }, id: { S: 'Other' } } })
      .resolves({ Item: { ownerID: { S: 'prog-2' }, claimedAt: { N: String(clockMs) } } });
    await vtn.programs.list({ skip: 0, limit: 50 });
    await vtn.events.list({ skip: 0, limit: 50 });
    await write(vtn);
    expect(dynamo.commandCalls(UpdateItemCommand).some((call) => call.args[0].input.UpdateExpression?.startsWith('ADD'))).toBe(true);
    dynamo.resetHistory();
    if (cache === 'programs') await vtn.programs.list({ skip: 0, limit: 50 });
    else await vtn.events.list({ skip: 0, limit: 50 });
    expect(queriesTo(cache === 'programs' ? 'PROGRAM' : 'EVENT')).toHaveLength(1);
  });

  it("program update drops cached event pages too: a program's targets decide which events a VEN sees", async () => {
    const vtn = storage();
    dynamo.on(GetItemCommand, { Key: { objectType: { S: 'PROGRAM' }, id: { S: 'prog-1' } } }).resolves({ Item: toItem(program, 3) });
    await vtn.programs.list({ skip: 0, limit: 50 });
    await vtn.events.list({ skip: 0, limit: 50 });
    await vtn.programs.update('prog-1', (current) => current);
    const bump = dynamo.commandCalls(UpdateItemCommand).find((call) => call.args[0].input.UpdateExpression?.startsWith('ADD'));
    expect(Object.values(bump!.args[0].input.ExpressionAttributeNames!)).toEqual(['PROGRAM', 'EVENT']);
    dynamo.resetHistory();
    await vtn.events.list({ skip: 0, limit: 50 });
    expect(queriesTo('EVENT')).toHaveLength(1);
  });
});

describe('service errors', () => {
  it('turns throttling into a retryable StorageUnavailableError', async () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    dynamo.on(GetItemCommand).rejects(throttled);
    await expect(storage().subscriptions.get('s-1')).rejects.toBeInstanceOf(StorageUnavailableError);
  });

  it('lets other failures through unchanged', async () => {
    dynamo.on(GetItemCommand).rejects(Object.assign(new Error('bad'), { name: 'ValidationException' }));
    await expect(storage().subscriptions.get('s-1')).rejects.toThrow('bad');
  });
});
