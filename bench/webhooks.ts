import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Temporal } from 'temporal-polyfill';
import type { VtnConfig } from '../lambdas/core/config';
import { newObjectId } from '../lambdas/core/ids';
import { Logger } from '../lambdas/core/logger';
import { Notifier, RetryPolicy } from '../lambdas/core/notifications/notifier';
import { storageFor } from '../lambdas/core/runtime';
import type { DynamoMeter } from './meter';
import { percentile } from './stats';

export interface WebhookReceiver {
  url: string;
  received(): number;
  close(): Promise<void>;
}

/** A loopback receiver that answers every callback 204 and counts them. */
export async function startReceiver(): Promise<WebhookReceiver> {
  let count = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      count++;
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => count,
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
}

/**
 * The notifier on the seeded subscriptions, their callbacks on a loopback receiver: event
 * creations in turn across the programs, each delivered to its matching subscribers.
 */
export async function measureWebhooks(
  config: VtnConfig,
  client: DynamoDBClient,
  meter: DynamoMeter,
  programIDs: string[],
  receiver: WebhookReceiver,
  changes: number,
): Promise<WebhookFigures> {
  const storage = storageFor(config, client);
  let failures = 0;
  const countFailure = async () => {
    failures++;
  };
  const notifier = new Notifier(storage.subscriptions, {
    webhook: { timeoutMs: 5000, allowPrivate: true },
    retryPolicy: new RetryPolicy(10_000, 5),
    retries: { retryLater: countFailure, giveUp: countFailure },
    logger: new Logger('silent'),
  });
  const change = (index: number) => ({
    objectType: 'EVENT' as const,
    operation: 'CREATE' as const,
    object: {
      id: newObjectId(),
      objectType: 'EVENT',
      programID: programIDs[index % programIDs.length],
      targets: [`feeder-${index % 10}`],
      intervalPeriod: { start: Temporal.Now.instant().toString(), duration: 'PT1H' },
    },
  });

  const first = meter.snapshot();
  await notifier.notify(change(0));
  const firstChangeReadUnits = meter.snapshot().readUnits - first.readUnits;

  const before = meter.snapshot();
  const receivedBefore = receiver.received();
  const latencies: number[] = [];
  const startedAt = performance.now();
  let deliveries = 0;
  for (let index = 1; index <= changes; index++) {
    const changeStartedAt = performance.now();
    deliveries += (await notifier.notify(change(index))).delivered;
    latencies.push(performance.now() - changeStartedAt);
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const after = meter.snapshot();
  if (failures > 0) throw new Error(`${failures} webhook deliveries failed`);
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
  };
}
