import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ListTablesCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ClientSpecError, registration } from '../lambdas/core/auth/clients';
import { newSecret, hashSecret } from '../lambdas/core/auth/secrets';
import { ConfigError, readConfig } from '../lambdas/core/config';
import { dynamoClientFor } from '../lambdas/core/dynamodb-client';
import { ConflictError, NotFoundError } from '../lambdas/core/errors';
import { storageFor } from '../lambdas/core/runtime';
import { DynamoClientStore } from '../lambdas/core/storage/dynamo/clients';
import { ensureTable } from '../lambdas/core/storage/dynamo/ensure-table';
import { DynamoGateway } from '../lambdas/core/storage/dynamo/gateway';
import type { ClientStore, VtnStorage } from '../lambdas/core/storage/port';
import { localDynamoClient, servingEndpoint, startEmbeddedDynamo } from './embedded-dynamodb';

const USAGE = `usage: npm run clients -- <command>
  add --id <clientID> --role BL|VEN [--scopes "<scope> ..."]   register a client; prints its secret, once
  list                                                          the clients, their roles and scopes
  remove --id <clientID>                                        unregister a client
  rotate-secret --id <clientID>                                 a new secret, printed once; the old one stops working
The local VTN's data directory (VTN_DATA_DIR, .vtn-data) unless DYNAMODB_ENDPOINT names a database
(TABLE_NAME, and AWS credentials and AWS_REGION for AWS). Tokens already issued stay valid until they expire.`;

class UsageError extends Error {}

/** Runs one command; what it prints goes to `out`. The exit code: 0 done, 1 refused, 2 misused. */
export async function clientsCommand(argv: string[], env: NodeJS.ProcessEnv, out: (text: string) => void): Promise<number> {
  try {
    const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { id: { type: 'string' }, role: { type: 'string' }, scopes: { type: 'string' } } });
    const [command, ...extra] = positionals;
    if (!command || extra.length > 0) throw new UsageError('name one command');
    return await withStore(env, (store, storage) => run(store, storage, command, values, out));
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      out(`${(error as Error).message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof ClientSpecError || error instanceof ConflictError || error instanceof NotFoundError || error instanceof ConfigError) {
      out(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function run(
  store: ClientStore,
  storage: VtnStorage,
  command: string,
  options: { id?: string; role?: string; scopes?: string },
  out: (text: string) => void,
): Promise<number> {
  const id = () => options.id ?? usage(`${command} needs --id`);
  const now = new Date().toISOString();
  switch (command) {
    case 'add': {
      const scopes = options.scopes?.split(/[\s,]+/).filter(Boolean);
      const { record, secret } = await registration({ clientID: id(), role: options.role ?? usage('add needs --role BL or VEN'), scopes }, now);
      await store.create(record);
      out(`added ${record.clientID} (${record.role}): ${record.scopes.join(' ')}\nclient secret, shown only now: ${secret}\n`);
      return 0;
    }
    case 'list': {
      const clients = await store.list();
      if (clients.length === 0) out('no clients\n');
      for (const client of clients) {
        const rotated = client.secretRotatedDateTime ? `, secret rotated ${client.secretRotatedDateTime}` : '';
        out(`${client.clientID}  ${client.role}  ${client.scopes.join(' ')}  (added ${client.createdDateTime}${rotated})\n`);
      }
      return 0;
    }
    case 'remove': {
      const removed = await store.remove(id());
      // A removed client's subscriptions would go on receiving notifications, and its ven would
      // grant its targets, to whoever is later registered under the same id.
      const own = (await storage.subscriptions.all()).filter((subscription) => subscription.clientID === removed.clientID);
      for (const subscription of own) await ignoringGone(storage.subscriptions.delete(subscription.id));
      const ven = await storage.vens.findByClient(removed.clientID);
      if (ven) await ignoringGone(storage.vens.delete(ven.id));
      const venNote = ven ? ` and its ven ${ven.venName} (with its resources)` : '';
      out(`removed ${removed.clientID} (${removed.role}), its ${own.length} subscription(s)${venNote}; its tokens stay valid until they expire\n`);
      return 0;
    }
    case 'rotate-secret': {
      const secret = newSecret();
      await store.replaceSecret(id(), await hashSecret(secret), now);
      out(`new client secret for ${options.id}, shown only now: ${secret}\n`);
      return 0;
    }
    default:
      return usage(`unknown command ${command}`);
  }
}

/** Deleted meanwhile by someone else: just as good. */
async function ignoringGone(deletion: Promise<unknown>): Promise<void> {
  try {
    await deletion;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
}

function usage(message: string): never {
  throw new UsageError(message);
}

/** The registry in the database DYNAMODB_ENDPOINT names, or in the local VTN's data directory. */
async function withStore<T>(env: NodeJS.ProcessEnv, work: (store: ClientStore, storage: VtnStorage) => Promise<T>): Promise<T> {
  const config = readConfig(env);
  const stores = (client: DynamoDBClient) => work(new DynamoClientStore(new DynamoGateway(client, config.tableName)), storageFor(config, client));
  if (config.dynamodbEndpoint) {
    const client = dynamoClientFor(config);
    try {
      return await stores(client);
    } finally {
      client.destroy();
    }
  }
  const dataDir = env.VTN_DATA_DIR || '.vtn-data';
  if (dataDir === 'memory') throw new ConfigError('VTN_DATA_DIR=memory keeps no clients: name a data directory, or a database with DYNAMODB_ENDPOINT');
  // A running local VTN holds its data directory: its database is used then, else the directory is opened here.
  const serving = servingEndpoint(resolve(dataDir));
  const client = serving ? await answering(localDynamoClient(serving)) : undefined;
  const database = client ? undefined : await startEmbeddedDynamo({ dataDir: resolve(dataDir) });
  const store = client ?? localDynamoClient(database!.endpoint);
  try {
    await ensureTable(store, config.tableName);
    return await stores(store);
  } finally {
    store.destroy();
    await database?.close();
  }
}

/** The client, if its database answers; a local VTN that died left its endpoint behind. */
async function answering(client: DynamoDBClient): Promise<DynamoDBClient | undefined> {
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
    return client;
  } catch {
    client.destroy();
    return undefined;
  }
}

if (require.main === module) {
  clientsCommand(process.argv.slice(2), process.env, (text) => process.stdout.write(text)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`clients: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
