import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import mqtt from 'mqtt';
import { Temporal } from 'temporal-polyfill';
import type { VtnConfig } from '../lambdas/core/config';
import { newObjectId } from '../lambdas/core/ids';
import { Logger } from '../lambdas/core/logger';
import type { Change, Notification } from '../lambdas/core/notifications/change';
import { MqttNotifier } from '../lambdas/core/notifications/mqtt/mqtt-notifier';
import type { Publication } from '../lambdas/core/notifications/mqtt/publisher';
import { TopicLayout } from '../lambdas/core/notifications/mqtt/topics';
import { hydrate } from '../lambdas/core/openadr/temporal-fields';
import type { Program } from '../lambdas/core/openadr/types';
import { ANONYMOUS } from '../lambdas/core/auth/caller';
import { storageFor } from '../lambdas/core/runtime';
import { ensureTable } from '../lambdas/core/storage/dynamo/ensure-table';
import { startLocalBroker, type LocalBroker } from '../local/mqtt-broker';
import type { DynamoMeter } from './meter';
import { eventCreation } from './webhooks';
import { seedVens } from './seed';
import { mean, percentile } from './stats';

export interface MqttFigures {
  /** Messages through the embedded broker's publisher to one subscribed client, per second. */
  publishesPerSecond: number;
  publishedMessages: number;
  vens: number;
  /** Read units of the first change: the ven directory (and programs), once per cache lifetime. */
  directoryLoadReadUnits: number;
  untargeted: ChangeCost;
  targeted: ChangeCost;
}

export interface ChangeCost {
  publicationsPerChange: number;
  /** Building the publications and publishing them on the broker, per change. */
  p50Ms: number;
  p99Ms: number;
  dynamodbRequestsPerChange: number;
  readUnitsPerChange: number;
}

/** Each wait is bounded: a broker that stops delivering fails the run instead of hanging it. */
const DELIVERY_TIMEOUT_MS = 60_000;
const layout = new TopicLayout('openadr3');

/** An event creation for `programID`, with these targets. */
function eventChange(programID: string, targets: string[] | null): Change {
  const change = eventCreation([programID], 0);
  return { ...change, object: { ...change.object, targets } };
}

/**
 * The local MQTT path: the embedded broker's publisher pushing `messages` notifications (in
 * batches of 50, as changes come) to one subscriber of everything; then the MqttNotifier over
 * `vens` vens, each holding its own target and one of ten feeder groups, for untargeted events
 * (every ven hears) and events for one feeder group (a tenth of them), warm: publications,
 * DynamoDB requests and read units, and latency per change, publishing on the broker.
 */
export async function measureMqtt(config: VtnConfig, client: DynamoDBClient, meter: DynamoMeter, tableName: string, options: { vens: number; messages: number; changes: number }): Promise<MqttFigures> {
  const broker = await startLocalBroker({
    host: '127.0.0.1',
    port: 0,
    layout,
    authenticate: async () => ANONYMOUS,
    findVen: async () => undefined,
    logger: new Logger('silent'),
  });
  const subscriber = mqtt.connect(broker.uri, { protocolVersion: 4, clientId: 'bench', reconnectPeriod: 0 });
  try {
    await bounded(new Promise<void>((resolve, reject) => subscriber.once('connect', () => resolve()).once('error', reject)), 'connecting');
    await subscriber.subscribeAsync('openadr3/#', { qos: 1 });
    let received = 0;
    let onReceived = () => undefined as void;
    subscriber.on('message', () => {
      received++;
      onReceived();
    });
    const receivedAll = (count: number) => bounded(new Promise<void>((resolve) => (onReceived = () => received >= count && resolve())), `${count} messages`);

    const publishesPerSecond = await measurePublisher(broker, receivedAll, options.messages);

    await ensureTable(client, tableName);
    const storage = storageFor({ ...config, tableName }, client);
    await seedVens(storage, options.vens);
    const programID = newObjectId();
    const stamp = Temporal.Now.instant().toString();
    await storage.programs.create(hydrate<Program>('PROGRAM', { id: programID, objectType: 'PROGRAM', programName: 'mqtt-bench', createdDateTime: stamp, modificationDateTime: stamp }));
    const notifier = new MqttNotifier(storage, broker.publisher, layout, new Logger('silent'));
    // Cold: the ven directory and the programs are read once.
    const cold = meter.snapshot();
    await notifier.notify(eventChange(programID, null));
    const directoryLoadReadUnits = meter.snapshot().readUnits - cold.readUnits;
    const cost = async (targets: string[] | null): Promise<ChangeCost> => {
      const latencies: number[] = [];
      const publications: number[] = [];
      const before = meter.snapshot();
      for (let index = 0; index < options.changes; index++) {
        const startedAt = performance.now();
        publications.push((await notifier.notify(eventChange(programID, targets))).published);
        latencies.push(performance.now() - startedAt);
      }
      const after = meter.snapshot();
      return {
        publicationsPerChange: mean(publications),
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        dynamodbRequestsPerChange: (after.requests - before.requests) / options.changes,
        readUnitsPerChange: (after.readUnits - before.readUnits) / options.changes,
      };
    };
    return { publishesPerSecond, publishedMessages: options.messages, vens: options.vens, directoryLoadReadUnits, untargeted: await cost(null), targeted: await cost(['feeder-3']) };
  } finally {
    subscriber.end(true);
    await broker.close();
  }
}

async function measurePublisher(broker: LocalBroker, receivedAll: (count: number) => Promise<void>, messages: number): Promise<number> {
  const notification: Notification = { ...eventChange(newObjectId(), ['feeder-1']), targets: ['feeder-1'] };
  const batch = 50;
  const delivered = receivedAll(messages);
  const startedAt = performance.now();
  for (let sent = 0; sent < messages; sent += batch) {
    const publications: Publication[] = Array.from({ length: Math.min(batch, messages - sent) }, (_, index) => ({ topic: layout.venEvents(`ven-${sent + index}`).CREATE!, notification }));
    await broker.publisher.publish(publications);
  }
  await delivered;
  return messages / ((performance.now() - startedAt) / 1000);
}

function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`MQTT benchmark: ${what} not within ${DELIVERY_TIMEOUT_MS} ms`)), DELIVERY_TIMEOUT_MS)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
