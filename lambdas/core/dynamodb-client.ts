import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { VtnConfig } from './config';

/** The DynamoDB client every entry builds from its config. */
export function dynamoClientFor(config: VtnConfig): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: config.dynamodbEndpoint,
    // A local endpoint needs some region; AWS sets AWS_REGION in Lambda.
    region: process.env.AWS_REGION ?? (config.dynamodbEndpoint ? 'local' : undefined),
    maxAttempts: 3,
    // A request with no answer is retried like a lost one rather than waited on until the
    // function times out; conditional writes recognise their own earlier success (VersionedItems).
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
  });
}
