import type { DynamoDBRecord } from 'aws-lambda';
import type { StoredObjectType } from '../openadr/types';
import { wireFromItem, type Item } from '../storage/dynamo/item-codec';
import { reportProgramOf } from '../storage/dynamo/report-keys';
import { isTombstone } from '../storage/dynamo/versioned-items';
import type { Change, ChangeOperation } from './change';

const OPERATIONS: Record<string, ChangeOperation> = { INSERT: 'CREATE', MODIFY: 'UPDATE', REMOVE: 'DELETE' };
export const NOTIFIED_TYPES: readonly StoredObjectType[] = ['PROGRAM', 'EVENT', 'REPORT', 'SUBSCRIPTION', 'VEN', 'RESOURCE'];

/**
 * The change a stream record describes; undefined for bookkeeping items (name claims, counters)
 * and for a tombstone's own removal. A young object's delete replaces it with a tombstone: that
 * MODIFY is the object's DELETE.
 */
export function changeFromStreamRecord(record: DynamoDBRecord): Change | undefined {
  const newImage = record.dynamodb?.NewImage as Item | undefined;
  const tombstoned = record.eventName === 'MODIFY' && isTombstone(newImage);
  const operation = tombstoned ? 'DELETE' : OPERATIONS[record.eventName ?? ''];
  const image = (operation === 'DELETE' ? record.dynamodb?.OldImage : newImage) as Item | undefined;
  const objectType = image?.objectType?.S as StoredObjectType | undefined;
  if (!operation || !image || !objectType || !NOTIFIED_TYPES.includes(objectType) || !image.data) return undefined;
  const program = objectType === 'REPORT' ? reportProgramOf(image) : undefined;
  const object = wireFromItem(image);
  const formerProgram = objectType === 'EVENT' && operation === 'UPDATE' ? programBefore(record, object) : undefined;
  return { objectType, operation, object, ...(program ? { program } : {}), ...(formerProgram ? { formerProgram } : {}) };
}

/** The program an event update moved it from, if it moved. */
function programBefore(record: DynamoDBRecord, object: Record<string, unknown>): string | undefined {
  const former = objectBefore(record)?.programID;
  return typeof former === 'string' && former !== object.programID ? former : undefined;
}

/** The object as it was before the record's write (the stream's old image), if it was one. */
function objectBefore(record: DynamoDBRecord): Record<string, unknown> | undefined {
  const oldImage = record.dynamodb?.OldImage as Item | undefined;
  return oldImage?.data && !isTombstone(oldImage) ? wireFromItem(oldImage) : undefined;
}

/**
 * The client a ven record (`change`, as changeFromStreamRecord made it) takes that ven from: its
 * former clientID when a BL gave it to another client or deleted it, else undefined.
 */
export function formerVenClient(record: DynamoDBRecord, change: Change): string | undefined {
  if (change.objectType !== 'VEN' || change.operation === 'CREATE') return undefined;
  // A deleted ven's record carries it as it was: its object is the old image.
  const former = change.operation === 'DELETE' ? change.object.clientID : objectBefore(record)?.clientID;
  const holder = change.operation === 'DELETE' ? undefined : change.object.clientID;
  return typeof former === 'string' && former !== holder ? former : undefined;
}
