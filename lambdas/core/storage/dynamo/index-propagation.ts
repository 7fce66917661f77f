import type { Logger } from '../../logger';
import type { DynamoGateway } from './gateway';
import type { Item } from './item-codec';
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
  version?: string;
}

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

  async settle(before: Item | undefined, after: Item | undefined): Promise<void> {
    if (this.options.timeoutMs <= 0) return;
    let pending = expectations(before, after);
    const deadline = this.options.clock() + this.options.timeoutMs;
    for (let round = 0; pending.length > 0; round++) {
      const met = await Promise.all(pending.map((expectation) => this.isMet(expectation)));
      pending = pending.filter((_, index) => !met[index]);
      if (pending.length === 0) break;
      if (this.options.clock() >= deadline) break;
      await this.options.sleep(Math.min(100, 10 * 2 ** round));
    }
    if (pending.length === 0) return;
    // The write is durable; only its visibility in lists lags. Say so rather than fail it.
    this.options.logger.warn('index not yet updated after a write; lists may miss it briefly', {
      indexes: pending.map((expectation) => expectation.entry.index.indexName),
      timeoutMs: this.options.timeoutMs,
    });
  }

  private async isMet({ entry, id, version }: Expectation): Promise<boolean> {
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
    return version === undefined ? shown === undefined : shown?.version?.N === version;
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
  const shown: Expectation[] = next.map((entry) => ({ entry, id, version: after?.version?.N }));
  const gone: Expectation[] = entries(before)
    .filter((entry) => !next.some((kept) => sameEntry(entry, kept)))
    .map((entry) => ({ entry, id }));
  return [...shown, ...gone];
}
