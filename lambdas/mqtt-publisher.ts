import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { logger } from './core/logger';
import type { Change } from './core/notifications/change';
import { iotDataEndpoint, iotTopicLayout } from './core/notifications/mqtt/iot-environment';
import { IotPublisher } from './core/notifications/mqtt/iot-publisher';
import { MqttNotifier } from './core/notifications/mqtt/mqtt-notifier';
import { changeFromStreamRecord } from './core/notifications/stream-records';
import { vtnStorage } from './core/runtime';
import type { VtnStorage } from './core/storage/port';

/**
 * The MQTT notifier in AWS: a second consumer of the table's stream, beside the webhook
 * notifier, so that each retries on its own. Records are published one after the other, in
 * stream order (an object's update is never overtaken by its delete); at the first record that
 * fails the batch stops and reports it, since the stream gives that record and every later one
 * again (QoS 1: a message may arrive twice).
 */

/** One notifier per storage, so that resetting the runtime (tests) resets it too. */
const notifiers = new WeakMap<VtnStorage, MqttNotifier>();

function mqttNotifier(): MqttNotifier {
  const storage = vtnStorage();
  let notifier = notifiers.get(storage);
  if (!notifier) {
    const publisher = new IotPublisher(new IoTDataPlaneClient({ endpoint: iotDataEndpoint() }), logger());
    notifier = new MqttNotifier(storage, publisher, iotTopicLayout(), logger());
    notifiers.set(storage, notifier);
  }
  return notifier;
}

export function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  return notifyInOrder(event, (change) => mqttNotifier().notify(change));
}

/** Each record's change to `notify`, one after the other; the first that fails is the batch's failure. */
export async function notifyInOrder(event: DynamoDBStreamEvent, notify: (change: Change) => Promise<unknown>): Promise<DynamoDBBatchResponse> {
  for (const record of event.Records) {
    try {
      const change = changeFromStreamRecord(record);
      if (change) await notify(change);
    } catch (error) {
      const itemIdentifier = record.dynamodb?.SequenceNumber ?? '';
      logger().error('MQTT notification record failed; it and the records after it will be retried', { itemIdentifier, error });
      return { batchItemFailures: [{ itemIdentifier }] };
    }
  }
  return { batchItemFailures: [] };
}
