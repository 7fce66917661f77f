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

/** The program an event update moved it from (the stream's old image), if it moved. */
function programBefore(record: DynamoDBRecord, object: Record<string, unknown>): string | undefined {
  const oldImage = record.dynamodb?.OldImage as Item | undefined;
  if (!oldImage?.data || isTombstone(oldImage)) return undefined;
  const former = wireFromItem(oldImage).programID;
  return typeof former === 'string' && former !== object.programID ? former : undefined;
}

/**
 * The client a ven record takes that ven from: its former clientID when a BL gave it to another
 * client or deleted it (the stream's old image), else undefined.
 */
export function formerVenClient(record: DynamoDBRecord): string | undefined {
  const change = changeFromStreamRecord(record);
  const oldImage = record.dynamodb?.OldImage as Item | undefined;
  if (change?.objectType !== 'VEN' || change.operation === 'CREATE' || !oldImage?.data) return undefined;
  const former = wireFromItem(oldImage).clientID;
  const holder = change.operation === 'DELETE' ? undefined : change.object.clientID;
  return typeof former === 'string' && former !== holder ? former : undefined;
}
