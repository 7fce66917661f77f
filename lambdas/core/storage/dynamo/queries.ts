import type { QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { timeLeftMs } from '../../deadline';
import { StorageUnavailableError } from '../../errors';
import { sortableDateTime } from '../../time/temporal';
import type { EventQuery, SubscriptionQuery } from '../port';
import type { DynamoGateway } from './gateway';
import { isTombstone } from './versioned-items';
import { firstKeyAt, itemEventEnd, lastKeyAt, programScope, type Item } from './item-codec';
import { TABLE_LAYOUT, type IndexLayout } from './table-layout';

/** Query plans (which index, key condition, filters) and their execution. */

/** The most items one Query asks for (DynamoDB also ends a page at 1 MB read). */
const MAX_QUERY_PAGE = 1000;
/** How much a filtered read's page may grow from one request to the next. */
const PAGE_GROWTH = 8;

/** A query plan: where to read, and which filters DynamoDB applies before counting a match. */
export interface QueryPlan {
  input: Omit<QueryCommandInput, 'Limit' | 'ExclusiveStartKey'>;
}

/** Placeholders of one request's expressions: attribute names and string values. */
export class Expressions {
  readonly names: Record<string, string> = {};
  readonly values: Item = {};
  private count = 0;

  name(attribute: string): string {
    const placeholder = `#${attribute.replace(/[^a-zA-Z0-9]/g, '')}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(value: string): string {
    const placeholder = `:v${this.count++}`;
    this.values[placeholder] = { S: value };
    return placeholder;
  }

  anyContains(attribute: string, candidates: string[]): string {
    const name = this.name(attribute);
    return `(${candidates.map((candidate) => `contains(${name}, ${this.value(candidate)})`).join(' OR ')})`;
  }

  equals(attribute: string, value: string): string {
    return `${this.name(attribute)} = ${this.value(value)}`;
  }
}

/**
 * A query on `index`, or on the base table (strongly consistent), with these key conditions and
 * the filters DynamoDB applies before counting a match.
 */
export function planOf(tableName: string, index: IndexLayout | undefined, expressions: Expressions, conditions: string[], filters: string[]): QueryPlan {
  return {
    input: {
      TableName: tableName,
      IndexName: index?.indexName,
      ConsistentRead: index ? undefined : true,
      KeyConditionExpression: conditions.join(' AND '),
      FilterExpression: filters.length ? filters.join(' AND ') : undefined,
      ExpressionAttributeNames: expressions.names,
      ExpressionAttributeValues: expressions.values,
    },
  };
}

export function fromItemProgramID(item: Item): string {
  const scoped = item.programID?.S ?? '';
  return scoped.slice(scoped.indexOf('#') + 1);
}

/** The earliest end among the items' events (epoch ms), ignoring events without one. */
export function earliestEnd(items: Item[]): number | undefined {
  let earliest: number | undefined;
  for (const item of items) {
    const end = itemEventEnd(item);
    if (end !== undefined && (earliest === undefined || end < earliest)) earliest = end;
  }
  return earliest;
}

/** The canonical cache key of an event query: equal queries, however written, share an entry. */
export function eventQueryKey(query: EventQuery): string {
  return JSON.stringify([
    query.programID ?? null,
    query.dateStart ? sortableDateTime(query.dateStart) : null,
    query.dateEnd ? sortableDateTime(query.dateEnd) : null,
    query.targets?.length ? [...new Set(query.targets)].sort() : null,
    // VENs with the same grant share pages.
    query.audience ? [...new Set(query.audience.targets)].sort() : null,
    query.activeAt !== undefined,
    query.skip,
    query.limit,
  ]);
}

/**
 * Picks the index that fits the query: a start range (with or without programID), else `active`
 * by end, else programID, else the EVENT partition. What the key cannot select is a filter.
 * With `target`, reads one list of target entries (see EventTargets) instead: the same choice
 * of index by start or end, keyed by the list, and the program filter on the entry's copy.
 */
export function eventQueryPlan(tableName: string, query: EventQuery, target?: { list: string; programAttribute: string }): QueryPlan {
  const expressions = new Expressions();
  const hasRange = query.dateStart !== undefined || query.dateEnd !== undefined;
  const byEnd = !hasRange && query.activeAt !== undefined;
  const byProgram = query.programID !== undefined && !target;
  const index: IndexLayout | undefined = hasRange
    ? byProgram
      ? TABLE_LAYOUT.indexes.programIDEventStart
      : TABLE_LAYOUT.indexes.objectTypeEventStart
    : byEnd
      ? TABLE_LAYOUT.indexes.objectTypeEventEnd
      : byProgram
        ? TABLE_LAYOUT.indexes.programID
        : undefined;
  const partitionKey = index?.partitionKey ?? TABLE_LAYOUT.partitionKey;
  const program = query.programID && programScope('EVENT', query.programID);
  const programInKey = partitionKey === TABLE_LAYOUT.indexes.programID.partitionKey;
  const partition = target ? target.list : programInKey && program ? program : 'EVENT';
  const conditions = [expressions.equals(partitionKey, partition)];
  const filters: string[] = [];
  if (hasRange) {
    const start = expressions.name('eventStart');
    const lower = query.dateStart && expressions.value(firstKeyAt(sortableDateTime(query.dateStart)));
    const upper = query.dateEnd && expressions.value(lastKeyAt(sortableDateTime(query.dateEnd)));
    conditions.push(lower && upper ? `${start} BETWEEN ${lower} AND ${upper}` : lower ? `${start} >= ${lower}` : `${start} <= ${upper}`);
  }
  if (target && query.programID) filters.push(expressions.equals(target.programAttribute, query.programID));
  else if (program && !programInKey) filters.push(expressions.equals('programID', program));
  // A target list holds only events carrying its target.
  if (!target && query.targets?.length) filters.push(expressions.anyContains('targets', query.targets));
  if (query.activeAt) {
    // Ends after every key at `activeAt`, i.e. after that instant; events without an end sort last.
    const ended = `${expressions.name('eventEnd')} > ${expressions.value(lastKeyAt(sortableDateTime(query.activeAt)))}`;
    (byEnd ? conditions : filters).push(ended);
  }
  return planOf(tableName, index, expressions, conditions, filters);
}

export function subscriptionQueryPlan(tableName: string, query: SubscriptionQuery): QueryPlan {
  const expressions = new Expressions();
  const index = query.programID ? TABLE_LAYOUT.indexes.programID : undefined;
  const partitionKey = index?.partitionKey ?? TABLE_LAYOUT.partitionKey;
  const partitionValue = query.programID ? programScope('SUBSCRIPTION', query.programID) : 'SUBSCRIPTION';
  const key = expressions.equals(partitionKey, partitionValue);
  const filters: string[] = [];
  if (query.clientName !== undefined) filters.push(expressions.equals('clientName', query.clientName));
  if (query.objects?.length) filters.push(expressions.anyContains('objects', query.objects));
  return planOf(tableName, index, expressions, [key], filters);
}


/** Every item of a base-table partition, strongly consistent, page by page (for small partitions). */
export function readPartition(gateway: DynamoGateway, partitionValue: string): Promise<Item[]> {
  const plan: QueryPlan = {
    input: {
      TableName: gateway.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': TABLE_LAYOUT.partitionKey },
      ExpressionAttributeValues: { ':pk': { S: partitionValue } },
      ConsistentRead: true,
    },
  };
  return queryMatches(gateway, plan, Infinity);
}

/**
 * Reads until `wanted` items have matched or the key range ends. Without filtering it asks
 * DynamoDB for exactly what is still wanted, so the items read grow with skip+limit, not the
 * table. Once a filter (DynamoDB's or `keep`) drops items, the next page is sized for the rest
 * at the match rate so far, with half again as margin, growing at most PAGE_GROWTH-fold: a
 * filter matching nothing costs a few requests, not one per item, and one matching much reads
 * little past the page. Between pages it stops at the request's deadline with a retryable
 * error rather than outlive it.
 */
export async function queryMatches(
  gateway: DynamoGateway,
  plan: QueryPlan,
  wanted: number,
  keep: (item: Item) => boolean = () => true,
): Promise<Item[]> {
  const matched: Item[] = [];
  let startKey: Item | undefined;
  let limit = Math.min(MAX_QUERY_PAGE, wanted);
  let pages = 0;
  let itemsRead = 0;
  for (;;) {
    const page = await gateway.query({ ...plan.input, Limit: limit, ExclusiveStartKey: startKey });
    const items = page.Items ?? [];
    // Tombstones (young deleted objects) sit in base-table partitions; they are never a match.
    const kept = items.filter((item) => !isTombstone(item) && keep(item));
    matched.push(...kept);
    pages += 1;
    itemsRead += page.ScannedCount ?? items.length;
    startKey = page.LastEvaluatedKey;
    if (!startKey || matched.length >= wanted) return matched.slice(0, wanted);
    const stillWanted = wanted - matched.length;
    const filtered = plan.input.FilterExpression !== undefined || kept.length < items.length;
    const atMatchRate = matched.length > 0 ? Math.ceil((1.5 * stillWanted * itemsRead) / matched.length) : Infinity;
    limit = Math.min(MAX_QUERY_PAGE, filtered ? Math.max(stillWanted, Math.min(atMatchRate, limit * PAGE_GROWTH)) : stillWanted);
    if (timeLeftMs() <= 0) {
      throw new StorageUnavailableError(
        `the query stopped at the request's time limit after reading ${itemsRead} stored objects in ${pages} pages; retry, or narrow it`,
      );
    }
  }
}
