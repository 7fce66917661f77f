import { timeLeftMs } from '../../deadline';
import type { Logger } from '../../logger';
import { DynamoGateway, conditionMet } from './gateway';
import { PENDING_PURGE, programScope, type Item } from './item-codec';
import { readPartition } from './queries';
import { TABLE_LAYOUT } from './table-layout';

export interface EventPurgeOptions {
  /** Time one purge run spends deleting before it leaves the rest to the next run. */
  budgetMs: number;
  /** A mark this old whose program still exists belongs to a delete that never happened. */
  staleMarkMs: number;
  clock: () => number;
  logger: Logger;
  programExists: (programID: string) => Promise<boolean>;
  /**
   * Removes what points at a purged event (its target entries), given the event item read from
   * the index before the delete and again the item deleted; must spare pointers that another
   * program's version of the event needs.
   */
  unlinkEvent?: (event: Item, programID: string) => Promise<void>;
}

const PAGE_SIZE = 100;
const PARALLEL_DELETES = 10;

/**
 * Removes the events of deleted programs. A program is marked for purging before it is deleted,
 * so a function that dies half-way leaves a mark that a later run (on the next program create or
 * delete) picks up; until then those events are invisible to every read, since reads check that
 * an event's program exists. A mark is only acted on once its program is gone, and each event is
 * deleted only if it still belongs to that program (an update may have moved it since the index
 * was read).
 */
export class EventPurge {
  constructor(
    private readonly gateway: DynamoGateway,
    private readonly options: EventPurgeOptions,
  ) {}

  async mark(programID: string): Promise<void> {
    await this.gateway.put({
      TableName: this.gateway.tableName,
      Item: { ...markKey(programID), markedAt: { N: String(this.options.clock()) } },
    });
  }

  /** Purges `first` (when given) and then every other marked program, within the time budget. */
  async run(first?: string): Promise<void> {
    // Within the request's own deadline too: the delete has happened and must be answered.
    const deadline = this.options.clock() + Math.min(this.options.budgetMs, timeLeftMs());
    const marks = await readPartition(this.gateway, PENDING_PURGE);
    const programOf = (mark: Item) => mark[TABLE_LAYOUT.sortKey].S as string;
    const ordered = [...marks.filter((mark) => programOf(mark) === first), ...marks.filter((mark) => programOf(mark) !== first)];
    for (const mark of ordered) {
      if (this.options.clock() >= deadline) return this.pause(programOf(mark));
      const programID = programOf(mark);
      // A write in flight when the program went may still land until the lease has passed: the
      // mark stays until then, and one more pass after it finds such an event too. In between,
      // a mark already purged once costs nothing.
      const lapsed = this.options.clock() - Number(mark.markedAt?.N ?? 0) >= this.options.staleMarkMs;
      if (mark.purgedAt && !lapsed) continue;
      if (await this.options.programExists(programID)) {
        if (lapsed) await this.unmark(mark);
        continue;
      }
      if (!(await this.deleteEventsOf(programID, deadline))) return this.pause(programID);
      if (lapsed) await this.unmark(mark);
      else await this.notePurged(mark);
    }
  }

  private pause(programID: string): void {
    this.options.logger.info('event purge paused; the next program write resumes it', { programID });
  }

  /** Records a complete pass on a mark not yet lapsed, unless it was renewed since it was read. */
  private async notePurged(mark: Item): Promise<void> {
    const condition = unchanged(mark);
    await conditionMet(
      this.gateway.update({
        TableName: this.gateway.tableName,
        Key: markKey(mark[TABLE_LAYOUT.sortKey].S as string),
        UpdateExpression: 'SET purgedAt = :now',
        ConditionExpression: condition.ConditionExpression,
        ExpressionAttributeValues: { ':now': { N: String(this.options.clock()) }, ...condition.ExpressionAttributeValues },
      }),
    );
  }

  /** Removes a mark unless it was renewed since it was read. */
  private async unmark(mark: Item): Promise<void> {
    await conditionMet(this.gateway.delete({ TableName: this.gateway.tableName, Key: markKey(mark[TABLE_LAYOUT.sortKey].S as string), ...unchanged(mark) }));
  }

  /** True when no event of the program is left; false when the deadline came first. */
  private async deleteEventsOf(programID: string, deadline: number): Promise<boolean> {
    const index = TABLE_LAYOUT.indexes.programID;
    const scope = programScope('EVENT', programID);
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
        await Promise.all(items.slice(offset, offset + PARALLEL_DELETES).map((item) => this.deleteIfStillOf(item, scope, programID)));
      }
      startKey = page.LastEvaluatedKey;
      if (startKey && this.options.clock() >= deadline) return false;
    } while (startKey);
    return true;
  }

  /**
   * A failed condition: moved to another program or deleted since the index was read. Pointers
   * go first, so a run cut short finds the event again; then those of the targets it really had.
   */
  private async deleteIfStillOf(item: Item, scope: string, programID: string): Promise<void> {
    await this.options.unlinkEvent?.(item, programID);
    let deleted: Item | undefined;
    const applied = await conditionMet(
      this.gateway
        .delete({
          TableName: this.gateway.tableName,
          Key: { [TABLE_LAYOUT.partitionKey]: item[TABLE_LAYOUT.partitionKey], [TABLE_LAYOUT.sortKey]: item[TABLE_LAYOUT.sortKey] },
          ConditionExpression: '#programID = :scope',
          ExpressionAttributeNames: { '#programID': TABLE_LAYOUT.indexes.programID.partitionKey },
          ExpressionAttributeValues: { ':scope': { S: scope } },
          ReturnValues: 'ALL_OLD',
        })
        .then((result) => (deleted = result.Attributes)),
    );
    const moreTargets = deleted && JSON.stringify(deleted.targets) !== JSON.stringify(item.targets);
    if (applied && moreTargets) await this.options.unlinkEvent?.(deleted as Item, programID);
  }
}

/** The condition that a mark is still the one read (a renewed mark has a new markedAt). */
function unchanged(mark: Item): { ConditionExpression: string; ExpressionAttributeValues?: Item } {
  return mark.markedAt
    ? { ConditionExpression: 'markedAt = :markedAt', ExpressionAttributeValues: { ':markedAt': mark.markedAt } }
    : { ConditionExpression: 'attribute_not_exists(markedAt)' };
}

function markKey(programID: string): Item {
  return { [TABLE_LAYOUT.partitionKey]: { S: PENDING_PURGE }, [TABLE_LAYOUT.sortKey]: { S: programID } };
}
