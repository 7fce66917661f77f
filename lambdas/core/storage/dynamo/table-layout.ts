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
    /**
     * Reports, one sparse index per leading filter (see report-keys.ts): only report items carry
     * these attributes. Sort keys join escaped parts with '|' so that begins_with selects the
     * filters that follow the partition's.
     */
    reportProgram: { indexName: 'report-program-index', partitionKey: 'reportProgram', sortKey: 'reportProgramSort' },
    reportEvent: { indexName: 'report-event-index', partitionKey: 'reportEvent', sortKey: 'reportEventSort' },
    reportClient: { indexName: 'report-client-index', partitionKey: 'reportClient', sortKey: 'reportClientSort' },
    reportClientName: { indexName: 'report-clientName-index', partitionKey: 'reportClientName', sortKey: 'reportClientNameSort' },
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
