/**
 * Event lists for an audience (a VEN's grant) and by targets, served by the target entries:
 * what they show, against the full list filtered in memory.
 */
import { Temporal } from 'temporal-polyfill';
import { writeAll } from '../../../bench/seed';
import type { Program, VtnEvent } from '../../../lambdas/core/openadr/types';
import type { DynamoStorage } from '../../../lambdas/core/storage/dynamo/dynamo-storage';
import { firstKeyAt, lastKeyAt, toItem } from '../../../lambdas/core/storage/dynamo/item-codec';
import type { EventQuery, Grant } from '../../../lambdas/core/storage/port';
import { sortableDateTime } from '../../../lambdas/core/time/temporal';
import { TestDatabase } from '../../support/database';
import { mulberry32 } from '../../support/faults';
import { aProgram, anEvent, recordCommands } from '../../support/fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

const grant = (...targets: string[]): Grant => ({ targets });
const ids = (events: VtnEvent[]) => events.map((event) => event.id);

describe('an audience sees untargeted events and those sharing a granted target, in programs it may see', () => {
  let storage: DynamoStorage;
  let tableName: string;
  const named: Record<string, VtnEvent> = {};

  beforeAll(async () => {
    tableName = await db.freshTable();
    storage = db.storage(tableName, { eventCacheTtlMs: 0 });
    const open = await storage.programs.create(aProgram());
    const mine = await storage.programs.create(aProgram({ targets: ['t1'] }));
    const theirs = await storage.programs.create(aProgram({ targets: ['t9'] }));
    const add = async (name: string, programID: string, targets?: string[]) =>
      (named[name] = await storage.events.create(anEvent(programID, { eventName: name, targets })));
    await add('open-untargeted', open.id);
    await add('open-t1', open.id, ['t1']);
    await add('open-t2', open.id, ['t2']);
    await add('open-t3', open.id, ['t3']);
    await add('open-t1-t2', open.id, ['t1', 't2']);
    await add('mine-untargeted', mine.id);
    await add('mine-t3', mine.id, ['t3']);
    await add('theirs-t1', theirs.id, ['t1']);
    await add('theirs-untargeted', theirs.id);
    await add('open-t1-t3', open.id, ['t1', 't3']);
  });

  const names = (events: VtnEvent[]) => events.map((event) => event.eventName);

  it('lists what the grant may see, each once, in id order', async () => {
    const page = await storage.events.list({ skip: 0, limit: 50, audience: grant('t1', 't2') });
    expect(names(page)).toEqual(['open-untargeted', 'open-t1', 'open-t2', 'open-t1-t2', 'mine-untargeted', 'open-t1-t3']);
  });

  it('an empty grant sees only untargeted events of untargeted programs', async () => {
    expect(names(await storage.events.list({ skip: 0, limit: 50, audience: grant() }))).toEqual(['open-untargeted']);
  });

  it('with query targets, keeps the events carrying a queried target the grant holds: a hidden target selects nothing', async () => {
    expect(names(await storage.events.list({ skip: 0, limit: 50, audience: grant('t1', 't2'), targets: ['t2', 't3'] }))).toEqual(['open-t2', 'open-t1-t2']);
    expect(await storage.events.list({ skip: 0, limit: 50, audience: grant('t1'), targets: ['t3'] })).toEqual([]);
    expect(await storage.events.list({ skip: 0, limit: 50, audience: grant('t2'), targets: ['t3'] })).toEqual([]);
  });

  it('shows nothing of a program the grant may not see, even when asked by programID', async () => {
    const theirs = named['theirs-t1'].programID;
    expect(await storage.events.list({ skip: 0, limit: 50, audience: grant('t1'), programID: theirs })).toEqual([]);
    expect(names(await storage.events.list({ skip: 0, limit: 50, audience: grant('t9'), programID: theirs }))).toEqual(['theirs-untargeted']);
  });

  it('pages through several lists without gaps or repeats', async () => {
    const all = await storage.events.list({ skip: 0, limit: 50, audience: grant('t1', 't2', 't3') });
    const paged: VtnEvent[] = [];
    for (let skip = 0; skip < all.length + 2; skip += 2) paged.push(...(await storage.events.list({ skip, limit: 2, audience: grant('t1', 't2', 't3') })));
    expect(ids(paged)).toEqual(ids(all));
    expect(new Set(ids(all)).size).toBe(all.length);
  });

  it('VENs with the same grant share cached pages; another grant does not', async () => {
    const cached = db.storage(tableName);
    const recorder = recordCommands(db.client);
    try {
      const first = await cached.events.list({ skip: 0, limit: 50, audience: { venID: 'v1', targets: ['t2', 't1'] } });
      const queries = recorder.count('QueryCommand');
      expect(await cached.events.list({ skip: 0, limit: 50, audience: { venID: 'v2', targets: ['t1', 't2', 't1'] } })).toEqual(first);
      expect(recorder.count('QueryCommand')).toBe(queries);
      expect(names(await cached.events.list({ skip: 0, limit: 50, audience: grant('t1') }))).not.toContain('open-t2');
      expect(recorder.count('QueryCommand')).toBeGreaterThan(queries);
    } finally {
      recorder.stop();
    }
  });

  it('a BL (no audience) filtering by targets sees every program', async () => {
    expect(names(await storage.events.list({ skip: 0, limit: 50, targets: ['t1'] }))).toEqual(['open-t1', 'open-t1-t2', 'theirs-t1', 'open-t1-t3']);
  });
});

describe('the same results as filtering every event in memory', () => {
  const TARGETS = ['a', 'b', 'c', 'd', 'e', 'f'];
  const random = mulberry32(20261125);
  const pick = <T>(values: T[]): T => values[Math.floor(random() * values.length)];
  const someOf = (values: string[], most: number) => [...new Set(Array.from({ length: Math.floor(random() * (most + 1)) }, () => pick(values)))];
  const base = Temporal.Instant.from('2026-01-01T00:00:00Z');
  const hour = (hours: number) => base.add({ hours });
  let storage: DynamoStorage;
  let programs: Program[];
  let events: VtnEvent[];

  beforeAll(async () => {
    const tableName = await db.freshTable();
    programs = Array.from({ length: 5 }, (_, index) => aProgram({ targets: index === 0 ? undefined : someOf(TARGETS, 2) }));
    events = Array.from({ length: 160 }, () => {
      const start = hour(Math.floor(random() * 200));
      const ends = random() < 0.85;
      return anEvent(pick(programs).id, {
        targets: someOf(TARGETS, 3),
        intervalPeriod: ends ? { start: start.toString(), duration: `PT${1 + Math.floor(random() * 48)}H` } : { start: start.toString() },
      });
    });
    // A few written through the store as well: both ways must yield the same entries.
    await writeAll(db.client, tableName, [...programs, ...events.slice(10)]);
    storage = db.storage(tableName, { eventCacheTtlMs: 0 });
    for (const event of events.slice(0, 10)) await storage.events.create(event);
  });

  function expected(query: EventQuery): VtnEvent[] {
    const audience = query.audience?.targets;
    const maySee = (targets: readonly string[] | null | undefined) => !audience || !targets?.length || targets.some((t) => audience.includes(t));
    const visible = new Set(programs.filter((program) => maySee(program.targets)).map((program) => program.id));
    const keyed = events.map((event) => ({ event, item: toItem(event, 1) }));
    const matching = keyed.filter(({ event, item }) => {
      if (!visible.has(event.programID) || !maySee(event.targets)) return false;
      if (query.programID && event.programID !== query.programID) return false;
      const selected = query.targets?.filter((t) => !audience || audience.includes(t));
      if (query.targets?.length && !event.targets?.some((t) => selected!.includes(t))) return false;
      const start = item.eventStart?.S;
      if (query.dateStart && (!start || start < firstKeyAt(sortableDateTime(query.dateStart)))) return false;
      if (query.dateEnd && (!start || start > lastKeyAt(sortableDateTime(query.dateEnd)))) return false;
      if (query.activeAt && !(item.eventEnd.S! > lastKeyAt(sortableDateTime(query.activeAt)))) return false;
      return true;
    });
    const order = query.dateStart || query.dateEnd ? 'eventStart' : query.activeAt ? 'eventEnd' : 'id';
    return matching.sort((x, y) => (x.item[order].S! < y.item[order].S! ? -1 : 1)).map(({ event }) => event);
  }

  function randomQuery(): EventQuery {
    const query: EventQuery = { skip: 0, limit: 1000 };
    if (random() < 0.8) query.audience = grant(...someOf(TARGETS, 3));
    if (random() < 0.35 || !query.audience) query.targets = someOf(TARGETS, 2);
    if (random() < 0.3) query.programID = pick(programs).id;
    const shape = random();
    const zoned = (instant: Temporal.Instant) => instant.toZonedDateTimeISO('UTC');
    if (shape < 0.3) {
      query.dateStart = zoned(hour(Math.floor(random() * 100)));
      if (random() < 0.6) query.dateEnd = query.dateStart.add({ hours: Math.floor(random() * 120) });
    } else if (shape < 0.5) {
      query.dateEnd = zoned(hour(Math.floor(random() * 200)));
    } else if (shape < 0.75) {
      query.activeAt = hour(Math.floor(random() * 220));
    }
    return query;
  }

  it('for 50 random queries, whole and in pages', async () => {
    for (let run = 0; run < 50; run++) {
      const query = randomQuery();
      const want = ids(expected(query));
      expect({ query: run, got: ids(await storage.events.list(query)) }).toEqual({ query: run, got: want });
      const limit = 1 + Math.floor(random() * 7);
      const paged: VtnEvent[] = [];
      for (let skip = 0; skip <= want.length; skip += limit) paged.push(...(await storage.events.list({ ...query, skip, limit })));
      expect({ query: run, paged: ids(paged) }).toEqual({ query: run, paged: want });
    }
  });
});
