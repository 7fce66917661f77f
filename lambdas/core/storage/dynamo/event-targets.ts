import { timeLeftMs } from '../../deadline';
import { StorageUnavailableError } from '../../errors';
import type { Logger } from '../../logger';
import { carriesAny } from '../../openadr/targets';
import { sortableDateTime } from '../../time/temporal';
import type { EventQuery } from '../port';
import { DynamoGateway, conditionMet } from './gateway';
import { firstKeyAt, itemVersion, lastKeyAt, type Item } from './item-codec';
import { eventQueryPlan, fromItemProgramID, type QueryPlan } from './queries';
import { TABLE_LAYOUT } from './table-layout';
import { isTombstone } from './versioned-items';

/**
 * An inverted index of events by target, since DynamoDB cannot index a list attribute. Each
 * target of an event has a small entry item in the partition `EVENT_TARGET#<target>` (sort key:
 * the event id), an event without targets one in `EVENT_UNTARGETED`. An entry copies the event's
 * eventStart and eventEnd keys, so the objectType-eventStart and objectType-eventEnd indexes
 * serve date ranges and `active` per target, and its program (not as `programID`, which would
 * put entries into the programID indexes), for filters. No data: an entry is only a pointer.
 *
 * Entries are written without transactions. A write puts the entries its version needs before
 * the event and deletes those it no longer needs after it, so a crash leaves extra entries,
 * never missing ones; every read checks each entry against its event and repairs what it finds
 * wrong. An entry's `version` (that of the event version it was written for) keeps puts
 * monotonic and deletes from undoing a later write's put; named as the objects' own, so that
 * IndexPropagation can wait for an entry as for an object.
 */

const TARGET_PREFIX = 'EVENT_TARGET#';
export const UNTARGETED_LIST = 'EVENT_UNTARGETED';
const PROGRAM = 'eventProgram';
const FOR_VERSION = 'version';
const WRITTEN_AT = 'writtenAt';
/** The write attempt that put the entry, so that an attempt that failed can take back its own entries only. */
const ATTEMPT = 'attempt';
/** The event's key attributes an entry copies. */
const COPIED = ['eventStart', 'eventEnd'] as const;

/** The most items one Query asks for. */
const MAX_PAGE = 1000;
/** How much a filtered list's page may grow from one request to the next. */
const PAGE_GROWTH = 8;
/** BatchGetItem's limit of keys a request. */
const BATCH_GET_KEYS = 100;
/** Entry writes of one event in flight at once. */
const PARALLEL_WRITES = 10;

export function targetList(target: string): string {
  return `${TARGET_PREFIX}${target}`;
}

/** Whether a partition value is one of the entry lists. */
export function isTargetList(partition: string | undefined): boolean {
  return partition !== undefined && (partition.startsWith(TARGET_PREFIX) || partition === UNTARGETED_LIST);
}

/** The targets an event item carries, once each. */
export function targetsOf(event: Item): string[] {
  const attribute = event.targets;
  const values = attribute?.L?.map((value) => value.S as string) ?? attribute?.SS ?? [];
  return [...new Set(values)];
}

/** The lists an event item belongs to. */
export function listsOf(event: Item): string[] {
  const targets = targetsOf(event);
  return targets.length > 0 ? targets.map(targetList) : [UNTARGETED_LIST];
}

function programOf(event: Item): string {
  return fromItemProgramID(event);
}

function sameCopies(entryOrEvent: Item, event: Item, entryIsEntry = false): boolean {
  const program = entryIsEntry ? entryOrEvent[PROGRAM]?.S : programOf(entryOrEvent);
  return (
    program === programOf(event) &&
    COPIED.every((name) => entryOrEvent[name]?.S === event[name]?.S)
  );
}

/** The entries of an event item, written for `version`. */
export function entryItems(event: Item, version: number, now: number): Item[] {
  return listsOf(event).map((list) => entryFor(event, list, version, now));
}

function entryFor(event: Item, list: string, version: number, now: number): Item {
  const entry: Item = {
    [TABLE_LAYOUT.partitionKey]: { S: list },
    [TABLE_LAYOUT.sortKey]: { S: event[TABLE_LAYOUT.sortKey].S as string },
    [PROGRAM]: { S: programOf(event) },
    [FOR_VERSION]: { N: String(version) },
    [WRITTEN_AT]: { N: String(now) },
  };
  for (const name of COPIED) if (event[name]) entry[name] = event[name];
  return entry;
}

function entryKey(list: string, eventID: string): Item {
  return { [TABLE_LAYOUT.partitionKey]: { S: list }, [TABLE_LAYOUT.sortKey]: { S: eventID } };
}

export interface EventTargetsOptions {
  /** How long a write may still be in flight: an entry this young for a version not yet written is left alone. */
  leaseMs: number;
  clock: () => number;
  logger: Logger;
}

/** One list an event query reads. */
export interface EntryList {
  list: string;
}

/** The lists an event query reads, and what it keeps of them. */
export interface TargetListQuery {
  query: EventQuery;
  lists: EntryList[];
  /** Whether an event of this program may be shown (it exists, and the audience may see it). */
  programVisible: (programID: string) => boolean;
}

export class EventTargets {
  constructor(
    private readonly gateway: DynamoGateway,
    private readonly options: EventTargetsOptions,
  ) {}

  /**
   * Before an event write: puts the entries of `next` that `current` lacks, or all of them when
   * the copied attributes change or `rewriteAll` (a write that lost a race may have put entries
   * with other copies for the same version). Returns the entries it put, for the write to wait
   * until the indexes show them.
   */
  async prepare(current: Item | undefined, next: Item, rewriteAll = false, attempt?: string): Promise<Item[]> {
    const had = new Set(current ? listsOf(current) : []);
    const rewrite = rewriteAll || !current || !sameCopies(current, next);
    const now = this.options.clock();
    const entries = listsOf(next)
      .filter((list) => rewrite || !had.has(list))
      .map((list) => ({ ...entryFor(next, list, itemVersion(next), now), ...(attempt ? { [ATTEMPT]: { S: attempt } } : {}) }));
    const put: Item[] = [];
    await inParallel(entries, async (entry) => void ((await this.put(entry)) && put.push(entry)));
    return put;
  }

  /**
   * After an update attempt that did not land (it lost a race, or failed): its entries, put for a
   * version that another write took or that never came, may carry copies (program, start, end)
   * the event does not have, which would hide it from lists by those copies. Each entry still
   * the attempt's own is made the current event's (`current`; removed where the event is not, or
   * is gone). An entry another write has put since is that write's to keep right.
   */
  async takeBack(eventID: string, attempt: string, lists: Iterable<string>, current: Item | undefined): Promise<void> {
    const live = current && !isTombstone(current) ? current : undefined;
    const belongs = new Set(live ? listsOf(live) : []);
    const mine = { ConditionExpression: '#attempt = :attempt', ExpressionAttributeNames: { '#attempt': ATTEMPT }, ExpressionAttributeValues: { ':attempt': { S: attempt } } };
    await inParallel([...new Set(lists)], async (list) => {
      if (live && belongs.has(list)) {
        await conditionMet(this.gateway.put({ TableName: this.gateway.tableName, Item: entryFor(live, list, itemVersion(live), this.options.clock()), ...mine }));
      } else {
        await conditionMet(this.gateway.delete({ TableName: this.gateway.tableName, Key: entryKey(list, eventID), ...mine }));
      }
    });
  }

  /**
   * After an event write or delete: removes the entries of `lists` that `next` (undefined for a
   * delete) does not belong to. `version` is the version of the write that removed them (the
   * deleted version plus one for a delete); a later write that put one back wrote it for a
   * higher version, so it stays.
   */
  async retire(eventID: string, lists: Iterable<string>, next: Item | undefined, version: number): Promise<void> {
    const kept = new Set(next ? listsOf(next) : []);
    const gone = [...new Set(lists)].filter((list) => !kept.has(list));
    await inParallel(gone, (list) => this.deleteIf(list, eventID, version, false));
  }

  /**
   * For the purge of a deleted program: removes the event's entries that still point at that
   * program (one rewritten for another program belongs to a later version of the event).
   */
  async unlinkFromProgram(event: Item, programID: string): Promise<void> {
    await inParallel(listsOf(event), (list) =>
      conditionMet(
        this.gateway.delete({
          TableName: this.gateway.tableName,
          Key: entryKey(list, idOf(event)),
          ConditionExpression: '#program = :program',
          ExpressionAttributeNames: { '#program': PROGRAM },
          ExpressionAttributeValues: { ':program': { S: programID } },
        }),
      ),
    );
  }

  /**
   * Puts the entries of every stored event, for a table written before they existed; returns
   * how many events it covered. Safe beside live writes: each put is for the version read and
   * never replaces a later one, so at worst it leaves an extra entry that reads remove.
   */
  async backfill(): Promise<number> {
    let startKey: Item | undefined;
    let events = 0;
    do {
      const page = await this.gateway.query({
        TableName: this.gateway.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE_LAYOUT.partitionKey },
        ExpressionAttributeValues: { ':pk': { S: 'EVENT' } },
        ConsistentRead: true,
        Limit: 200,
        ExclusiveStartKey: startKey,
      });
      const live = (page.Items ?? []).filter((item) => !isTombstone(item));
      const now = this.options.clock();
      await inParallel(
        live.flatMap((event) => entryItems(event, itemVersion(event), now)),
        (entry) => this.put(entry),
      );
      events += live.length;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return events;
  }

  /** Monotonic: never replaces an entry written for a later version. */
  private async put(entry: Item, atMost?: { version: number; staleBefore: number }): Promise<boolean> {
    const version = { N: entry[FOR_VERSION].N as string };
    return conditionMet(
      this.gateway.put({
        TableName: this.gateway.tableName,
        Item: entry,
        ...(atMost
          ? {
              // A repair: only over an entry that is still there and not newer than the event read.
              ConditionExpression: 'attribute_exists(#id) AND (#forVersion <= :version OR #writtenAt < :staleBefore)',
              ExpressionAttributeNames: { '#id': TABLE_LAYOUT.sortKey, '#forVersion': FOR_VERSION, '#writtenAt': WRITTEN_AT },
              ExpressionAttributeValues: { ':version': version, ':staleBefore': { N: String(atMost.staleBefore) } },
            }
          : {
              ConditionExpression: 'attribute_not_exists(#id) OR #forVersion <= :version',
              ExpressionAttributeNames: { '#id': TABLE_LAYOUT.sortKey, '#forVersion': FOR_VERSION },
              ExpressionAttributeValues: { ':version': version },
            }),
      }),
    );
  }

  /** Deletes an entry written for `version` or earlier; `orStale` also one older than the lease. */
  private deleteIf(list: string, eventID: string, version: number, orStale: boolean): Promise<boolean> {
    return conditionMet(
      this.gateway.delete({
        TableName: this.gateway.tableName,
        Key: entryKey(list, eventID),
        ConditionExpression: orStale ? '#forVersion <= :version OR #writtenAt < :staleBefore' : '#forVersion <= :version',
        ExpressionAttributeNames: { '#forVersion': FOR_VERSION, ...(orStale ? { '#writtenAt': WRITTEN_AT } : {}) },
        ExpressionAttributeValues: {
          ':version': { N: String(version) },
          ...(orStale ? { ':staleBefore': { N: String(this.options.clock() - this.options.leaseMs) } } : {}),
        },
      }),
    );
  }

  /**
   * The events of the lists, in the order the query would give them (by id, start or end),
   * each once, checked against the event itself, up to skip+limit of them. The lists are read
   * side by side and merged; only the entries that may make the page are fetched (BatchGetItem),
   * so the cost grows with skip+limit and the number of lists, not with the table.
   */
  async list({ query, lists, programVisible }: TargetListQuery): Promise<Item[]> {
    const wanted = query.skip + query.limit;
    if (wanted <= 0 || lists.length === 0) return [];
    const order = orderOf(query);
    // An entry an update attempt put may carry the copies of a write that never landed: it is
    // checked against its event (and repaired) rather than dropped by its program copy.
    const keep = (entry: Item) => entry[ATTEMPT] !== undefined || programVisible(entry[PROGRAM]?.S ?? '');
    const cursors = lists.map(
      ({ list }) => new ListCursor(this.gateway, eventQueryPlan(this.gateway.tableName, query, { list, programAttribute: PROGRAM }), Math.min(MAX_PAGE, wanted), keep),
    );
    const accepted: Item[] = [];
    const acceptedIDs = new Set<string>();
    const fetched = new Map<string, Item | undefined>();
    const repairs: { entry: Item; event: Item | undefined }[] = [];
    while (accepted.length < wanted) {
      const batch = await nextCandidates(cursors, order, wanted - accepted.length, acceptedIDs);
      if (batch.length === 0) break;
      await this.fetch(batch.map(idOf).filter((id) => !fetched.has(id)), fetched);
      for (const entry of batch) {
        const id = idOf(entry);
        if (acceptedIDs.has(id)) continue;
        const event = fetched.get(id);
        const { verdict, repair } = check(entry, event, query, order, programVisible);
        if (repair) repairs.push({ entry, event });
        if (verdict === 'shown' && accepted.length < wanted) {
          accepted.push(event as Item);
          acceptedIDs.add(id);
        }
      }
    }
    await this.repair(repairs);
    return accepted;
  }

  /** Events by id, strongly consistent (a stale read must not delete an entry); tombstones count as such. */
  private async fetch(ids: string[], into: Map<string, Item | undefined>): Promise<void> {
    const unique = [...new Set(ids)];
    for (let offset = 0; offset < unique.length; offset += BATCH_GET_KEYS) {
      let keys: Item[] = unique.slice(offset, offset + BATCH_GET_KEYS).map((id) => entryKey('EVENT', id));
      for (const id of unique.slice(offset, offset + BATCH_GET_KEYS)) into.set(id, undefined);
      for (let round = 0; keys.length > 0; round++) {
        if (round > 0) {
          if (timeLeftMs() <= 0) throw new StorageUnavailableError('database temporarily unavailable (events unread before the time limit)');
          await new Promise((resolve) => setTimeout(resolve, Math.min(500, 20 * 2 ** round)));
        }
        const result = await this.gateway.batchGet({ RequestItems: { [this.gateway.tableName]: { Keys: keys, ConsistentRead: true } } });
        for (const item of result.Responses?.[this.gateway.tableName] ?? []) into.set(idOf(item), item);
        keys = (result.UnprocessedKeys?.[this.gateway.tableName]?.Keys ?? []) as Item[];
      }
    }
  }

  /**
   * Fixes entries that do not match their event: deleted when the event is gone or no longer in
   * the list, rewritten when its copies differ. Each only if the entry is not newer than the
   * event read (a write in flight put it) or is older than the lease (that write died). Best
   * effort: what is not fixed now is filtered out again next time.
   */
  private async repair(repairs: { entry: Item; event: Item | undefined }[]): Promise<void> {
    const staleBefore = this.options.clock() - this.options.leaseMs;
    try {
      await inParallel(repairs, async ({ entry, event }) => {
        const list = entry[TABLE_LAYOUT.partitionKey].S as string;
        const id = idOf(entry);
        const live = event && !isTombstone(event) ? event : undefined;
        const version = event ? itemVersion(event) : 0;
        if (live && listsOf(live).includes(list)) {
          await this.put(entryFor(live, list, version, this.options.clock()), { version, staleBefore });
        } else {
          await this.deleteIf(list, id, version, true);
        }
      });
    } catch (error) {
      this.options.logger.warn('could not repair event target entries; they are filtered out until then', { error });
    }
  }
}

type Verdict = 'shown' | 'filtered' | 'misplaced';

/**
 * Whether an entry's event is shown, is real but outside the query, or the entry does not stand
 * where the event would (gone, out of the list, another order key); and whether the entry needs
 * repair. Copies that do not order the list only decide what DynamoDB filtered: the event's own
 * values are checked here, so such an entry still shows its event while it is repaired.
 */
function check(entry: Item, event: Item | undefined, query: EventQuery, order: string, programVisible: (programID: string) => boolean): { verdict: Verdict; repair: boolean } {
  if (!event || isTombstone(event)) return { verdict: 'misplaced', repair: true };
  const list = entry[TABLE_LAYOUT.partitionKey].S as string;
  if (!listsOf(event).includes(list) || entry[order]?.S !== event[order]?.S) return { verdict: 'misplaced', repair: true };
  const shown = matchesQuery(event, query) && programVisible(programOf(event));
  // An update attempt's entry that its event has caught up with is rewritten as a plain one, so
  // that lists may drop it by its program copy again.
  const provisional = entry[ATTEMPT] !== undefined && itemVersion(entry) <= itemVersion(event);
  return { verdict: shown ? 'shown' : 'filtered', repair: provisional || !sameCopies(entry, event, true) };
}

/** The query's filters, applied to the event itself. */
function matchesQuery(event: Item, query: EventQuery): boolean {
  if (query.programID !== undefined && programOf(event) !== query.programID) return false;
  if (!carriesAny(targetsOf(event), query.targets)) return false;
  const start = event.eventStart?.S;
  if (query.dateStart && (start === undefined || start < firstKeyAt(sortableDateTime(query.dateStart)))) return false;
  if (query.dateEnd && (start === undefined || start > lastKeyAt(sortableDateTime(query.dateEnd)))) return false;
  if (query.activeAt && !((event.eventEnd?.S ?? '') > lastKeyAt(sortableDateTime(query.activeAt)))) return false;
  return true;
}

/** The attribute a query's lists are ordered by: the same key the index it reads sorts on. */
function orderOf(query: EventQuery): string {
  if (query.dateStart !== undefined || query.dateEnd !== undefined) return 'eventStart';
  return query.activeAt !== undefined ? 'eventEnd' : TABLE_LAYOUT.sortKey;
}

function idOf(item: Item): string {
  return item[TABLE_LAYOUT.sortKey].S as string;
}

/** DynamoDB orders string keys by their UTF-8 bytes. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Up to `count` entries from the merged lists, lowest key first, skipping events already shown. */
async function nextCandidates(cursors: ListCursor[], order: string, count: number, shown: Set<string>): Promise<Item[]> {
  const batch: Item[] = [];
  const inBatch = new Set<string>();
  while (inBatch.size < count) {
    await Promise.all(cursors.map((cursor) => cursor.fill()));
    let best: ListCursor | undefined;
    for (const cursor of cursors) {
      const head = cursor.head();
      if (head && (!best || compareKeys(head[order]?.S ?? '', best.head()![order]?.S ?? '') < 0)) best = cursor;
    }
    if (!best) break;
    const entry = best.take();
    if (shown.has(idOf(entry))) continue;
    // An event in several lists comes once from each, side by side; all are checked, one is shown.
    batch.push(entry);
    inBatch.add(idOf(entry));
  }
  return batch;
}

/** One list read page by page as the merge consumes it. */
class ListCursor {
  private buffer: Item[] = [];
  private position = 0;
  private startKey: Item | undefined;
  private done = false;

  constructor(
    private readonly gateway: DynamoGateway,
    private readonly plan: QueryPlan,
    private limit: number,
    private readonly keep: (entry: Item) => boolean,
  ) {}

  head(): Item | undefined {
    return this.buffer[this.position];
  }

  take(): Item {
    return this.buffer[this.position++];
  }

  /** Reads pages until there is a head or the list ends; a page that filters grows the next. */
  async fill(): Promise<void> {
    while (this.position >= this.buffer.length && !this.done) {
      if (this.startKey && timeLeftMs() <= 0) {
        throw new StorageUnavailableError("the event list stopped at the request's time limit; retry, or narrow it");
      }
      const page = await this.gateway.query({ ...this.plan.input, Limit: this.limit, ExclusiveStartKey: this.startKey });
      const items = page.Items ?? [];
      this.buffer = items.filter(this.keep);
      this.position = 0;
      this.startKey = page.LastEvaluatedKey;
      this.done = !this.startKey;
      const filtered = (page.ScannedCount ?? items.length) > this.buffer.length;
      if (filtered) this.limit = Math.min(MAX_PAGE, this.limit * PAGE_GROWTH);
    }
  }
}

async function inParallel<T>(values: T[], work: (value: T) => Promise<unknown>): Promise<void> {
  for (let offset = 0; offset < values.length; offset += PARALLEL_WRITES) {
    await Promise.all(values.slice(offset, offset + PARALLEL_WRITES).map(work));
  }
}
