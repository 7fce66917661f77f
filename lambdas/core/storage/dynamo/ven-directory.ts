import { InvalidInputError, NotFoundError } from '../../errors';
import type { Resource, Ven } from '../../openadr/types';
import { carriesAny } from '../../openadr/targets';
import type { Grant, ResourceQuery, VenGrant, VenQuery } from '../port';
import type { TtlCache } from './cache';
import type { CacheCoherence } from './coherence';
import type { DynamoGateway } from './gateway';
import { fromItem, PENDING_VEN_PURGE, programScope, resourceKey, type Item } from './item-codec';
import { Expressions, fromItemProgramID, planOf, queryMatches, readPartition, type QueryPlan } from './queries';
import { TABLE_LAYOUT } from './table-layout';
import type { UniqueFields } from './unique-fields';
import type { VersionedItems } from './versioned-items';

/**
 * The reads of vens and resources, and what they grant their client. A lookup by a unique value
 * (clientID, venName, a ven's resourceName) goes through its claim: two strongly consistent
 * GetItems, whatever the table holds. The rest is one partition (VEN, RESOURCE) or one ven's
 * resources in the parent index, filtered by DynamoDB.
 */
export class VenDirectory {
  constructor(
    private readonly gateway: DynamoGateway,
    private readonly writes: VersionedItems,
    private readonly venFields: UniqueFields<Ven>,
    private readonly resourceFields: UniqueFields<Resource>,
    private readonly grants: TtlCache<Grant>,
    /** Every ven's grant at once, cleared with `grants`. */
    private readonly allGrants: TtlCache<VenGrant[]>,
    private readonly coherence: CacheCoherence,
    /** Purge marks older than this whose purge has run are done with: no resource of theirs can land any more. */
    private readonly purgeLease: { leaseMs: number; clock: () => number },
  ) {}

  /** The ven registered for `clientID`: the holder of its claim, if it bears that clientID. */
  async findByClient(clientID: string): Promise<Ven | undefined> {
    const ven = await this.holding<Ven>('VEN', this.venFields.holderOf('clientID', clientID));
    return ven?.clientID === clientID ? ven : undefined;
  }

  async findByName(venName: string): Promise<Ven | undefined> {
    const ven = await this.holding<Ven>('VEN', this.venFields.holderOf('venName', venName));
    return ven?.venName === venName ? ven : undefined;
  }

  async listVens(query: VenQuery): Promise<Ven[]> {
    if (query.limit === 0) return [];
    if (query.clientID !== undefined || query.venName !== undefined) {
      const ven = query.clientID !== undefined ? await this.findByClient(query.clientID) : await this.findByName(query.venName as string);
      const matches = ven && (query.venName === undefined || ven.venName === query.venName) && carriesAny(ven.targets, query.targets);
      return (matches ? [ven] : []).slice(query.skip, query.skip + query.limit);
    }
    const plan = partitionPlan(this.gateway.tableName, { objectType: 'VEN' }, { targets: query.targets });
    return (await queryMatches(this.gateway, plan, query.skip + query.limit)).slice(query.skip).map((item) => fromItem<Ven>(item));
  }

  /** Resources of a deleted ven may outlive it until its purge is done; they are never shown. */
  async getResource(id: string): Promise<Resource> {
    const item = await this.writes.read('RESOURCE', id);
    const resource = item && fromItem<Resource>(item);
    if (!resource || !(await this.writes.exists('VEN', resource.venID))) throw new NotFoundError('RESOURCE', id);
    return resource;
  }

  async listResources(query: ResourceQuery): Promise<Resource[]> {
    if (query.limit === 0) return [];
    const gone = await this.vensBeingPurged();
    if (query.venID !== undefined && gone.has(query.venID)) return [];
    if (query.venID !== undefined && query.resourceName !== undefined) {
      const key = resourceKey(query.venID, query.resourceName);
      const resource = await this.holding<Resource>('RESOURCE', this.resourceFields.holderOf('resourceName', key));
      const matches = resource && resourceKey(resource.venID, resource.resourceName) === key && carriesAny(resource.targets, query.targets);
      return (matches ? [resource] : []).slice(query.skip, query.skip + query.limit);
    }
    const plan =
      query.venID !== undefined
        ? partitionPlan(this.gateway.tableName, { parent: programScope('RESOURCE', query.venID) }, { targets: query.targets })
        : partitionPlan(this.gateway.tableName, { objectType: 'RESOURCE' }, { targets: query.targets, resourceName: query.resourceName });
    const matched = await queryMatches(this.gateway, plan, query.skip + query.limit, (item) => !gone.has(fromItemProgramID(item)));
    return matched.slice(query.skip).map((item) => fromItem<Resource>(item));
  }

  /**
   * The deleted vens whose resources may not all be purged yet: those with a purge mark (a
   * small partition, empty but for recent deletes) that no longer exist. A mark purged once and
   * older than the lease is done with, and costs no read, though only the next ven write removes it.
   */
  private async vensBeingPurged(): Promise<Set<string>> {
    const { leaseMs, clock } = this.purgeLease;
    const done = (mark: Item) => mark.purgedAt !== undefined && clock() - Number(mark.markedAt?.N ?? 0) >= leaseMs;
    const marked = (await readPartition(this.gateway, PENDING_VEN_PURGE)).filter((mark) => !done(mark)).map((mark) => mark[TABLE_LAYOUT.sortKey].S as string);
    const exists = await Promise.all(marked.map((venID) => this.writes.exists('VEN', venID)));
    return new Set(marked.filter((_, index) => !exists[index]));
  }

  /** A resource must name an existing ven (see ChildPurge.withdrawIfOrphaned for one deleted meanwhile). */
  async requireVen(venID: string): Promise<void> {
    if (!(await this.writes.exists('VEN', venID))) throw InvalidInputError.field('venID', `ven ${venID} does not exist`);
  }

  /**
   * The client's ven and the targets of it and its resources, from the cache while no ven or
   * resource write moving a grant has been recorded (see CacheCoherence); a client without a ven has none.
   */
  async grantOf(clientID: string): Promise<Grant> {
    await this.coherence.ensureFresh();
    const cached = this.grants.get(clientID);
    if (cached) return cached;
    const generation = this.grants.generation;
    const ven = await this.findByClient(clientID);
    let grant: Grant = { targets: [] };
    if (ven) {
      const plan = partitionPlan(this.gateway.tableName, { parent: programScope('RESOURCE', ven.id) }, {});
      plan.input.ProjectionExpression = '#targets';
      plan.input.ExpressionAttributeNames = { ...plan.input.ExpressionAttributeNames, '#targets': 'targets' };
      const resourceTargets = (await queryMatches(this.gateway, plan, Infinity)).flatMap((item) => item.targets?.L?.map((target) => target.S as string) ?? []);
      grant = { venID: ven.id, targets: grantedBy(ven, resourceTargets) };
    }
    this.grants.set(clientID, grant, generation);
    return grant;
  }

  /**
   * Every ven and its grant, from two partition reads (vens, resources) per cache lifetime;
   * invalidated by any ven or resource write that moves a grant, like `grantOf`. Resources of a ven being purged
   * name no ven here and grant nothing.
   */
  async venGrants(): Promise<VenGrant[]> {
    await this.coherence.ensureFresh();
    const cached = this.allGrants.get('all');
    if (cached) return cached;
    const generation = this.allGrants.generation;
    const [vens, resources] = await Promise.all([readPartition(this.gateway, 'VEN'), readPartition(this.gateway, 'RESOURCE')]);
    const resourceTargets = new Map<string, string[]>();
    for (const resource of resources.map((item) => fromItem<Resource>(item))) {
      resourceTargets.set(resource.venID, [...(resourceTargets.get(resource.venID) ?? []), ...(resource.targets ?? [])]);
    }
    const grants = vens.map((item) => {
      const ven = fromItem<Ven>(item);
      return { venID: ven.id, clientID: ven.clientID, targets: grantedBy(ven, resourceTargets.get(ven.id) ?? []) };
    });
    this.allGrants.set('all', grants, generation);
    return grants;
  }

  private async holding<T extends Ven | Resource>(objectType: T['objectType'], holder: Promise<string | undefined>): Promise<T | undefined> {
    const id = await holder;
    const item = id === undefined ? undefined : await this.writes.read(objectType, id);
    return item && fromItem<T>(item);
  }
}

/**
 * One base-table partition (strongly consistent) or one parent's children in the parent index,
 * with equality and any-target filters applied by DynamoDB before counting.
 */
function partitionPlan(
  tableName: string,
  where: { objectType: string } | { parent: string },
  filters: { targets?: string[]; resourceName?: string },
): QueryPlan {
  const index = 'parent' in where ? TABLE_LAYOUT.indexes.programID : undefined;
  const expressions = new Expressions();
  const key = expressions.equals(index?.partitionKey ?? TABLE_LAYOUT.partitionKey, 'parent' in where ? where.parent : where.objectType);
  const conditions: string[] = [];
  if (filters.resourceName !== undefined) conditions.push(expressions.equals('resourceName', filters.resourceName));
  if (filters.targets?.length) conditions.push(expressions.anyContains('targets', filters.targets));
  return planOf(tableName, index, expressions, [key], conditions);
}

/** A ven's grant: its own targets and its resources', each once. */
function grantedBy(ven: Ven, resourceTargets: readonly string[]): string[] {
  return [...new Set([...(ven.targets ?? []), ...resourceTargets])];
}
