import type { Logger } from '../../logger';
import type { DynamoGateway } from './gateway';
import { CACHE_VERSION_KEY } from './item-codec';

export type CachedKind = 'PROGRAM' | 'EVENT' | 'SUBSCRIPTION';
const KINDS: CachedKind[] = ['PROGRAM', 'EVENT', 'SUBSCRIPTION'];

/**
 * Cross-instance cache coherence. Every write bumps a per-kind counter in one small item; each
 * instance reads that item at most once per `boundMs` and clears the caches whose counter moved.
 * A write is therefore visible to every instance within about `boundMs`.
 */
export class CacheCoherence {
  private knownVersions: Partial<Record<CachedKind, number>> = {};
  private checkedAt = Number.NEGATIVE_INFINITY;
  private pendingCheck: Promise<void> | undefined;

  constructor(
    private readonly gateway: DynamoGateway,
    private readonly boundMs: number,
    private readonly clock: () => number,
    private readonly logger: Logger,
    private readonly invalidate: (kind: CachedKind) => void,
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
    const result = await this.gateway.get({
        TableName: this.gateway.tableName,
        Key: CACHE_VERSION_KEY,
        ConsistentRead: true,
      });
    for (const kind of KINDS) {
      const version = Number(result.Item?.[kind]?.N ?? '0');
      const known = this.knownVersions[kind];
      if (known !== undefined && known !== version) this.invalidate(kind);
      this.knownVersions[kind] = version;
    }
    this.checkedAt = startedAt;
  }

  /** Records a write of these kinds, for this instance at once and for the others within the bound. */
  async recordWrite(kinds: CachedKind[]): Promise<void> {
    for (const kind of kinds) this.invalidate(kind);
    try {
      const result = await this.gateway.update({
          TableName: this.gateway.tableName,
          Key: CACHE_VERSION_KEY,
          UpdateExpression: `ADD ${kinds.map((kind) => `#${kind} :one`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(kinds.map((kind) => [`#${kind}`, kind])),
          ExpressionAttributeValues: { ':one': { N: '1' } },
          ReturnValues: 'UPDATED_NEW',
        });
      // Our caches were just cleared, so any bump folded into this value is already reflected.
      for (const kind of kinds) this.knownVersions[kind] = Number(result.Attributes?.[kind]?.N ?? '0');
    } catch (error) {
      // The write itself succeeded; failing it now would invite a duplicate retry. Other
      // instances then see it when their cache TTL runs out instead of within the bound.
      this.logger.error('cache version bump failed', { kinds, error });
    }
    for (const kind of kinds) this.invalidate(kind);
  }
}
