import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readConfig, type VtnConfig } from './config';
import { dynamoClientFor } from './dynamodb-client';
import { logger, resetLogger } from './logger';
import { metrics, resetMetrics } from './metrics';
import { timeLeftMs } from './deadline';
import type { Change } from './notifications/change';
import { InProcessRetries } from './notifications/in-process-retries';
import { mqttBinding, resetMqttBinding } from './notifications/mqtt/binding';
import { MqttNotifier } from './notifications/mqtt/mqtt-notifier';
import type { MqttPublisher } from './notifications/mqtt/publisher';
import { notifierFor } from './notifications/notifier';
import { NotifyingStorage } from './notifications/notifying-storage';
import { WebhookClient } from './notifications/webhook-client';
import { NotifierTopics } from './operations/notifier-topics';
import { VtnOperations } from './operations/operations';
import { DynamoStorage } from './storage/dynamo/dynamo-storage';
import type { VtnStorage } from './storage/port';

/**
 * Module-scope state shared by the warm invocations of one Lambda instance: the config (read
 * once), the DynamoDB client and the storage with its caches. Built on first use, so that a bad
 * setting fails the first request with a message naming it; resettable for tests.
 */
interface Runtime {
  config: VtnConfig;
  client: DynamoDBClient;
  storage: VtnStorage;
  operations: VtnOperations;
  topics: NotifierTopics;
}

let current: Runtime | undefined;
/** The local VTN's broker, which inline notifications publish to (in AWS the table's stream feeds IoT Core). */
let inlineMqttPublisher: MqttPublisher | undefined;
let inlineBrokerHook: ((change: Change) => void) | undefined;

/** Time a request keeps, after its callbacks' echo challenges, to store the subscription and answer. */
const CHALLENGE_MARGIN_MS = 1_000;

export function storageFor(config: VtnConfig, client: DynamoDBClient): DynamoStorage {
  return new DynamoStorage({
    client,
    tableName: config.tableName,
    programCacheTtlMs: config.programCacheTtlMs,
    eventCacheTtlMs: config.eventCacheTtlMs,
    eventCacheMaxBytes: config.eventCacheMaxBytes,
    coherenceMs: config.cacheCoherenceMs,
    indexSettleMs: config.indexSettleMs,
    logger: logger(),
  });
}

function runtime(): Runtime {
  if (!current) {
    const config = readConfig();
    const client = dynamoClientFor(config);
    const dynamoStorage = storageFor(config, client);
    const storage = config.webhooks.notifyInline ? notifyingInline(dynamoStorage, config) : dynamoStorage;
    const verifier = new WebhookClient(config.webhooks);
    // A challenge gets the delivery timeout, but must end before the request's own deadline,
    // taken now: the check may get its slot from another request's continuation.
    const verifyCallback = (url: string) => {
      const endBy = Date.now() + timeLeftMs() - CHALLENGE_MARGIN_MS;
      return verifier.verify(url, () => Math.min(config.webhooks.timeoutMs, endBy - Date.now()));
    };
    current = {
      config,
      client,
      storage,
      operations: new VtnOperations(storage, { allowPrivateCallbacks: config.webhooks.allowPrivate, verifyCallback }),
      topics: new NotifierTopics(storage, mqttBinding()?.layout),
    };
  }
  return current;
}

/** Where there is no table stream (the local VTN), subscribers are notified from here after each write. */
function notifyingInline(storage: VtnStorage, config: VtnConfig): VtnStorage {
  const log = logger();
  // Its counts go out with the next request's (npm start writes none unless VTN_METRICS=on).
  const notifier = notifierFor(config.webhooks, storage, log, metrics(), (redeliver) => new InProcessRetries(redeliver, log));
  const layout = mqttBinding()?.layout;
  const mqtt = layout && inlineMqttPublisher ? new MqttNotifier(storage, inlineMqttPublisher, layout, log) : undefined;
  return new NotifyingStorage(storage, (change) => {
    notifier.notify(change).catch((error: unknown) => log.error('notification failed', { objectType: change.objectType, operation: change.operation, error }));
    // Its failures are logged by the notifier itself.
    mqtt?.notify(change).catch(() => undefined);
    inlineBrokerHook?.(change);
  });
}

/**
 * Where inline notifications publish MQTT messages: the local VTN's broker, or none; `changed`
 * tells the broker of each change (a ven given to another client no longer reaches the first).
 */
export function useInlineMqttPublisher(publisher: MqttPublisher | undefined, changed?: (change: Change) => void): void {
  inlineMqttPublisher = publisher;
  inlineBrokerHook = changed;
  current = undefined;
}

/** The OpenADR operations over this instance's storage. */
export function vtn(): VtnOperations {
  return runtime().operations;
}

/** The MQTT binding's topic names over this instance's storage. */
export function notifierTopics(): NotifierTopics {
  return runtime().topics;
}

export function vtnStorage(): VtnStorage {
  return runtime().storage;
}

export function vtnConfig(): VtnConfig {
  return runtime().config;
}

/** This instance's DynamoDB client, for instrumentation (the benchmark counts its requests). */
export function dynamoClient(): DynamoDBClient {
  return runtime().client;
}

/**
 * What most first requests of a storage entry read: the cache versions and the programs (cached
 * for the instance). Opens the connection to DynamoDB and runs the SDK's first-request setup.
 */
export function primeStorage(): Promise<unknown> {
  return vtnStorage().programs.list({ skip: 0, limit: 1 });
}

/** Forgets the module-scope state; the next request builds it again from the environment. */
export function resetRuntime(): void {
  current = undefined;
  resetLogger();
  resetMetrics();
  resetMqttBinding();
}
