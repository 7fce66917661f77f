/**
 * What event lists and writes cost with target entries: requests, items read and read units
 * (dynalite reports consumed capacity as DynamoDB would count it).
 */
import { Temporal } from 'temporal-polyfill';
import { writeAll } from '../../../bench/seed';
import type { VtnEvent } from '../../../lambdas/core/openadr/types';
import type { DynamoStorage } from '../../../lambdas/core/storage/dynamo/dynamo-storage';
import type { EventQuery } from '../../../lambdas/core/storage/port';
import { TestDatabase } from '../../support/database';
import { interceptedClient } from '../../support/intercept';
import { aProgram, anEvent } from '../../support/fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

interface Call {
  command: string;
  input: Record<string, unknown> & { Key?: Record<string, { S?: string }>; Item?: Record<string, { S?: string }> };
  output: { ScannedCount?: number; Count?: number; ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] };
}

/** A storage instance whose every request is recorded with its answer and the capacity it consumed. */
function metered(tableName: string, options = {}): { storage: DynamoStorage; calls: Call[] } {
  const calls: Call[] = [];
  const client = interceptedClient(db.endpoint, async (command, input, send) => {
    input.ReturnConsumedCapacity = 'TOTAL';
    const result = (await send()) as { output: Call['output'] };
    calls.push({ command, input, output: result.output });
    return result;
  });
  return { storage: db.storage(tableName, { client, eventCacheTtlMs: 0, ...options }), calls };
}

/** Requests of the list itself: not the once-a-second cache-version check. */
function summary(all: Call[]) {
  const calls = all.filter((call) => !JSON.stringify(call.input).includes('META#'));
  const units = (call: Call) => [call.output.ConsumedCapacity ?? []].flat().reduce((sum, used) => sum + (used.CapacityUnits ?? 0), 0);
  const queries = calls.filter((call) => call.command === 'QueryCommand');
  return {
    requests: calls.length,
    queries: queries.length,
    batchGets: calls.filter((call) => call.command === 'BatchGetItemCommand').length,
    itemsRead: queries.reduce((sum, call) => sum + (call.output.ScannedCount ?? 0), 0),
    readUnits: calls.reduce((sum, call) => sum + units(call), 0),
  };
}

async function costOf(calls: Call[], work: () => Promise<unknown>) {
  calls.splice(0);
  await work();
  return summary(calls);
}

describe('a VEN that sees 20 of thousands of events', () => {
  const SEEN = 20;
  let tableName: string;
  let open: string;
  let other: string;
  const now = Temporal.Now.instant();
  const others = (count: number, offset: number): VtnEvent[] =>
    Array.from({ length: count }, (_, index) =>
      anEvent(other, {
        targets: [`feeder-${index % 10}`],
        intervalPeriod: { start: now.add({ minutes: (offset + index) * 7 - 3000 }).toString(), duration: 'PT2H' },
      }),
    );

  beforeAll(async () => {
    tableName = await db.freshTable();
    const openProgram = aProgram();
    const otherProgram = aProgram({ targets: ['feeder-0'] });
    open = openProgram.id;
    other = otherProgram.id;
    const seen = Array.from({ length: SEEN }, (_, index) =>
      anEvent(open, {
        targets: index % 2 === 0 ? ['ven-a'] : undefined,
        intervalPeriod: { start: now.add({ minutes: index * 60 - 600 }).toString(), duration: 'PT2H' },
      }),
    );
    await writeAll(db.client, tableName, [openProgram, otherProgram, ...seen, ...others(2_000, 0)]);
  });

  const queries: Record<string, EventQuery> = {
    all: { skip: 0, limit: 50, audience: { targets: ['ven-a'] } },
    active: { skip: 0, limit: 50, audience: { targets: ['ven-a'] }, activeAt: Temporal.Now.instant() },
    range: { skip: 0, limit: 50, audience: { targets: ['ven-a'] }, dateStart: now.subtract({ hours: 5 }).toZonedDateTimeISO('UTC') },
  };

  it('reads what it sees, however many other events there are', async () => {
    const { storage, calls } = metered(tableName);
    await storage.programs.list({ skip: 0, limit: 1 });
    const before: Record<string, unknown> = {};
    for (const [name, query] of Object.entries(queries)) before[name] = await costOf(calls, () => storage.events.list(query));
    expect(await storage.events.list(queries.all)).toHaveLength(SEEN);
    expect(before.all).toMatchObject({ queries: 2, batchGets: 1, itemsRead: SEEN });

    await writeAll(db.client, tableName, others(2_000, 2_000));
    for (const [name, query] of Object.entries(queries)) {
      expect({ name, cost: await costOf(calls, () => storage.events.list(query)) }).toEqual({ name, cost: before[name] });
    }
  });

  it('a BL targets filter matching nothing costs one request and no events read', async () => {
    const { storage, calls } = metered(tableName);
    await storage.programs.list({ skip: 0, limit: 1 });
    const cost = await costOf(calls, () => storage.events.list({ skip: 0, limit: 10, targets: ['nomatch'] }));
    expect(cost).toMatchObject({ queries: 1, batchGets: 0, itemsRead: 0 });
  });

  it('a BL targets filter costs what the target holds, not the table', async () => {
    const { storage, calls } = metered(tableName);
    await storage.programs.list({ skip: 0, limit: 1 });
    const rare = await costOf(calls, () => storage.events.list({ skip: 0, limit: 10, targets: ['ven-a'] }));
    expect(rare).toMatchObject({ queries: 1, batchGets: 1, itemsRead: SEEN / 2 });
    // A target of 400 events (of 4,000) none of which is in the program: its entries only, in
    // growing pages, in DynamoDB's 4 KB read units (strongly consistent).
    const none = await costOf(calls, () => storage.events.list({ skip: 0, limit: 10, programID: open, targets: ['feeder-3'] }));
    expect(none).toMatchObject({ batchGets: 0, itemsRead: 400 });
    expect(none.queries).toBeLessThanOrEqual(5);
    expect(none.readUnits).toBeLessThan(40);
  });
});

describe('what an event write costs', () => {
  it('in requests, entries included', async () => {
    const tableName = await db.freshTable();
    const { storage, calls } = metered(tableName, { indexSettleMs: 0 });
    const program = await storage.programs.create(aProgram());
    await storage.events.list({ skip: 0, limit: 1 });
    const entryRequests = (list: Call[]) =>
      list.filter((call) => /^EVENT_(TARGET#|UNTARGETED)/.test((call.input.Item ?? call.input.Key)?.objectType?.S ?? '')).length;
    const measure = async (work: () => Promise<unknown>) => {
      calls.splice(0);
      await work();
      return { requests: calls.length, entryRequests: entryRequests(calls) };
    };
    const event = anEvent(program.id, { targets: ['a'] });
    const costs = {
      create: await measure(() => storage.events.create(event)),
      updateSameTargets: await measure(() => storage.events.update(event.id, (current) => ({ ...current, eventName: 'renamed' }))),
      updateAddTarget: await measure(() => storage.events.update(event.id, (current) => ({ ...current, targets: ['a', 'b'] }))),
      updateMoveTarget: await measure(() => storage.events.update(event.id, (current) => ({ ...current, targets: ['b'] }))),
      delete: await measure(() => storage.events.delete(event.id)),
    };
    expect(costs).toEqual({
      // entries put, event put, program check, cache-version bump
      create: { requests: 4, entryRequests: 1 },
      // event read, event put, program check, bump: the entries stand as they are
      updateSameTargets: { requests: 4, entryRequests: 0 },
      // b's entry put; a's stands as it is
      updateAddTarget: { requests: 5, entryRequests: 1 },
      // a's entry deleted after the write; b's stands
      updateMoveTarget: { requests: 5, entryRequests: 1 },
      // event read, tombstone put, bump, entry deleted
      delete: { requests: 4, entryRequests: 1 },
    });
  });

  it('waits until the start and end indexes show the entries it put, as for the event itself', async () => {
    const tableName = await db.freshTable();
    const { storage, calls } = metered(tableName);
    const program = await storage.programs.create(aProgram());
    const entryIndexChecks = () =>
      calls.filter((call) => call.command === 'QueryCommand' && call.input.IndexName && JSON.stringify(call.input.ExpressionAttributeValues).includes('EVENT_TARGET#')).map((call) => call.input.IndexName);
    calls.splice(0);
    const event = await storage.events.create(anEvent(program.id, { targets: ['a', 'b'], intervalPeriod: { start: '2026-03-01T00:00:00Z', duration: 'PT1H' } }));
    expect(entryIndexChecks().sort()).toEqual(['objectType-eventEnd-index', 'objectType-eventEnd-index', 'objectType-eventStart-index', 'objectType-eventStart-index']);
    calls.splice(0);
    await storage.events.update(event.id, (current) => ({ ...current, eventName: 'renamed' }));
    expect(entryIndexChecks()).toEqual([]);
  });
});
