import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { ConflictError, NotFoundError } from '../../errors';
import type { ClientRecord, ClientStore } from '../port';
import { DynamoGateway, conditionMet } from './gateway';
import type { Item } from './item-codec';
import { readPartition } from './queries';
import { TABLE_LAYOUT } from './table-layout';

/** The registry's partition: one item per client, keyed by clientID; no index sees it. */
export const CLIENT_PARTITION = 'CLIENT';

/**
 * The client registry in the VTN's table. A create is conditional on the key; when its answer
 * is lost and the SDK's retry fails that condition, the stored hash (salted, so unique to this
 * write) tells whether the item is this write's.
 */
export class DynamoClientStore implements ClientStore {
  constructor(private readonly gateway: DynamoGateway) {}

  async get(clientID: string): Promise<ClientRecord | undefined> {
    const result = await this.gateway.get({ TableName: this.gateway.tableName, Key: key(clientID), ConsistentRead: true });
    return result.Item && fromItem(result.Item);
  }

  async list(): Promise<ClientRecord[]> {
    return (await readPartition(this.gateway, CLIENT_PARTITION)).map(fromItem);
  }

  async create(client: ClientRecord): Promise<void> {
    const put = this.gateway.put({
      TableName: this.gateway.tableName,
      Item: toItem(client),
      ConditionExpression: 'attribute_not_exists(#id)',
      ExpressionAttributeNames: { '#id': TABLE_LAYOUT.sortKey },
    });
    // The same hash there is this very write, retried after its answer was lost.
    if (!(await conditionMet(put)) && (await this.get(client.clientID))?.secretHash !== client.secretHash) {
      throw new ConflictError(`client ${client.clientID} already exists`);
    }
  }

  async put(client: ClientRecord): Promise<void> {
    await this.gateway.put({ TableName: this.gateway.tableName, Item: toItem(client) });
  }

  async replaceSecret(clientID: string, secretHash: string, at: string): Promise<void> {
    const update = this.gateway.update({
      TableName: this.gateway.tableName,
      Key: key(clientID),
      UpdateExpression: 'SET secretHash = :hash, secretRotatedDateTime = :at',
      ConditionExpression: 'attribute_exists(#id)',
      ExpressionAttributeNames: { '#id': TABLE_LAYOUT.sortKey },
      ExpressionAttributeValues: { ':hash': { S: secretHash }, ':at': { S: at } },
    });
    if (!(await conditionMet(update))) throw new NotFoundError('CLIENT', clientID);
  }

  async remove(clientID: string): Promise<ClientRecord> {
    const result = await this.gateway.delete({ TableName: this.gateway.tableName, Key: key(clientID), ReturnValues: 'ALL_OLD' });
    if (!result.Attributes) throw new NotFoundError('CLIENT', clientID);
    return fromItem(result.Attributes);
  }
}

function key(clientID: string): Item {
  return { [TABLE_LAYOUT.partitionKey]: { S: CLIENT_PARTITION }, [TABLE_LAYOUT.sortKey]: { S: clientID } };
}

function toItem({ clientID, ...fields }: ClientRecord): Item {
  return { ...key(clientID), ...marshall(fields, { removeUndefinedValues: true }) };
}

function fromItem(item: Item): ClientRecord {
  const { [TABLE_LAYOUT.sortKey]: clientID, role, scopes, secretHash, createdDateTime, secretRotatedDateTime } = unmarshall(item);
  return { clientID, role, scopes, secretHash, createdDateTime, ...(secretRotatedDateTime ? { secretRotatedDateTime } : {}) };
}
