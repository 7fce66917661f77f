import { randomUUID } from 'node:crypto';
import type { PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { StoredObjectType } from '../../openadr/types';
import { DynamoGateway, conditionMet } from './gateway';
import { itemVersion, type Item } from './item-codec';
import { TABLE_LAYOUT } from './table-layout';

/**
 * How long after its create an object's delete leaves a tombstone: longer than the SDK can still
 * be retrying that create (three attempts, each bounded by the request timeout).
 */
const TOMBSTONE_WINDOW_MS = 5 * 60_000;
/** When DynamoDB's time to live removes a tombstone (the table's TTL attribute). */
const TOMBSTONE_TTL_SECONDS = 24 * 3600;
const DELETED_AT = 'deletedAt';
/** When the item was first written (this server's clock, epoch ms); items from before have none. */
const CREATED_AT = 'createdAt';
/** The token of the create that made the object, kept by every later version and its tombstone. */
const CREATE_TOKEN = 'createToken';
/** What every version of an object keeps from its create. */
const ORIGIN = [CREATED_AT, CREATE_TOKEN];

/** A deleted object's stand-in: no data and no index attributes, so no query or read shows it. */
export function isTombstone(item: Item | undefined): boolean {
  return item?.[DELETED_AT] !== undefined;
}

/**
 * Conditional writes of object items that recognise their own success. The SDK retries a request
 * whose answer was lost; if the first attempt was applied, the retry fails its condition. Each
 * write therefore stores a token of its own, and a failed condition is resolved by reading the
 * item: our token there means the write happened.
 *
 * A retried create could also land after the object was deleted, bringing it back: deleting a
 * young object therefore leaves a tombstone for a day (DynamoDB's TTL removes it), on which such
 * a retry fails its condition.
 */
export class VersionedItems {
  constructor(
    private readonly gateway: DynamoGateway,
    private readonly clock: () => number = Date.now,
  ) {}

  key(objectType: string, id: string): Item {
    return { [TABLE_LAYOUT.partitionKey]: { S: objectType }, [TABLE_LAYOUT.sortKey]: { S: id } };
  }

  /** The object's item; undefined when it does not exist or was deleted. */
  async read(objectType: StoredObjectType, id: string): Promise<Item | undefined> {
    const item = await this.readRaw(this.key(objectType, id));
    return isTombstone(item) ? undefined : item;
  }

  async exists(objectType: StoredObjectType, id: string): Promise<boolean> {
    const result = await this.gateway.get({
      TableName: this.gateway.tableName,
      Key: this.key(objectType, id),
      ConsistentRead: true,
      ProjectionExpression: '#id, #deleted',
      ExpressionAttributeNames: { '#id': TABLE_LAYOUT.sortKey, '#deleted': DELETED_AT },
    });
    return result.Item !== undefined && !isTombstone(result.Item);
  }

  /**
   * Writes a new item; undefined when another object holds its key. When the condition fails
   * because this very write landed (its answer lost), what stands there now is that object,
   * updated or deleted since (its tombstone), or nothing if it was purged: the create happened.
   */
  async create(item: Item): Promise<Item | undefined> {
    const token = randomUUID();
    const written: Item = { ...item, [CREATED_AT]: { N: String(this.clock()) }, [CREATE_TOKEN]: { S: token }, writeToken: { S: token } };
    const put = this.gateway.put({
      TableName: this.gateway.tableName,
      Item: written,
      ConditionExpression: 'attribute_not_exists(#id)',
      ExpressionAttributeNames: { '#id': TABLE_LAYOUT.sortKey },
    });
    if (await conditionMet(put)) return written;
    const now = await this.readRaw(keyOf(written));
    return !now || now[CREATE_TOKEN]?.S === token ? written : undefined;
  }

  /** Replaces `current` with `next` unless someone wrote in between; undefined when they did. */
  async replace(current: Item, next: Item): Promise<Item | undefined> {
    const written = withToken({ ...next, ...origin(current) });
    return (await this.putOwn(written, unchangedSince(current))) ? written : undefined;
  }

  /**
   * Deletes `current` unless someone wrote in between. Undefined when the object no longer exists
   * (deleted by this call, by a retried attempt of it, or by a concurrent delete: final either
   * way); otherwise the newer version that stands.
   */
  async remove(current: Item): Promise<Item | undefined> {
    const now = this.clock();
    const young = now - Number(current[CREATED_AT]?.N ?? Number.NEGATIVE_INFINITY) < TOMBSTONE_WINDOW_MS;
    const write = young
      ? this.gateway.put({
          TableName: this.gateway.tableName,
          Item: withToken({
            ...keyOf(current),
            ...origin(current),
            version: { N: String(itemVersion(current) + 1) },
            [DELETED_AT]: { N: String(now) },
            [TABLE_LAYOUT.timeToLiveAttribute]: { N: String(Math.floor(now / 1000) + TOMBSTONE_TTL_SECONDS) },
          }),
          ...unchangedSince(current),
        })
      : this.gateway.delete({ TableName: this.gateway.tableName, Key: keyOf(current), ...unchangedSince(current) });
    if (await conditionMet(write)) return undefined;
    const after = await this.readRaw(keyOf(current));
    return isTombstone(after) ? undefined : after;
  }

  /**
   * Puts `previous` back in place of `written` (a write withdrawn after the fact): over that very
   * version, or where the object has gone since (a purge took it), but never over a newer write or
   * a client's delete.
   */
  async restore(written: Item, previous: Item): Promise<Item | undefined> {
    const restored = withToken({ ...previous, ...origin(written), version: { N: String(itemVersion(written) + 1) } });
    const overWrittenOrGone: Condition = {
      ConditionExpression: 'attribute_not_exists(#id) OR #version = :version',
      ExpressionAttributeNames: { '#id': TABLE_LAYOUT.sortKey, '#version': 'version' },
      ExpressionAttributeValues: { ':version': { N: String(itemVersion(written)) } },
    };
    return (await this.putOwn(restored, overWrittenOrGone)) ? restored : undefined;
  }

  /** Puts `item` under `condition`; true when it was applied, by this call or by a retry of it. */
  private async putOwn(item: Item, condition: Condition): Promise<boolean> {
    if (await conditionMet(this.gateway.put({ TableName: this.gateway.tableName, Item: item, ...condition }))) return true;
    return (await this.readRaw(keyOf(item)))?.writeToken?.S === item.writeToken.S;
  }

  private async readRaw(key: Item): Promise<Item | undefined> {
    const result = await this.gateway.get({ TableName: this.gateway.tableName, Key: key, ConsistentRead: true });
    return result.Item;
  }
}

function origin(item: Item): Item {
  return Object.fromEntries(ORIGIN.filter((name) => item[name] !== undefined).map((name) => [name, item[name]]));
}

function keyOf(item: Item): Item {
  return { [TABLE_LAYOUT.partitionKey]: item[TABLE_LAYOUT.partitionKey], [TABLE_LAYOUT.sortKey]: item[TABLE_LAYOUT.sortKey] };
}

type Condition = Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>;

function unchangedSince(current: Item): Condition {
  return {
    ConditionExpression: '#version = :version',
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':version': { N: String(itemVersion(current)) } },
  };
}

function withToken(item: Item): Item {
  return { ...item, writeToken: { S: randomUUID() } };
}
