import { readConfig } from '../../config';
import { TopicLayout } from './topics';

/**
 * The MQTT settings the IoT Core entries read: the topic layout (VTN_MQTT_TOPIC_PREFIX, as the
 * binding's settings read it; these entries need no broker URIs) and the account's IoT data
 * endpoint (VTN_IOT_DATA_ENDPOINT, a host name, which the stack reads at deploy time).
 */

let layout: TopicLayout | undefined;

export function iotTopicLayout(): TopicLayout {
  layout ??= new TopicLayout(readConfig().mqtt.topicPrefix);
  return layout;
}

export function iotDataEndpoint(): string {
  const host = process.env.VTN_IOT_DATA_ENDPOINT;
  if (!host || !/^[A-Za-z0-9.-]+$/.test(host)) throw new Error(`VTN_IOT_DATA_ENDPOINT must be the IoT data endpoint's host name, got "${host ?? ''}"`);
  return `https://${host}`;
}

/** Forgets the layout; the next use reads the setting again (tests). */
export function resetIotEnvironment(): void {
  layout = undefined;
}
