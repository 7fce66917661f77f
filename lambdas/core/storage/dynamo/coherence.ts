import { StorageUnavailableError } from '../../errors';
import type { Logger } from '../../logger';
import type { DynamoGateway } from './gateway';
import type { Item } from './item-codec';
import { TABLE_LAYOUT } from './table-layout';

/** GRANT: the targets granted to clients (and the ven directory), moved by the ven and resource writes that change them. */
export type CachedKind = 'PROGRAM' | 'EVENT' | 'SUBSCRIPTION' | 'GRANT';
const KINDS: CachedKind[] = ['PROGRAM', 'EVENT', 'SUBSCRIPTION', 'GRANT'];

/**
 * Counters live in this many items, each in its own partition, and a write bumps one of them:
 * DynamoDB takes about 1,000 writes a second on one item, so the shards carry about this many
 * thousand writes a second between them. A check reads them all in one request.
 */
export const COHERENCE_SHARDS = 4;
const MAX_READ_ROUNDS = 4;

/** `META#<shard>`: a bookkeeping partition no object query reads. */
export function coherenceShardKey(shard: number): Item {
  return { [TABLE_LAYOUT.partitionKey]: { S: `META#${shard}` }, [TABLE_LAYOUT.sortKey]: { S: 'cache-version' } };
}

type Versions = Record<CachedKind, number[]>;

/**
 * Cross-instance cache coherence. Every write bumps a per-kind counter in one of a few small
 * items; each instance reads them at most once per `boundMs` and clears the caches whose
 * counters moved. A write is therefore visible to every instance within about `boundMs`.
 */
export class CacheCoherence {
  private known: Partial<Versions> = {};
  private checkedAt = Number.NEGATIVE_INFINITY;
  private pendingCheck: Promise<void> | undefined;

  constructor(
    private readonly gateway: DynamoGateway,
    private readonly boundMs: number,
    private readonly clock: () => number,
    private readonly logger: Logger,
    private readonly invalidate: (kind: CachedKind) => void,
    private readonly pickShard: () => number = () => Math.floor(Math.random() * COHERENCE_SHARDS),
  ) {}

  /** Makes sure no cache is older than the bound; at most one read per bound window. */
  async ensureFresh(): Promise<void> {
    if (this.clock() - this.checkedAt < this.boundMs) return;
    // Concurrent requests in one process share one check.
    this.pendingCheck ??= this.check().finally(() => (this.pendingCheck = undefined));
    return this.pendingCheck;
  }

  private async check(): Promise<void> {
    const startedAt = this.clock();
    const shards = await this.readShards();
    for (const kind of KINDS) {
      const versions = shards.map((shard) => Number(shard?.[kind]?.N ?? '0'));
      const known = this.known[kind];
      if (known && versions.some((version, shard) => version !== known[shard])) this.invalidate(kind);
      this.known[kind] = versions;
    }
    this.checkedAt = startedAt;
  }

  private async readShards(): Promise<(Item | undefined)[]> {
    const keys = Array.from({ length: COHERENCE_SHARDS }, (_, shard) => coherenceShardKey(shard));
    const found = new Map<string, Item>();
    let wanted = keys;
    for (let round = 0; wanted.length > 0; round++) {
      if (round >= MAX_READ_ROUNDS) throw new StorageUnavailableError('database temporarily unavailable (cache versions unread)');
      const result = await this.gateway.batchGet({
        RequestItems: { [this.gateway.tableName]: { Keys: wanted, ConsistentRead: true } },
      });
      for (const item of result.Responses?.[this.gateway.tableName] ?? []) found.set(shardName(item), item);
      wanted = (result.UnprocessedKeys?.[this.gateway.tableName]?.Keys ?? []) as Item[];
      if (wanted.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** round));
    }
    return keys.map((key) => found.get(shardName(key)));
  }

  /**
   * Records a write of these kinds, for this instance at once and for the others within the
   * bound. A throttled shard hands the bump to the next one.
   */
  async recordWrite(kinds: CachedKind[]): Promise<void> {
    if (kinds.length === 0) return;
    for (const kind of kinds) this.invalidate(kind);
    const first = this.pickShard();
    let lastError: unknown;
    for (let attempt = 0; attempt < COHERENCE_SHARDS; attempt++) {
      const shard = (first + attempt) % COHERENCE_SHARDS;
      try {
        const result = await this.gateway.update({
          TableName: this.gateway.tableName,
          Key: coherenceShardKey(shard),
          UpdateExpression: `ADD ${kinds.map((kind) => `#${kind} :one`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(kinds.map((kind) => [`#${kind}`, kind])),
          ExpressionAttributeValues: { ':one': { N: '1' } },
          ReturnValues: 'UPDATED_NEW',
        });
        // Our caches were just cleared, so any bump folded into this value is already reflected.
        for (const kind of kinds) {
          const known = this.known[kind];
          if (known) known[shard] = Number(result.Attributes?.[kind]?.N ?? '0');
        }
        lastError = undefined;
        break;
      } catch (error) {
        lastError = error;
      }
    }
    // The write itself succeeded; failing it now would invite a duplicate retry. Other
    // instances then see it when their cache TTL runs out instead of within the bound.
    if (lastError) this.logger.error('cache version bump failed', { kinds, error: lastError });
    for (const kind of kinds) this.invalidate(kind);
  }
}

function shardName(item: Item): string {
  return item[TABLE_LAYOUT.partitionKey]?.S ?? '';
}
