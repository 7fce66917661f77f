import fc from 'fast-check';
import { hydrate } from '../../../lambdas/core/openadr/temporal-fields';
import type { VtnEvent } from '../../../lambdas/core/openadr/types';
import type { DynamoStorage } from '../../../lambdas/core/storage/dynamo/dynamo-storage';
import { formatDateTime, parseDateTime } from '../../../lambdas/core/time/temporal';
import { TestDatabase } from '../../support/database';
import { aProgram, aSubscription, anEvent, recordCommands } from '../../support/fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

const at = (iso: string) => parseDateTime(iso, 'test');
const ids = (objects: { id: string }[]) => objects.map((object) => object.id);

async function pageThrough<T>(list: (skip: number, limit: number) => Promise<T[]>, limit: number): Promise<T[][]> {
  const pages: T[][] = [];
  for (let skip = 0; ; skip += limit) {
    const page = await list(skip, limit);
    if (page.length === 0) return pages;
    pages.push(page);
  }
}

describe('event queries', () => {
  let storage: DynamoStorage;
  let tableName: string;
  let programA: string;
  let programB: string;
  const created: VtnEvent[] = [];

  beforeAll(async () => {
    tableName = await db.freshTable();
    storage = db.storage(tableName);
    programA = (await storage.programs.create(aProgram())).id;
    programB = (await storage.programs.create(aProgram())).id;
    // 60 events, starts scattered over June 2024 and written in mixed offsets; some untimed.
    for (let i = 0; i < 60; i++) {
      const day = 1 + ((i * 7) % 29);
      const start = i % 10 === 9 ? undefined : `2024-06-${String(day).padStart(2, '0')}T1${i % 10}:00:00+0${i % 3}:00`;
      created.push(
        await storage.events.create(
          anEvent(i % 2 ? programA : programB, {
            targets: i % 3 === 0 ? ['group-1'] : ['group-2'],
            ...(start && { intervalPeriod: { start, duration: 'PT1H' } }),
          }),
        ),
      );
    }
  });

  const startOf = (event: VtnEvent) => event.intervalPeriod?.start?.epochNanoseconds;

  it('lists all events in creation order, page by page', async () => {
    const pages = await pageThrough((skip, limit) => storage.events.list({ skip, limit }), 7);
    expect(pages.flat().map((e) => e.id)).toEqual(ids(created));
    expect(pages.slice(0, -1).every((page) => page.length === 7)).toBe(true);
  });

  it('lists one program’s events in creation order', async () => {
    const pages = await pageThrough((skip, limit) => storage.events.list({ skip, limit, programID: programA }), 4);
    expect(pages.flat().map((e) => e.id)).toEqual(ids(created.filter((e) => e.programID === programA)));
  });

  it('selects a date range inclusively, ordered by start, whatever offsets were written', async () => {
    const dateStart = at('2024-06-05T00:00:00Z');
    const dateEnd = at('2024-06-20T12:00:00+02:00');
    const expected = created
      .filter((e) => startOf(e) !== undefined && startOf(e)! >= dateStart.epochNanoseconds && startOf(e)! <= dateEnd.epochNanoseconds)
      .sort((a, b) => (startOf(a)! < startOf(b)! ? -1 : startOf(a)! > startOf(b)! ? 1 : a.id < b.id ? -1 : 1));
    const pages = await pageThrough((skip, limit) => storage.events.list({ skip, limit, dateStart, dateEnd }), 5);
    expect(pages.flat().map((e) => e.id)).toEqual(ids(expected));
    expect(expected.length).toBeGreaterThan(10);
  });

  it('combines programID with an open-ended range', async () => {
    const dateStart = at('2024-06-15T00:00:00Z');
    const result = await storage.events.list({ skip: 0, limit: 50, programID: programB, dateStart });
    const expected = created.filter((e) => e.programID === programB && startOf(e) !== undefined && startOf(e)! >= dateStart.epochNanoseconds);
    expect(new Set(ids(result))).toEqual(new Set(ids(expected)));
    const starts = result.map((e) => formatDateTime(e.intervalPeriod!.start!));
    expect(starts.map((s) => Date.parse(s))).toEqual([...starts.map((s) => Date.parse(s))].sort((a, b) => a - b));
  });

  it('filters by targets through the target entries, reading only what the page needs', async () => {
    const counted = db.storage(tableName);
    await counted.programs.list({ skip: 0, limit: 50 });
    const recorder = recordCommands(db.client);
    try {
      const page = await counted.events.list({ skip: 2, limit: 5, targets: ['group-1'] });
      expect(ids(page)).toEqual(ids(created.filter((e) => e.targets?.includes('group-1')).slice(2, 7)));
      const limits = recorder.calls.filter((call) => call.name === 'QueryCommand').map((call) => call.input.Limit);
      // One page of the group's entries, then its events in one batch.
      expect(limits).toEqual([7]);
      expect(recorder.count('BatchGetItemCommand')).toBe(1);
    } finally {
      recorder.stop();
    }
  });

  it('lists the events that have not ended, by end, those without an end last', async () => {
    const activeAt = at('2024-06-20T00:00:00Z').toInstant();
    const pages = await pageThrough((skip, limit) => storage.events.list({ skip, limit, activeAt }), 6);
    const endOf = (e: VtnEvent) => e.intervalPeriod?.start?.add({ hours: 1 }).epochNanoseconds ?? Infinity;
    const expected = created
      .filter((e) => endOf(e) > activeAt.epochNanoseconds)
      .sort((a, b) => (endOf(a) < endOf(b) ? -1 : endOf(a) > endOf(b) ? 1 : a.id < b.id ? -1 : 1));
    expect(pages.flat().map((e) => e.id)).toEqual(ids(expected));
    expect(expected.some((e) => endOf(e) === Infinity)).toBe(true);
  });

  it('combines active with programID, targets and a start range', async () => {
    const activeAt = at('2024-06-20T00:00:00Z').toInstant();
    const isActive = (e: VtnEvent) => !e.intervalPeriod?.start || e.intervalPeriod.start.add({ hours: 1 }).toInstant().epochNanoseconds > activeAt.epochNanoseconds;
    const byProgram = await storage.events.list({ skip: 0, limit: 50, activeAt, programID: programA, targets: ['group-1'] });
    expect(new Set(ids(byProgram))).toEqual(new Set(ids(created.filter((e) => isActive(e) && e.programID === programA && e.targets?.includes('group-1')))));
    const dateStart = at('2024-06-18T00:00:00Z');
    const inRange = await storage.events.list({ skip: 0, limit: 50, activeAt, dateStart });
    const starts = (e: VtnEvent) => e.intervalPeriod?.start !== undefined && e.intervalPeriod.start.epochNanoseconds >= dateStart.epochNanoseconds;
    expect(new Set(ids(inRange))).toEqual(new Set(ids(created.filter((e) => isActive(e) && starts(e)))));
  });
});

describe('program queries', () => {
  it('lists in creation order, filters by targets and finds by name', async () => {
    const storage = db.storage(await db.freshTable());
    const programs = [];
    for (let i = 0; i < 12; i++) programs.push(await storage.programs.create(aProgram({ targets: i % 2 ? ['west'] : ['east'] })));
    expect(ids(await storage.programs.list({ skip: 0, limit: 50 }))).toEqual(ids(programs));
    expect(ids(await storage.programs.list({ skip: 1, limit: 2, targets: ['west'] }))).toEqual(ids(programs.filter((_, i) => i % 2)).slice(1, 3));
    expect((await storage.programs.findByName(programs[3].programName))?.id).toBe(programs[3].id);
    expect(await storage.programs.findByName('no such program')).toBeUndefined();
  });
});

describe('subscription queries', () => {
  it('filters by programID, clientName and object type, with pagination', async () => {
    const storage = db.storage(await db.freshTable());
    const program = await storage.programs.create(aProgram());
    const subs = [];
    for (let i = 0; i < 15; i++) {
      subs.push(
        await storage.subscriptions.create(
          aSubscription({
            clientName: i % 3 === 0 ? 'ven-a' : 'ven-b',
            ...(i % 2 === 0 && { programID: program.id }),
            objectOperations: [{ objects: i % 5 === 0 ? ['PROGRAM'] : ['EVENT', 'REPORT'], operations: ['CREATE'], callbackUrl: 'https://x.example/cb' }],
          }),
        ),
      );
    }
    const all = await pageThrough((skip, limit) => storage.subscriptions.list({ skip, limit }), 4);
    expect(all.flat().map((s) => s.id)).toEqual(ids(subs));
    expect(ids(await storage.subscriptions.list({ skip: 0, limit: 50, programID: program.id }))).toEqual(ids(subs.filter((s) => s.programID)));
    expect(ids(await storage.subscriptions.list({ skip: 0, limit: 50, clientName: 'ven-a' }))).toEqual(ids(subs.filter((s) => s.clientName === 'ven-a')));
    expect(ids(await storage.subscriptions.list({ skip: 1, limit: 2, objects: ['PROGRAM'] }))).toEqual(ids(subs.filter((_, i) => i % 5 === 0)).slice(1, 3));
    expect(
      ids(await storage.subscriptions.list({ skip: 0, limit: 50, programID: program.id, clientName: 'ven-b', objects: ['EVENT'] })),
    ).toEqual(ids(subs.filter((s, i) => s.programID && s.clientName === 'ven-b' && i % 5 !== 0)));
  });
});

describe('stored eventStart order', () => {
  it('sorts in time order for random instants written with random offsets and precisions', async () => {
    const storage = db.storage(await db.freshTable());
    const program = await storage.programs.create(aProgram());
    const instant = fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2999, 11, 31) });
    const written = fc.record({
      ms: instant,
      extraNanos: fc.integer({ min: 0, max: 999_999 }),
      offsetMinutes: fc.integer({ min: -14 * 60, max: 14 * 60 }),
      digits: fc.integer({ min: 0, max: 12 }),
    });
    const samples = fc.sample(written, { numRuns: 80, seed: 20241125 });
    const writtenStarts = samples.map(({ ms, extraNanos, offsetMinutes, digits }) => {
      const nanos = BigInt(ms) * 1_000_000n + BigInt(extraNanos);
      const instantValue = hydrate<VtnEvent>('EVENT', { intervalPeriod: { start: new Date(ms).toISOString() } }).intervalPeriod!.start!;
      const exact = instantValue.toInstant().add({ nanoseconds: extraNanos });
      const local = exact.toZonedDateTimeISO(offsetString(offsetMinutes));
      const base = local.toPlainDateTime().toString({ smallestUnit: 'second' });
      const fraction = String(local.millisecond * 1_000_000 + local.microsecond * 1000 + local.nanosecond).padStart(9, '0') + '123';
      const truncatedNanos = nanos - (nanos % 10n ** BigInt(Math.max(0, 9 - digits)));
      return { text: `${base}${digits ? '.' + fraction.slice(0, digits) : ''}${offsetString(offsetMinutes)}`, nanos: truncatedNanos };
    });
    const byId = new Map<string, bigint>();
    for (const { text, nanos } of writtenStarts) {
      const event = await storage.events.create(anEvent(program.id, { intervalPeriod: { start: text } }));
      expect(event.intervalPeriod!.start!.epochNanoseconds).toBe(nanos);
      byId.set(event.id, nanos);
    }
    const listed = (await pageThrough((skip, limit) => storage.events.list({ skip, limit, dateStart: at('1970-01-01T00:00:00Z') }), 50)).flat();
    const listedNanos = listed.map((e) => byId.get(e.id)!);
    expect(listedNanos).toHaveLength(samples.length);
    expect(listedNanos).toEqual([...listedNanos].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });
});

function offsetString(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
