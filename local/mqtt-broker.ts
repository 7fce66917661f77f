import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Aedes, AuthenticateError, Client } from 'aedes';
import type { Authenticator } from '../lambdas/core/auth/authentication';
import type { Logger } from '../lambdas/core/logger';
import type { Change } from '../lambdas/core/notifications/change';
import { brokerClient, isRefusal, topicReaderOf, type BrokerClient, type FindVen } from '../lambdas/core/notifications/mqtt/access';
import { MQTT_QOS, MQTT_RETAIN, type MqttPublisher, type Publication } from '../lambdas/core/notifications/mqtt/publisher';
import type { TopicLayout } from '../lambdas/core/notifications/mqtt/topics';

export interface LocalBrokerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  layout: TopicLayout;
  authenticate: Authenticator;
  findVen: FindVen;
  logger: Logger;
}

export interface LocalBroker {
  /** What `GET /notifiers` advertises, e.g. mqtt://127.0.0.1:1883 */
  uri: string;
  /** Publishes to this broker's subscribers, as IoT Core does in AWS. */
  publisher: MqttPublisher;
  /** Told of each stored change: a ven given to another client or deleted stops reaching its former client. */
  changed(change: Change): void;
  close(): Promise<void>;
}

/**
 * The local VTN's MQTT broker (aedes, MQTT 3.1.1): the connection rule of access.ts, the
 * subscription rule of topics.ts, no client publishes, and each connection closed when its
 * token expires. It keeps no retained messages and, for clean sessions, nothing once a client
 * leaves; persistent sessions (clean=false) keep their subscriptions and missed QoS 1 messages
 * in memory until the VTN stops.
 */
export async function startLocalBroker(options: LocalBrokerOptions): Promise<LocalBroker> {
  const { layout, logger, findVen } = options;
  // aedes 1.x ships only ES modules.
  const { Aedes } = await import('aedes');
  const clients = new WeakMap<Client, BrokerClient>();
  const expiries = new Map<Client, NodeJS.Timeout>();
  const subscribeChecks = new WeakMap<Client, SubscribeCheck>();
  const closeAtExpiry = (client: Client, expiresAt: number) => {
    // A timer waits at most 2^31-1 ms (about 24.8 days); a longer-lived token re-arms it.
    const timer = setTimeout(() => (Date.now() >= expiresAt ? client.close() : closeAtExpiry(client, expiresAt)), Math.min(MAX_TIMER_MS, Math.max(0, expiresAt - Date.now())));
    timer.unref();
    expiries.set(client, timer);
  };
  /** One fresh ven lookup serves all the filters of one SUBSCRIBE, which aedes checks in the same turn. */
  const subscribeCheckOf = (client: Client, known: BrokerClient): SubscribeCheck => {
    const pending = subscribeChecks.get(client);
    if (pending) return pending;
    const check: SubscribeCheck = { reader: topicReaderOf(known, findVen), refused: 0 };
    subscribeChecks.set(client, check);
    const settled = () =>
      setImmediate(() => {
        if (subscribeChecks.get(client) === check) subscribeChecks.delete(client);
        // One line per SUBSCRIBE: a client may send hundreds of filters.
        if (check.refused > 0) logger.info('MQTT subscriptions refused', { clientID: known.clientID, refused: check.refused });
      });
    check.reader.then(settled, settled);
    return check;
  };
  const broker: Aedes = await Aedes.createBroker({
    // A subscriber that stops reading holds up delivery to the others until this much time passes.
    drainTimeout: DRAIN_TIMEOUT_MS,
    authenticate(client, username, password, done) {
      brokerClient(username, password?.toString('utf8'), client.id, options.authenticate, findVen).then(
        (answer) => {
          if (isRefusal(answer)) {
            logger.info('MQTT connection refused', { mqttClientId: client.id, reason: answer.refused });
            return done(Object.assign(new Error(answer.refused), { returnCode: answer.returnCode }) as AuthenticateError, false);
          }
          // Gone while its token was checked: nothing to keep for it.
          if (client.closed) return done(null, false);
          clients.set(client, answer);
          // The connection ends with its token, as the API stops taking it then.
          if (answer.expiresAt !== undefined) closeAtExpiry(client, answer.expiresAt);
          done(null, true);
        },
        (error: unknown) => {
          logger.error('MQTT authentication failed', { mqttClientId: client.id, error });
          done(Object.assign(new Error('server unavailable'), { returnCode: 3 }) as AuthenticateError, false);
        },
      );
    },
    authorizeSubscribe(client, subscription, done) {
      const known = clients.get(client);
      if (!known) return done(null, null);
      // A ven registered since connecting counts: the reader is found afresh for each SUBSCRIBE.
      const check = subscribeCheckOf(client, known);
      check.reader.then(
        (reader) => {
          // A ven change seen since this lookup began wins over its answer.
          if (subscribeChecks.get(client) === check) known.reader = reader;
          if (layout.mayReceive(reader, subscription.topic)) return done(null, subscription);
          check.refused++;
          // null: the SUBACK return code 0x80 (failure) for this filter; the connection stays up.
          done(null, null);
        },
        (error: unknown) => {
          logger.error('MQTT subscription check failed', { clientID: known.clientID, error });
          done(null, null);
        },
      );
    },
    authorizeForward(client, packet) {
      // Every delivery, queued ones of a resumed session included, by what the client may read now.
      const known = clients.get(client);
      return known && layout.mayReceive(known.reader, packet.topic) ? packet : null;
    },
    authorizePublish(client, packet, done) {
      // Only the VTN publishes; MQTT 3.1.1 refuses a publish by closing the connection.
      logger.info('MQTT publish refused', { clientID: client ? clients.get(client)?.clientID : undefined, topic: packet.topic });
      done(new Error('clients may not publish on this broker'));
    },
  });
  broker.on('clientDisconnect', (client) => {
    clearTimeout(expiries.get(client));
    expiries.delete(client);
  });

  const server: Server = createServer((socket) => broker.handle(socket));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    uri: `mqtt://${host}:${port}`,
    publisher: new AedesPublisher(broker),
    changed(change) {
      if (change.objectType !== 'VEN' || change.operation === 'CREATE') return;
      const venID = change.object.id;
      const holder = change.operation === 'DELETE' ? undefined : change.object.clientID;
      // aedes keeps its connected clients by id; its types do not declare them.
      for (const client of Object.values((broker as unknown as { clients: Record<string, Client> }).clients)) {
        const known = clients.get(client);
        if (known?.reader.role !== 'VEN' || known.clientID === holder) continue;
        subscribeChecks.delete(client);
        if (known.reader.venID === venID) known.reader = { ...known.reader, venID: undefined };
      }
    },
    async close() {
      for (const timer of expiries.values()) clearTimeout(timer);
      expiries.clear();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const MAX_TIMER_MS = 2 ** 31 - 1;
const DRAIN_TIMEOUT_MS = 5_000;

interface SubscribeCheck {
  reader: ReturnType<typeof topicReaderOf>;
  refused: number;
}

/** Publishes on the embedded broker: QoS 1, not retained, the notification as JSON. */
export class AedesPublisher implements MqttPublisher {
  constructor(private readonly broker: Aedes) {}

  async publish(publications: readonly Publication[]): Promise<void> {
    const results = await Promise.allSettled(
      publications.map(
        ({ topic, notification }) =>
          new Promise<void>((resolve, reject) =>
            this.broker.publish(
              { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(notification)), qos: MQTT_QOS, retain: MQTT_RETAIN, dup: false },
              (error) => (error ? reject(error) : resolve()),
            ),
          ),
      ),
    );
    const failed = results.filter((result) => result.status === 'rejected');
    if (failed.length > 0) throw new Error(`${failed.length} of ${publications.length} MQTT publications failed: ${(failed[0] as PromiseRejectedResult).reason}`);
  }
}
