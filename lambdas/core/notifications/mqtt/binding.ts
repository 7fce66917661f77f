import { readConfig } from '../../config';
import { TopicLayout } from './topics';

/** openadr3.yaml `mqttNotifierBindingObject`, as `GET /notifiers` offers it. */
export interface MqttNotifierBinding {
  URIS: string[];
  serialization: 'JSON';
  authentication: { method: 'OAUTH2_BEARER_TOKEN'; username: '{clientID}' } | { method: 'ANONYMOUS' };
}

interface Binding {
  advertised: MqttNotifierBinding;
  layout: TopicLayout;
}

let current: Binding | null | undefined;

/**
 * This instance's MQTT binding, read once from the settings; undefined without broker URIs.
 * Light (no storage): the notifiers entry answers `GET /notifiers` with it. Clients connect
 * with their access token as password and their client id as username (and MQTT client id);
 * with VTN_AUTH=off the broker takes anyone, as the API does.
 */
export function mqttBinding(): Binding | undefined {
  if (current === undefined) {
    const { mqtt, auth } = readConfig();
    current = mqtt.uris
      ? {
          advertised: {
            URIS: mqtt.uris,
            serialization: 'JSON',
            authentication: auth.enabled ? { method: 'OAUTH2_BEARER_TOKEN', username: '{clientID}' } : { method: 'ANONYMOUS' },
          },
          layout: new TopicLayout(mqtt.topicPrefix),
        }
      : null;
  }
  return current ?? undefined;
}

/** Forgets the binding; the next use reads the settings again (tests, the local VTN). */
export function resetMqttBinding(): void {
  current = undefined;
}
