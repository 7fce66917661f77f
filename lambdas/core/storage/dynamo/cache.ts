/**
 * A module-scope TTL cache. `generation` guards against a slow read that began before an
 * invalidation writing its stale result afterwards: a fill only lands if no clear happened since
 * the read started.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private currentGeneration = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number,
    private readonly maxEntries = 1000,
  ) {}

  get generation(): number {
    return this.currentGeneration;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Stores unless invalidated since `generation` was read; `expiresAt` may shorten the TTL. */
  set(key: string, value: V, generation: number, expiresAt?: number): void {
    if (generation !== this.currentGeneration || this.ttlMs <= 0) return;
    const ttlExpiry = this.clock() + this.ttlMs;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: expiresAt === undefined ? ttlExpiry : Math.min(ttlExpiry, expiresAt) });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
    this.currentGeneration += 1;
  }

  get size(): number {
    return this.entries.size;
  }
}
