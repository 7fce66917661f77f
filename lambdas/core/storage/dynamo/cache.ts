/**
 * A module-scope TTL cache, bounded by entry count and by the approximate bytes of its values
 * (the oldest entries go first). `generation` guards against a slow read that began before an
 * invalidation writing its stale result afterwards: a fill only lands if no clear happened since
 * the read started.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number; bytes: number }>();
  private currentGeneration = 0;
  private totalBytes = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number,
    private readonly maxEntries = 1000,
    private readonly maxBytes = Infinity,
  ) {}

  get generation(): number {
    return this.currentGeneration;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock()) {
      this.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /**
   * Stores unless invalidated since `generation` was read, or larger than the whole budget;
   * `expiresAt` may shorten the TTL; `bytes` is the value's approximate size.
   */
  set(key: string, value: V, generation: number, { expiresAt, bytes = 0 }: { expiresAt?: number; bytes?: number } = {}): void {
    if (generation !== this.currentGeneration || this.ttlMs <= 0 || bytes > this.maxBytes) return;
    const ttlExpiry = this.clock() + this.ttlMs;
    this.delete(key);
    this.entries.set(key, { value, bytes, expiresAt: expiresAt === undefined ? ttlExpiry : Math.min(ttlExpiry, expiresAt) });
    this.totalBytes += bytes;
    while (this.entries.size > this.maxEntries || this.totalBytes > this.maxBytes) {
      this.delete(this.entries.keys().next().value as string);
    }
  }

  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
    this.currentGeneration += 1;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The approximate bytes held. */
  get bytes(): number {
    return this.totalBytes;
  }

  private delete(key: string): void {
    this.totalBytes -= this.entries.get(key)?.bytes ?? 0;
    this.entries.delete(key);
  }
}
