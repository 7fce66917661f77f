import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { Logger } from '../../../lambdas/core/logger';
import { localDynamoClient } from '../../../local/embedded-dynamodb';
import { TestDatabase } from '../../support/database';
import { checkInvariants, report } from '../../support/fault-invariants';
import { Workload } from '../../support/fault-workload';
import { faultPlan, faultSeeds, FaultProxy, TRACE_HEADER, type FaultPlan } from '../../support/faults';
import { VtnInstance } from '../../support/vtn-instance';

/**
 * The VTN under DynamoDB faults: throttling, failures before a request is applied, and lost
 * answers of requests that were applied (the SDK then retries a conditional write that already
 * succeeded). A proxy between the VTN's DynamoDB clients and dynalite injects them; the AWS SDK
 * retries as it does in Lambda. Replay a seed with FAULT_SEED=<seed> (several: FAULT_SEED=1,2,3).
 */

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

describe('the fault proxy', () => {
  let proxy: FaultProxy;
  let tableName: string;
  afterEach(() => proxy.close());

  /** A client as the runtime builds it (maxAttempts 3), or one that does not retry. */
  async function start(plan: FaultPlan, seed = 1, maxAttempts = 3) {
    tableName = await db.freshTable();
    proxy = await FaultProxy.start({ target: db.endpoint, seed, plan });
    return maxAttempts === 3
      ? localDynamoClient(proxy.endpoint)
      : new DynamoDBClient({ endpoint: proxy.endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts });
  }
  const item = (id: string) => ({ objectType: { S: 'PROBE' }, id: { S: id } });
  const stored = async (id: string) => (await db.client.send(new GetItemCommand({ TableName: tableName, Key: item(id), ConsistentRead: true }))).Item;

  it('throttles without forwarding, as DynamoDB does (the SDK sees a throttling error and retries)', async () => {
    const client = await start({ PutItem: { throttle: 1 } });
    const failure = await client.send(new PutItemCommand({ TableName: tableName, Item: item('a') })).catch((error: unknown) => error);
    client.destroy();
    expect(failure).toMatchObject({ name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400, attempts: 3 } });
    expect(proxy.counters).toMatchObject({ forwarded: 0, injected: { throttle: 3 } });
    expect(await stored('a')).toBeUndefined();
  });

  it('fails before applying: nothing reaches the server', async () => {
    const client = await start({ PutItem: { before: 1 } });
    await expect(client.send(new PutItemCommand({ TableName: tableName, Item: item('b') }))).rejects.toMatchObject({
      name: 'InternalServerError',
      $metadata: { httpStatusCode: 500, attempts: 3 },
    });
    client.destroy();
    expect(proxy.counters.forwarded).toBe(0);
    expect(await stored('b')).toBeUndefined();
  });

  it('loses the answer after applying: the retry of a conditional put fails on its own first attempt', async () => {
    const client = await start({});
    proxy.inject('PutItem', 'after');
    const put = new PutItemCommand({ TableName: tableName, Item: item('c'), ConditionExpression: 'attribute_not_exists(id)' });
    await expect(client.send(put)).rejects.toMatchObject({ name: 'ConditionalCheckFailedException', $metadata: { attempts: 2 } });
    client.destroy();
    expect(await stored('c')).toBeDefined();
    expect(proxy.log.map((entry) => [entry.fault, entry.upstreamStatus, entry.upstreamError])).toEqual([
      ['after', 200, undefined],
      ['none', 400, 'ConditionalCheckFailedException'],
    ]);
  });

  it('adds latency, draws from its seed (per trace when requests carry one), and can be switched off', async () => {
    const decisions = async (seed: number) => {
      const client = await start({ GetItem: { throttle: 0.3, before: 0.3, latencyRate: 1, latencyMs: 5 } }, seed, 1);
      for (let i = 0; i < 12; i++) await client.send(new GetItemCommand({ TableName: tableName, Key: item('x') })).catch(() => undefined);
      client.destroy();
      const seen = proxy.log.map((entry) => entry.fault);
      expect(proxy.counters.delayed).toBe(proxy.counters.forwarded);
      await proxy.close();
      return seen;
    };
    const first = await decisions(7);
    expect(first).toEqual(await decisions(7));
    expect(first).not.toEqual(await decisions(8));

    // A traced request's fault depends on the seed, its trace and its rank in that trace, not on other traffic.
    const tracedFaults = async (order: string[]) => {
      await start({ GetItem: { throttle: 0.5 } }, 3);
      for (const trace of order) {
        await fetch(proxy.endpoint, { method: 'POST', headers: { 'x-amz-target': 'DynamoDB_20120810.GetItem', [TRACE_HEADER]: trace }, body: '{}' });
      }
      const seen = proxy.log.filter((entry) => entry.trace === 'c1.1').map((entry) => entry.fault);
      await proxy.close();
      return seen;
    };
    expect(await tracedFaults(['c1.1', 'c2.1', 'c1.1', 'c2.1', 'c1.1', 'c1.1'])).toEqual(await tracedFaults(['c2.1', 'c2.1', 'c1.1', 'c1.1', 'c1.1', 'c1.1']));

    const client = await start({ PutItem: { before: 1 } });
    proxy.enabled = false;
    await client.send(new PutItemCommand({ TableName: tableName, Item: item('d') }));
    client.destroy();
    expect(await stored('d')).toBeDefined();
    expect(proxy.counters.injected).toEqual({ throttle: 0, before: 0, after: 0 });
  });
});

/** About 20% of writes and 12% of reads fault; most throttles, the rest fail before or lose their answer. */
const WORKLOAD_FAULTS = faultPlan({
  reads: { throttle: 0.08, before: 0.04, latencyRate: 0.2, latencyMs: 10 },
  writes: { throttle: 0.06, before: 0.04, after: 0.1, latencyRate: 0.2, latencyMs: 10 },
});
const PLAN_TEXT = 'reads: 8% throttled, 4% failed before; writes: 6% throttled, 4% failed before, 10% answer lost after applying; 20% delayed up to 10 ms';

const NAME_CLAIM_LEASE_MS = 1_000;
const COHERENCE_MS = 250;

describe('a mixed workload on two instances under DynamoDB faults', () => {
  for (const seed of faultSeeds([1, 2, 3])) {
    it(`keeps every promise it made (seed ${seed})`, async () => {
      const tableName = await db.freshTable();
      const proxy = await FaultProxy.start({ target: db.endpoint, seed, plan: WORKLOAD_FAULTS });
      const instances = ['A', 'B'].map(
        (name) =>
          new VtnInstance(name, proxy.endpoint, tableName, {
            nameClaimLeaseMs: NAME_CLAIM_LEASE_MS,
            coherenceMs: COHERENCE_MS,
            indexSettleMs: 200,
            logger: new Logger('silent'),
          }),
      );
      const namePool = ['contested-0', 'contested-1', 'contested-2', 'contested-3'];
      const workload = new Workload(instances, { seed, clients: 6, operationsPerClient: 25, namePool, deadlineMs: 12_000 }, () => proxy.elapsed());
      const startedAt = performance.now();
      try {
        await workload.run();
        const durationMs = performance.now() - startedAt;
        proxy.enabled = false;
        const violations = await checkInvariants({
          workload,
          proxy,
          instances,
          direct: db.client,
          tableName,
          namePool,
          nameClaimLeaseMs: NAME_CLAIM_LEASE_MS,
          coherenceMs: COHERENCE_MS,
        });
        if (violations.length > 0) {
          const replay = `FAULT_SEED=${seed} npx jest test/integration/storage/faults.test.ts -t 'seed ${seed}'`;
          throw new Error(report(violations, { seed, plan: PLAN_TEXT, replay, workload, proxy, durationMs }));
        }
      } finally {
        for (const instance of instances) instance.close();
        await proxy.close();
      }
    }, 90_000);
  }
});
