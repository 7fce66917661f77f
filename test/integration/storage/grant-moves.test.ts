import { TestDatabase } from '../../support/database';
import { recordCommands } from '../../support/fixtures';
import { aResource, aVen } from '../../support/ven-fixtures';

/**
 * Cached grants (each client's, and the whole ven directory) are kept while ven and resource
 * writes leave them as they were; every write that moves one is seen by every instance, or a
 * VEN would go on reading (and hearing of) what it is no longer granted.
 */

let db: TestDatabase;
beforeAll(async () => {
  db = await TestDatabase.start();
});
afterAll(async () => {
  await db.stop();
});

async function twoInstances() {
  const table = await db.freshTable();
  // A bound of zero: the other instance checks for writes on each read.
  return [db.storage(table, { coherenceMs: 0 }), db.storage(table, { coherenceMs: 0 })] as const;
}

/** The directory's partition reads (queries) that `read` makes. */
async function partitionReadsOf(read: () => Promise<unknown>): Promise<number> {
  const recorder = recordCommands(db.client);
  try {
    await read();
    return recorder.calls.filter((call) => call.name === 'QueryCommand').length;
  } finally {
    recorder.stop();
  }
}

const grantsOf = async (storage: Awaited<ReturnType<typeof twoInstances>>[number]) =>
  Object.fromEntries((await storage.venGrants()).map(({ clientID, targets }) => [clientID, [...targets].sort()]));

test("a resource's targets, or its ven, moving is seen by the other instance's grants and directory", async () => {
  const [writer, reader] = await twoInstances();
  const one = await writer.vens.create(aVen({ clientID: 'one', targets: ['north'] }));
  const two = await writer.vens.create(aVen({ clientID: 'two', targets: [] }));
  const resource = await writer.resources.create(aResource(one, { targets: ['meter'] }));
  expect(await reader.grantOf('one')).toEqual({ venID: one.id, targets: expect.arrayContaining(['north', 'meter']) });
  expect(await grantsOf(reader)).toEqual({ one: ['meter', 'north'], two: [] });

  await writer.resources.update(resource.id, (current) => ({ ...current, targets: ['feeder'] }));
  expect((await reader.grantOf('one')).targets.sort()).toEqual(['feeder', 'north']);
  expect(await grantsOf(reader)).toEqual({ one: ['feeder', 'north'], two: [] });

  await writer.resources.update(resource.id, (current) => ({ ...current, venID: two.id, clientID: two.clientID }));
  expect((await reader.grantOf('one')).targets).toEqual(['north']);
  expect((await reader.grantOf('two')).targets).toEqual(['feeder']);
  expect(await grantsOf(reader)).toEqual({ one: ['north'], two: ['feeder'] });

  await writer.resources.delete(resource.id);
  expect((await reader.grantOf('two')).targets).toEqual([]);
  expect(await grantsOf(reader)).toEqual({ one: ['north'], two: [] });
});

test("a ven's targets or clientID moving is seen by the other instance; its name moving keeps the grants", async () => {
  const [writer, reader] = await twoInstances();
  const ven = await writer.vens.create(aVen({ clientID: 'before', targets: ['north'] }));
  expect(await reader.grantOf('before')).toEqual({ venID: ven.id, targets: ['north'] });
  expect(await grantsOf(reader)).toEqual({ before: ['north'] });

  await writer.vens.update(ven.id, (current) => ({ ...current, targets: ['south'] }));
  expect(await reader.grantOf('before')).toEqual({ venID: ven.id, targets: ['south'] });
  expect(await grantsOf(reader)).toEqual({ before: ['south'] });

  await writer.vens.update(ven.id, (current) => ({ ...current, clientID: 'after' }));
  expect(await reader.grantOf('before')).toEqual({ targets: [] });
  expect(await reader.grantOf('after')).toEqual({ venID: ven.id, targets: ['south'] });
  expect(await grantsOf(reader)).toEqual({ after: ['south'] });

  await writer.vens.update(ven.id, (current) => ({ ...current, venName: 'renamed', targets: ['south', 'south'] }));
  expect(await partitionReadsOf(() => reader.venGrants())).toBe(0);
  expect(await reader.grantOf('after')).toEqual({ venID: ven.id, targets: ['south'] });

  const added = await writer.vens.create(aVen({ clientID: 'added', targets: [] }));
  expect(await grantsOf(reader)).toEqual({ after: ['south'], added: [] });
  await writer.vens.delete(added.id);
  expect(await grantsOf(reader)).toEqual({ after: ['south'] });
});

test('a resource created without targets grants nothing and moves no grant; one with targets does', async () => {
  const [writer, reader] = await twoInstances();
  const ven = await writer.vens.create(aVen({ clientID: 'ven', targets: ['north'] }));
  expect(await grantsOf(reader)).toEqual({ ven: ['north'] });
  await writer.resources.create(aResource(ven, { targets: [] }));
  expect(await partitionReadsOf(() => reader.venGrants())).toBe(0);
  expect(await grantsOf(reader)).toEqual({ ven: ['north'] });
  await writer.resources.create(aResource(ven, { targets: ['meter'] }));
  expect(await reader.grantOf('ven')).toEqual({ venID: ven.id, targets: ['north', 'meter'] });
  expect(await grantsOf(reader)).toEqual({ ven: ['meter', 'north'] });
});
