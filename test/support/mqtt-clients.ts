import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { ApiClient } from './api-client';

/** MQTT 3.1.1 clients (MQTT.js) of a local VTN's broker; every wait has its own bound and fails saying what did not arrive. */

export const WAIT_MS = 5_000;

export function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class MqttClients {
  private readonly open: MqttClient[] = [];
  private readonly inboxes = new WeakMap<MqttClient, Inbox>();

  constructor(private readonly api: ApiClient) {}

  /** Connects as `clientID` with its token unless told otherwise; rejects with the CONNACK return code. */
  async connect(clientID: string, options: Partial<IClientOptions> = {}): Promise<MqttClient> {
    const password = options.password ?? (await this.api.as(clientID)).accessToken;
    const client = mqtt.connect(this.api.mqttUri!, { protocolVersion: 4, clientId: clientID, username: clientID, password, reconnectPeriod: 0, connectTimeout: WAIT_MS, ...options });
    this.open.push(client);
    // Listening from the start: a resumed session's queued messages may come with the CONNACK.
    this.inboxes.set(client, new Inbox(client));
    return within(
      new Promise<MqttClient>((resolve, reject) => {
        client.once('connect', () => resolve(client));
        client.once('error', (error) => reject(Object.assign(new Error(`refused: ${error.message}`), { code: (error as { code?: number }).code })));
      }),
      `connecting as ${clientID}`,
    );
  }

  /** Everything `client` received since it connected. */
  inbox(client: MqttClient): Inbox {
    return this.inboxes.get(client)!;
  }

  /** Ends every client connected so far. */
  endAll(): Promise<void> {
    return Promise.all(this.open.splice(0).map((client) => client.endAsync(true).catch(() => undefined))).then(() => undefined);
  }
}

/** Subscribes; answers the granted QoS of each filter (128: refused). */
export async function subscribe(client: MqttClient, ...filters: string[]): Promise<number[]> {
  const suback = client.subscribeAsync(filters, { qos: 1 }).then(
    (granted) => granted.map((grant) => grant.qos),
    (error: { packet?: { granted?: number[] } }) => {
      if (!error.packet?.granted) throw error;
      return error.packet.granted;
    },
  );
  return within(suback, `subscribing to ${filters.join(', ')}`);
}

export interface Message {
  topic: string;
  body: { objectType: string; operation: string; object: Record<string, any>; targets: string[] | null };
  packet: IPublishPacket;
}

/** What a client receives, in order; `next` waits for the first message matching, received already or later. */
export class Inbox {
  readonly messages: Message[] = [];
  private waiters: { match: (message: Message) => boolean; resolve: (message: Message) => void }[] = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const message = { topic, body: JSON.parse(payload.toString('utf8')), packet };
      this.messages.push(message);
      this.waiters = this.waiters.filter((waiter) => !(waiter.match(message) && (waiter.resolve(message), true)));
    });
  }

  next(what: string, match: (message: Message) => boolean): Promise<Message> {
    const found = this.messages.find(match);
    if (found) return Promise.resolve(found);
    return within(new Promise<Message>((resolve) => this.waiters.push({ match, resolve })), `${what} (received: ${this.messages.map((message) => message.topic).join(', ') || 'nothing'})`);
  }

  on(topic: string, objectID: string): Promise<Message> {
    return this.next(`a message on ${topic} about ${objectID}`, (message) => message.topic === topic && message.body.object.id === objectID);
  }

  about(objectID: string): Message[] {
    return this.messages.filter((message) => message.body.object?.id === objectID);
  }
}

/** A local VTN with its broker for a test file: started before its tests, its MQTT clients ended after each, stopped after all. */
export function vtnWithBroker(): { readonly api: ApiClient; readonly clients: MqttClients } {
  const vtn = {} as { api: ApiClient; clients: MqttClients };
  beforeAll(async () => {
    vtn.api = await ApiClient.start({ mqttPort: 0 });
    vtn.clients = new MqttClients(vtn.api);
  });
  afterEach(() => vtn.clients.endAll());
  afterAll(() => vtn.api.close());
  return vtn;
}
