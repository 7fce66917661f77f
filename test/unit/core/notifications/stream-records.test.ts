import type { DynamoDBRecord } from 'aws-lambda';
import { changeFromStreamRecord } from '../../../../lambdas/core/notifications/stream-records';
import { entryItems } from '../../../../lambdas/core/storage/dynamo/event-targets';
import { fromItem, toItem } from '../../../../lambdas/core/storage/dynamo/item-codec';
import { SUBSCRIBER_ROLE, type Subscription } from '../../../../lambdas/core/openadr/types';
import { aProgram, anEvent, aReport, aSubscription } from '../../../support/fixtures';
import { aResource, aVen } from '../../../support/ven-fixtures';

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

test("a report's changes carry its event's program, which its wire form does not", () => {
  const report = toItem(aReport('event-1', 'program-1'), 1);
  for (const [eventName, images] of [['INSERT', { NewImage: report }], ['MODIFY', { OldImage: report, NewImage: report }], ['REMOVE', { OldImage: report }]] as const) {
    const change = changeFromStreamRecord(record(eventName, images));
    expect(change).toMatchObject({ objectType: 'REPORT', program: 'program-1', object: { eventID: 'event-1' } });
    expect(change?.object).not.toHaveProperty('program');
  }
});

test('vens and resources are notified', () => {
  const ven = aVen({ venName: 'streamed' });
  expect(changeFromStreamRecord(record('INSERT', { NewImage: toItem(ven, 1) }))).toMatchObject({ objectType: 'VEN', operation: 'CREATE', object: { venName: 'streamed' } });
  const resource = toItem(aResource(ven, { resourceName: 'meter' }), 1);
  expect(changeFromStreamRecord(record('REMOVE', { OldImage: resource }))).toMatchObject({ objectType: 'RESOURCE', operation: 'DELETE', object: { resourceName: 'meter' } });
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

test("a subscription's role is kept beside it, out of its wire form", () => {
  const subscription = aSubscription();
  subscription[SUBSCRIBER_ROLE] = 'BL';
  const stored = toItem(subscription, 1);
  expect(fromItem<Subscription>(stored)[SUBSCRIBER_ROLE]).toBe('BL');
  expect(JSON.parse(stored.data.S as string)).not.toHaveProperty('subscriberRole');
  // Written before roles were kept: none, which the notifier takes for a VEN's.
  expect(fromItem<Subscription>(toItem(aSubscription(), 1))[SUBSCRIBER_ROLE]).toBeUndefined();
});

test("an event update that moved it to another program carries the former program; one that did not carries none", () => {
  const event = anEvent('program-old');
  const moved = changeFromStreamRecord(record('MODIFY', { OldImage: toItem(event, 1), NewImage: toItem({ ...event, programID: 'program-new' }, 2) }));
  expect(moved).toMatchObject({ operation: 'UPDATE', formerProgram: 'program-old', object: { programID: 'program-new' } });
  const stayed = changeFromStreamRecord(record('MODIFY', { OldImage: toItem(event, 1), NewImage: toItem({ ...event, eventName: 'renamed' }, 2) }));
  expect(stayed).not.toHaveProperty('formerProgram');
});
