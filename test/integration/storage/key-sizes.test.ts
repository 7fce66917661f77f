/**
 * Key sizes: a clientID from another identity provider has no bound, and a sort key holds at most
 * 1,024 bytes; the bounded fields at their limits fit every key they are part of.
 */
import { TestDatabase } from '../../support/database';
import { aProgram, anEvent } from '../../support/fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

describe('a caller whose clientID is longer than a sort key', () => {
  it('has an empty grant, not an error', async () => {
    const tableName = await db.freshTable();
    const storage = db.storage(tableName);
    const longClient = 'c'.repeat(1_100);
    await expect(storage.grantOf(longClient)).resolves.toEqual({ targets: [] });
  });

  it('finds no ven, not an error', async () => {
    const tableName = await db.freshTable();
    const storage = db.storage(tableName);
    await expect(storage.vens.findByClient('c'.repeat(1_100))).resolves.toBeUndefined();
  });

  it('bounded fields at their limit with 4-byte characters fit every key', async () => {
    const tableName = await db.freshTable();
    const storage = db.storage(tableName, { eventCacheTtlMs: 0 });
    const wide = '😀'.repeat(128);
    const program = await storage.programs.create(aProgram({ programName: wide, targets: [wide] }));
    const event = await storage.events.create(anEvent(program.id, { targets: [wide, `#|%${wide}`.slice(0, 128)] }));
    expect((await storage.events.list({ skip: 0, limit: 10, audience: { targets: [wide] } })).map((e) => e.id)).toEqual([event.id]);
  });
});
