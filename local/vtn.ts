import { chmodSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { ClientSpecError, registration, type ClientSpec } from '../lambdas/core/auth/clients';
import { useLocalSigningKey } from '../lambdas/core/auth/token-keys';
import { resetTokenService } from '../lambdas/core/auth/token-service';
import { authenticate, resetAuthentication } from '../lambdas/core/auth/authentication';
import { readConfig } from '../lambdas/core/config';
import { logger } from '../lambdas/core/logger';
import { TopicLayout } from '../lambdas/core/notifications/mqtt/topics';
import { resetRuntime, useInlineMqttPublisher, vtnStorage } from '../lambdas/core/runtime';
import { DynamoClientStore } from '../lambdas/core/storage/dynamo/clients';
import { ensureTable } from '../lambdas/core/storage/dynamo/ensure-table';
import { DynamoGateway } from '../lambdas/core/storage/dynamo/gateway';
import type { ClientStore } from '../lambdas/core/storage/port';
import { BASE_PATH } from '../lambdas/routes';
import { localDynamoClient, startEmbeddedDynamo, type EmbeddedDynamo } from './embedded-dynamodb';
import { startLocalBroker, type LocalBroker } from './mqtt-broker';
import { createApiGatewayServer } from './server';
import { localSigningKeyIn } from './signing-key';

export interface LocalVtnOptions {
  host: string;
  port: number;
  /** Where the embedded database (unless an endpoint is given) and the token signing key live; `memory` keeps neither. */
  dataDir: string;
  /** An existing DynamoDB endpoint (DynamoDB Local, AWS) instead of the embedded database. */
  dynamodbEndpoint?: string;
  tableName?: string;
  /** Clients to register (replacing any of the same id); without them, a first start makes one BL and one VEN client. */
  clients?: ClientSpec[];
  /** `iss` and `aud` of the tokens; by default the VTN's own URL. */
  tokenIssuer?: string;
  /** The MQTT broker's port on `host` (0: any free one); without it, no broker. */
  mqttPort?: number;
}

/** A client the local VTN made, with the only copy of its secret. */
export interface GeneratedClient {
  clientID: string;
  role: string;
  clientSecret: string;
}

export interface LocalVtn {
  /** The API's base URL, e.g. http://127.0.0.1:8080/openadr3/3.1.0 */
  url: string;
  /** Where the database is: the embedded one's endpoint or the one given. */
  databaseEndpoint: string;
  tableName: string;
  /** False with VTN_AUTH=off. */
  authentication: boolean;
  /** The clients this start made (a first start without VTN_CLIENTS); empty otherwise. */
  generatedClients: GeneratedClient[];
  /** The embedded MQTT broker's URI, when one runs. */
  mqttUri?: string;
  /** The broker URIs `GET /notifiers` advertises (VTN_MQTT_URIS, else the embedded broker's). */
  advertisedMqttUris?: string[];
  close(): Promise<void>;
}

export class LocalSettingsError extends Error {}

/** Reads the local VTN's settings from the environment, naming any bad one. */
export function localOptions(env: NodeJS.ProcessEnv = process.env): LocalVtnOptions {
  const port = portSetting(env, 'PORT', 8080);
  const mqtt = env.VTN_MQTT || 'on';
  if (mqtt !== 'on' && mqtt !== 'off') throw new LocalSettingsError(`VTN_MQTT must be on or off, got "${env.VTN_MQTT}"`);
  return {
    host: env.HOST || '127.0.0.1',
    port,
    dataDir: env.VTN_DATA_DIR || '.vtn-data',
    dynamodbEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    tableName: env.TABLE_NAME || undefined,
    clients: env.VTN_CLIENTS ? clientsSetting(env.VTN_CLIENTS) : undefined,
    tokenIssuer: env.VTN_TOKEN_ISSUER || undefined,
    mqttPort: mqtt === 'on' ? portSetting(env, 'MQTT_PORT', 1883) : undefined,
  };
}

function portSetting(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  const port = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LocalSettingsError(`${name} must be 0-65535, got "${raw}"`);
  return port;
}

function clientsSetting(raw: string): ClientSpec[] {
  let clients: unknown;
  try {
    clients = JSON.parse(raw);
  } catch (error) {
    throw new LocalSettingsError(`VTN_CLIENTS must be JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(clients) || !clients.every((client) => client !== null && typeof client === 'object')) {
    throw new LocalSettingsError('VTN_CLIENTS must be a JSON array of {"clientID", "clientSecret", "role", "scopes"?}');
  }
  return clients as ClientSpec[];
}

/**
 * The VTN on this machine: the Lambda handlers behind a local API Gateway stand-in, on an
 * embedded dynalite (or the endpoint given), with the table created when missing.
 */
export async function startLocalVtn(options: LocalVtnOptions): Promise<LocalVtn> {
  let embedded: EmbeddedDynamo | undefined;
  let endpoint = options.dynamodbEndpoint;
  const dataDir = options.dataDir === 'memory' ? undefined : resolve(options.dataDir);
  // Only its owner may read it: it holds client secrets' hashes and the token signing key.
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    chmodSync(dataDir, 0o700);
  }
  if (!endpoint) {
    embedded = await startEmbeddedDynamo({ dataDir });
    endpoint = embedded.endpoint;
    // The embedded database accepts any credentials; the SDK insists on having some.
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  }
  // The handlers read their settings from the environment, as they do in Lambda.
  process.env.DYNAMODB_ENDPOINT = endpoint;
  // dynalite has no streams: subscribers are notified by the process that wrote.
  process.env.VTN_NOTIFY_INLINE = 'true';
  if (options.tableName) process.env.TABLE_NAME = options.tableName;
  resetRuntime();
  const config = readConfig();

  const client = localDynamoClient(endpoint);
  let generatedClients: GeneratedClient[] = [];
  try {
    await ensureTable(client, config.tableName);
    if (config.auth.enabled) {
      useLocalSigningKey(localSigningKeyIn(dataDir));
      generatedClients = await registerClients(new DynamoClientStore(new DynamoGateway(client, config.tableName)), options.clients);
    }
  } catch (error) {
    await embedded?.close();
    throw error;
  } finally {
    client.destroy();
  }

  const server = createApiGatewayServer();
  let broker: LocalBroker | undefined;
  // Set here only when not given, and taken back on close.
  let advertisesBroker = false;
  const stopAll = async () => {
    await broker?.close();
    server.closeAllConnections();
    await new Promise<void>((resolveClose) => (server.listening ? server.close(() => resolveClose()) : resolveClose()));
    await embedded?.close();
    if (advertisesBroker) delete process.env.VTN_MQTT_URIS;
    useInlineMqttPublisher(undefined);
  };
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolveListen());
    });
    if (options.mqttPort !== undefined) {
      broker = await startLocalBroker({
        host: options.host,
        port: options.mqttPort,
        layout: new TopicLayout(config.mqtt.topicPrefix),
        authenticate,
        findVen: (clientID) => vtnStorage().vens.findByClient(clientID),
        logger: logger(),
      }).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
        // Another broker on 1883 is common: name the settings that move or turn off this one.
        throw new LocalSettingsError(`the MQTT port ${options.mqttPort} is in use; set MQTT_PORT to another one or VTN_MQTT=off`);
      });
      if (!process.env.VTN_MQTT_URIS) {
        process.env.VTN_MQTT_URIS = broker.uri;
        advertisesBroker = true;
      }
      // Inline notifications publish to it; the runtime reads the advertised URIs again.
      useInlineMqttPublisher(broker.publisher, (change) => broker?.changed(change));
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}${BASE_PATH}`;
  // Tokens name this VTN as issuer and audience, as they name the API's URL in AWS.
  process.env.VTN_TOKEN_ISSUER = options.tokenIssuer ?? url;
  resetRuntime();
  resetAuthentication();
  resetTokenService();
  return {
    url,
    databaseEndpoint: endpoint,
    tableName: config.tableName,
    authentication: config.auth.enabled,
    generatedClients,
    mqttUri: broker?.uri,
    advertisedMqttUris: readConfig().mqtt.uris,
    async close() {
      await stopAll();
      resetRuntime();
      resetAuthentication();
      resetTokenService();
      useLocalSigningKey(undefined);
    },
  };
}

/** The given clients (created or replaced), or, when there are none yet, one BL and one VEN client with random secrets. */
async function registerClients(store: ClientStore, clients: ClientSpec[] | undefined): Promise<GeneratedClient[]> {
  const now = new Date().toISOString();
  const register = async (spec: ClientSpec) => {
    try {
      return await registration(spec, now);
    } catch (error) {
      throw error instanceof ClientSpecError ? new LocalSettingsError(`VTN_CLIENTS: ${error.message}`) : error;
    }
  };
  if (clients) {
    for (const spec of clients) await store.put((await register(spec)).record);
    return [];
  }
  if ((await store.list()).length > 0) return [];
  const generated: GeneratedClient[] = [];
  for (const spec of [{ clientID: 'bl', role: 'BL' }, { clientID: 'ven-1', role: 'VEN' }]) {
    const { record, secret } = await register(spec);
    await store.create(record);
    generated.push({ clientID: record.clientID, role: record.role, clientSecret: secret });
  }
  return generated;
}
