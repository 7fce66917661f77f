import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConflictError, InvalidInputError, NotFoundError, StorageUnavailableError } from '../../errors';
import type { Program, StoredObject, StoredObjectType, Subscription, VtnEvent } from '../../openadr/types';
import type { EventQuery, Grant, ObjectStore, ProgramQuery, ProgramStore, SubscriptionQuery, SubscriptionStore, VtnStorage } from '../port';
import { TtlCache } from './cache';
import { CacheCoherence, type CachedKind } from './coherence';
import { EventPurge } from './event-purge';
import { EventTargets, UNTARGETED_LIST, listsOf, targetList, type EntryList } from './event-targets';
import { DynamoGateway } from './gateway';
import { fromItem, itemVersion, toItem, type Item } from './item-codec';
import { NameClaims, type ClaimHold } from './name-claims';
import { earliestEnd, eventQueryKey, eventQueryPlan, fromItemProgramID, queryMatches, readPartition, subscriptionQueryPlan } from './queries';
import { Logger } from '../../logger';
import { IndexPropagation } from './index-propagation';
import { TABLE_LAYOUT } from './table-layout';
import { VersionedItems } from './versioned-items';

export interface DynamoStorageOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Also the TTL of the subscription list, which is read and cached whole like programs. */
  programCacheTtlMs: number;
  eventCacheTtlMs: number;
  /** Budget of the event page cache, in approximate bytes (the pages' stored JSON). */
  eventCacheMaxBytes?: number;
  /** How stale another instance's write may look here, at most. */
  coherenceMs: number;
  /**
   * How long a write may still be in flight: a programName claim this young whose program does
   * not bear the name yet, or a purge mark this young whose program still exists, is left alone.
   * Must exceed the longest request (the function timeout).
   */
  nameClaimLeaseMs?: number;
  /** Time a program delete spends removing its events before leaving the rest for later. */
  purgeBudgetMs?: number;
  /** How long a write waits for the indexes to show it (see IndexPropagation). */
  indexSettleMs?: number;
  clock?: () => number;
  /** Where warnings go (a write whose index lags, a failed cache-version bump). */
  logger?: Logger;
}

const MAX_UPDATE_ATTEMPTS = 5;

export class DynamoStorage implements VtnStorage {
  readonly programs: ProgramStore;
  readonly events: ObjectStore<VtnEvent, EventQuery>;
  readonly subscriptions: SubscriptionStore;

  private readonly gateway: DynamoGateway;
  private readonly clock: () => number;
  private readonly programCache: TtlCache<Program[]>;
  private readonly subscriptionCache: TtlCache<Subscription[]>;
  private readonly eventPageCache: TtlCache<VtnEvent[]>;
  private readonly coherence: CacheCoherence;
  private readonly indexPropagation: IndexPropagation;
  private readonly writes: VersionedItems;
  private readonly names: NameClaims;
  private readonly purge: EventPurge;
  private readonly eventTargets: EventTargets;
  private readonly logger: Logger;

  constructor(options: DynamoStorageOptions) {
    this.gateway = new DynamoGateway(options.client, options.tableName);
    this.clock = options.clock ?? Date.now;
    const leaseMs = options.nameClaimLeaseMs ?? 30_000;
    const log = (this.logger = options.logger ?? new Logger('warn'));
    this.writes = new VersionedItems(this.gateway);
    this.names = new NameClaims(this.gateway, {
      leaseMs,
      clock: this.clock,
      logger: log,
      currentNameOf: async (owner) => {
        const item = await this.writes.read('PROGRAM', owner);
        return item ? fromItem<Program>(item).programName : undefined;
      },
    });
    this.eventTargets = new EventTargets(this.gateway, { leaseMs, clock: this.clock, logger: log });
    this.purge = new EventPurge(this.gateway, {
      budgetMs: options.purgeBudgetMs ?? 5_000,
      staleMarkMs: leaseMs,
      clock: this.clock,
      logger: log,
      programExists: (programID) => this.writes.exists('PROGRAM', programID),
      unlinkEvent: (event, programID) => this.eventTargets.unlinkFromProgram(event, programID),
    });
    this.indexPropagation = new IndexPropagation(this.gateway, {
      timeoutMs: options.indexSettleMs ?? 3_000,
      clock: this.clock,
      sleep,
      logger: log,
    });
    this.programCache = new TtlCache(options.programCacheTtlMs, this.clock, 1);
    this.subscriptionCache = new TtlCache(options.programCacheTtlMs, this.clock, 1);
    this.eventPageCache = new TtlCache(options.eventCacheTtlMs, this.clock, 1000, options.eventCacheMaxBytes);
    this.coherence = new CacheCoherence(this.gateway, options.coherenceMs, this.clock, log, (kind) =>
      ({ PROGRAM: this.programCache, EVENT: this.eventPageCache, SUBSCRIPTION: this.subscriptionCache })[kind].clear(),
    );

    this.programs = {
      list: (query) => this.listPrograms(query),
      get: (id) => this.getProgram(id),
      findByName: (name) => this.findProgramByName(name),
      create: (program) => this.createProgram(program),
      update: (id, change) => this.updateProgram(id, change),
      delete: (id) => this.deleteProgram(id),
    };
    this.events = {
      list: (query) => this.listEvents(query),
      get: (id) => this.getEvent(id),
      create: (event) => {
        let entries: Item[] = [];
        return this.createObject(
          event,
          ['EVENT'],
          async (written) => {
            await this.settleEntries(entries);
            await this.withdrawIfProgramGone(written);
          },
          async (item) => void (entries = await this.eventTargets.prepare(undefined, item)),
        );
      },
      update: (id, change) => this.updateEvent(id, change),
      delete: (id) => this.deleteEvent(id),
    };
    this.subscriptions = {
      list: (query) => this.listSubscriptions(query),
      all: () => this.allSubscriptions(),
      get: (id) => this.getObject<Subscription>('SUBSCRIPTION', id),
      create: (subscription) => this.createObject(subscription, ['SUBSCRIPTION']),
      update: (id, change) => this.updateObject('SUBSCRIPTION', id, change, ['SUBSCRIPTION']),
      delete: (id) => this.deleteObject<Subscription>('SUBSCRIPTION', id, ['SUBSCRIPTION']),
    };
  }

  // ---- programs -------------------------------------------------------------------------------

  /** All programs in creation order, from the cache when fresh. */
  private allPrograms(): Promise<Program[]> {
    return this.wholePartition('PROGRAM', this.programCache);
  }

  /** Every object of a type that is read and cached whole (programs, subscriptions). */
  private async wholePartition<T extends StoredObject>(objectType: StoredObjectType, cache: TtlCache<T[]>): Promise<T[]> {
    await this.coherence.ensureFresh();
    const cached = cache.get('all');
    if (cached) return cached;
    const generation = cache.generation;
    const objects = (await readPartition(this.gateway, objectType)).map((item) => fromItem<T>(item));
    cache.set('all', objects, generation);
    return objects;
  }

  private async listPrograms(query: ProgramQuery): Promise<Program[]> {
    if (query.limit === 0) return [];
    const programs = await this.allPrograms();
    const matching = query.targets?.length
      ? programs.filter((program) => program.targets?.some((target) => query.targets!.includes(target)))
      : programs;
    return matching.slice(query.skip, query.skip + query.limit);
  }

  private async getProgram(id: string): Promise<Program> {
    const cached = (await this.allPrograms()).find((program) => program.id === id);
    if (cached) return cached;
    // Created by another instance since our last coherence check, or truly absent.
    const program = await this.getObject<Program>('PROGRAM', id);
    this.programCache.clear();
    return program;
  }

  private async findProgramByName(programName: string): Promise<Program | undefined> {
    const index = TABLE_LAYOUT.indexes.programName;
    const result = await this.gateway.query({
        TableName: this.gateway.tableName,
        IndexName: index.indexName,
        KeyConditionExpression: '#pk = :pk AND #sk = :sk',
        ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
        ExpressionAttributeValues: { ':pk': { S: 'PROGRAM' }, ':sk': { S: programName } },
      });
    const item = result.Items?.[0];
    return item ? fromItem<Program>(item) : undefined;
  }

  private async createProgram(program: Program): Promise<Program> {
    const item = toItem(program, 1);
    const hold = await this.names.claim(program.programName, program.id);
    const written = await this.undoingClaimOnFailure(hold, () => this.writes.create(withClaim(item, hold)));
    if (!written) {
      await this.names.undo(hold);
      throw new ConflictError(`program ${program.id} already exists`);
    }
    await this.indexPropagation.settle(undefined, written);
    await this.afterWrite(['PROGRAM'], () => this.keepOnlyIfNameStillOurs(program));
    // Purges left for later (marks not yet old enough to drop) also move on with program creates.
    await this.afterCommit('event purge', () => this.purge.run());
    return program;
  }

  private async updateProgram(id: string, change: (current: Program) => Program): Promise<Program> {
    let previous: { name: string; claimToken?: string } = { name: '' };
    // A program's targets decide which of its events a VEN sees: cached event pages go too.
    const updated = await this.updateObject<Program>('PROGRAM', id, change, ['PROGRAM', 'EVENT'], {
      beforeWrite: async (next, current, currentItem) => {
        previous = { name: current.programName, claimToken: currentItem.claimToken?.S };
        return next.programName !== current.programName ? this.names.claim(next.programName, id) : undefined;
      },
    });
    if (updated.programName !== previous.name) await this.names.release(previous.name, id, previous.claimToken);
    return updated;
  }

  private async deleteProgram(id: string): Promise<Program> {
    const current = await this.writes.read('PROGRAM', id);
    if (!current) throw new NotFoundError('PROGRAM', id);
    // Marked first: a delete cut short after this still has its events purged later.
    await this.purge.mark(id);
    const { object: deleted, item } = await this.removeObject<Program>(current, ['PROGRAM', 'EVENT']);
    // From here on, the program's events are unreadable: reads check that their program exists.
    await this.names.release(deleted.programName, id, item.claimToken?.S);
    await this.afterCommit('event purge', () => this.purge.run(id));
    return deleted;
  }

  /**
   * Runs a write that follows a claim. A write that surely failed gives the claim back; one whose
   * outcome is unknown (the database did not answer) keeps it, since the write may have landed:
   * the claim then lapses after its lease unless the program bears the name.
   */
  private async undoingClaimOnFailure<R>(hold: ClaimHold | undefined, write: () => Promise<R>): Promise<R> {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof StorageUnavailableError)) await this.names.undo(hold);
      throw error;
    }
  }

  /**
   * Closes the window where a create outlived its claim's lease and lost the name to another:
   * the later claimant keeps the name and this program is withdrawn. A program renamed or
   * deleted since (its claim rightly given up) was created all the same.
   */
  private async keepOnlyIfNameStillOurs(program: Program): Promise<void> {
    const { held, holder } = await this.names.isHeldBy(program.programName, program.id);
    if (held) return;
    let current = await this.writes.read('PROGRAM', program.id);
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      if (!current || fromItem<Program>(current).programName !== program.programName) return;
      current = await this.writes.remove(current);
      if (!current) break;
    }
    throw new ConflictError(`programName "${program.programName}" was taken by ${holder ? `program ${holder}` : 'another program'}`);
  }

  // ---- events ---------------------------------------------------------------------------------

  private async listEvents(query: EventQuery): Promise<VtnEvent[]> {
    if (query.limit === 0) return [];
    await this.coherence.ensureFresh();
    const cacheKey = eventQueryKey(query);
    const cached = this.eventPageCache.get(cacheKey);
    if (cached) return cached;
    const generation = this.eventPageCache.generation;

    const audience = query.audience;
    const programIDs = new Set((await this.allPrograms()).filter((program) => !audience || maySee(audience, program.targets)).map((program) => program.id));
    const lists = eventLists(query);
    const matched =
      query.programID !== undefined && !programIDs.has(query.programID)
        ? []
        : lists
          ? await this.eventTargets.list({ query, lists, programVisible: (programID) => programIDs.has(programID) })
          : await queryMatches(this.gateway, eventQueryPlan(this.gateway.tableName, query), query.skip + query.limit, (item) =>
              programIDs.has(fromItemProgramID(item)),
            );
    const pageItems = matched.slice(query.skip);
    const page = pageItems.map((item) => fromItem<VtnEvent>(item));
    this.eventPageCache.set(cacheKey, page, generation, {
      expiresAt: query.activeAt ? earliestEnd(matched) : undefined,
      bytes: pageItems.reduce((sum, item) => sum + (item.data?.S?.length ?? 0), 0),
    });
    return page;
  }

  /**
   * Target entries are put before the event's write and retired after it (see EventTargets).
   * A retry after losing a race rewrites every entry: the winner may keep entries our first
   * attempt put with other copies, and no one else rewrites them.
   */
  private async updateEvent(id: string, change: (current: VtnEvent) => VtnEvent): Promise<VtnEvent> {
    let attempts = 0;
    let attemptedVersion = 0;
    let entries: Item[] = [];
    const touched = new Set<string>();
    try {
      return await this.updateObject<VtnEvent>('EVENT', id, change, ['EVENT'], {
        beforeWrite: async (_next, current, currentItem, nextItem) => {
          await this.assertProgramVisible(current);
          entries = await this.eventTargets.prepare(currentItem, nextItem, attempts++ > 0);
          for (const list of listsOf(nextItem)) touched.add(list);
          attemptedVersion = itemVersion(nextItem);
          return undefined;
        },
        afterWrite: async (written, replaced) => {
          const stale = [...listsOf(replaced), ...touched];
          await this.settleEntries(entries);
          await this.afterCommit('event target cleanup', () => this.eventTargets.retire(id, stale, written, itemVersion(written)));
          await this.withdrawIfProgramGone(written, replaced);
        },
      });
    } catch (error) {
      // Deleted while we wrote: the entries put for a version that never came are ours to take back.
      if (error instanceof NotFoundError && touched.size > 0) {
        await this.afterCommit('event target cleanup', async () => {
          if (!(await this.writes.exists('EVENT', id))) await this.eventTargets.retire(id, touched, undefined, attemptedVersion);
        });
      }
      throw error;
    }
  }

  /**
   * Entries put for a write are in the start and end indexes too: like the event's own index
   * entries, they must show before the write answers, or a VEN's next list could miss it. Retired
   * entries are not waited for: a list checks each entry against its event.
   */
  private async settleEntries(entries: Item[]): Promise<void> {
    await Promise.all(entries.map((entry) => this.indexPropagation.settle(undefined, entry)));
  }

  private async deleteEvent(id: string): Promise<VtnEvent> {
    const current = await this.writes.read('EVENT', id);
    if (!current) throw new NotFoundError('EVENT', id);
    const { object, item } = await this.removeObject<VtnEvent>(current, ['EVENT']);
    // The delete's version is one past the deleted one (its tombstone's).
    await this.afterCommit('event target cleanup', () => this.eventTargets.retire(id, listsOf(item), undefined, itemVersion(item) + 1));
    return object;
  }

  private async getEvent(id: string): Promise<VtnEvent> {
    const event = await this.getObject<VtnEvent>('EVENT', id);
    await this.assertProgramVisible(event);
    return event;
  }

  /** Events of a deleted program may outlive it physically for a while; they are never shown. */
  private async assertProgramVisible(event: VtnEvent): Promise<void> {
    try {
      await this.getProgram(event.programID);
    } catch (error) {
      if (error instanceof NotFoundError) throw new NotFoundError('EVENT', event.id);
      throw error;
    }
  }

  // ---- subscriptions --------------------------------------------------------------------------

  private allSubscriptions(): Promise<Subscription[]> {
    return this.wholePartition('SUBSCRIPTION', this.subscriptionCache);
  }

  private async listSubscriptions(query: SubscriptionQuery): Promise<Subscription[]> {
    if (query.limit === 0) return [];
    const matched = await queryMatches(this.gateway, 
      subscriptionQueryPlan(this.gateway.tableName, query),
      query.skip + query.limit,
    );
    return matched.slice(query.skip).map((item) => fromItem<Subscription>(item));
  }

  // ---- generic object verbs ---------------------------------------------------------------------

  private async getObject<T extends StoredObject>(objectType: StoredObjectType, id: string): Promise<T> {
    const item = await this.writes.read(objectType, id);
    if (!item) throw new NotFoundError(objectType, id);
    return fromItem<T>(item);
  }

  private async createObject<T extends StoredObject>(
    object: T,
    kinds: CachedKind[],
    afterWrite?: (written: Item) => Promise<void>,
    beforeWrite?: (item: Item) => Promise<void>,
  ): Promise<T> {
    const item = toItem(object, 1);
    await beforeWrite?.(item);
    const written = await this.writes.create(item);
    if (!written) throw new ConflictError(`${object.objectType.toLowerCase()} ${object.id} already exists`);
    await this.indexPropagation.settle(undefined, written);
    await this.afterWrite(kinds, () => afterWrite?.(written));
    return object;
  }

  /**
   * Optimistic update: read, change, and write only if the version is still the one read. A
   * delete in between fails the condition and the re-read reports not found. `beforeWrite` may
   * claim something for the write (a name), which is given back when the write does not happen.
   */
  private async updateObject<T extends StoredObject>(
    objectType: StoredObjectType,
    id: string,
    change: (current: T) => T,
    kinds: CachedKind[],
    hooks: {
      beforeWrite?: (next: T, current: T, currentItem: Item, nextItem: Item) => Promise<ClaimHold | undefined>;
      afterWrite?: (written: Item, replaced: Item) => Promise<void>;
    } = {},
  ): Promise<T> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const item = await this.writes.read(objectType, id);
      if (!item) throw new NotFoundError(objectType, id);
      const current = fromItem<T>(item);
      const next = change(current);
      if (next.id !== id || next.objectType !== objectType) throw new Error('an update may not change id or objectType');
      const nextItem = toItem(next, itemVersion(item) + 1);
      const hold = await hooks.beforeWrite?.(next, current, item, nextItem);
      const written = await this.undoingClaimOnFailure(hold, () => this.writes.replace(item, hold ? withClaim(nextItem, hold) : keepClaim(nextItem, item)));
      if (!written) {
        await this.names.undo(hold);
        continue;
      }
      await this.indexPropagation.settle(item, written);
      await this.afterWrite(kinds, () => hooks.afterWrite?.(written, item));
      return next;
    }
    throw new ConflictError(`${objectType.toLowerCase()} ${id} is being modified concurrently; retry`);
  }

  private async deleteObject<T extends StoredObject>(objectType: StoredObjectType, id: string, kinds: CachedKind[]): Promise<T> {
    const current = await this.writes.read(objectType, id);
    if (!current) throw new NotFoundError(objectType, id);
    return (await this.removeObject<T>(current, kinds)).object;
  }

  /** Deletes the newest version of an object, starting from `current`; returns what was deleted. */
  private async removeObject<T extends StoredObject>(current: Item, kinds: CachedKind[]): Promise<{ object: T; item: Item }> {
    let item = current;
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const newer = await this.writes.remove(item);
      if (!newer) {
        await this.indexPropagation.settle(item, undefined);
        await this.coherence.recordWrite(kinds);
        return { object: fromItem<T>(item), item };
      }
      item = newer;
    }
    const { objectType, id } = fromItem<T>(item);
    throw new ConflictError(`${objectType.toLowerCase()} ${id} is being modified concurrently; retry`);
  }

  /**
   * Checks that follow a committed write; whatever they do, other instances learn of the write.
   * A check the database could not answer leaves the write standing, answered as written: what
   * the check would have caught is covered otherwise (a purge mark kept for the lease, a claim
   * that cannot lapse within the request).
   */
  private async afterWrite(kinds: CachedKind[], checks: () => Promise<void> | undefined): Promise<void> {
    try {
      await checks();
    } catch (error) {
      if (!(error instanceof StorageUnavailableError)) throw error;
      this.logger.warn('a check after a write could not run; the write stands', { error });
    } finally {
      await this.coherence.recordWrite(kinds);
    }
  }

  /** Work after a committed write: it must not turn the write's answer into an error. */
  private async afterCommit(what: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.logger.warn(`${what} did not finish; it is resumed later`, { error });
    }
  }

  /**
   * An event written while its program was being deleted would outlive it: the purge may have
   * read the program's events before this one reached the index. Checked after the event is in
   * the index, so either the purge finds it or this finds the program gone and withdraws the
   * write: a create is deleted, an update put back as it was. Should this check itself fail, the
   * program's purge mark, kept for a lease, still covers the event.
   */
  private async withdrawIfProgramGone(written: Item, replaced?: Item): Promise<void> {
    const event = fromItem<VtnEvent>(written);
    if (await this.writes.exists('PROGRAM', event.programID)) return;
    await this.purge.mark(event.programID);
    await this.withdrawEvent(written, replaced);
    throw InvalidInputError.field('programID', `program ${event.programID} does not exist`);
  }

  /** Takes back an event write, with its target entries: an update's before it is put back. */
  private async withdrawEvent(written: Item, replaced?: Item): Promise<void> {
    const id = written[TABLE_LAYOUT.sortKey].S as string;
    const version = itemVersion(written) + 1;
    if (replaced) {
      const back = { ...replaced, version: { N: String(version) } };
      await this.eventTargets.prepare(written, back, true);
      if (await this.writes.restore(written, replaced)) await this.eventTargets.retire(id, listsOf(written), back, version);
    } else if (!(await this.writes.remove(written))) {
      await this.eventTargets.retire(id, listsOf(written), undefined, version);
    }
  }
}

/** Whether a grant may see an object with these targets: untargeted, or sharing a granted one. */
function maySee(grant: Grant, targets: readonly string[] | null | undefined): boolean {
  return !targets?.length || targets.some((target) => grant.targets.includes(target));
}

/**
 * The target entry lists an event query reads, or undefined when it reads events directly (a
 * BL's query without targets). A VEN sees untargeted events and those of its granted targets:
 * it reads those lists, and with query targets only its granted lists, those not queried
 * filtered by the entry's copy of the targets (an event may carry a queried target the VEN was
 * not granted beside one it was). Reading the queried lists instead would cost what the table
 * holds under targets the VEN may not see.
 */
function eventLists(query: EventQuery): EntryList[] | undefined {
  const granted = query.audience && [...new Set(query.audience.targets)];
  const queried = query.targets?.length ? [...new Set(query.targets)] : undefined;
  if (!granted) return queried?.map((target) => ({ list: targetList(target) }));
  if (!queried) return [...granted.map((target) => ({ list: targetList(target) })), { list: UNTARGETED_LIST }];
  return granted.map((target) => ({ list: targetList(target), anyOf: queried.includes(target) ? undefined : queried }));
}

/** The object's item carrying the token of the name claim this write holds (see NameClaims.release). */
function withClaim(item: Item, hold: ClaimHold): Item {
  return { ...item, claimToken: { S: hold.token } };
}

/** An update that claims nothing keeps the claim token of the version it replaces. */
function keepClaim(item: Item, replaced: Item): Item {
  return replaced.claimToken ? { ...item, claimToken: replaced.claimToken } : item;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
