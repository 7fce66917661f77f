import { ConfigError, readConfig } from '../lambdas/core/config';
import { ensureTable } from '../lambdas/core/storage/dynamo/ensure-table';
import { localDynamoClient } from '../local/embedded-dynamodb';

/**
 * `npm run table:create`: the VTN's table, with its indexes, at DYNAMODB_ENDPOINT (DynamoDB Local,
 * for the functions under `sam local`), as TABLE_NAME names it; an existing, complete table is
 * left alone. Not for AWS: there the stack owns the table.
 */
export async function createTableCommand(env: NodeJS.ProcessEnv, out: (text: string) => void): Promise<number> {
  try {
    const config = readConfig(env);
    const endpoint = config.dynamodbEndpoint;
    if (!endpoint) throw new ConfigError('set DYNAMODB_ENDPOINT to the database to create the table in, e.g. http://127.0.0.1:8000 for DynamoDB Local');
    if (new URL(endpoint).hostname.endsWith('.amazonaws.com')) throw new ConfigError(`${endpoint} is AWS, where the stack creates and owns the table: deploy it instead`);
    // A local database takes any credentials; run DynamoDB Local with -sharedDb, so that the
    // functions see this table whatever credentials and region they call with.
    const client = localDynamoClient(endpoint);
    try {
      await ensureTable(client, config.tableName);
    } finally {
      client.destroy();
    }
    out(`table ${config.tableName} at ${endpoint} is ready, with its indexes\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out(`${error.message}\n`);
    return 1;
  }
}

if (require.main === module) {
  createTableCommand(process.env, (text) => process.stdout.write(text)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`could not create the table: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
