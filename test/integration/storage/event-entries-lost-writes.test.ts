/**
 * An event update that does not land (its write fails, or it loses every race) has put target
 * entries for its next version beforehand, with copies (program, start) the event does not get.
 * It takes them back, so that lists keyed or filtered by those copies still find the event.
 */
import { Temporal } from 'temporal-polyfill';
import type { DynamoStorage } from '../../../lambdas/core/storage/dynamo/dynamo-storage';
import { TestDatabase } from '../../support/database';
import { interceptedClient, partition } from '../../support/intercept';
import { aProgram, anEvent, recordCommands } from '../../support/fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

const LEASE_MS = 30_000;

async function seenBy(storage: DynamoStorage, targets: string[], extra: object = {}): Promise<string[]> {
  return (await storage.events.list({ skip: 0, limit: 100, audience: { targets }, ...extra })).map((event) => event.id);
}

describe('an update that does not land', () => {
  it('failing on its write, leaves the event visible to VENs that cannot see the program it was moving to', async () => {
    const tableName = await db.freshTable();
    const state = { armed: false };
    const writer = db.storage(tableName, {
      eventCacheTtlMs: 0,
      client: interceptedClient(db.endpoint, (command, input, send) =>
        state.armed && command === 'PutItemCommand' && input.Item?.objectType?.S === 'EVENT'
          ? Promise.reject(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $retryable: { throttling: true } }))
          : send(),
      ),
    });
    const home = await writer.programs.create(aProgram());
    const elsewhere = await writer.programs.create(aProgram({ targets: ['x'] }));
    const event = await writer.events.create(anEvent(home.id, { targets: ['a'] }));
    const reader = db.storage(tableName, { eventCacheTtlMs: 0 });
    expect(await seenBy(reader, ['a'])).toEqual([event.id]);

    state.armed = true;
    await expect(writer.events.update(event.id, (current) => ({ ...current, programID: elsewhere.id }))).rejects.toThrow();
    state.armed = false;
    // The event is as it was: in `home`, targeted at a.
    expect((await reader.events.get(event.id)).programID).toBe(home.id);
    const entry = (await partition(db.client, tableName, 'EVENT_TARGET#a')).find((item) => item.id.S === event.id);

    // The VEN granted a still sees it, now and after the lease.
    const later = db.storage(tableName, { eventCacheTtlMs: 0, clock: () => Date.now() + LEASE_MS + 1_000 });
    const now = await seenBy(reader, ['a']);
    const afterLease = await seenBy(later, ['a']);
    const byProgram = await seenBy(later, ['a'], { programID: home.id });
    expect({ now, afterLease, byProgram }).toEqual({ now: [event.id], afterLease: [event.id], byProgram: [event.id] });
  });

  it('failing on its write, then followed by an update keeping the program, leaves the event visible', async () => {
    const tableName = await db.freshTable();
    const state = { armed: false };
    const writer = db.storage(tableName, {
      eventCacheTtlMs: 0,
      client: interceptedClient(db.endpoint, (command, input, send) =>
        state.armed && command === 'PutItemCommand' && input.Item?.objectType?.S === 'EVENT' ? Promise.reject(new Error('function killed')) : send(),
      ),
    });
    const home = await writer.programs.create(aProgram());
    const elsewhere = await writer.programs.create(aProgram({ targets: ['x'] }));
    const event = await writer.events.create(anEvent(home.id, { targets: ['a'] }));
    state.armed = true;
    await expect(writer.events.update(event.id, (current) => ({ ...current, programID: elsewhere.id }))).rejects.toThrow();
    state.armed = false;
    // The BL gives up the move and renames the event instead: a clean, successful write.
    await writer.events.update(event.id, (current) => ({ ...current, eventName: 'renamed' }));
    const later = db.storage(tableName, { eventCacheTtlMs: 0, clock: () => Date.now() + LEASE_MS + 1_000 });
    expect(await seenBy(later, ['a'])).toEqual([event.id]);
  });

  it('losing five races in a row (409) to another instance, leaves the event visible', async () => {
    const tableName = await db.freshTable();
    const other = db.storage(tableName, { eventCacheTtlMs: 0 });
    const home = await other.programs.create(aProgram());
    const elsewhere = await other.programs.create(aProgram({ targets: ['x'] }));
    const event = await other.events.create(anEvent(home.id, { targets: ['a'] }));
    let renames = 0;
    // Before each of the mover's event writes, another instance's rename commits first.
    const mover = db.storage(tableName, {
      eventCacheTtlMs: 0,
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (command === 'PutItemCommand' && input.Item?.objectType?.S === 'EVENT') {
          await other.events.update(event.id, (current) => ({ ...current, eventName: `rename-${++renames}` }));
        }
        return send();
      }),
    });
    await expect(mover.events.update(event.id, (current) => ({ ...current, programID: elsewhere.id }))).rejects.toThrow(/concurrently/);
    expect((await other.events.get(event.id)).programID).toBe(home.id);
    const later = db.storage(tableName, { eventCacheTtlMs: 0, clock: () => Date.now() + LEASE_MS + 1_000 });
    expect({ renames, seen: await seenBy(later, ['a']) }).toEqual({ renames: 5, seen: [event.id] });
  });

  it('moving the start and losing five races, leaves an active event in active=true lists', async () => {
    const tableName = await db.freshTable();
    const other = db.storage(tableName, { eventCacheTtlMs: 0 });
    const home = await other.programs.create(aProgram());
    const start = new Date(Date.now() - 30 * 60_000).toISOString(); // active now: started 30 min ago, lasts 1 h
    const event = await other.events.create(anEvent(home.id, { targets: ['a'], intervalPeriod: { start, duration: 'PT1H' } }));
    let renames = 0;
    const mover = db.storage(tableName, {
      eventCacheTtlMs: 0,
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (command === 'PutItemCommand' && input.Item?.objectType?.S === 'EVENT') {
          await other.events.update(event.id, (current) => ({ ...current, eventName: `rename-${++renames}` }));
        }
        return send();
      }),
    });
    // Moving it to yesterday loses every race (409); the event stays active.
    await expect(
      mover.events.update(event.id, (current) => ({ ...current, intervalPeriod: { ...current.intervalPeriod!, start: current.intervalPeriod!.start!.subtract({ hours: 24 }) } })),
    ).rejects.toThrow(/concurrently/);
    const reader = db.storage(tableName, { eventCacheTtlMs: 0, clock: () => Date.now() + LEASE_MS + 1_000 });
    const active = await seenBy(reader, ['a'], { activeAt: Temporal.Now.instant() });
    const bl = (await reader.events.list({ skip: 0, limit: 10, activeAt: Temporal.Now.instant() })).map((e) => e.id);
    // What repairs it: a VEN list without a range or `active` (the entry's version is the event's).
    await seenBy(reader, ['a']);
    const activeAfterPlainList = await seenBy(reader, ['a'], { activeAt: Temporal.Now.instant() });
    expect({ bl, active }).toEqual({ bl: [event.id], active: [event.id] });
  });
});

describe('an update that landed', () => {
  it("leaves entries a list checks once, then drops by their program copy again", async () => {
    const tableName = await db.freshTable();
    const writer = db.storage(tableName);
    const hidden = await writer.programs.create(aProgram({ targets: ['x'] }));
    const event = await writer.events.create(anEvent(hidden.id, { targets: ['a'] }));
    await writer.events.update(event.id, (current) => ({ ...current, eventName: 'renamed', targets: ['a', 'b'] }));
    const client = db.client;
    const reader = db.storage(tableName, { eventCacheTtlMs: 0 });
    const recorder = recordCommands(client);
    try {
      // Event fetches, not the cache-version check (also a BatchGetItem).
      const eventFetches = () => recorder.calls.filter((call) => call.name === 'BatchGetItemCommand' && !JSON.stringify(call.input).includes('META#')).length;
      const batchGets = async () => {
        const before = eventFetches();
        expect(await seenBy(reader, ['b'])).toEqual([]);
        return eventFetches() - before;
      };
      // The entry the update put for b is checked against its event once, then made plain.
      expect(await batchGets()).toBe(1);
      expect(await batchGets()).toBe(0);
    } finally {
      recorder.stop();
    }
  });
});
