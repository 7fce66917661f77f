import { DeleteConnectionCommand, IoTDataPlaneClient, ResourceNotFoundException } from '@aws-sdk/client-iot-data-plane';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { logger } from './core/logger';
import type { Change } from './core/notifications/change';
import { iotDataEndpoint, iotTopicLayout } from './core/notifications/mqtt/iot-environment';
import { IotPublisher } from './core/notifications/mqtt/iot-publisher';
import { MqttNotifier } from './core/notifications/mqtt/mqtt-notifier';
import { changeFromStreamRecord, formerVenClient } from './core/notifications/stream-records';
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
let dataPlane: IoTDataPlaneClient | undefined;

function iotData(): IoTDataPlaneClient {
  return (dataPlane ??= new IoTDataPlaneClient({ endpoint: iotDataEndpoint() }));
}

function mqttNotifier(): MqttNotifier {
  const storage = vtnStorage();
  let notifier = notifiers.get(storage);
  if (!notifier) {
    const publisher = new IotPublisher(iotData(), logger());
    notifier = new MqttNotifier(storage, publisher, iotTopicLayout(), logger());
    notifiers.set(storage, notifier);
  }
  return notifier;
}

/**
 * Time kept back at the end of an invocation: a change to every ven of a large VTN is thousands
 * of publications, and a batch cut short by the timeout would be redone whole.
 */
const RECORD_RESERVE_MS = 15_000;

export function handler(event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> {
  const startBy = context ? Date.now() + context.getRemainingTimeInMillis() - RECORD_RESERVE_MS : Infinity;
  return notifyInOrder(
    event,
    async (change, record) => {
      // First, so that nothing published from here on reaches the ven's former client.
      const former = formerVenClient(record, change);
      if (former) await disconnect(iotData(), former);
      await mqttNotifier().notify(change);
    },
    startBy,
  );
}

/**
 * Ends a client's connection and session: IoT Core keeps the policy it got at connecting until
 * its refresh, and the client must connect again, its policy then made from its current ven.
 * A client not connected is fine.
 */
export async function disconnect(client: IoTDataPlaneClient, clientId: string): Promise<void> {
  try {
    await client.send(new DeleteConnectionCommand({ clientId, cleanSession: true, preventWillMessage: true }));
    logger().info('MQTT connection of a ven\'s former client ended', { clientID: clientId });
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
}

/**
 * Each record's change to `notify`, one after the other; the first that fails is the batch's
 * failure. A record not begun by `startBy` (epoch ms) is reported untried, with those after it.
 */
export async function notifyInOrder(event: DynamoDBStreamEvent, notify: (change: Change, record: DynamoDBRecord) => Promise<unknown>, startBy = Infinity): Promise<DynamoDBBatchResponse> {
  // The stream gives the reported record again, with every record after it.
  const givenBackFrom = (record: DynamoDBRecord): DynamoDBBatchResponse => ({ batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] });
  for (const record of event.Records) {
    if (Date.now() > startBy) {
      logger().info('MQTT notification batch out of time; the rest will be given again', { itemIdentifier: record.dynamodb?.SequenceNumber });
      return givenBackFrom(record);
    }
    try {
      const change = changeFromStreamRecord(record);
      if (change) await notify(change, record);
    } catch (error) {
      logger().error('MQTT notification record failed; it and the records after it will be retried', { itemIdentifier: record.dynamodb?.SequenceNumber, error });
      return givenBackFrom(record);
    }
  }
  return { batchItemFailures: [] };
}
