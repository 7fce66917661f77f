/**
 * Reads of a whole partition under way at once on one instance (a function's priming during init
 * and its first request) are one read; a read begun before a write of this instance is not shared.
 */
import { TestDatabase } from '../../support/database';
import { aProgram, recordCommands } from '../../support/fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

const partitionQueries = (recorder: ReturnType<typeof recordCommands>) =>
  recorder.calls.filter((call) => call.name === 'QueryCommand' && (call.input.ExpressionAttributeValues as Record<string, { S?: string }>)?.[':pk']?.S === 'PROGRAM').length;

it('reads the programs once for lists asked at the same time', async () => {
  const tableName = await db.freshTable();
  await db.storage(tableName).programs.create(aProgram());
  const storage = db.storage(tableName);
  const recorder = recordCommands(db.client);
  try {
    const lists = await Promise.all([1, 2, 3].map(() => storage.programs.list({ skip: 0, limit: 10 })));
    expect(lists.map((list) => list.length)).toEqual([1, 1, 1]);
    expect(partitionQueries(recorder)).toBe(1);
  } finally {
    recorder.stop();
  }
});

it('does not answer a list with a read begun before its own instance wrote', async () => {
  const tableName = await db.freshTable();
  const storage = db.storage(tableName);
  await storage.programs.list({ skip: 0, limit: 10 });
  const first = aProgram();
  await storage.programs.create(first);
  const before = storage.programs.list({ skip: 0, limit: 10 });
  const second = aProgram();
  await storage.programs.create(second);
  const after = await storage.programs.list({ skip: 0, limit: 10 });
  expect((await before).map((program) => program.id)).toContain(first.id);
  expect(after.map((program) => program.id)).toEqual([first.id, second.id]);
});
