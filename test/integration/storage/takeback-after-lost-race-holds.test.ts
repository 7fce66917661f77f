/**
 * An update that loses a race takes back its entries: W and L, both from version v, add list b;
 * W puts the entry, then L's put overwrites it; W's write lands and L's loses. L's take-back reads
 * W's version and rewrites b with W's copies, whether L then retries or gives up.
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

for (const giveUp of [false, true]) {
  it(`L losing to W on the same new list keeps W's entry (L ${giveUp ? 'gives up' : 'retries'})`, async () => {
    const tableName = await db.freshTable();
    const base = db.storage(tableName, { eventCacheTtlMs: 0 });
    const program = await base.programs.create(aProgram());
    const event = await base.events.create(anEvent(program.id, { targets: ['a'] }));
    const wReached = gate();
    const wRelease = gate();
    let wHeld = false;
    const w = db.storage(tableName, {
      eventCacheTtlMs: 0,
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (!wHeld && command === 'PutItemCommand' && input.Item?.objectType?.S === 'EVENT') {
          wHeld = true;
          wReached.open();
          await wRelease.opened;
        }
        return send();
      }),
    });
    let wUpdate: Promise<unknown> = Promise.resolve();
    let lHeld = false;
    const l = db.storage(tableName, {
      eventCacheTtlMs: 0,
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (!lHeld && command === 'PutItemCommand' && input.Item?.objectType?.S === 'EVENT') {
          lHeld = true;
          wRelease.open();
          await wUpdate; // W lands with L's entry in place
        }
        return send();
      }),
    });
    wUpdate = w.events.update(event.id, (current) => ({ ...current, targets: ['a', 'b'], eventName: 'W' }));
    await wReached.opened;
    let calls = 0;
    const lUpdate = l.events.update(event.id, (current) => {
      if (++calls > 1 && giveUp) throw new Error('gave up');
      return { ...current, targets: ['a', 'b'], eventName: 'L' };
    });
    if (giveUp) await expect(lUpdate).rejects.toThrow('gave up');
    else await lUpdate;
    await wUpdate;
    const reader = db.storage(tableName, { eventCacheTtlMs: 0 });
    const stored = await reader.events.get(event.id);
    const entryB = (await partition(db.client, tableName, 'EVENT_TARGET#b')).filter((item) => item.id.S === event.id);
    expect({ name: stored.eventName, targets: stored.targets, entriesB: entryB.length, seenByB: await seenBy(reader, ['b']) }).toEqual({
      name: giveUp ? 'W' : 'L',
      targets: ['a', 'b'],
      entriesB: 1,
      seenByB: [event.id],
    });
  }, 30_000);
}
