import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
// dynalite ships no types; its factory returns an http.Server.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite: (options: Record<string, unknown>) => Server = require('dynalite');

export interface EmbeddedDynamo {
  endpoint: string;
  close(): Promise<void>;
}

/** In a data directory while a database serves it: its endpoint, for other processes (`npm run clients`). */
const ENDPOINT_FILE = 'dynalite-endpoint';

/**
 * dynalite, a DynamoDB API server on LevelDB, on a free loopback port. `dataDir` keeps the data
 * on disk (one process at a time: the endpoint file tells others where it is served); without it
 * the database lives in memory.
 */
export async function startEmbeddedDynamo(options: { dataDir?: string; port?: number } = {}): Promise<EmbeddedDynamo> {
  const server = dynalite({
    path: options.dataDir,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const endpointFile = options.dataDir && join(options.dataDir, ENDPOINT_FILE);
  if (endpointFile) writeFileSync(endpointFile, endpoint);
  return {
    endpoint,
    close: async () => {
      if (endpointFile) rmSync(endpointFile, { force: true });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The endpoint of the database serving `dataDir` now, if one says it does (it may have died since). */
export function servingEndpoint(dataDir: string): string | undefined {
  const file = join(dataDir, ENDPOINT_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/** A client for a local endpoint; local servers accept any credentials. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
}
