import { Logger } from '../../../../lambdas/core/logger';
import type { Subscription } from '../../../../lambdas/core/openadr/types';
import type { SubscriptionStore } from '../../../../lambdas/core/storage/port';
import { InProcessRetries } from '../../../../lambdas/core/notifications/in-process-retries';
import { notifierFor } from '../../../../lambdas/core/notifications/notifier';
import { aSubscription } from '../../../support/fixtures';
import { Receiver } from '../../../support/receiver';

/** A notifier over these subscriptions, one attempt per delivery, logging into `lines`. */
function notifierOver(subscriptions: Subscription[], lines: string[]) {
  const store = { all: async () => subscriptions, get: async (id: string) => subscriptions.find((s) => s.id === id)! } as unknown as SubscriptionStore;
  const logger = new Logger('debug', {}, (line) => lines.push(line));
  const config = { timeoutMs: 1000, allowPrivate: true, retryBaseMs: 10, maxAttempts: 1, concurrency: 4, notifyInline: true };
  return notifierFor(config, store, logger, (redeliver) => new InProcessRetries(redeliver, logger));
}

test('deliveries share one concurrency limit across changes and retries', async () => {
  const slow = await Receiver.start(() => 204, { answerAfterMs: 100 });
  const subscriptions = Array.from({ length: 5 }, (_, index) =>
    aSubscription({ objectOperations: [{ objects: ['PROGRAM'], operations: ['CREATE', 'DELETE'], callbackUrl: `${slow.url}/${index}` }] }),
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
