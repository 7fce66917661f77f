import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConflictError, NotFoundError } from '../../errors';
import type { Program, StoredObject, StoredObjectType, Subscription, VtnEvent } from '../../openadr/types';
import type { EventQuery, ObjectStore, ProgramQuery, ProgramStore, SubscriptionQuery, SubscriptionStore, VtnStorage } from '../port';
import { TtlCache } from './cache';
import { CacheCoherence, type CachedKind } from './coherence';
import { DynamoGateway, isConditionFailure } from './gateway';
import { PENDING_PURGE, PROGRAM_NAME_CLAIM, fromItem, itemVersion, programScope, toItem, type Item } from './item-codec';
import { earliestEnd, eventQueryKey, eventQueryPlan, fromItemProgramID, queryMatches, readPartition, subscriptionQueryPlan } from './queries';
import { Logger } from '../../logger';
import { IndexPropagation } from './index-propagation';
import { TABLE_LAYOUT } from './table-layout';

export interface DynamoStorageOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Also the TTL of the subscription list, which is read and cached whole like programs. */
  programCacheTtlMs: number;
  eventCacheTtlMs: number;
  /** How stale another instance's write may look here, at most. */
  coherenceMs: number;
  /** A programName claim this young whose program is not there yet is a create in flight. */
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
const BATCH_WRITE_SIZE = 25;

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
  private readonly nameClaimLeaseMs: number;
  private readonly purgeBudgetMs: number;
  private readonly indexPropagation: IndexPropagation;

  constructor(options: DynamoStorageOptions) {
    this.gateway = new DynamoGateway(options.client, options.tableName);
    this.clock = options.clock ?? Date.now;
    this.nameClaimLeaseMs = options.nameClaimLeaseMs ?? 30_000;
    this.purgeBudgetMs = options.purgeBudgetMs ?? 5_000;
    const log = options.logger ?? new Logger('warn');
    this.indexPropagation = new IndexPropagation(this.gateway, {
      timeoutMs: options.indexSettleMs ?? 3_000,
      clock: this.clock,
      sleep,
      logger: log,
    });
    this.programCache = new TtlCache(options.programCacheTtlMs, this.clock, 1);
    this.subscriptionCache = new TtlCache(options.programCacheTtlMs, this.clock, 1);
    this.eventPageCache = new TtlCache(options.eventCacheTtlMs, this.clock);
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
      create: (event) => this.createObject(event, ['EVENT']),
      update: (id, change) =>
        this.updateObject('EVENT', id, change, ['EVENT'], (_next, current) => this.assertProgramVisible(current)),
      delete: (id) => this.deleteObject<VtnEvent>('EVENT', id, ['EVENT']),
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
    await this.claimName(program.programName, program.id);
    try {
      await this.putNew(program);
    } catch (error) {
      await this.releaseName(program.programName, program.id);
      throw error;
    }
    await this.keepOnlyIfNameStillOurs(program);
    await this.coherence.recordWrite(['PROGRAM']);
    return program;
  }

  private async updateProgram(id: string, change: (current: Program) => Program): Promise<Program> {
    let previousName = '';
    const updated = await this.updateObject<Program>(
      'PROGRAM',
      id,
      change,
      [],
      async (next, current) => {
        previousName = current.programName;
        if (next.programName !== current.programName) await this.claimName(next.programName, id);
      },
      async (next, current) => {
        if (next.programName !== current.programName) await this.releaseName(next.programName, id);
      },
    );
    if (updated.programName !== previousName) await this.releaseName(previousName, id);
    await this.coherence.recordWrite(['PROGRAM']);
    return updated;
  }

  private async deleteProgram(id: string): Promise<Program> {
    const deleted = await this.deleteObject<Program>('PROGRAM', id, []);
    // From here on, the program's events are unreadable: reads check that their program exists.
    await this.coherence.recordWrite(['PROGRAM', 'EVENT']);
    await this.releaseName(deleted.programName, id);
    await this.purgeEvents(id);
    return deleted;
  }

  // ---- programName uniqueness, from conditional single-item writes ------------------------------

  /**
   * Claims `name` for `owner` through a claim item keyed by the name. Exactly one of several
   * concurrent claimants wins the conditional put. A claim is stale, and may be taken over, when
   * it is older than the lease and its owner no longer exists or no longer bears the name
   * (an interrupted create, rename or delete), so no name stays blocked for good.
   */
  private async claimName(name: string, owner: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const claimedAt = this.clock();
      try {
        await this.gateway.put({
            TableName: this.gateway.tableName,
            Item: this.claimItem(name, owner, claimedAt),
            ConditionExpression: 'attribute_not_exists(#id)',
            ExpressionAttributeNames: { '#id': TABLE_LAYOUT.sortKey },
          });
        return;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      const claim = await this.readClaim(name);
      if (!claim) continue;
      if (claim.owner === owner) return;
      if (await this.claimIsLive(name, claim)) {
        throw new ConflictError(`programName "${name}" is already used by program ${claim.owner}`);
      }
      try {
        await this.gateway.put({
            TableName: this.gateway.tableName,
            Item: this.claimItem(name, owner, this.clock()),
            ConditionExpression: 'ownerID = :owner AND claimedAt = :claimedAt',
            ExpressionAttributeValues: { ':owner': { S: claim.owner }, ':claimedAt': { N: String(claim.claimedAt) } },
          });
        return;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    throw new ConflictError(`programName "${name}" is being claimed concurrently; retry`);
  }

  private claimItem(name: string, owner: string, claimedAt: number): Item {
    return {
      objectType: { S: PROGRAM_NAME_CLAIM },
      id: { S: name },
      ownerID: { S: owner },
      claimedAt: { N: String(claimedAt) },
    };
  }

  private async readClaim(name: string): Promise<{ owner: string; claimedAt: number } | undefined> {
    const result = await this.gateway.get({
        TableName: this.gateway.tableName,
        Key: { objectType: { S: PROGRAM_NAME_CLAIM }, id: { S: name } },
        ConsistentRead: true,
      });
    if (!result.Item) return undefined;
    return { owner: result.Item.ownerID.S as string, claimedAt: Number(result.Item.claimedAt.N) };
  }

  private async claimIsLive(name: string, claim: { owner: string; claimedAt: number }): Promise<boolean> {
    if (this.clock() - claim.claimedAt < this.nameClaimLeaseMs) return true;
    const owner = await this.readItem('PROGRAM', claim.owner);
    return owner !== undefined && fromItem<Program>(owner).programName === name;
  }

  private async releaseName(name: string, owner: string): Promise<void> {
    try {
      await this.gateway.delete({
          TableName: this.gateway.tableName,
          Key: { objectType: { S: PROGRAM_NAME_CLAIM }, id: { S: name } },
          ConditionExpression: 'ownerID = :owner',
          ExpressionAttributeValues: { ':owner': { S: owner } },
        });
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /**
   * Closes the window where a create outlived its claim's lease and lost the name to another:
   * the later claimant keeps the name and this program is withdrawn.
   */
  private async keepOnlyIfNameStillOurs(program: Program): Promise<void> {
    const claim = await this.readClaim(program.programName);
    if (claim?.owner === program.id) return;
    await this.gateway.delete({
        TableName: this.gateway.tableName,
        Key: this.key('PROGRAM', program.id),
      });
    throw new ConflictError(`programName "${program.programName}" was taken by program ${claim?.owner}`);
  }

  // ---- events ---------------------------------------------------------------------------------

  private async listEvents(query: EventQuery): Promise<VtnEvent[]> {
    if (query.limit === 0) return [];
    await this.coherence.ensureFresh();
    const cacheKey = eventQueryKey(query);
    const cached = this.eventPageCache.get(cacheKey);
    if (cached) return cached;
    const generation = this.eventPageCache.generation;

    const programIDs = new Set((await this.allPrograms()).map((program) => program.id));
    const matched = await queryMatches(this.gateway, 
      eventQueryPlan(this.gateway.tableName, query),
      query.skip + query.limit,
      (item) => programIDs.has(fromItemProgramID(item)),
    );
    const page = matched.slice(query.skip).map((item) => fromItem<VtnEvent>(item));
    this.eventPageCache.set(cacheKey, page, generation, query.activeAt ? earliestEnd(matched) : undefined);
    return page;
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

  /**
   * Removes the events of a deleted program, within a time budget. What is left is recorded and
   * picked up by the next program delete; until then those events are invisible to every read.
   */
  private async purgeEvents(programID: string): Promise<void> {
    const deadline = this.clock() + this.purgeBudgetMs;
    const pending = await readPartition(this.gateway, PENDING_PURGE);
    const programsToPurge = [programID, ...pending.map((item) => item.id.S as string)];
    for (const target of programsToPurge) {
      const finished = await this.deleteEventsOf(target, deadline);
      if (finished) {
        await this.gateway.delete({ TableName: this.gateway.tableName, Key: { objectType: { S: PENDING_PURGE }, id: { S: target } } });
      } else {
        await this.gateway.put({ TableName: this.gateway.tableName, Item: { objectType: { S: PENDING_PURGE }, id: { S: target } } });
        return;
      }
    }
  }

  private async deleteEventsOf(programID: string, deadline: number): Promise<boolean> {
    const index = TABLE_LAYOUT.indexes.programID;
    let startKey: Item | undefined;
    do {
      const page = await this.gateway.query({
          TableName: this.gateway.tableName,
          IndexName: index.indexName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': index.partitionKey, '#type': TABLE_LAYOUT.partitionKey, '#id': TABLE_LAYOUT.sortKey },
          ExpressionAttributeValues: { ':pk': { S: programScope('EVENT', programID) } },
          ProjectionExpression: '#type, #id',
          Limit: 100,
          ExclusiveStartKey: startKey,
        });
      await this.batchDelete(page.Items ?? []);
      startKey = page.LastEvaluatedKey;
      if (startKey && this.clock() >= deadline) return false;
    } while (startKey);
    return true;
  }

  private async batchDelete(items: Item[]): Promise<void> {
    for (let offset = 0; offset < items.length; offset += BATCH_WRITE_SIZE) {
      let requests = items.slice(offset, offset + BATCH_WRITE_SIZE).map((item) => ({
        DeleteRequest: { Key: { objectType: item.objectType, id: item.id } },
      }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
        const result = await this.gateway.batchWrite({ RequestItems: { [this.gateway.tableName]: requests } });
        requests = (result.UnprocessedItems?.[this.gateway.tableName] ?? []) as typeof requests;
        if (attempt >= 8 && requests.length > 0) throw new Error('batch delete left unprocessed items');
      }
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

  private key(objectType: string, id: string): Item {
    return { [TABLE_LAYOUT.partitionKey]: { S: objectType }, [TABLE_LAYOUT.sortKey]: { S: id } };
  }

  private async readItem(objectType: StoredObjectType, id: string): Promise<Item | undefined> {
    const result = await this.gateway.get({ TableName: this.gateway.tableName, Key: this.key(objectType, id), ConsistentRead: true });
    return result.Item;
  }

  private async getObject<T extends StoredObject>(objectType: StoredObjectType, id: string): Promise<T> {
    const item = await this.readItem(objectType, id);
    if (!item) throw new NotFoundError(objectType, id);
    return fromItem<T>(item);
  }

  private async putNew(object: StoredObject): Promise<void> {
    const item = toItem(object, 1);
    try {
      await this.gateway.put({
          TableName: this.gateway.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': TABLE_LAYOUT.sortKey },
        });
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictError(`${object.objectType.toLowerCase()} ${object.id} already exists`);
      throw error;
    }
    await this.indexPropagation.settle(undefined, item);
  }

  private async createObject<T extends StoredObject>(object: T, kinds: CachedKind[]): Promise<T> {
    await this.putNew(object);
    if (kinds.length) await this.coherence.recordWrite(kinds);
    return object;
  }

  /**
   * Optimistic update: read, change, and write only if the version is still the one read. A
   * delete in between fails the condition and the re-read reports not found.
   */
  private async updateObject<T extends StoredObject>(
    objectType: StoredObjectType,
    id: string,
    change: (current: T) => T,
    kinds: CachedKind[],
    beforeWrite?: (next: T, current: T) => Promise<void>,
    afterFailedWrite?: (next: T, current: T) => Promise<void>,
  ): Promise<T> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const item = await this.readItem(objectType, id);
      if (!item) throw new NotFoundError(objectType, id);
      const current = fromItem<T>(item);
      const next = change(current);
      if (next.id !== id || next.objectType !== objectType) throw new Error('an update may not change id or objectType');
      await beforeWrite?.(next, current);
      const version = itemVersion(item);
      const nextItem = toItem(next, version + 1);
      try {
        await this.gateway.put({
            TableName: this.gateway.tableName,
            Item: nextItem,
            ConditionExpression: '#version = :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': { N: String(version) } },
          });
      } catch (error) {
        await afterFailedWrite?.(next, current);
        if (isConditionFailure(error)) continue;
        throw error;
      }
      await this.indexPropagation.settle(item, nextItem);
      if (kinds.length) await this.coherence.recordWrite(kinds);
      return next;
    }
    throw new ConflictError(`${objectType.toLowerCase()} ${id} is being modified concurrently; retry`);
  }

  private async deleteObject<T extends StoredObject>(objectType: StoredObjectType, id: string, kinds: CachedKind[]): Promise<T> {
    let result;
    try {
      result = await this.gateway.delete({
          TableName: this.gateway.tableName,
          Key: this.key(objectType, id),
          ConditionExpression: 'attribute_exists(#id)',
          ExpressionAttributeNames: { '#id': TABLE_LAYOUT.sortKey },
          ReturnValues: 'ALL_OLD',
        });
    } catch (error) {
      if (isConditionFailure(error)) throw new NotFoundError(objectType, id);
      throw error;
    }
    await this.indexPropagation.settle(result.Attributes, undefined);
    if (kinds.length) await this.coherence.recordWrite(kinds);
    return fromItem<T>(result.Attributes as Item);
  }

  // ---- query execution ------------------------------------------------------------------------


}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
