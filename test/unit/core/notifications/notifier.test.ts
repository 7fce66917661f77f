import { Logger } from '../../../../lambdas/core/logger';
import { withDeadline } from '../../../../lambdas/core/deadline';
import { NotFoundError } from '../../../../lambdas/core/errors';
import { Metrics } from '../../../../lambdas/core/metrics';
import type { Subscription } from '../../../../lambdas/core/openadr/types';
import type { Grant, ProgramStore, SubscriptionStore } from '../../../../lambdas/core/storage/port';
import type { Delivery } from '../../../../lambdas/core/notifications/change';
import { InProcessRetries } from '../../../../lambdas/core/notifications/in-process-retries';
import { notifierFor } from '../../../../lambdas/core/notifications/notifier';
import { dehydrate } from '../../../../lambdas/core/openadr/temporal-fields';
import { aSubscription } from '../../../support/fixtures';
import { readEmf } from '../../../support/emf';
import { Receiver } from '../../../support/receiver';

let receiver: Receiver;
beforeAll(async () => {
  receiver = await Receiver.start((path) => (path.split('?')[0] === '/down' ? 500 : 204));
});
afterAll(() => receiver.close());

/** A notifier over these subscriptions, one attempt per delivery, logging into `lines`. */
function notifierOver(subscriptions: Subscription[], lines: string[], storage = storeOver(subscriptions)) {
  const logger = new Logger('debug', {}, (line) => lines.push(line));
  const config = { timeoutMs: 1000, allowPrivate: true, retryBaseMs: 10, maxAttempts: 1, concurrency: 4, notifyInline: true };
  return notifierFor(config, storage, logger, Metrics.off(), (redeliver) => new InProcessRetries(redeliver, logger));
}

function storeOver(subscriptions: Subscription[]) {
  const store = { all: async () => subscriptions, get: async (id: string) => subscriptions.find((s) => s.id === id)! } as unknown as SubscriptionStore;
  return { subscriptions: store, programs: {} as ProgramStore, grantOf: async (): Promise<Grant> => ({ targets: [] }) };
}

test("a subscription's bearer token is in no notification of it and in no log line", async () => {
  const watchers = ['/watcher', '/down'].map((path) =>
    aSubscription({ objectOperations: [{ objects: ['SUBSCRIPTION'], operations: ['CREATE'], callbackUrl: `${receiver.url}${path}`, bearerToken: `token${path}` }] }),
  );
  const created = aSubscription({
    objectOperations: [
      { objects: ['EVENT'], operations: ['CREATE'], callbackUrl: 'https://ven.example.com/a', bearerToken: 'the-new-secret' },
      { objects: ['PROGRAM'], operations: ['CREATE'], callbackUrl: 'https://ven.example.com/b', bearerToken: null },
    ],
  });
  const lines: string[] = [];
  const notifier = notifierOver(watchers, lines);
  try {
    expect(await notifier.notify({ objectType: 'SUBSCRIPTION', operation: 'CREATE', object: dehydrate('SUBSCRIPTION', created) })).toEqual({ delivered: 1, failed: 1 });
  } finally {
    notifier.close();
  }

  const [notified] = receiver.on('/watcher');
  expect(notified.headers.authorization).toBe('Bearer token/watcher');
  expect(notified.body.object).toMatchObject({ id: created.id, clientName: created.clientName });
  expect(notified.body.object.objectOperations).toEqual([
    { objects: ['EVENT'], operations: ['CREATE'], callbackUrl: 'https://ven.example.com/a' },
    { objects: ['PROGRAM'], operations: ['CREATE'], callbackUrl: 'https://ven.example.com/b' },
  ]);
  const givenUp = lines.filter((line) => line.includes('webhook delivery given up'));
  expect(givenUp).toHaveLength(1);
  expect(JSON.parse(givenUp[0]).delivery).toMatchObject({ callbackUrl: `${receiver.url}/down`, notification: { object: { id: created.id } } });
  for (const line of lines) {
    expect(line).not.toContain('the-new-secret');
    expect(line).not.toContain('token/');
  }
});

test('deliveries share one concurrency limit across changes and retries', async () => {
  const slow = await Receiver.start(() => 204, { answerAfterMs: 100 });
  const subscriptions = Array.from({ length: 5 }, (_, index) =>
    aSubscription({ clientID: `client-${index}`, objectOperations: [{ objects: ['PROGRAM'], operations: ['CREATE', 'DELETE'], callbackUrl: `${slow.url}/${index}` }] }),
  );
  const notifier = notifierOver(subscriptions, []);
  const change = (operation: 'CREATE' | 'DELETE', id: string) => ({ objectType: 'PROGRAM' as const, operation, object: { id } });
  try {
    const results = await Promise.all([
      notifier.notify(change('CREATE', 'p1')),
      notifier.notify(change('DELETE', 'p2')),
      ...subscriptions.map((subscription) =>
        notifier.redeliver({ subscriptionID: subscription.id, callbackUrl: subscription.objectOperations[0].callbackUrl, notification: { ...change('CREATE', 'p3'), targets: null }, attempt: 2 }),
      ),
    ]);
    expect(results.slice(0, 2)).toEqual([{ delivered: 5, failed: 0 }, { delivered: 5, failed: 0 }]);
    expect(results.slice(2)).toEqual([true, true, true, true, true]);
    expect(slow.received).toHaveLength(15);
    expect(slow.load.maxRequests).toBe(4);
  } finally {
    notifier.close();
    await slow.close();
  }
});

test("the credentials and query of a callback URL are in no log line; deliveries and retries keep them", async () => {
  const secretUrl = (base: string) => `${base.replace('://', '://user:pw@')}?token=abc`;
  const watcher = aSubscription({
    id: 'sub-watcher',
    objectOperations: [{ objects: ['SUBSCRIPTION'], operations: ['CREATE'], callbackUrl: secretUrl(`${receiver.url}/down`) }],
  });
  const created = aSubscription({
    id: 'sub-created',
    objectOperations: [{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: 'https://user:pw@ven.example.com/a?token=abc#pw' }],
  });
  const lines: string[] = [];
  const notifier = notifierOver([watcher], lines);
  try {
    expect(await notifier.notify({ objectType: 'SUBSCRIPTION', operation: 'CREATE', object: dehydrate('SUBSCRIPTION', created) })).toEqual({ delivered: 0, failed: 1 });
    const gone = { subscriptionID: watcher.id, callbackUrl: secretUrl('https://ven.example.com/old'), notification: { objectType: 'PROGRAM' as const, operation: 'CREATE' as const, object: { id: 'p1' }, targets: null }, attempt: 2 };
    expect(await notifier.redeliver(gone)).toBe(false);
  } finally {
    notifier.close();
  }

  // Delivered as written.
  expect(receiver.on('/down?token=abc').at(-1)!.body.object.objectOperations[0].callbackUrl).toBe('https://user:pw@ven.example.com/a?token=abc#pw');
  const logged = lines.map((line) => JSON.parse(line));
  expect(logged.map((entry) => entry.message)).toEqual(['webhook delivery failed', 'webhook delivery given up', 'webhook retry dropped']);
  expect(logged[0].callbackUrl).toBe(`${receiver.url.replace('://', '://***@')}/down?***`);
  expect(logged[1].delivery.callbackUrl).toBe(logged[0].callbackUrl);
  expect(logged[1].delivery.notification.object.objectOperations[0].callbackUrl).toBe('https://***@ven.example.com/a?***#***');
  expect(logged[2].callbackUrl).toBe('https://***@ven.example.com/old?***');
  for (const line of lines) {
    expect(line).not.toContain('pw');
    expect(line).not.toContain('abc');
  }
});

test('a retry is dropped when its subscription, narrowed since, no longer asks for that change at that callback', async () => {
  const callbackUrl = `${receiver.url}/narrowed`;
  const narrowed = aSubscription({ objectOperations: [{ objects: ['REPORT'], operations: ['CREATE'], callbackUrl }] });
  const lines: string[] = [];
  const notifier = notifierOver([narrowed], lines);
  try {
    const retry = (objectType: 'PROGRAM' | 'REPORT') => ({ subscriptionID: narrowed.id, callbackUrl, notification: { objectType, operation: 'CREATE' as const, object: { id: 'x1', clientID: narrowed.clientID }, targets: null }, attempt: 2 });
    expect(await notifier.redeliver(retry('PROGRAM'))).toBe(false);
    expect(receiver.on('/narrowed')).toEqual([]);
    expect(await notifier.redeliver(retry('REPORT'))).toBe(true);
    expect(receiver.on('/narrowed')).toHaveLength(1);
  } finally {
    notifier.close();
  }
  expect(lines.map((line) => JSON.parse(line).message)).toContain('webhook retry dropped');
});

test('metrics count the attempts delivered and failed, and the deliveries given up', async () => {
  const subscriptions = ['/counted-1', '/counted-2', '/down'].map((path) => aSubscription({ objectOperations: [{ objects: ['PROGRAM'], operations: ['CREATE'], callbackUrl: `${receiver.url}${path}` }] }));
  const lines: string[] = [];
  const counter = new Metrics({ enabled: true, namespace: 'Test', service: 'test' }, (line) => lines.push(line));
  const queued: Delivery[] = [];
  const config = { timeoutMs: 1000, allowPrivate: true, retryBaseMs: 10, maxAttempts: 2, concurrency: 4, notifyInline: true };
  const notifier = notifierFor(config, storeOver(subscriptions), new Logger('silent'), counter, () => ({ retryLater: async (delivery) => void queued.push(delivery), giveUp: async () => undefined }));
  try {
    expect(await notifier.notify({ objectType: 'PROGRAM', operation: 'CREATE', object: { id: 'p-counted' } })).toEqual({ delivered: 2, failed: 1 });
    counter.flush();
    // The second and last attempt of the failed one.
    expect(queued).toHaveLength(1);
    expect(await notifier.redeliver(queued[0])).toBe(false);
    counter.flush();
  } finally {
    notifier.close();
  }
  const flushes = lines.map((line) => Object.fromEntries(readEmf([line]).map((datum) => [datum.name, datum.value])));
  expect(flushes).toEqual([{ WebhookDelivered: 2, WebhookFailed: 1 }, { WebhookFailed: 1, WebhookGivenUp: 1 }]);
});

test("an event deleted with its program reaches a VEN subscriber only when the program's targets, as deleted, and the event's let it read the event", async () => {
  const venSubscription = (path: string) =>
    aSubscription({ clientID: 'ven-client', objectOperations: [{ objects: ['EVENT'], operations: ['DELETE'], callbackUrl: `${receiver.url}${path}` }] });
  const granted = venSubscription('/ven-granted');
  // The program can no longer be read: only what the change carries decides.
  const notifier = notifierOver([granted], [], {
    ...storeOver([granted]),
    programs: { get: async (id: string) => Promise.reject(new NotFoundError('PROGRAM', id)), deletedTargets: async () => undefined } as unknown as ProgramStore,
    grantOf: async () => ({ venID: 'ven-1', targets: ['group1'] }),
  });
  const deleted = (id: string, programTargets?: string[]) => ({
    objectType: 'EVENT' as const,
    operation: 'DELETE' as const,
    object: { id, objectType: 'EVENT', programID: 'gone-program', targets: ['group1'] },
    ...(programTargets ? { programTargets } : {}),
  });
  try {
    expect(await notifier.notify(deleted('readable', ['group1', 'secret']))).toEqual({ delivered: 1, failed: 0 });
    expect(receiver.on('/ven-granted').map((call) => [call.body.object.id, call.body.targets])).toEqual([['readable', ['group1']]]);
    expect(await notifier.notify(deleted('program-hidden', ['group2']))).toEqual({ delivered: 0, failed: 0 });
    expect(await notifier.notify(deleted('program-unknown'))).toEqual({ delivered: 0, failed: 0 });
  } finally {
    notifier.close();
  }
});

test("a VEN subscriber's retry is dropped when its grant no longer reaches the object, and made while it still does", async () => {
  const callbackUrl = `${receiver.url}/regranted`;
  const subscription = aSubscription({ clientID: 'ven-client', objectOperations: [{ objects: ['PROGRAM'], operations: ['UPDATE'], callbackUrl }] });
  let granted = ['group1'];
  const lines: string[] = [];
  const notifier = notifierOver([subscription], lines, { ...storeOver([subscription]), grantOf: async () => ({ venID: 'ven-1', targets: granted }) });
  // As the VEN was shown the program at the first attempt: only its granted target.
  const retry = { subscriptionID: subscription.id, callbackUrl, notification: { objectType: 'PROGRAM' as const, operation: 'UPDATE' as const, object: { id: 'p1', objectType: 'PROGRAM', targets: ['group1'] }, targets: ['group1'] }, attempt: 2 };
  try {
    expect(await notifier.redeliver(retry)).toBe(true);
    granted = ['group2'];
    expect(await notifier.redeliver(retry)).toBe(false);
    expect(receiver.on('/regranted')).toHaveLength(1);
  } finally {
    notifier.close();
  }
  expect(lines.map((line) => JSON.parse(line)).filter((entry) => entry.message === 'webhook retry dropped').map((entry) => entry.reason)).toEqual(['its client may no longer read the object']);
});

test("one client's slow callbacks take at most its share of the delivery slots, leaving the others to other clients", async () => {
  const slow = await Receiver.start(() => 204, { answerAfterMs: 200 });
  const subscription = (clientID: string, path: string) => aSubscription({ clientID, objectOperations: [{ objects: ['PROGRAM'], operations: ['CREATE'], callbackUrl: `${slow.url}/${path}` }] });
  // Four slots in all: a client's share is one.
  const subscriptions = [subscription('hog', 'h1'), subscription('hog', 'h2'), subscription('hog', 'h3'), subscription('other', 'o1')];
  const notifier = notifierOver(subscriptions, []);
  try {
    expect(await notifier.notify({ objectType: 'PROGRAM', operation: 'CREATE', object: { id: 'p-fair' } })).toEqual({ delivered: 4, failed: 0 });
    expect(slow.load.maxRequests).toBe(2);
    // The other client's delivery did not wait behind the hog's.
    expect(slow.received.findIndex((request) => request.path.startsWith('/o1'))).toBeLessThan(2);
  } finally {
    notifier.close();
    await slow.close();
  }
});

test("an event delete's retry reaches the VEN it was first sent to once its deleted program is no longer kept", async () => {
  const flaky = await Receiver.start((_path, attempt) => (attempt === 0 ? 503 : 204));
  const callbackUrl = `${flaky.url}/event-deleted`;
  const subscription = aSubscription({ clientID: 'ven-client', objectOperations: [{ objects: ['EVENT'], operations: ['DELETE'], callbackUrl }] });
  // The program was deleted with its events; its purge mark, which kept its targets, has lapsed since.
  const programs = { get: async (id: string) => Promise.reject(new NotFoundError('PROGRAM', id)), deletedTargets: async () => undefined } as unknown as ProgramStore;
  const storage = { ...storeOver([subscription]), programs, grantOf: async (): Promise<Grant> => ({ venID: 'ven-1', targets: ['group1'] }) };
  const queued: Delivery[] = [];
  const config = { timeoutMs: 1000, allowPrivate: true, retryBaseMs: 10, maxAttempts: 3, concurrency: 4, notifyInline: true };
  const notifier = notifierFor(config, storage, new Logger('silent'), Metrics.off(), () => ({ retryLater: async (delivery) => void queued.push(delivery), giveUp: async () => undefined }));
  const event = { id: 'e-deleted', objectType: 'EVENT', programID: 'p-deleted', targets: ['group1'] };
  try {
    // The delete of the program tells its events' deletes the targets it had.
    expect(await notifier.notify({ objectType: 'EVENT', operation: 'DELETE', object: event, programTargets: ['group1'] })).toEqual({ delivered: 0, failed: 1 });
    expect(queued).toHaveLength(1);
    expect(await notifier.redeliver(queued[0])).toBe(true);
    expect(flaky.on('/event-deleted')).toHaveLength(2);
  } finally {
    notifier.close();
    await flaky.close();
  }
});

test("a client's delivery that waited for its share of the slots past its start-by time is deferred, not started", async () => {
  const slow = await Receiver.start(() => 204, { answerAfterMs: 500 });
  const subscriptions = ['s1', 's2'].map((path) => aSubscription({ clientID: 'ven-client', objectOperations: [{ objects: ['PROGRAM'], operations: ['CREATE'], callbackUrl: `${slow.url}/${path}` }] }));
  const deferred: Delivery[] = [];
  // Four slots in all: the client's share is one, so its second delivery waits for the first.
  const config = { timeoutMs: 1000, allowPrivate: true, retryBaseMs: 10, maxAttempts: 3, concurrency: 4, notifyInline: true };
  const notifier = notifierFor(config, storeOver(subscriptions), new Logger('silent'), Metrics.off(), () => ({ retryLater: async (delivery) => void deferred.push(delivery), giveUp: async () => undefined }));
  try {
    // Each delivery must start within 50 ms to finish by the deadline; the first takes 500.
    const result = await withDeadline(Date.now() + config.timeoutMs + 50, () => notifier.notify({ objectType: 'PROGRAM', operation: 'CREATE', object: { id: 'p-late' } }));
    expect(result).toEqual({ delivered: 1, failed: 1 });
    expect(slow.received).toHaveLength(1);
    expect(deferred.map((delivery) => delivery.attempt)).toEqual([1]);
  } finally {
    notifier.close();
    await slow.close();
  }
});

test("a retry of a ven's own notification is dropped once that ven was given to another client, as its resources' are", async () => {
  const callbackUrl = `${receiver.url}/given-away`;
  const subscription = aSubscription({ clientID: 'ven-client', objectOperations: [{ objects: ['VEN', 'RESOURCE'], operations: ['UPDATE'], callbackUrl }] });
  // Since the first attempts, a BL gave ven-1 to another client: this client has no ven now.
  const notifier = notifierOver([subscription], [], { ...storeOver([subscription]), grantOf: async (): Promise<Grant> => ({ targets: [] }) });
  const retry = (objectType: 'VEN' | 'RESOURCE', object: Record<string, unknown>) => ({ subscriptionID: subscription.id, callbackUrl, notification: { objectType, operation: 'UPDATE' as const, object, targets: null }, attempt: 2 });
  try {
    expect(await notifier.redeliver(retry('RESOURCE', { id: 'r1', objectType: 'RESOURCE', venID: 'ven-1', clientID: 'ven-client' }))).toBe(false);
    expect(await notifier.redeliver(retry('VEN', { id: 'ven-1', objectType: 'VEN', clientID: 'ven-client' }))).toBe(false);
    expect(receiver.on('/given-away')).toEqual([]);
  } finally {
    notifier.close();
  }
});
