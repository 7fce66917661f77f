import { Logger } from '../../../lambdas/core/logger';
import { MqttNotifier } from '../../../lambdas/core/notifications/mqtt/mqtt-notifier';
import { TopicLayout } from '../../../lambdas/core/notifications/mqtt/topics';
import { dehydrate } from '../../../lambdas/core/openadr/temporal-fields';
import { TestDatabase } from '../../support/database';
import { aProgram, anEvent, recordCommands } from '../../support/fixtures';
import { aResource, aVen } from '../../support/ven-fixtures';

/**
 * The MQTT notifier's ven directory (every ven's grant) is read whole, two partitions, whenever a
 * ven or resource write may have changed a grant. A write that changes no grant (a resource's
 * attributes, a ven's name) leaves every grant as it was: the next notification need not read
 * the whole directory again, or a VTN whose VENs update their resources often pays a scan of
 * all vens and resources for each event.
 */

const VENS = 100;

let db: TestDatabase;
beforeAll(async () => {
  db = await TestDatabase.start();
});
afterAll(async () => {
  await db.stop();
});

test("a resource write that changes no ven's grant costs the next notification no read of the whole directory", async () => {
  // Coherence checks (one small read per bound) are not what is counted here.
  const storage = db.storage(await db.freshTable(), { coherenceMs: 3_600_000 });
  const program = await storage.programs.create(aProgram());
  const resources = [];
  for (let index = 0; index < VENS; index++) {
    const ven = await storage.vens.create(aVen({ clientID: `ven-${index}`, venName: `ven-${index}`, targets: ['north'] }));
    resources.push(await storage.resources.create(aResource(ven, { targets: ['meter'] })));
  }
  const notifier = new MqttNotifier(storage, { publish: async () => undefined }, new TopicLayout('openadr3'), new Logger('silent'));
  const eventCreated = () => ({ objectType: 'EVENT' as const, operation: 'CREATE' as const, object: dehydrate('EVENT', anEvent(program.id, { targets: ['north'] })) });
  await notifier.notify(eventCreated());

  // Same targets, same ven, same client: only the resource's own fields move.
  await storage.resources.update(resources[0].id, (resource) => ({ ...resource, attributes: [{ type: 'MAX_POWER_CONSUMPTION', values: [7] }] }));
  const recorder = recordCommands(db.client);
  try {
    expect(await notifier.notify(eventCreated())).toEqual({ published: 2 + 2 * VENS });
    const partitionReads = recorder.calls.filter((call) => call.name === 'QueryCommand').map((call) => JSON.stringify(call.input.ExpressionAttributeValues));
    expect(partitionReads).toEqual([]);
  } finally {
    recorder.stop();
  }
});
