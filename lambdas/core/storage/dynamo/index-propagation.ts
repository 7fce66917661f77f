import { timeLeftMs } from '../../deadline';
import type { Logger } from '../../logger';
import type { DynamoGateway } from './gateway';
import { itemVersion, type Item } from './item-codec';
import { TABLE_LAYOUT, type IndexLayout } from './table-layout';

/** Where an item appears in one index: the index and its key values there. */
interface IndexEntry {
  index: IndexLayout;
  partition: string;
  sort: string;
}

interface Expectation {
  entry: IndexEntry;
  id: string;
  /** The version the entry must show; undefined means the entry must be gone. */
  version?: number;
  /** For an entry that must go: a version above this at the same key is a later write, not the old entry. */
  supersededAt?: number;
}

/** Rounds of waiting (about 70 ms) before checking whether a later write overtook this one. */
const SUPERSEDED_CHECK_ROUND = 3;

export interface IndexPropagationOptions {
  /** How long a write waits for its index entries before answering anyway; 0 does not wait. */
  timeoutMs: number;
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
}

/**
 * Global secondary indexes are updated asynchronously: in AWS, a query on one can miss a write
 * that has already succeeded. A write therefore waits, before it answers and before it tells
 * other instances to drop their caches, until each index it touched shows the new state (or no
 * longer shows the old), reading exactly those index keys. A list that follows the answer, or
 * follows another instance's cache refresh, then finds the write in the index.
 */
export class IndexPropagation {
  constructor(
    private readonly gateway: DynamoGateway,
    private readonly options: IndexPropagationOptions,
  ) {}

  /**
   * Best effort: the write is durable whatever happens here, so a failure to check (a throttled
   * index query) is logged, never thrown, and the rest of the write path goes on.
   */
  async settle(before: Item | undefined, after: Item | undefined): Promise<void> {
    if (this.options.timeoutMs <= 0) return;
    try {
      await this.waitFor(expectations(before, after), (after ?? before) as Item, after ? itemVersion(after) : undefined);
    } catch (error) {
      this.options.logger.warn('could not check that the indexes show a write; lists may miss it briefly', { error });
    }
  }

  /** `version` is the one the write left; undefined for a delete. */
  private async waitFor(expected: Expectation[], written: Item, version: number | undefined): Promise<void> {
    let pending = expected;
    // Never past the request's own deadline: the write has happened and must be answered.
    const deadline = this.options.clock() + Math.min(this.options.timeoutMs, timeLeftMs());
    for (let round = 0; pending.length > 0; round++) {
      const met = await Promise.all(pending.map((expectation) => this.isMet(expectation)));
      pending = pending.filter((_, index) => !met[index]);
      if (pending.length === 0) return;
      if (this.options.clock() >= deadline) break;
      // A newer write, or a delete, may have overtaken this one: then there is nothing to wait for.
      if (round === SUPERSEDED_CHECK_ROUND && (await this.isSuperseded(written, version))) return;
      await this.options.sleep(Math.min(100, 10 * 2 ** round));
    }
    if (pending.length === 0) return;
    // The write is durable; only its visibility in lists lags. Say so rather than fail it.
    this.options.logger.warn('index not yet updated after a write; lists may miss it briefly', {
      indexes: pending.map((expectation) => expectation.entry.index.indexName),
      timeoutMs: this.options.timeoutMs,
    });
  }

  /** Whether the base item is gone or carries a newer version than `version` (undefined: a delete). */
  private async isSuperseded(written: Item, version: number | undefined): Promise<boolean> {
    const result = await this.gateway.get({
      TableName: this.gateway.tableName,
      Key: { [TABLE_LAYOUT.partitionKey]: written[TABLE_LAYOUT.partitionKey], [TABLE_LAYOUT.sortKey]: written[TABLE_LAYOUT.sortKey] },
      ConsistentRead: true,
      ProjectionExpression: '#version',
      ExpressionAttributeNames: { '#version': 'version' },
    });
    if (!result.Item) return version !== undefined;
    return version !== undefined && Number(result.Item.version?.N ?? '0') > version;
  }

  private async isMet({ entry, id, version, supersededAt }: Expectation): Promise<boolean> {
    const { index } = entry;
    const result = await this.gateway.query({
      TableName: this.gateway.tableName,
      IndexName: index.indexName,
      KeyConditionExpression: '#pk = :pk AND #sk = :sk',
      ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey, '#id': TABLE_LAYOUT.sortKey, '#version': 'version' },
      ExpressionAttributeValues: { ':pk': { S: entry.partition }, ':sk': { S: entry.sort } },
      ProjectionExpression: '#id, #version',
    });
    const shown = (result.Items ?? []).find((item) => item[TABLE_LAYOUT.sortKey]?.S === id);
    const shownVersion = shown ? Number(shown.version?.N ?? '0') : undefined;
    // A newer version than expected means a later write already reached the index.
    if (version === undefined) return shownVersion === undefined || (supersededAt !== undefined && shownVersion > supersededAt);
    return shownVersion !== undefined && shownVersion >= version;
  }
}

function entries(item: Item | undefined): IndexEntry[] {
  if (!item) return [];
  return Object.values(TABLE_LAYOUT.indexes).flatMap((index) => {
    const partition = item[index.partitionKey]?.S;
    const sort = item[index.sortKey]?.S;
    return partition !== undefined && sort !== undefined ? [{ index, partition, sort }] : [];
  });
}

function sameEntry(a: IndexEntry, b: IndexEntry): boolean {
  return a.index.indexName === b.index.indexName && a.partition === b.partition && a.sort === b.sort;
}

/** The new entries must show the new version; old entries the new item no longer has must go. */
function expectations(before: Item | undefined, after: Item | undefined): Expectation[] {
  const id = (after ?? before)?.[TABLE_LAYOUT.sortKey]?.S as string;
  const next = entries(after);
  const afterVersion = after ? itemVersion(after) : undefined;
  const shown: Expectation[] = next.map((entry) => ({ entry, id, version: afterVersion }));
  const gone: Expectation[] = entries(before)
    .filter((entry) => !next.some((kept) => sameEntry(entry, kept)))
    .map((entry) => ({ entry, id, supersededAt: afterVersion ?? (before ? itemVersion(before) : undefined) }));
  return [...shown, ...gone];
}
