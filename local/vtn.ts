import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { readConfig } from '../lambdas/core/config';
import { resetRuntime } from '../lambdas/core/runtime';
import { ensureTable } from '../lambdas/core/storage/dynamo/ensure-table';
import { BASE_PATH } from '../lambdas/routes';
import { localDynamoClient, startEmbeddedDynamo, type EmbeddedDynamo } from './embedded-dynamodb';
import { createApiGatewayServer } from './server';

export interface LocalVtnOptions {
  host: string;
  port: number;
  /** Where the embedded database keeps its files; `memory` keeps none. Ignored with an endpoint. */
  dataDir: string;
  /** An existing DynamoDB endpoint (DynamoDB Local, AWS) instead of the embedded database. */
  dynamodbEndpoint?: string;
  tableName?: string;
}

export interface LocalVtn {
  /** The API's base URL, e.g. http://127.0.0.1:8080/openadr3/3.1.0 */
  url: string;
  /** Where the database is: the embedded one's endpoint or the one given. */
  databaseEndpoint: string;
  tableName: string;
  close(): Promise<void>;
}

export class LocalSettingsError extends Error {}

/** Reads the local VTN's settings from the environment, naming any bad one. */
export function localOptions(env: NodeJS.ProcessEnv = process.env): LocalVtnOptions {
  const port = Number(env.PORT ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LocalSettingsError(`PORT must be 0-65535, got "${env.PORT}"`);
  return {
    host: env.HOST || '127.0.0.1',
    port,
    dataDir: env.VTN_DATA_DIR || '.vtn-data',
    dynamodbEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    tableName: env.TABLE_NAME || undefined,
  };
}

/**
 * The VTN on this machine: the Lambda handlers behind a local API Gateway stand-in, on an
 * embedded dynalite (or the endpoint given), with the table created when missing.
 */
export async function startLocalVtn(options: LocalVtnOptions): Promise<LocalVtn> {
  let embedded: EmbeddedDynamo | undefined;
  let endpoint = options.dynamodbEndpoint;
  if (!endpoint) {
    const dataDir = options.dataDir === 'memory' ? undefined : resolve(options.dataDir);
    if (dataDir) mkdirSync(dataDir, { recursive: true });
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
  try {
    await ensureTable(client, config.tableName);
  } finally {
    client.destroy();
  }

  const server = createApiGatewayServer();
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolveListen());
    });
  } catch (error) {
    await embedded?.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}${BASE_PATH}`,
    databaseEndpoint: endpoint,
    tableName: config.tableName,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      await embedded?.close();
      resetRuntime();
    },
  };
}
