import type { Notification } from '../change';

/** One message: the spec's `notification` JSON on one topic. */
export interface Publication {
  topic: string;
  notification: Notification;
}

/**
 * Where the MQTT notifier's messages go: the embedded broker locally, IoT Core in AWS. Messages
 * are published at QoS 1 and not retained: the last message of a per-operation topic is not an
 * object's state (clients read that over REST on reconnecting, section 16.2), and a retained one
 * would outlive the object's deletion and a change of the VEN's grant.
 */
export interface MqttPublisher {
  /** Resolves when every publication was accepted; rejects naming how many were not. */
  publish(publications: readonly Publication[]): Promise<void>;
}

export const MQTT_QOS = 1;
export const MQTT_RETAIN = false;
