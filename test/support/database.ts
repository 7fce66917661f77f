import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resetRuntime } from '../../lambdas/core/runtime';
import { ensureTable } from '../../lambdas/core/storage/dynamo/ensure-table';
import { DynamoStorage, type DynamoStorageOptions } from '../../lambdas/core/storage/dynamo/dynamo-storage';
import { localDynamoClient, startEmbeddedDynamo, type EmbeddedDynamo } from '../../local/embedded-dynamodb';

let tableCounter = 0;

/** An embedded dynalite on a free port; each test file gets its own, each test a fresh table. */
export class TestDatabase {
  private constructor(
    private readonly server: EmbeddedDynamo,
    readonly client: DynamoDBClient,
  ) {}

  static async start(): Promise<TestDatabase> {
    const server = await startEmbeddedDynamo();
    return new TestDatabase(server, localDynamoClient(server.endpoint));
  }

  get endpoint(): string {
    return this.server.endpoint;
  }

  async freshTable(): Promise<string> {
    const tableName = `vtn-test-${process.pid}-${++tableCounter}`;
    await ensureTable(this.client, tableName);
    return tableName;
  }

  /** A storage instance with its own caches, as another Lambda instance would have. */
  storage(tableName: string, options: Partial<DynamoStorageOptions> = {}): DynamoStorage {
    return testStorage(this.client, tableName, options);
  }

  /** Points the module-scope runtime (the entries' handlers) at a fresh table of this database. */
  async serveRuntime(): Promise<string> {
    const tableName = await this.freshTable();
    process.env.DYNAMODB_ENDPOINT = this.endpoint;
    process.env.TABLE_NAME = tableName;
    // The SDK insists on credentials; dynalite takes any.
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
    resetRuntime();
    return tableName;
  }

  async stop(): Promise<void> {
    this.client.destroy();
    await this.server.close();
  }
}

/** A storage instance with the runtime's default cache settings, as tests use it. */
export function testStorage(client: DynamoDBClient, tableName: string, options: Partial<DynamoStorageOptions> = {}): DynamoStorage {
  return new DynamoStorage({ client, tableName, programCacheTtlMs: 3_600_000, eventCacheTtlMs: 300_000, coherenceMs: 1_000, ...options });
}
