import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '../lambdas/core/logger';
import { EventTargets } from '../lambdas/core/storage/dynamo/event-targets';
import { DynamoGateway } from '../lambdas/core/storage/dynamo/gateway';

/**
 * Writes the target entries of every event already in the table (TABLE_NAME; DYNAMODB_ENDPOINT
 * for a local database). Run once after deploying the version that introduced them: until then,
 * VEN event lists and targets filters do not show events written before. Safe to run while the
 * VTN serves, and to run again.
 */
async function main(): Promise<void> {
  const tableName = process.env.TABLE_NAME;
  if (!tableName) throw new Error('set TABLE_NAME to the VTN table');
  const endpoint = process.env.DYNAMODB_ENDPOINT || undefined;
  const client = new DynamoDBClient({ endpoint, region: process.env.AWS_REGION ?? (endpoint ? 'local' : undefined) });
  const targets = new EventTargets(new DynamoGateway(client, tableName), { leaseMs: 30_000, clock: Date.now, logger: new Logger('warn') });
  const events = await targets.backfill();
  process.stdout.write(`target entries written for ${events} events of ${tableName}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
