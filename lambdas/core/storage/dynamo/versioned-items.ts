import { randomUUID } from 'node:crypto';
import type { StoredObjectType } from '../../openadr/types';
import { DynamoGateway, isConditionFailure } from './gateway';
import { itemVersion, type Item } from './item-codec';
import { TABLE_LAYOUT } from './table-layout';

/**
 * Conditional writes of object items that recognise their own success. The SDK retries a request
 * whose answer was lost; if the first attempt was applied, the retry fails its condition. Each
 * write therefore stores a token of its own, and a failed condition is resolved by reading the
 * item: our token there means the write happened.
 */
export class VersionedItems {
  constructor(private readonly gateway: DynamoGateway) {}

  key(objectType: string, id: string): Item {
    return { [TABLE_LAYOUT.partitionKey]: { S: objectType }, [TABLE_LAYOUT.sortKey]: { S: id } };
  }

  async read(objectType: StoredObjectType, id: string): Promise<Item | undefined> {
    const result = await this.gateway.get({ TableName: this.gateway.tableName, Key: this.key(objectType, id), ConsistentRead: true });
    return result.Item;
  }

  async exists(objectType: StoredObjectType, id: string): Promise<boolean> {
    const result = await this.gateway.get({
      TableName: this.gateway.tableName,
      Key: this.key(objectType, id),
      ConsistentRead: true,
      ProjectionExpression: '#id',
      ExpressionAttributeNames: { '#id': TABLE_LAYOUT.sortKey },
    });
    return result.Item !== undefined;
  }

  /** Writes a new item; false when an item with its key exists already. Returns the item as written. */
  async create(item: Item): Promise<Item | undefined> {
    const written = withToken(item);
    const applied = await this.conditionally(written, {
      ConditionExpression: 'attribute_not_exists(#id)',
      ExpressionAttributeNames: { '#id': TABLE_LAYOUT.sortKey },
    });
    return applied ? written : undefined;
  }

  /** Replaces `current` with `next` unless someone wrote in between; undefined when they did. */
  async replace(current: Item, next: Item): Promise<Item | undefined> {
    const written = withToken(next);
    const applied = await this.conditionally(written, {
      ConditionExpression: '#version = :version',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':version': { N: String(itemVersion(current)) } },
    });
    return applied ? written : undefined;
  }

  /**
   * Deletes `current` unless someone wrote in between. Undefined when the item no longer exists
   * (deleted by this call, by a retried attempt of it, or by a concurrent delete: final either
   * way); otherwise the newer version that stands.
   */
  async remove(current: Item): Promise<Item | undefined> {
    try {
      await this.gateway.delete({
        TableName: this.gateway.tableName,
        Key: this.key(current[TABLE_LAYOUT.partitionKey].S as string, current[TABLE_LAYOUT.sortKey].S as string),
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': { N: String(itemVersion(current)) } },
      });
      return undefined;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    return this.read(current[TABLE_LAYOUT.partitionKey].S as StoredObjectType, current[TABLE_LAYOUT.sortKey].S as string);
  }

  private async conditionally(item: Item, condition: { ConditionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues?: Item }): Promise<boolean> {
    try {
      await this.gateway.put({ TableName: this.gateway.tableName, Item: item, ...condition });
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const now = await this.read(item[TABLE_LAYOUT.partitionKey].S as StoredObjectType, item[TABLE_LAYOUT.sortKey].S as string);
    return now?.writeToken?.S === item.writeToken.S;
  }
}

function withToken(item: Item): Item {
  return { ...item, writeToken: { S: randomUUID() } };
}
