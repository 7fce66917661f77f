import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readConfig, type VtnConfig } from './config';
import { Logger } from './logger';
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
}

let current: Runtime | undefined;
let rootLogger: Logger | undefined;

function clientFor(config: VtnConfig): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: config.dynamodbEndpoint,
    // A local endpoint needs some region; AWS sets AWS_REGION in Lambda.
    region: process.env.AWS_REGION ?? (config.dynamodbEndpoint ? 'local' : undefined),
    maxAttempts: 3,
  });
}

export function storageFor(config: VtnConfig, client: DynamoDBClient): DynamoStorage {
  return new DynamoStorage({
    client,
    tableName: config.tableName,
    programCacheTtlMs: config.programCacheTtlMs,
    eventCacheTtlMs: config.eventCacheTtlMs,
    coherenceMs: config.cacheCoherenceMs,
    indexSettleMs: config.indexSettleMs,
  });
}

function runtime(): Runtime {
  if (!current) {
    const config = readConfig();
    const client = clientFor(config);
    const storage = storageFor(config, client);
    current = { config, client, storage, operations: new VtnOperations(storage) };
  }
  return current;
}

/** The OpenADR operations over this instance's storage. */
export function vtn(): VtnOperations {
  return runtime().operations;
}

/** This instance's DynamoDB client, for instrumentation (the benchmark counts its requests). */
export function dynamoClient(): DynamoDBClient {
  return runtime().client;
}

export function logger(): Logger {
  rootLogger ??= new Logger(readConfig().logLevel);
  return rootLogger;
}

/** Forgets the module-scope state; the next request builds it again from the environment. */
export function resetRuntime(): void {
  current = undefined;
  rootLogger = undefined;
}
