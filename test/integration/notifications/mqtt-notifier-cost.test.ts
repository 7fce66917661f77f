import { Logger } from '../../../lambdas/core/logger';
import { MqttNotifier } from '../../../lambdas/core/notifications/mqtt/mqtt-notifier';
import type { Publication } from '../../../lambdas/core/notifications/mqtt/publisher';
import { TopicLayout } from '../../../lambdas/core/notifications/mqtt/topics';
import { dehydrate } from '../../../lambdas/core/openadr/temporal-fields';
import { TestDatabase } from '../../support/database';
import { aProgram, anEvent, recordCommands } from '../../support/fixtures';
import { aResource, aVen } from '../../support/ven-fixtures';

const VENS = 50;

let db: TestDatabase;
beforeAll(async () => {
  db = await TestDatabase.start();
});
afterAll(async () => {
  await db.stop();
});

function recordingNotifier(storage: ConstructorParameters<typeof MqttNotifier>[0]) {
  const published: Publication[] = [];
  const notifier = new MqttNotifier(storage, { publish: async (publications) => void published.push(...publications) }, new TopicLayout('openadr3'), new Logger('silent'));
  return { notifier, published };
}

const created = (programID: string, targets?: string[]) => ({
  objectType: 'EVENT' as const,
  operation: 'CREATE' as const,
  object: dehydrate('EVENT', anEvent(programID, targets ? { targets } : {})),
});
const vensIn = (published: Publication[]) => new Set(published.map((publication) => /^openadr3\/vens\/([^/]+)\/events\//.exec(publication.topic)?.[1]).filter(Boolean));

test('a warm MqttNotifier costs no DynamoDB request per change, however many vens', async () => {
  // Coherence checks (one small read a second) are not what is counted here.
  const storage = db.storage(await db.freshTable(), { coherenceMs: 3_600_000 });
  const program = await storage.programs.create(aProgram());
  for (let index = 0; index < VENS; index++) {
    const ven = await storage.vens.create(aVen({ clientID: `ven-${index}`, venName: `ven-${index}`, targets: index % 2 === 0 ? ['even'] : [] }));
    // Odd vens are granted 'odd' through a resource.
    if (index % 2 === 1) await storage.resources.create(aResource(ven, { targets: ['odd'] }));
  }
  const { notifier, published } = recordingNotifier(storage);
  // Cold: the directory (vens, resources) and the programs are read once.
  expect(await notifier.notify(created(program.id, ['even']))).toEqual({ published: 2 + 2 * (VENS / 2) });
  const recorder = recordCommands(db.client);
  try {
    published.length = 0;
    expect(await notifier.notify(created(program.id, ['odd']))).toEqual({ published: 2 + 2 * (VENS / 2) });
    expect(vensIn(published).size).toBe(VENS / 2);
    expect(await notifier.notify(created(program.id))).toEqual({ published: 2 + 2 * VENS });
    expect(recorder.calls.map((call) => call.name)).toEqual([]);
  } finally {
    recorder.stop();
  }
});

test("another instance's ven and resource writes reach the notifier's directory within the coherence bound", async () => {
  const tableName = await db.freshTable();
  const writer = db.storage(tableName);
  // Bound 0: every read checks, so no waiting is needed to see another instance's write.
  const reader = db.storage(tableName, { coherenceMs: 0 });
  const program = await writer.programs.create(aProgram());
  const first = await writer.vens.create(aVen({ clientID: 'ven-a', venName: 'ven-a', targets: ['north'] }));
  const { notifier, published } = recordingNotifier(reader);
  await notifier.notify(created(program.id, ['south']));
  expect(vensIn(published)).toEqual(new Set());

  const second = await writer.vens.create(aVen({ clientID: 'ven-b', venName: 'ven-b' }));
  await writer.resources.create(aResource(second, { targets: ['south'] }));
  published.length = 0;
  await notifier.notify(created(program.id, ['south']));
  expect(vensIn(published)).toEqual(new Set([second.id]));

  await writer.vens.update(first.id, (ven) => ({ ...ven, targets: ['south'] }));
  await writer.vens.delete(second.id);
  published.length = 0;
  await notifier.notify(created(program.id, ['south']));
  expect(vensIn(published)).toEqual(new Set([first.id]));
});
