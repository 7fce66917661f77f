import { BatchGetItemCommand, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { Logger } from '../../../../lambdas/core/logger';
import { CacheCoherence, COHERENCE_SHARDS, coherenceShardKey, type CachedKind } from '../../../../lambdas/core/storage/dynamo/coherence';
import { DynamoGateway } from '../../../../lambdas/core/storage/dynamo/gateway';

const dynamo = mockClient(DynamoDBClient);
const throttled = () => Object.assign(new Error('slow down'), { name: 'ThrottlingException' });

function coherence(shard = 0) {
  let now = 0;
  const invalidated: CachedKind[] = [];
  const logged: string[] = [];
  const instance = new CacheCoherence(
    new DynamoGateway(new DynamoDBClient({ region: 'local' }), 'vtn'),
    1_000,
    () => now,
    new Logger('warn', {}, (line) => logged.push(line)),
    (kind) => invalidated.push(kind),
    () => shard,
  );
  return { instance, invalidated, logged, advance: (ms: number) => (now += ms) };
}

function shards(counts: Record<number, Record<string, number>>) {
  const items = Object.entries(counts).map(([shard, kinds]) => ({
    ...coherenceShardKey(Number(shard)),
    ...Object.fromEntries(Object.entries(kinds).map(([kind, n]) => [kind, { N: String(n) }])),
  }));
  dynamo.on(BatchGetItemCommand).resolves({ Responses: { vtn: items } });
}

beforeEach(() => dynamo.reset());

test('reads every shard in one request and notices a bump on any of them', async () => {
  const { instance, invalidated, advance } = coherence();
  shards({ 0: { PROGRAM: 3 } });
  await instance.ensureFresh();
  expect(dynamo.commandCalls(BatchGetItemCommand)[0].args[0].input.RequestItems?.vtn.Keys).toHaveLength(COHERENCE_SHARDS);
  shards({ 0: { PROGRAM: 3 }, [COHERENCE_SHARDS - 1]: { EVENT: 1 } });
  advance(1_001);
  await instance.ensureFresh();
  expect(invalidated).toEqual(['EVENT']);
});

test('rereads keys the database left unprocessed', async () => {
  const { instance } = coherence();
  dynamo
    .on(BatchGetItemCommand)
    .resolvesOnce({ Responses: { vtn: [] }, UnprocessedKeys: { vtn: { Keys: [coherenceShardKey(1)] } } })
    .resolves({ Responses: { vtn: [] } });
  await instance.ensureFresh();
  expect(dynamo.commandCalls(BatchGetItemCommand)).toHaveLength(2);
  expect(dynamo.commandCalls(BatchGetItemCommand)[1].args[0].input.RequestItems?.vtn.Keys).toEqual([coherenceShardKey(1)]);
});

test('a throttled shard hands the bump to the next one', async () => {
  const { instance, logged } = coherence(2);
  dynamo.on(UpdateItemCommand, { Key: coherenceShardKey(2) }).rejects(throttled());
  dynamo.on(UpdateItemCommand, { Key: coherenceShardKey(3 % COHERENCE_SHARDS) }).resolves({ Attributes: { PROGRAM: { N: '1' } } });
  await instance.recordWrite(['PROGRAM']);
  expect(dynamo.commandCalls(UpdateItemCommand).map((call) => call.args[0].input.Key)).toEqual([coherenceShardKey(2), coherenceShardKey(3 % COHERENCE_SHARDS)]);
  expect(logged).toEqual([]);
});

test('a bump no shard takes is logged, and the write is not failed', async () => {
  const { instance, invalidated, logged } = coherence();
  dynamo.on(UpdateItemCommand).rejects(throttled());
  await expect(instance.recordWrite(['EVENT'])).resolves.toBeUndefined();
  expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(COHERENCE_SHARDS);
  expect(JSON.parse(logged[0])).toMatchObject({ level: 'error', message: 'cache version bump failed' });
  expect(invalidated).toContain('EVENT');
});
