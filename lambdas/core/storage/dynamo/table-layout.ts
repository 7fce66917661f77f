/**
 * The table layout, defined once as data: the CDK stack, the local bootstrap (ensureTable) and
 * the queries all read it. Every key attribute is a string.
 */
export const TABLE_LAYOUT = {
  partitionKey: 'objectType',
  sortKey: 'id',
  /** Epoch seconds after which DynamoDB removes the item (tombstones of deleted objects). */
  timeToLiveAttribute: 'expiresAt',
  indexes: {
    programName: { indexName: 'programName-index', partitionKey: 'objectType', sortKey: 'programName' },
    programID: { indexName: 'programID-index', partitionKey: 'programID', sortKey: 'id' },
    objectTypeEventStart: {
      indexName: 'objectType-eventStart-index',
      partitionKey: 'objectType',
      sortKey: 'eventStart',
    },
    programIDEventStart: {
      indexName: 'programID-eventStart-index',
      partitionKey: 'programID',
      sortKey: 'eventStart',
    },
    /** Events by end, for `active`: every event has an eventEnd (a sentinel when it has no end). */
    objectTypeEventEnd: {
      indexName: 'objectType-eventEnd-index',
      partitionKey: 'objectType',
      sortKey: 'eventEnd',
    },
  },
} as const;

export type IndexLayout = (typeof TABLE_LAYOUT.indexes)[keyof typeof TABLE_LAYOUT.indexes];

/** Every attribute that is part of a key, for AttributeDefinitions. */
export function keyAttributes(): string[] {
  const names = new Set<string>([TABLE_LAYOUT.partitionKey, TABLE_LAYOUT.sortKey]);
  for (const index of Object.values(TABLE_LAYOUT.indexes)) {
    names.add(index.partitionKey);
    names.add(index.sortKey);
  }
  return [...names];
}

export const DEFAULT_TABLE_NAME = 'openadr3-vtn';
