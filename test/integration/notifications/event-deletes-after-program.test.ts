import { Logger } from '../../../lambdas/core/logger';
import type { Change } from '../../../lambdas/core/notifications/change';
import { MqttNotifier } from '../../../lambdas/core/notifications/mqtt/mqtt-notifier';
import type { Publication } from '../../../lambdas/core/notifications/mqtt/publisher';
import { TopicLayout } from '../../../lambdas/core/notifications/mqtt/topics';
import { dehydrate } from '../../../lambdas/core/openadr/temporal-fields';
import type { VtnEvent } from '../../../lambdas/core/openadr/types';
import { TestDatabase } from '../../support/database';
import { aProgram, anEvent } from '../../support/fixtures';
import { aVen } from '../../support/ven-fixtures';

/**
 * In AWS the stream reports a program's delete, then each of its events' deletes as the purge
 * removes them, with nothing of the program: the program's delete keeps its targets on its purge
 * mark, so that each VEN that could read an event hears of its deletion on its ven's topics, and
 * no other VEN does.
 */

let db: TestDatabase;
beforeAll(async () => {
  db = await TestDatabase.start();
});
afterAll(async () => {
  await db.stop();
});

/** A change as the table's stream gives it: the object alone. */
const streamed = (operation: Change['operation'], event: VtnEvent): Change => ({ objectType: 'EVENT', operation, object: dehydrate('EVENT', event) });

async function notifiedVens(programTargets: string[], eventTargets: string[], operation: Change['operation'] = 'DELETE'): Promise<string[]> {
  const storage = db.storage(await db.freshTable());
  const north = await storage.vens.create(aVen({ clientID: 'north', venName: 'north', targets: ['north'] }));
  await storage.vens.create(aVen({ clientID: 'south', venName: 'south', targets: ['south'] }));
  const program = await storage.programs.create(aProgram({ targets: programTargets }));
  const event = await storage.events.create(anEvent(program.id, { targets: eventTargets }));
  await storage.programs.delete(program.id);
  await expect(storage.events.get(event.id)).rejects.toThrow();
  const published: Publication[] = [];
  const publisher = { publish: async (publications: readonly Publication[]) => void published.push(...publications) };
  await new MqttNotifier(storage, publisher, new TopicLayout('oa'), new Logger('silent')).notify(streamed(operation, event));
  const venTopics = published.map((publication) => publication.topic).filter((topic) => topic.startsWith('oa/vens/'));
  return [...new Set(venTopics.map((topic) => (topic.split('/')[2] === north.id ? 'north' : 'south')))];
}

test("an event's delete after its program's reaches the VENs the program's targets and the event's let read it", async () => {
  expect(await notifiedVens(['north', 'south'], [])).toEqual(['north', 'south']);
  expect(await notifiedVens(['north', 'south'], ['south'])).toEqual(['south']);
  expect(await notifiedVens([], ['north'])).toEqual(['north']);
});

test('a VEN the deleted program was hidden from hears nothing of its events; nor does any VEN of other writes to them', async () => {
  expect(await notifiedVens(['north'], [])).toEqual(['north']);
  expect(await notifiedVens(['secret'], ['north'])).toEqual([]);
  expect(await notifiedVens(['north'], ['north'], 'UPDATE')).toEqual([]);
});

test("a deleted program's targets stay on its purge mark when a late event write into it is withdrawn", async () => {
  const storage = db.storage(await db.freshTable());
  const program = await storage.programs.create(aProgram({ targets: ['north'] }));
  await storage.programs.delete(program.id);
  // A write that passed its program check before the delete lands after it: it is withdrawn,
  // and the program marked again for the purge.
  await expect(storage.events.create(anEvent(program.id))).rejects.toThrow(/does not exist/);
  await expect(storage.programs.deletedTargets(program.id)).resolves.toEqual(['north']);
});
