import { Logger } from '../../../lambdas/core/logger';
import { Metrics } from '../../../lambdas/core/metrics';
import { InProcessRetries } from '../../../lambdas/core/notifications/in-process-retries';
import { notifierFor } from '../../../lambdas/core/notifications/notifier';
import { dehydrate } from '../../../lambdas/core/openadr/temporal-fields';
import { SUBSCRIBER_ROLE } from '../../../lambdas/core/openadr/types';
import { TestDatabase } from '../../support/database';
import { aProgram, anEvent, aSubscription, recordCommands } from '../../support/fixtures';
import { Receiver } from '../../support/receiver';
import { aVen } from '../../support/ven-fixtures';

const VENS = 100;

let db: TestDatabase;
let receiver: Receiver;
beforeAll(async () => {
  db = await TestDatabase.start();
  receiver = await Receiver.start();
});
afterAll(async () => {
  await receiver.close();
  await db.stop();
});

test('privacy costs a warm notifier no DynamoDB request per change, however many VEN subscribers', async () => {
  // Coherence checks (one small read a second) are not what is counted here.
  const storage = db.storage(await db.freshTable(), { coherenceMs: 3_600_000 });
  const program = await storage.programs.create(aProgram({ targets: ['even', 'odd'] }));
  for (let index = 0; index < VENS; index++) {
    const clientID = `ven-${index}`;
    await storage.vens.create(aVen({ clientID, venName: clientID, targets: [index % 2 === 0 ? 'even' : 'odd'] }));
    const subscription = aSubscription({
      clientID,
      clientName: clientID,
      objectOperations: [{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: `${receiver.url}/${clientID}` }],
    });
    subscription[SUBSCRIBER_ROLE] = 'VEN';
    await storage.subscriptions.create(subscription);
  }
  const logger = new Logger('silent');
  const config = { timeoutMs: 2000, allowPrivate: true, retryBaseMs: 10, maxAttempts: 1, concurrency: 32, notifyInline: true };
  const notifier = notifierFor(config, storage, logger, Metrics.off(), (redeliver) => new InProcessRetries(redeliver, logger));
  const created = (targets: string[]) => ({ objectType: 'EVENT' as const, operation: 'CREATE' as const, object: dehydrate('EVENT', anEvent(program.id, { targets })) });
  try {
    // Cold: subscriptions, the program and every grant are read once.
    expect(await notifier.notify(created(['even']))).toEqual({ delivered: VENS / 2, failed: 0 });
    const recorder = recordCommands(db.client);
    try {
      expect(await notifier.notify(created(['odd']))).toEqual({ delivered: VENS / 2, failed: 0 });
      expect(await notifier.notify(created(['even', 'odd']))).toEqual({ delivered: VENS, failed: 0 });
      expect(recorder.calls.map((call) => call.name)).toEqual([]);
    } finally {
      recorder.stop();
    }
  } finally {
    notifier.close();
  }
  // Each VEN learned only its own target of the last event.
  expect(receiver.on('/ven-1').at(-1)?.body.targets).toEqual(['odd']);
  expect(receiver.on('/ven-2').at(-1)?.body.targets).toEqual(['even']);
});
