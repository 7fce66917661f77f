/**
 * Keeping target entries right without transactions: writes, deletes, the program purge, two
 * instances racing, and a function that dies between its writes.
 */
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import type { VtnEvent } from '../../../lambdas/core/openadr/types';
import { EventTargets } from '../../../lambdas/core/storage/dynamo/event-targets';
import { DynamoGateway } from '../../../lambdas/core/storage/dynamo/gateway';
import { toItem } from '../../../lambdas/core/storage/dynamo/item-codec';
import { Logger } from '../../../lambdas/core/logger';
import { ConflictError, NotFoundError } from '../../../lambdas/core/errors';
import type { DynamoStorage } from '../../../lambdas/core/storage/dynamo/dynamo-storage';
import { TestDatabase } from '../../support/database';
import { gate, interceptedClient, partition } from '../../support/intercept';
import { aProgram, anEvent } from '../../support/fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

const TARGETS = ['a', 'b', 'c'];
const LEASE_MS = 30_000;

/** The lists holding an entry for the event, read straight from the table. */
async function entriesOf(tableName: string, eventID: string): Promise<string[]> {
  const lists = [...TARGETS.map((target) => `EVENT_TARGET#${target}`), 'EVENT_UNTARGETED'];
  const found: string[] = [];
  for (const list of lists) if ((await partition(db.client, tableName, list)).some((item) => item.id.S === eventID)) found.push(list);
  return found;
}

function expectedLists(event: Pick<VtnEvent, 'targets'> | undefined): string[] {
  if (!event) return [];
  return event.targets?.length ? TARGETS.filter((target) => event.targets!.includes(target)).map((target) => `EVENT_TARGET#${target}`) : ['EVENT_UNTARGETED'];
}

/** Which events a VEN granted `target` sees (with a fresh cache). */
async function seenBy(storage: DynamoStorage, target: string, extra: object = {}): Promise<string[]> {
  return (await storage.events.list({ skip: 0, limit: 100, audience: { targets: [target] }, ...extra })).map((event) => event.id);
}

/** A storage whose requests can be failed: `failWhen` returning true kills the request before it is sent. */
function failing(tableName: string, failWhen: (command: string, input: { Key?: Record<string, { S?: string }>; Item?: Record<string, { S?: string }> }) => boolean, options = {}) {
  const state = { armed: false };
  const storage = db.storage(tableName, {
    eventCacheTtlMs: 0,
    ...options,
    client: interceptedClient(db.endpoint, (command, input, send) =>
      state.armed && failWhen(command, input) ? Promise.reject(new Error('function killed')) : send(),
    ),
  });
  return { storage, state };
}

const isEventPut = (command: string, input: { Item?: Record<string, { S?: string }> }) => command === 'PutItemCommand' && input.Item?.objectType?.S === 'EVENT';

/** The function dies at the first request `when` picks: that one and every later one fail. */
function dyingAt(when: typeof isEventPut): typeof isEventPut {
  let dead = false;
  return (command, input) => (dead ||= when(command, input));
}

describe('event writes keep the entries', () => {
  let tableName: string;
  let storage: DynamoStorage;
  let programID: string;
  beforeAll(async () => {
    tableName = await db.freshTable();
    storage = db.storage(tableName, { eventCacheTtlMs: 0 });
    programID = (await storage.programs.create(aProgram())).id;
  });

  it('an update changing targets moves the event between VENs; untargeted and back', async () => {
    const event = await storage.events.create(anEvent(programID, { targets: ['a'] }));
    expect(await seenBy(storage, 'a')).toContain(event.id);
    await storage.events.update(event.id, (current) => ({ ...current, targets: ['b', 'c'] }));
    expect(await seenBy(storage, 'a')).not.toContain(event.id);
    expect(await seenBy(storage, 'b')).toContain(event.id);
    expect(await entriesOf(tableName, event.id)).toEqual(['EVENT_TARGET#b', 'EVENT_TARGET#c']);
    await storage.events.update(event.id, (current) => ({ ...current, targets: null }));
    expect(await entriesOf(tableName, event.id)).toEqual(['EVENT_UNTARGETED']);
    expect(await seenBy(storage, 'a')).toContain(event.id);
    await storage.events.update(event.id, (current) => ({ ...current, targets: ['c'] }));
    expect(await entriesOf(tableName, event.id)).toEqual(['EVENT_TARGET#c']);
    expect(await seenBy(storage, 'a')).not.toContain(event.id);
  });

  it('a delete removes the entries', async () => {
    const event = await storage.events.create(anEvent(programID, { targets: ['a', 'b'] }));
    await storage.events.delete(event.id);
    expect(await entriesOf(tableName, event.id)).toEqual([]);
    expect(await seenBy(storage, 'a')).not.toContain(event.id);
  });

  it("a program's delete purges its events' entries", async () => {
    const leaving = await storage.programs.create(aProgram());
    const events = await Promise.all([['a'], ['b', 'c'], undefined].map((targets) => storage.events.create(anEvent(leaving.id, { targets }))));
    await storage.programs.delete(leaving.id);
    for (const event of events) expect(await entriesOf(tableName, event.id)).toEqual([]);
  });

  it("a program's targets decide at once, and on other instances within the bound, which of its events a VEN sees", async () => {
    const reader = db.storage(tableName, { coherenceMs: 0 });
    const program = await storage.programs.create(aProgram({ targets: ['c'] }));
    const event = await storage.events.create(anEvent(program.id));
    expect(await seenBy(reader, 'a')).not.toContain(event.id);
    expect(await seenBy(storage, 'a')).not.toContain(event.id);
    await storage.programs.update(program.id, (current) => ({ ...current, targets: ['a'] }));
    expect(await seenBy(reader, 'a')).toContain(event.id);
    const cached = db.storage(tableName);
    expect(await seenBy(cached, 'a')).toContain(event.id);
    await cached.programs.update(program.id, (current) => ({ ...current, targets: ['b'] }));
    expect(await seenBy(cached, 'a')).not.toContain(event.id);
  });
});

describe('two instances racing', () => {
  it('updates changing targets back and forth leave every event listed under exactly its targets', async () => {
    const tableName = await db.freshTable();
    const first = db.storage(tableName, { eventCacheTtlMs: 0, indexSettleMs: 0 });
    const second = db.storage(tableName, { eventCacheTtlMs: 0, indexSettleMs: 0 });
    const programID = (await first.programs.create(aProgram())).id;
    const events = await Promise.all(Array.from({ length: 3 }, () => first.events.create(anEvent(programID, { targets: ['a'] }))));
    const choices = [['a'], ['b'], ['a', 'c'], null, ['b', 'c'], ['c']];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const updates = Array.from({ length: 48 }, (_, index) => {
      const storage = index % 2 === 0 ? first : second;
      const event = events[index % events.length];
      const targets = choices[next() % choices.length];
      return storage.events.update(event.id, (current) => ({ ...current, targets })).catch((error) => {
        if (!(error instanceof ConflictError)) throw error;
      });
    });
    await Promise.all(updates);
    // Reads repair what a write given up left behind; then the table holds exactly the lists.
    for (const target of TARGETS) await seenBy(first, target);
    for (const event of events) {
      const current = await first.events.get(event.id);
      for (const target of TARGETS) expect({ target, seen: (await seenBy(second, target)).includes(event.id) }).toEqual({ target, seen: !current.targets?.length || current.targets.includes(target) });
      expect(await entriesOf(tableName, event.id)).toEqual(expectedLists(current));
    }
  });

  it('an update racing a delete leaves no entry behind', async () => {
    const tableName = await db.freshTable();
    const held = gate();
    const reached = gate();
    const updater = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (isEventPut(command, input)) {
          reached.open();
          await held.opened;
        }
        return send();
      }),
    });
    const deleter = db.storage(tableName);
    const programID = (await deleter.programs.create(aProgram())).id;
    const event = await deleter.events.create(anEvent(programID, { targets: ['a'] }));
    const updating = updater.events.update(event.id, (current) => ({ ...current, targets: ['b', 'c'] }));
    await reached.opened; // the update has put its entries for b and c
    await deleter.events.delete(event.id);
    held.open();
    await expect(updating).rejects.toBeInstanceOf(NotFoundError);
    expect(await entriesOf(tableName, event.id)).toEqual([]);
  });
});

describe('a function that dies between its writes', () => {
  let tableName: string;
  let programID: string;
  beforeEach(async () => {
    tableName = await db.freshTable();
    programID = (await db.storage(tableName).programs.create(aProgram())).id;
  });

  it('after the entries, before the event: the event stays listed as it is, the extra entry is filtered out, then removed after the lease', async () => {
    const { storage, state } = failing(tableName, dyingAt(isEventPut));
    const event = await storage.events.create(anEvent(programID, { targets: ['a'] }));
    state.armed = true;
    await expect(storage.events.update(event.id, (current) => ({ ...current, targets: ['b'] }))).rejects.toThrow('function killed');
    const reader = db.storage(tableName, { eventCacheTtlMs: 0 });
    expect(await seenBy(reader, 'a')).toEqual([event.id]);
    expect(await seenBy(reader, 'b')).toEqual([]);
    // Young: the write might still be in flight, so the entry stays.
    expect(await entriesOf(tableName, event.id)).toEqual(['EVENT_TARGET#a', 'EVENT_TARGET#b']);
    const later = db.storage(tableName, { eventCacheTtlMs: 0, clock: () => Date.now() + LEASE_MS + 1_000 });
    expect(await seenBy(later, 'b')).toEqual([]);
    expect(await entriesOf(tableName, event.id)).toEqual(['EVENT_TARGET#a']);
  });

  it('a create cut short leaves only an entry, which no list shows and a list after the lease removes', async () => {
    const { storage, state } = failing(tableName, isEventPut);
    state.armed = true;
    const event = anEvent(programID, { targets: ['a'] });
    await expect(storage.events.create(event)).rejects.toThrow('function killed');
    expect(await seenBy(db.storage(tableName, { eventCacheTtlMs: 0 }), 'a')).toEqual([]);
    expect(await entriesOf(tableName, event.id)).toEqual(['EVENT_TARGET#a']);
    await seenBy(db.storage(tableName, { eventCacheTtlMs: 0, clock: () => Date.now() + LEASE_MS + 1_000 }), 'a');
    expect(await entriesOf(tableName, event.id)).toEqual([]);
  });

  it('after the event, before retiring the old entries: the old target no longer sees it, and its first list removes the entry', async () => {
    const { storage, state } = failing(tableName, (command, input) => command === 'DeleteItemCommand' && /^EVENT_TARGET#/.test(input.Key?.objectType?.S ?? ''));
    const event = await storage.events.create(anEvent(programID, { targets: ['a'] }));
    state.armed = true;
    await storage.events.update(event.id, (current) => ({ ...current, targets: ['b'] }));
    expect(await entriesOf(tableName, event.id)).toEqual(['EVENT_TARGET#a', 'EVENT_TARGET#b']);
    const reader = db.storage(tableName, { eventCacheTtlMs: 0 });
    expect(await seenBy(reader, 'a')).toEqual([]);
    expect(await seenBy(reader, 'b')).toEqual([event.id]);
    expect(await entriesOf(tableName, event.id)).toEqual(['EVENT_TARGET#b']);
  });

  it("a moved start cut short: listed by id at once; its range lists find it again once a list has repaired the entry after the lease", async () => {
    const { storage, state } = failing(tableName, dyingAt(isEventPut));
    const start = '2026-03-01T10:00:00Z';
    const event = await storage.events.create(anEvent(programID, { targets: ['a'], intervalPeriod: { start, duration: 'PT1H' } }));
    state.armed = true;
    await expect(
      storage.events.update(event.id, (current) => ({ ...current, intervalPeriod: { ...current.intervalPeriod!, start: current.intervalPeriod!.start!.add({ hours: 24 }) } })),
    ).rejects.toThrow('function killed');
    const reader = db.storage(tableName, { eventCacheTtlMs: 0 });
    expect(await seenBy(reader, 'a')).toEqual([event.id]);
    const stored = (await reader.events.get(event.id)).intervalPeriod!.start!;
    const around = { dateStart: stored, dateEnd: stored };
    // The entry now carries the start of a write that never happened.
    expect(await seenBy(reader, 'a', around)).toEqual([]);
    const later = db.storage(tableName, { eventCacheTtlMs: 0, clock: () => Date.now() + LEASE_MS + 1_000 });
    expect(await seenBy(later, 'a')).toEqual([event.id]);
    expect(await seenBy(reader, 'a', around)).toEqual([event.id]);
  });
});

describe('a table written before target entries existed', () => {
  it('shows its events to VENs once backfilled; a second run changes nothing', async () => {
    const tableName = await db.freshTable();
    const storage = db.storage(tableName, { eventCacheTtlMs: 0 });
    const programID = (await storage.programs.create(aProgram())).id;
    const old = [anEvent(programID, { targets: ['a'] }), anEvent(programID, { targets: ['b', 'c'] }), anEvent(programID)];
    await db.client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: old.map((event) => ({ PutRequest: { Item: toItem(event, 1) } })) } }));
    expect(await seenBy(storage, 'a')).toEqual([]);

    const backfill = () => new EventTargets(new DynamoGateway(db.client, tableName), { leaseMs: LEASE_MS, clock: Date.now, logger: new Logger('silent') }).backfill();
    expect(await backfill()).toBe(3);
    expect(await seenBy(storage, 'a')).toEqual([old[0].id, old[2].id]);
    expect(await seenBy(storage, 'c')).toEqual([old[1].id, old[2].id]);
    // An update after the backfill read the event but before its entries landed would leave an extra entry at most.
    await storage.events.update(old[0].id, (current) => ({ ...current, targets: ['b'] }));
    expect(await backfill()).toBe(3);
    for (const event of old) expect(await entriesOf(tableName, event.id)).toEqual(expectedLists(await storage.events.get(event.id)));
  });
});
