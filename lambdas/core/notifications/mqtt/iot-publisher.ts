import { PublishCommand, type IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { Logger } from '../../logger';
import { ConcurrencyLimit } from '../concurrency-limit';
import { MQTT_QOS, MQTT_RETAIN, type MqttPublisher, type Publication } from './publisher';

/** IoT Core refuses a message larger than this (its payload limit, 128 KB). */
export const IOT_MAX_PAYLOAD_BYTES = 128 * 1024;

/** Publications in flight at once per instance; IoT Core allows an account thousands a second. */
const DEFAULT_CONCURRENCY = 32;

/** Some publications were not accepted; the caller retries the change (QoS 1 allows repeats). */
export class MqttPublishError extends Error {
  constructor(
    readonly failed: number,
    readonly total: number,
    /** Each failure's topic and error name: ids and codes only, never a payload. */
    readonly failures: readonly { topic: string; error: string }[],
  ) {
    const kinds = [...new Set(failures.map((failure) => failure.error))].join(', ');
    super(`${failed} of ${total} MQTT publications failed (${kinds})`);
    this.name = 'MqttPublishError';
  }
}

/**
 * Publishes through IoT Core's data plane (its `iot:Data-ATS` endpoint), QoS 1, not retained,
 * JSON payloads. Every publication is tried, at most `concurrency` at once, and the failures are
 * reported together. A message over IoT Core's payload limit can never be published: it is
 * logged as an error naming its object and topic, counted in `oversized`, and skipped, so that
 * it does not hold up the rest of the change nor come back with every retry.
 */
export class IotPublisher implements MqttPublisher {
  /** Publications skipped as too large since this instance started. */
  oversized = 0;
  private readonly limit: ConcurrencyLimit;

  constructor(
    private readonly client: IoTDataPlaneClient,
    private readonly logger: Logger,
    concurrency = DEFAULT_CONCURRENCY,
  ) {
    this.limit = new ConcurrencyLimit(concurrency);
  }

  async publish(publications: readonly Publication[]): Promise<void> {
    const outcomes = await Promise.all(publications.map((publication) => this.limit.run(() => this.publishOne(publication))));
    const failures = outcomes.filter((outcome) => outcome !== undefined);
    if (failures.length > 0) throw new MqttPublishError(failures.length, publications.length, failures);
  }

  /** Undefined when accepted or skipped; the failure otherwise. */
  private async publishOne({ topic, notification }: Publication): Promise<{ topic: string; error: string } | undefined> {
    const payload = Buffer.from(JSON.stringify(notification));
    if (payload.byteLength > IOT_MAX_PAYLOAD_BYTES) {
      this.oversized++;
      this.logger.error('MQTT notification larger than IoT Core accepts; not published', {
        topic,
        objectType: notification.objectType,
        operation: notification.operation,
        objectID: notification.object.id,
        bytes: payload.byteLength,
        oversized: this.oversized,
      });
      return undefined;
    }
    try {
      await this.client.send(new PublishCommand({ topic, qos: MQTT_QOS, retain: MQTT_RETAIN, payload }));
      return undefined;
    } catch (error) {
      return { topic, error: (error as Error)?.name ?? 'Error' };
    }
  }
}
