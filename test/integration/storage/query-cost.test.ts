import { Temporal } from 'temporal-polyfill';
import { writeAll } from '../../../bench/seed';
import type { VtnEvent } from '../../../lambdas/core/openadr/types';
import type { DynamoStorage } from '../../../lambdas/core/storage/dynamo/dynamo-storage';
import { TestDatabase } from '../../support/database';
import { aProgram, anEvent, recordCommands } from '../../support/fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

/** What one call costs: its Query requests and the items they asked for. */
async function cost<T>(work: () => Promise<T>): Promise<{ result: T; queries: number; asked: number }> {
  const recorder = recordCommands(db.client);
  try {
    const result = await work();
    const queries = recorder.calls.filter((call) => call.name === 'QueryCommand');
    return { result, queries: queries.length, asked: queries.reduce((sum, call) => sum + (call.input.Limit as number), 0) };
  } finally {
    recorder.stop();
  }
}

describe('the cost of filtered event queries', () => {
  const EVENTS = 2_000;
  const RUNNING = 20;
  let tableName: string;
  let programID: string;
  let storage: DynamoStorage;

  // Hourly events in creation order, all but the last RUNNING of them ended.
  beforeAll(async () => {
    tableName = await db.freshTable();
    const program = aProgram();
    programID = program.id;
    const now = Temporal.Now.instant();
    const events = Array.from({ length: EVENTS }, (_, index) =>
      anEvent(program.id, {
        targets: ['feeder-1'],
        intervalPeriod: { start: now.add({ hours: index - EVENTS + RUNNING }).toString(), duration: 'PT1H' },
      }),
    );
    await writeAll(db.client, tableName, [program, ...events]);
    storage = db.storage(tableName, { eventCacheTtlMs: 0 });
    await storage.programs.list({ skip: 0, limit: 1 });
  });

  it('a targets filter that matches nothing reads the key range in a handful of requests', async () => {
    const { result, queries } = await cost(() => storage.events.list({ skip: 0, limit: 1, programID, targets: ['nomatch'] }));
    expect(result).toEqual([]);
    expect(queries).toBeLessThanOrEqual(6);
  });

  it('a filter that matches much reads little past the page', async () => {
    const { result, queries, asked } = await cost(() => storage.events.list({ skip: 0, limit: 10, programID, targets: ['feeder-1'] }));
    expect(result).toHaveLength(10);
    expect({ queries, asked }).toEqual({ queries: 1, asked: 10 });
  });

  it('active events cost what the page holds, not the ended history', async () => {
    const activeAt = Temporal.Now.instant();
    const { result, queries, asked } = await cost(() => storage.events.list({ skip: 0, limit: 10, activeAt }));
    expect(result).toHaveLength(10);
    expect({ queries, asked }).toEqual({ queries: 1, asked: 10 });
    const all = await storage.events.list({ skip: 0, limit: 50, activeAt });
    expect(all.length).toBeGreaterThanOrEqual(RUNNING - 1);
    expect(all.length).toBeLessThanOrEqual(RUNNING);
  });
});

describe('the event page cache', () => {
  it('keeps many pages of large events within its byte budget', async () => {
    const tableName = await db.freshTable();
    const program = aProgram();
    // Ten events of about 100 KB each; a page of two is about 200 KB.
    const large = (index: number): VtnEvent =>
      anEvent(program.id, { eventName: `large-${index}`, intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: Array(12_000).fill(0.12345) }] }] });
    await writeAll(db.client, tableName, [program, ...Array.from({ length: 10 }, (_, index) => large(index))]);
    const storage = db.storage(tableName, { eventCacheMaxBytes: 450_000 });
    const page = (skip: number) => storage.events.list({ skip, limit: 2 });
    for (let skip = 0; skip < 10; skip += 2) expect(await page(skip)).toHaveLength(2);
    // Two pages fit the budget: the two latest are served from memory, older ones were evicted.
    expect((await cost(() => page(8))).queries).toBe(0);
    expect((await cost(() => page(6))).queries).toBe(0);
    expect((await cost(() => page(0))).queries).toBe(1);
  });
});
