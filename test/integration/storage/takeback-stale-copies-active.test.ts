/**
 * The same, with both writers moving the event's start: the failed one does not rewrite the
 * shared entry with the old copies, so the winner's event stays in `active` lists.
 */import { Temporal } from 'temporal-polyfill';
import type { DynamoStorage } from '../../../lambdas/core/storage/dynamo/dynamo-storage';
import { TestDatabase } from '../../support/database';
import { gate, interceptedClient } from '../../support/intercept';
import { aProgram, anEvent } from '../../support/fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

async function activeFor(storage: DynamoStorage, targets: string[]): Promise<string[]> {
  return (await storage.events.list({ skip: 0, limit: 100, audience: { targets }, activeAt: Temporal.Now.instant() })).map((event) => event.id);
}

it('a failed update taking back its entry does not hide the concurrent winner from active lists', async () => {
  const tableName = await db.freshTable();
  const base = db.storage(tableName, { eventCacheTtlMs: 0 });
  const program = await base.programs.create(aProgram());
  const yesterday = new Date(Date.now() - 24 * 3_600_000).toISOString();
  const event = await base.events.create(anEvent(program.id, { targets: ['a'], intervalPeriod: { start: yesterday, duration: 'PT1H' } }));
  const toNow = (current: any) => ({ ...current, intervalPeriod: { ...current.intervalPeriod, start: current.intervalPeriod.start.add({ hours: 23, minutes: 30 }) } });

  const w2Reached = gate();
  const w2Release = gate();
  let w2Held = false;
  const w2 = db.storage(tableName, {
    eventCacheTtlMs: 0,
    client: interceptedClient(db.endpoint, async (command, input, send) => {
      if (!w2Held && command === 'PutItemCommand' && input.Item?.objectType?.S === 'EVENT') {
        w2Held = true;
        w2Reached.open();
        await w2Release.opened;
      }
      return send();
    }),
  });
  const l = db.storage(tableName, {
    eventCacheTtlMs: 0,
    client: interceptedClient(db.endpoint, (command, input, send) =>
      command === 'PutItemCommand' && input.Item?.objectType?.S === 'EVENT'
        ? Promise.reject(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $retryable: { throttling: true } }))
        : send(),
    ),
  });

  const w2Update = w2.events.update(event.id, toNow);
  await w2Reached.opened;
  await expect(l.events.update(event.id, (current) => ({ ...toNow(current), eventName: 'L' }))).rejects.toThrow();
  w2Release.open();
  await w2Update;

  const reader = db.storage(tableName, { eventCacheTtlMs: 0 });
  const bl = (await reader.events.list({ skip: 0, limit: 10, activeAt: Temporal.Now.instant() })).map((e) => e.id);
  expect({ bl, venA: await activeFor(reader, ['a']) }).toEqual({ bl: [event.id], venA: [event.id] });
}, 30_000);
