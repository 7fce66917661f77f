import { timeLeftMs } from '../../deadline';
import { InvalidInputError } from '../../errors';
import type { Logger } from '../../logger';
import type { StoredObjectType } from '../../openadr/types';
import { DynamoGateway, conditionMet } from './gateway';
import { fromItem, programScope, type Item } from './item-codec';
import { readPartition } from './queries';
import { TABLE_LAYOUT } from './table-layout';
import type { VersionedItems } from './versioned-items';

/** A parent type whose children go with it: a program's events, a ven's resources. */
export interface Family {
  parentType: StoredObjectType;
  childType: StoredObjectType;
  /** The child's field naming its parent (programID, venID). */
  parentField: string;
  /** The partition of the marks of parents being purged. */
  markPartition: string;
  /**
   * The deleted parent's attribute kept on its mark for its children's deletes to be judged by
   * (a program's targets: which VENs could read its events), while the mark lasts.
   */
  keptOfParent?: string;
}

export interface ChildPurgeOptions {
  /** Time one purge run spends deleting before it leaves the rest to the next run. */
  budgetMs: number;
  /** A mark this old whose program still exists belongs to a delete that never happened. */
  staleMarkMs: number;
  clock: () => number;
  logger: Logger;
  /** Work after a child is deleted, given its item as it was (freeing its name claims). */
  onChildDeleted?: (child: Item) => Promise<void>;
  /**
   * Removes what points at a child (an event's target entries): before its delete, given the
   * child's key and targets as the index holds them, so that a run cut short finds the child
   * again; and after, given the deleted item, when its targets differ. Must spare the pointers
   * another parent's version of the child needs.
   */
  unlinkChild?: (child: Item, parentID: string) => Promise<void>;
}

const PAGE_SIZE = 100;
const PARALLEL_DELETES = 10;

/**
 * Removes the children of deleted parents (the events of a program, the resources of a ven). A
 * parent is marked for purging before it is deleted, so a function that dies half-way leaves a
 * mark that a later run (on the next create or delete of that parent type) picks up. A mark is
 * only acted on once its parent is gone, and each child is deleted only if it still belongs to
 * that parent (an update may have moved it since the index was read).
 */
export class ChildPurge {
  constructor(
    private readonly gateway: DynamoGateway,
    private readonly writes: VersionedItems,
    private readonly family: Family,
    private readonly options: ChildPurgeOptions,
  ) {}

  /** Marks (or marks again: a new lease, a pass owed) keeping what the mark kept of its parent. */
  async mark(parentID: string): Promise<void> {
    await this.gateway.update({
      TableName: this.gateway.tableName,
      Key: this.markKey(parentID),
      UpdateExpression: 'SET markedAt = :now REMOVE purgedAt',
      ExpressionAttributeValues: { ':now': { N: String(this.options.clock()) } },
    });
  }

  /**
   * Keeps the deleted parent's `keptOfParent` on its mark, written after the parent's delete so
   * that it is the deleted version's: a mark gone (or never written) keeps nothing.
   */
  async keepOfParent(parentID: string, deleted: Item): Promise<void> {
    const kept = this.family.keptOfParent;
    if (!kept) return;
    await conditionMet(
      this.gateway.update({
        TableName: this.gateway.tableName,
        Key: this.markKey(parentID),
        UpdateExpression: 'SET #kept = :kept',
        ConditionExpression: 'attribute_exists(markedAt)',
        ExpressionAttributeNames: { '#kept': `parent_${kept}` },
        ExpressionAttributeValues: { ':kept': deleted[kept] ?? { NULL: true } },
      }),
    );
  }

  /** What `keepOfParent` kept of a deleted parent; undefined once its mark is gone, or if none was kept. */
  async keptOf(parentID: string): Promise<Item[string] | undefined> {
    const kept = this.family.keptOfParent;
    if (!kept) return undefined;
    const result = await this.gateway.get({ TableName: this.gateway.tableName, Key: this.markKey(parentID), ConsistentRead: true });
    return result.Item?.[`parent_${kept}`];
  }

  /**
   * A child written while its parent was being deleted would outlive it: the purge may have read
   * the parent's children before this one reached the index. Checked after the child is in the
   * index, so either the purge finds it or this finds the parent gone and withdraws the write: a
   * create is deleted, an update put back as it was. Should this check itself fail, the parent's
   * purge mark, kept for a lease from the withdrawal's end, still covers the child.
   */
  async withdrawIfOrphaned(written: Item, replaced?: Item, withdraw: (written: Item, replaced?: Item) => Promise<unknown> = (w, r) => (r ? this.writes.restore(w, r) : this.writes.remove(w))): Promise<void> {
    const { parentType, parentField } = this.family;
    const parentID = (fromItem(written) as unknown as Record<string, string>)[parentField];
    if (await this.writes.exists(parentType, parentID)) return;
    await this.mark(parentID);
    await withdraw(written, replaced);
    // Marked again: a put-back delayed past the first mark's lease would otherwise outlive it.
    await this.mark(parentID);
    throw InvalidInputError.field(parentField, `${parentType.toLowerCase()} ${parentID} does not exist`);
  }

  /** Purges `first` (when given) and then every other marked parent, within the time budget. */
  async run(first?: string): Promise<void> {
    // Within the request's own deadline too: the delete has happened and must be answered.
    const deadline = this.options.clock() + Math.min(this.options.budgetMs, timeLeftMs());
    const marks = await readPartition(this.gateway, this.family.markPartition);
    const parentOf = (mark: Item) => mark[TABLE_LAYOUT.sortKey].S as string;
    const ordered = [...marks.filter((mark) => parentOf(mark) === first), ...marks.filter((mark) => parentOf(mark) !== first)];
    for (const mark of ordered) {
      if (this.options.clock() >= deadline) return this.pause(parentOf(mark));
      const parentID = parentOf(mark);
      // A write in flight when the parent went may still land until the lease has passed: the
      // mark stays until then, and one more pass after it finds such a child too. In between,
      // a mark already purged once costs nothing.
      const lapsed = this.options.clock() - Number(mark.markedAt?.N ?? 0) >= this.options.staleMarkMs;
      if (mark.purgedAt && !lapsed) continue;
      if (await this.writes.exists(this.family.parentType, parentID)) {
        if (lapsed) await this.unmark(mark);
        continue;
      }
      if (!(await this.deleteChildrenOf(parentID, deadline))) return this.pause(parentID);
      if (lapsed) await this.unmark(mark);
      else await this.notePurged(mark);
    }
  }

  private pause(parentID: string): void {
    const { childType, parentType } = this.family;
    this.options.logger.info(`${childType.toLowerCase()} purge paused; the next ${parentType.toLowerCase()} write resumes it`, { parentID });
  }

  /** Records a complete pass on a mark not yet lapsed, unless it was renewed since it was read. */
  private async notePurged(mark: Item): Promise<void> {
    const condition = unchanged(mark);
    await conditionMet(
      this.gateway.update({
        TableName: this.gateway.tableName,
        Key: this.markKey(mark[TABLE_LAYOUT.sortKey].S as string),
        UpdateExpression: 'SET purgedAt = :now',
        ConditionExpression: condition.ConditionExpression,
        ExpressionAttributeValues: { ':now': { N: String(this.options.clock()) }, ...condition.ExpressionAttributeValues },
      }),
    );
  }

  /** Removes a mark unless it was renewed since it was read. */
  private async unmark(mark: Item): Promise<void> {
    await conditionMet(this.gateway.delete({ TableName: this.gateway.tableName, Key: this.markKey(mark[TABLE_LAYOUT.sortKey].S as string), ...unchanged(mark) }));
  }

  /** True when no child of the parent is left; false when the deadline came first. */
  private async deleteChildrenOf(parentID: string, deadline: number): Promise<boolean> {
    const index = TABLE_LAYOUT.indexes.programID;
    const scope = programScope(this.family.childType, parentID);
    let startKey: Item | undefined;
    do {
      const page = await this.gateway.query({
        TableName: this.gateway.tableName,
        IndexName: index.indexName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': index.partitionKey, '#type': TABLE_LAYOUT.partitionKey, '#id': TABLE_LAYOUT.sortKey, '#targets': 'targets' },
        ExpressionAttributeValues: { ':pk': { S: scope } },
        ProjectionExpression: '#type, #id, #targets',
        Limit: PAGE_SIZE,
        ExclusiveStartKey: startKey,
      });
      const items = page.Items ?? [];
      for (let offset = 0; offset < items.length; offset += PARALLEL_DELETES) {
        await Promise.all(items.slice(offset, offset + PARALLEL_DELETES).map((item) => this.deleteIfStillOf(item, scope, parentID)));
      }
      startKey = page.LastEvaluatedKey;
      if (startKey && this.options.clock() >= deadline) return false;
    } while (startKey);
    return true;
  }

  /** A failed condition: moved to another parent or deleted since the index was read. */
  private async deleteIfStillOf(item: Item, scope: string, parentID: string): Promise<void> {
    const { onChildDeleted: onDeleted, unlinkChild: unlink } = this.options;
    await unlink?.(item, parentID);
    let deleted: Item | undefined;
    const applied = await conditionMet(
      this.gateway.delete({
        TableName: this.gateway.tableName,
        Key: { [TABLE_LAYOUT.partitionKey]: item[TABLE_LAYOUT.partitionKey], [TABLE_LAYOUT.sortKey]: item[TABLE_LAYOUT.sortKey] },
        ConditionExpression: '#programID = :scope',
        ExpressionAttributeNames: { '#programID': TABLE_LAYOUT.indexes.programID.partitionKey },
        ExpressionAttributeValues: { ':scope': { S: scope } },
        // Only when someone needs the old item; a delete's write cost is the same either way.
        ReturnValues: onDeleted || unlink ? 'ALL_OLD' : undefined,
      }).then((result) => (deleted = result.Attributes)),
    );
    if (!applied || !deleted) return;
    if (unlink && JSON.stringify(deleted.targets) !== JSON.stringify(item.targets)) await unlink(deleted, parentID);
    if (onDeleted) await onDeleted(deleted);
  }

  private markKey(parentID: string): Item {
    return { [TABLE_LAYOUT.partitionKey]: { S: this.family.markPartition }, [TABLE_LAYOUT.sortKey]: { S: parentID } };
  }
}

/** The condition that a mark is still the one read (a renewed mark has a new markedAt). */
function unchanged(mark: Item): { ConditionExpression: string; ExpressionAttributeValues?: Item } {
  return mark.markedAt
    ? { ConditionExpression: 'markedAt = :markedAt', ExpressionAttributeValues: { ':markedAt': mark.markedAt } }
    : { ConditionExpression: 'attribute_not_exists(markedAt)' };
}
