import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Temporal } from 'temporal-polyfill';
import type { VtnConfig } from '../lambdas/core/config';
import { newObjectId } from '../lambdas/core/ids';
import { Logger } from '../lambdas/core/logger';
import { Metrics } from '../lambdas/core/metrics';
import type { Change } from '../lambdas/core/notifications/change';
import { Notifier, RetryPolicy, type NotifierStorage } from '../lambdas/core/notifications/notifier';
import type { Subscription } from '../lambdas/core/openadr/types';
import { storageFor } from '../lambdas/core/runtime';
import type { DynamoMeter } from './meter';
import { percentile } from './stats';

export interface WebhookReceiver {
  url: string;
  received(): number;
  /** The most requests it was answering at once. */
  maxInFlight(): number;
  close(): Promise<void>;
}

/** A loopback receiver that answers every callback 204, `answerAfterMs` after it arrived, and counts them. */
export async function startReceiver(answerAfterMs = 0): Promise<WebhookReceiver> {
  let count = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((request, response) => {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    request.resume();
    request.on('end', () => {
      count++;
      const answer = () => {
        inFlight--;
        response.writeHead(204).end();
      };
      if (answerAfterMs > 0) setTimeout(answer, answerAfterMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => count,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface WebhookFigures {
  changes: number;
  deliveries: number;
  deliveriesPerSecond: number;
  deliveriesPerChange: number;
  notifyP50Ms: number;
  /** Reads to load the subscription list once (what every change would cost without the cache). */
  firstChangeReadUnits: number;
  dynamodbRequestsPerChange: number;
  readUnitsPerChange: number;
  slowReceiver: SlowReceiverFigures;
}

export interface SlowReceiverFigures {
  answerAfterMs: number;
  concurrency: number;
  deliveries: number;
  deliveriesPerSecond: number;
  failures: number;
  /** The most requests the receiver had at once: the concurrency, when the limit holds and is used. */
  maxInFlight: number;
}

/** A change per index, in turn across the programs: what the seeded subscribers hear of. */
export function eventCreation(programIDs: string[], index: number): Change {
  return {
    objectType: 'EVENT',
    operation: 'CREATE',
    object: {
      id: newObjectId(),
      objectType: 'EVENT',
      programID: programIDs[index % programIDs.length],
      targets: [`feeder-${index % 10}`],
      intervalPeriod: { start: Temporal.Now.instant().toString(), duration: 'PT1H' },
    },
  };
}

/** A notifier as the settings describe it, counting what would be retried instead of retrying. */
function countingNotifier(config: VtnConfig, storage: NotifierStorage): { notifier: Notifier; failures: () => number } {
  let failures = 0;
  const countFailure = async () => {
    failures++;
  };
  const notifier = new Notifier(storage, {
    webhook: { timeoutMs: config.webhooks.timeoutMs, allowPrivate: true, concurrency: config.webhooks.concurrency },
    retryPolicy: new RetryPolicy(config.webhooks.retryBaseMs, config.webhooks.maxAttempts),
    retries: { retryLater: countFailure, giveUp: countFailure },
    logger: new Logger('silent'),
    metrics: Metrics.off(),
  });
  return { notifier, failures: () => failures };
}

/**
 * The notifier on the seeded subscriptions, their callbacks on a loopback receiver: event
 * creations one after another, each delivered to its matching subscribers. Then the same
 * subscribers on a receiver that answers after `slowAnswerMs`, all the changes at once (as a
 * stream batch comes): the sustained rate the concurrency limit allows.
 */
export async function measureWebhooks(
  config: VtnConfig,
  client: DynamoDBClient,
  meter: DynamoMeter,
  programIDs: string[],
  receiver: WebhookReceiver,
  changes: number,
  slowAnswerMs = 300,
): Promise<WebhookFigures> {
  const storage = storageFor(config, client);
  const { notifier, failures } = countingNotifier(config, storage);
  try {
    const first = meter.snapshot();
    await notifier.notify(eventCreation(programIDs, 0));
    const firstChangeReadUnits = meter.snapshot().readUnits - first.readUnits;

    const before = meter.snapshot();
    const receivedBefore = receiver.received();
    const latencies: number[] = [];
    const startedAt = performance.now();
    let deliveries = 0;
    for (let index = 1; index <= changes; index++) {
      const changeStartedAt = performance.now();
      deliveries += (await notifier.notify(eventCreation(programIDs, index))).delivered;
      latencies.push(performance.now() - changeStartedAt);
    }
    const seconds = (performance.now() - startedAt) / 1000;
    const after = meter.snapshot();
    if (failures() > 0) throw new Error(`${failures()} webhook deliveries failed`);
    if (receiver.received() - receivedBefore !== deliveries) throw new Error('the receiver did not get every delivery');
    return {
      changes,
      deliveries,
      deliveriesPerSecond: deliveries / seconds,
      deliveriesPerChange: deliveries / changes,
      notifyP50Ms: percentile(latencies, 50),
      firstChangeReadUnits,
      dynamodbRequestsPerChange: (after.requests - before.requests) / changes,
      readUnitsPerChange: (after.readUnits - before.readUnits) / changes,
      slowReceiver: await measureSlowReceiver(config, await storage.subscriptions.all(), receiver.url, programIDs, changes, slowAnswerMs),
    };
  } finally {
    notifier.close();
  }
}

async function measureSlowReceiver(
  config: VtnConfig,
  seeded: Subscription[],
  seededBase: string,
  programIDs: string[],
  changes: number,
  answerAfterMs: number,
): Promise<SlowReceiverFigures> {
  const slow = await startReceiver(answerAfterMs);
  const subscriptions = seeded.map((subscription) => ({
    ...subscription,
    objectOperations: subscription.objectOperations.map((operation) => ({ ...operation, callbackUrl: operation.callbackUrl.replace(seededBase, slow.url) })),
  }));
  // The seeded subscriptions are a BL's: no grant or program is looked up.
  const store = { subscriptions: { all: async () => subscriptions } } as unknown as NotifierStorage;
  const { notifier, failures } = countingNotifier(config, store);
  try {
    const startedAt = performance.now();
    const results = await Promise.all(Array.from({ length: changes }, (_, index) => notifier.notify(eventCreation(programIDs, index))));
    const seconds = (performance.now() - startedAt) / 1000;
    const deliveries = results.reduce((sum, result) => sum + result.delivered, 0);
    return { answerAfterMs, concurrency: config.webhooks.concurrency, deliveries, deliveriesPerSecond: deliveries / seconds, failures: failures(), maxInFlight: slow.maxInFlight() };
  } finally {
    notifier.close();
    await slow.close();
  }
}
