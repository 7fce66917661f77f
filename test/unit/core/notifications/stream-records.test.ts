import type { DynamoDBRecord } from 'aws-lambda';
import { changeFromStreamRecord } from '../../../../lambdas/core/notifications/stream-records';
import { entryItems } from '../../../../lambdas/core/storage/dynamo/event-targets';
import { toItem } from '../../../../lambdas/core/storage/dynamo/item-codec';
import { aProgram, anEvent, aReport } from '../../../support/fixtures';

const program = aProgram({ programName: 'Streamed' });
const item = toItem(program, 1);
const tombstone = { objectType: item.objectType, id: item.id, version: { N: '2' }, deletedAt: { N: '1' }, expiresAt: { N: '2' } };
const record = (eventName: DynamoDBRecord['eventName'], images: { OldImage?: object; NewImage?: object }) =>
  ({ eventName, dynamodb: images }) as unknown as DynamoDBRecord;

test('a young object replaced by its tombstone is a DELETE carrying the object', () => {
  expect(changeFromStreamRecord(record('MODIFY', { OldImage: item, NewImage: tombstone }))).toMatchObject({
    objectType: 'PROGRAM',
    operation: 'DELETE',
    object: { id: program.id, programName: 'Streamed' },
  });
});

test('the tombstone’s own removal by its time to live tells nobody anything', () => {
  expect(changeFromStreamRecord(record('REMOVE', { OldImage: tombstone }))).toBeUndefined();
});

test('creates, updates and deletes of objects map one to one', () => {
  expect(changeFromStreamRecord(record('INSERT', { NewImage: item }))?.operation).toBe('CREATE');
  expect(changeFromStreamRecord(record('MODIFY', { OldImage: item, NewImage: toItem(program, 2) }))?.operation).toBe('UPDATE');
  expect(changeFromStreamRecord(record('REMOVE', { OldImage: item }))?.operation).toBe('DELETE');
});

test("a report's changes are not notified yet: whom they may reach needs the report's privacy", () => {
  const report = toItem(aReport('event-1', 'program-1'), 1);
  for (const [eventName, images] of [['INSERT', { NewImage: report }], ['MODIFY', { OldImage: report, NewImage: report }], ['REMOVE', { OldImage: report }]] as const) {
    expect(changeFromStreamRecord(record(eventName, images))).toBeUndefined();
  }
});

test('target entries of events are bookkeeping: their writes and deletes tell nobody anything', () => {
  const event = toItem(anEvent(program.id, { targets: ['a'] }), 1);
  const [entry] = entryItems(event, 1, 0);
  const untargeted = entryItems(toItem(anEvent(program.id), 1), 1, 0)[0];
  for (const image of [entry, untargeted]) {
    expect(changeFromStreamRecord(record('INSERT', { NewImage: image }))).toBeUndefined();
    expect(changeFromStreamRecord(record('MODIFY', { OldImage: image, NewImage: image }))).toBeUndefined();
    expect(changeFromStreamRecord(record('REMOVE', { OldImage: image }))).toBeUndefined();
  }
});
