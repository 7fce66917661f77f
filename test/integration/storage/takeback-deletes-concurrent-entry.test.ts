/**
 * An update that gives up after its event write failed (throttled, not lost to another write)
 * leaves its target entries: another writer from the same version, adding the same list, may
 * have put that entry first and may still land. Its entry must survive for its event to be
 * listed.
 */import type { DynamoStorage } from '../../../lambdas/core/storage/dynamo/dynamo-storage';
import { TestDatabase } from '../../support/database';
import { gate, interceptedClient, partition } from '../../support/intercept';
import { aProgram, anEvent } from '../../support/fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

async function seenBy(storage: DynamoStorage, targets: string[]): Promise<string[]> {
  return (await storage.events.list({ skip: 0, limit: 100, audience: { targets } })).map((event) => event.id);
}

it('a failed update taking back its entry does not remove the entry a concurrent winner needs', async () => {
  const tableName = await db.freshTable();
  const base = db.storage(tableName, { eventCacheTtlMs: 0 });
  const program = await base.programs.create(aProgram());
  const event = await base.events.create(anEvent(program.id, { targets: ['a'] }));

  // W2: its event write is held until L has given up.
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
  // L: its event write fails (throttled past the SDK's retries).
  const l = db.storage(tableName, {
    eventCacheTtlMs: 0,
    client: interceptedClient(db.endpoint, (command, input, send) =>
      command === 'PutItemCommand' && input.Item?.objectType?.S === 'EVENT'
        ? Promise.reject(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $retryable: { throttling: true } }))
        : send(),
    ),
  });

  const w2Update = w2.events.update(event.id, (current) => ({ ...current, targets: ['a', 'b'] }));
  await w2Reached.opened; // W2 has put EVENT_TARGET#b (version 2, its token) and waits to write the event
  await expect(l.events.update(event.id, (current) => ({ ...current, targets: ['a', 'b'], eventName: 'L' }))).rejects.toThrow();
  w2Release.open();
  await w2Update;

  const reader = db.storage(tableName, { eventCacheTtlMs: 0 });
  const stored = await reader.events.get(event.id);
  const entryB = (await partition(db.client, tableName, 'EVENT_TARGET#b')).filter((item) => item.id.S === event.id);
  expect({ targets: stored.targets, entriesB: entryB.length, seenByB: await seenBy(reader, ['b']) }).toEqual({
    targets: ['a', 'b'],
    entriesB: 1,
    seenByB: [event.id],
  });
}, 30_000);
