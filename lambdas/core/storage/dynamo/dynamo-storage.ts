import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConflictError, NotFoundError, StorageUnavailableError } from '../../errors';
import type { Program, Resource, StoredObject, StoredObjectType, Subscription, Ven, VtnEvent, Report } from '../../openadr/types';
import type { EventQuery, Grant, ObjectStore, VenGrant, ProgramQuery, ProgramStore, ReportStore, ResourceStore, SubscriptionQuery, SubscriptionStore, VenStore, VtnStorage } from '../port';
import { TtlCache } from './cache';
import { CacheCoherence, type CachedKind } from './coherence';
import { ChildPurge } from './child-purge';
import { EventTargets, UNTARGETED_LIST, listsOf, targetList, targetsOf, type EntryList } from './event-targets';
import { DynamoGateway } from './gateway';
import {
  fromItem,
  itemVersion,
  PENDING_PURGE,
  PENDING_VEN_PURGE,
  PROGRAM_NAME_CLAIM,
  RESOURCE_NAME_CLAIM,
  resourceKey,
  toItem,
  VEN_CLIENT_CLAIM,
  VEN_NAME_CLAIM,
  type Item,
} from './item-codec';
import type { ClaimHold } from './name-claims';
import { listReports } from './report-queries';
import { earliestEnd, eventQueryKey, eventQueryPlan, fromItemProgramID, queryMatches, readPartition, subscriptionQueryPlan } from './queries';
import { Logger } from '../../logger';
import { carriesAny, visibleUnder } from '../../openadr/targets';
import { IndexPropagation } from './index-propagation';
import { TABLE_LAYOUT } from './table-layout';
import { undoClaims, UniqueFields } from './unique-fields';
import { VenDirectory } from './ven-directory';
import { VersionedItems } from './versioned-items';

export interface DynamoStorageOptions {
  client: DynamoDBClient;
  tableName: string;
  /**
   * Also the TTL of the subscription list, which is read and cached whole like programs, and of
   * the clients' grants.
   */
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
  /** Time a program (ven) delete spends removing its events (resources) before leaving the rest for later. */
  purgeBudgetMs?: number;
  /** How long a write waits for the indexes to show it (see IndexPropagation). */
  indexSettleMs?: number;
  clock?: () => number;
  /** Where warnings go (a write whose index lags, a failed cache-version bump). */
  logger?: Logger;
}

const MAX_UPDATE_ATTEMPTS = 5;

/** The cached kinds an update moves, from the version it replaced and the one it wrote. */
type KindsMovedBy = (written: Item, replaced: Item) => CachedKind[];

/**
 * Grants (and the ven directory) move with an update only when one of `fields` changes: a
 * resource's attributes or a ven's name leave every grant as it was. Targets are compared as
 * sets, none and empty alike, as grants hold them.
 */
function grantsMovedBy<T extends StoredObject>(...fields: (keyof T & string)[]): KindsMovedBy {
  const valueOf = (item: Item, field: string) => {
    const value = (fromItem<T>(item) as Record<string, unknown>)[field];
    return Array.isArray(value) ? JSON.stringify([...new Set(value)].sort()) : JSON.stringify(value ?? []);
  };
  return (written, replaced) => (fields.some((field) => valueOf(written, field) !== valueOf(replaced, field)) ? ['GRANT'] : []);
}

/** What a write of one type must keep: unique fields, and children that go with the object. */
interface WriteRules<T extends StoredObject> {
  unique?: UniqueFields<T>;
  /** Writes that must precede the object's own (an event's target entries), given its item. */
  beforeWrite?: (item: Item) => Promise<void>;
  /** The purge of this object's children: marked before its delete, resumed by its creates. */
  children?: ChildPurge;
}

export class DynamoStorage implements VtnStorage {
  readonly programs: ProgramStore;
  readonly events: ObjectStore<VtnEvent, EventQuery>;
  readonly subscriptions: SubscriptionStore;
  readonly vens: VenStore;
  readonly resources: ResourceStore;
  readonly reports: ReportStore;

  private readonly gateway: DynamoGateway;
  private readonly clock: () => number;
  private readonly programCache: TtlCache<Program[]>;
  private readonly subscriptionCache: TtlCache<Subscription[]>;
  private readonly eventPageCache: TtlCache<VtnEvent[]>;
  private readonly grantCache: TtlCache<Grant>;
  private readonly venGrantCache: TtlCache<VenGrant[]>;
  private readonly partitionReads = new Map<StoredObjectType, { generation: number; objects: Promise<StoredObject[]> }>();
  private readonly coherence: CacheCoherence;
  private readonly indexPropagation: IndexPropagation;
  private readonly writes: VersionedItems;
  private readonly programNames: UniqueFields<Program>;
  private readonly purge: ChildPurge;
  private readonly eventTargets: EventTargets;
  private readonly venPurge: ChildPurge;
  private readonly directory: VenDirectory;
  private readonly logger: Logger;

  constructor(options: DynamoStorageOptions) {
    this.gateway = new DynamoGateway(options.client, options.tableName);
    this.clock = options.clock ?? Date.now;
    const leaseMs = options.nameClaimLeaseMs ?? 30_000;
    const log = (this.logger = options.logger ?? new Logger('warn'));
    this.writes = new VersionedItems(this.gateway);
    const claimOptions = { leaseMs, clock: this.clock, logger: log };
    // claimToken: the attribute program items have always kept their claim's token in.
    this.programNames = new UniqueFields<Program>(this.gateway, this.writes, 'PROGRAM', [
      { partition: PROGRAM_NAME_CLAIM, field: 'programName', tokenAttribute: 'claimToken', valueOf: (program) => program.programName },
    ], claimOptions);
    const venFields = new UniqueFields<Ven>(this.gateway, this.writes, 'VEN', [
      { partition: VEN_NAME_CLAIM, field: 'venName', tokenAttribute: 'venNameClaimToken', valueOf: (ven) => ven.venName },
      { partition: VEN_CLIENT_CLAIM, field: 'clientID', tokenAttribute: 'clientIDClaimToken', valueOf: (ven) => ven.clientID },
    ], claimOptions);
    const resourceFields = new UniqueFields<Resource>(this.gateway, this.writes, 'RESOURCE', [
      {
        partition: RESOURCE_NAME_CLAIM,
        field: 'resourceName',
        tokenAttribute: 'claimToken',
        valueOf: (resource) => resourceKey(resource.venID, resource.resourceName),
        shown: (key) => key.slice(key.indexOf('#') + 1),
      },
    ], claimOptions);
    const purgeOptions = { budgetMs: options.purgeBudgetMs ?? 5_000, staleMarkMs: leaseMs, clock: this.clock, logger: log };
    this.eventTargets = new EventTargets(this.gateway, { leaseMs, clock: this.clock, logger: log });
    this.purge = new ChildPurge(this.gateway, this.writes, { parentType: 'PROGRAM', childType: 'EVENT', parentField: 'programID', markPartition: PENDING_PURGE, keptOfParent: 'targets' }, {
      ...purgeOptions,
      unlinkChild: (event, programID) => this.eventTargets.unlinkFromProgram(event, programID),
    });
    this.venPurge = new ChildPurge(this.gateway, this.writes, { parentType: 'VEN', childType: 'RESOURCE', parentField: 'venID', markPartition: PENDING_VEN_PURGE }, {
      ...purgeOptions,
      onChildDeleted: (resource) => resourceFields.release(resource),
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
    this.grantCache = new TtlCache(options.programCacheTtlMs, this.clock, 1000);
    this.venGrantCache = new TtlCache(options.programCacheTtlMs, this.clock, 1);
    const caches = { PROGRAM: [this.programCache], EVENT: [this.eventPageCache], SUBSCRIPTION: [this.subscriptionCache], GRANT: [this.grantCache, this.venGrantCache] };
    this.coherence = new CacheCoherence(this.gateway, options.coherenceMs, this.clock, log, (kind) => caches[kind].forEach((cache) => cache.clear()));
    this.directory = new VenDirectory(this.gateway, this.writes, venFields, resourceFields, this.grantCache, this.venGrantCache, this.coherence, { leaseMs, clock: this.clock });

    this.programs = {
      list: (query) => this.listPrograms(query),
      get: (id) => this.getProgram(id),
      findByName: (name) => this.findProgramByName(name),
      create: (program) => this.createObject(program, ['PROGRAM'], undefined, { unique: this.programNames, children: this.purge }),
      // A program's targets decide which of its events a VEN sees: cached event pages go too.
      update: (id, change) => this.updateObject('PROGRAM', id, change, ['PROGRAM', 'EVENT'], { unique: this.programNames }),
      // From the delete on, the program's events are unreadable: reads check that their program exists.
      delete: (id) => this.deleteObject<Program>('PROGRAM', id, ['PROGRAM', 'EVENT'], { unique: this.programNames, children: this.purge }),
      deletedTargets: async (id) => {
        const kept = await this.purge.keptOf(id);
        return kept && (kept.L?.map((target) => target.S as string) ?? []);
      },
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
          { beforeWrite: async (item) => void (entries = await this.eventTargets.prepare(undefined, item)) },
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
      delete: (id, expect) => this.deleteObject<Subscription>('SUBSCRIPTION', id, ['SUBSCRIPTION'], {}, expect),
    };
    // Not cached: no cache to tell other instances about.
    this.reports = {
      list: (query) => listReports(this.gateway, query),
      get: (id) => this.getObject<Report>('REPORT', id),
      create: (report) => this.createObject(report, []),
      update: (id, change) => this.updateObject('REPORT', id, change, []),
      delete: (id, expect) => this.deleteObject<Report>('REPORT', id, [], {}, expect),
    };
    // A ven's create or delete changes the directory; an update, only when a grant depends on what it changes.
    const venRules: WriteRules<Ven> = { unique: venFields, children: this.venPurge };
    this.vens = {
      list: (query) => this.directory.listVens(query),
      get: (id) => this.getObject<Ven>('VEN', id),
      findByClient: (clientID) => this.directory.findByClient(clientID),
      create: (ven) => this.createObject(ven, ['GRANT'], undefined, venRules),
      update: (id, change) => this.updateObject('VEN', id, change, grantsMovedBy<Ven>('targets', 'clientID'), { unique: venFields }),
      delete: (id, expect) => this.deleteObject<Ven>('VEN', id, ['GRANT'], venRules, expect),
    };
    const withdrawIfVenGone = (written: Item, replaced?: Item) => this.venPurge.withdrawIfOrphaned(written, replaced);
    this.resources = {
      list: (query) => this.directory.listResources(query),
      get: (id) => this.directory.getResource(id),
      create: async (resource) => {
        await this.directory.requireVen(resource.venID);
        // A resource without targets grants nothing: its ven's grant stays as it was.
        return this.createObject(resource, resource.targets?.length ? ['GRANT'] : [], withdrawIfVenGone, { unique: resourceFields });
      },
      update: (id, change) =>
        this.updateObject('RESOURCE', id, change, grantsMovedBy<Resource>('targets', 'venID'), {
          unique: resourceFields,
          beforeWrite: (next) => this.directory.requireVen(next.venID),
          afterWrite: withdrawIfVenGone,
        }),
      delete: (id, expect) => this.deleteObject<Resource>('RESOURCE', id, ['GRANT'], { unique: resourceFields }, expect),
    };
  }

  grantOf(clientID: string): Promise<Grant> {
    return this.directory.grantOf(clientID);
  }

  venGrants(): Promise<VenGrant[]> {
    return this.directory.venGrants();
  }

  // ---- programs -------------------------------------------------------------------------------

  /** All programs in creation order, from the cache when fresh. */
  private allPrograms(): Promise<Program[]> {
    return this.wholePartition('PROGRAM', this.programCache);
  }

  /**
   * Every object of a type that is read and cached whole (programs, subscriptions). Reads under
   * way share one: the init's priming and the first request, say, read the partition once. A read
   * begun before the cache was last cleared is not shared.
   */
  private async wholePartition<T extends StoredObject>(objectType: StoredObjectType, cache: TtlCache<T[]>): Promise<T[]> {
    await this.coherence.ensureFresh();
    const cached = cache.get('all');
    if (cached) return cached;
    const generation = cache.generation;
    const pending = this.partitionReads.get(objectType);
    if (pending?.generation === generation) return pending.objects as Promise<T[]>;
    const objects = readPartition(this.gateway, objectType).then((items) => {
      const read = items.map((item) => fromItem<T>(item));
      cache.set('all', read, generation);
      return read;
    });
    const read = { generation, objects };
    this.partitionReads.set(objectType, read);
    try {
      return await objects;
    } finally {
      if (this.partitionReads.get(objectType) === read) this.partitionReads.delete(objectType);
    }
  }

  private async listPrograms(query: ProgramQuery): Promise<Program[]> {
    if (query.limit === 0) return [];
    const { targets, audience } = query;
    const matching = (await this.allPrograms()).filter(
      (program) => carriesAny(program.targets, targets) && (!audience || visibleUnder(program.targets, audience.targets)),
    );
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

  /**
   * Runs a write that follows a claim. A write that surely failed gives the claim back; one whose
   * outcome is unknown (the database did not answer) keeps it, since the write may have landed:
   * the claim then lapses after its lease unless the object bears the value.
   */
  private async undoingClaimOnFailure<R>(holds: ClaimHold[], write: () => Promise<R>): Promise<R> {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof StorageUnavailableError)) await undoClaims(holds);
      throw error;
    }
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
    const programIDs = new Set((await this.allPrograms()).filter((program) => !audience || visibleUnder(program.targets, audience.targets)).map((program) => program.id));
    const lists = eventLists(query);
    const matched =
      query.programID !== undefined && !programIDs.has(query.programID)
        ? []
        : lists
          ? await this.eventTargets.list({ query, lists, programVisible: (programID) => programIDs.has(programID) })
          : await queryMatches(
              this.gateway,
              eventQueryPlan(this.gateway.tableName, query),
              query.skip + query.limit,
              (item) => programIDs.has(fromItemProgramID(item)) && (!audience || visibleUnder(targetsOf(item), audience.targets)),
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
  private async updateEvent(id: string, change: (current: VtnEvent) => VtnEvent | Promise<VtnEvent>): Promise<VtnEvent> {
    let attempts = 0;
    let attemptedVersion = 0;
    let entries: Item[] = [];
    const touched = new Set<string>();
    // The attempt whose entries are out and whose write has not landed yet.
    let pending: { attempt: string; lists: string[]; version: number } | undefined;
    const takeBack = async (current: Item | undefined) => {
      if (!pending) return;
      const { attempt, lists, version } = pending;
      pending = undefined;
      // Only once another write has taken the attempted version (or the event is gone): until
      // then a writer from the same version may still land with these very entries, which the
      // lists then check and repair.
      if (current && itemVersion(current) < version) return;
      await this.afterCommit('event target take-back', () => this.eventTargets.takeBack(id, attempt, lists, current));
    };
    try {
      return await this.updateObject<VtnEvent>('EVENT', id, change, ['EVENT'], {
        // An event whose program is gone is gone too, whatever the change.
        beforeChange: (current) => this.assertProgramVisible(current),
        beforeWrite: async (_next, _current, currentItem, nextItem) => {
          // The previous attempt lost the race to the version just read: its entries follow that one.
          await takeBack(currentItem);
          const attempt = randomUUID();
          pending = { attempt, lists: listsOf(nextItem), version: itemVersion(nextItem) };
          entries = await this.eventTargets.prepare(currentItem, nextItem, attempts++ > 0, attempt);
          for (const list of listsOf(nextItem)) touched.add(list);
          attemptedVersion = itemVersion(nextItem);
        },
        afterWrite: async (written, replaced) => {
          pending = undefined;
          const stale = [...listsOf(replaced), ...touched];
          await this.settleEntries(entries);
          await this.afterCommit('event target cleanup', () => this.eventTargets.retire(id, stale, written, itemVersion(written)));
          await this.withdrawIfProgramGone(written, replaced);
        },
      });
    } catch (error) {
      // Given up (contention, a failed write): the last attempt's entries follow the event as it is.
      if (pending) await this.afterCommit('event target take-back', async () => takeBack(await this.writes.read('EVENT', id)));
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

  /**
   * Claims the object's unique values, writes it, and checks after the write (a claim lost after
   * its lease, the checks of `afterWrite`): a write withdrawn by a check gives its claims back.
   */
  private async createObject<T extends StoredObject>(
    object: T,
    kinds: CachedKind[],
    afterWrite?: (written: Item) => Promise<void>,
    rules: WriteRules<T> = {},
  ): Promise<T> {
    const item = toItem(object, 1);
    await rules.beforeWrite?.(item);
    const holds = (await rules.unique?.claim(object)) ?? [];
    const written = await this.undoingClaimOnFailure(holds, () => this.writes.create(rules.unique?.stamp(item, holds) ?? item));
    if (!written) {
      await undoClaims(holds);
      throw new ConflictError(`${object.objectType.toLowerCase()} ${object.id} already exists`);
    }
    await this.indexPropagation.settle(undefined, written);
    await this.afterWrite(kinds, () =>
      this.undoingClaimOnFailure(holds, async () => {
        await rules.unique?.keepOnlyIfStillOurs(object);
        await afterWrite?.(written);
      }),
    );
    // Purges left for later (marks not yet old enough to drop) also move on with the parent's creates.
    if (rules.children) await this.afterCommit('purge', () => rules.children!.run());
    return object;
  }

  /**
   * Optimistic update: read, change, and write only if the version is still the one read. A
   * delete in between fails the condition and the re-read reports not found. The unique values
   * that change are claimed for the write, given back when it does not happen (or is withdrawn by
   * `afterWrite`), and the values left behind are released once it has.
   */
  private async updateObject<T extends StoredObject>(
    objectType: StoredObjectType,
    id: string,
    change: (current: T) => T | Promise<T>,
    kinds: CachedKind[] | KindsMovedBy,
    hooks: {
      /** Checks of the version read, before `change` runs; it throws to refuse the write. */
      beforeChange?: (current: T) => Promise<void>;
      /** Checks before anything is claimed or written; it throws to refuse the write. */
      beforeWrite?: (next: T, current: T, currentItem: Item, nextItem: Item) => Promise<void>;
      afterWrite?: (written: Item, replaced: Item) => Promise<void>;
      unique?: UniqueFields<T>;
    } = {},
  ): Promise<T> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const item = await this.writes.read(objectType, id);
      if (!item) throw new NotFoundError(objectType, id);
      const current = fromItem<T>(item);
      await hooks.beforeChange?.(current);
      const next = await change(current);
      if (next.id !== id || next.objectType !== objectType) throw new Error('an update may not change id or objectType');
      const nextItem = toItem(next, itemVersion(item) + 1);
      await hooks.beforeWrite?.(next, current, item, nextItem);
      const holds = (await hooks.unique?.claim(next, current)) ?? [];
      const written = await this.undoingClaimOnFailure(holds, () => this.writes.replace(item, hooks.unique?.stamp(nextItem, holds, item) ?? nextItem));
      if (!written) {
        await undoClaims(holds);
        continue;
      }
      await this.indexPropagation.settle(item, written);
      const moved = typeof kinds === 'function' ? kinds(written, item) : kinds;
      await this.afterWrite(moved, () => this.undoingClaimOnFailure(holds, async () => hooks.afterWrite?.(written, item)));
      await hooks.unique?.release(item, written);
      return next;
    }
    throw new ConflictError(`${objectType.toLowerCase()} ${id} is being modified concurrently; retry`);
  }

  private async deleteObject<T extends StoredObject>(
    objectType: StoredObjectType,
    id: string,
    kinds: CachedKind[],
    rules: WriteRules<T> = {},
    expect?: (current: T) => void,
  ): Promise<T> {
    const current = await this.writes.read(objectType, id);
    if (!current) throw new NotFoundError(objectType, id);
    expect?.(fromItem<T>(current));
    // Marked first: a delete cut short after this still has its children purged later.
    await rules.children?.mark(id);
    const { object, item } = await this.removeObject<T>(current, kinds, expect);
    await rules.unique?.release(item);
    // Before the purge deletes a child, whose delete may be judged by what the mark keeps.
    if (rules.children) await this.afterCommit('keeping the deleted object on its purge mark', () => rules.children!.keepOfParent(id, item));
    if (rules.children) await this.afterCommit('purge', () => rules.children!.run(id));
    return object;
  }

  /** Deletes the newest version of an object, starting from `current`; returns what was deleted. */
  private async removeObject<T extends StoredObject>(current: Item, kinds: CachedKind[], expect?: (current: T) => void): Promise<{ object: T; item: Item }> {
    let item = current;
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const newer = await this.writes.remove(item);
      if (!newer) {
        await this.indexPropagation.settle(item, undefined);
        await this.coherence.recordWrite(kinds);
        return { object: fromItem<T>(item), item };
      }
      item = newer;
      // A newer version stood in the way: it is the one to delete, if it may be.
      expect?.(fromItem<T>(item));
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

  /** An event written while its program was being deleted is withdrawn (see ChildPurge), with its target entries. */
  private withdrawIfProgramGone(written: Item, replaced?: Item): Promise<void> {
    return this.purge.withdrawIfOrphaned(written, replaced, (withdrawn, back) => this.withdrawEvent(withdrawn, back));
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

/**
 * The target entry lists an event query reads, or undefined when it reads events directly (a
 * BL's query without targets). A VEN sees untargeted events and those of its granted targets;
 * its query targets select among granted targets only (operations narrow them to the grant, so
 * that a VEN never learns which hidden targets an event carries).
 */
function eventLists(query: EventQuery): EntryList[] | undefined {
  const granted = query.audience && [...new Set(query.audience.targets)];
  const queried = query.targets?.length ? [...new Set(query.targets)] : undefined;
  if (!granted) return queried?.map((target) => ({ list: targetList(target) }));
  // One program's events, checked against the grant: that program's events are read, not the lists'.
  if (!queried && query.programID) return undefined;
  if (!queried) return [...granted.map((target) => ({ list: targetList(target) })), { list: UNTARGETED_LIST }];
  return queried.filter((target) => granted.includes(target)).map((target) => ({ list: targetList(target) }));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
