import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../local/embedded-dynamodb';

type Attribute = { S?: string; N?: string };
export type InterceptedInput = Record<string, unknown> & {
  IndexName?: string;
  Key?: Record<string, Attribute>;
  Item?: Record<string, Attribute>;
  ExpressionAttributeValues?: Record<string, Attribute>;
};
/** Sees each request (command name, input) and decides when, whether and how often to `send` it. */
export type Interceptor = (command: string, input: InterceptedInput, send: () => Promise<unknown>) => Promise<unknown>;

let interceptorCount = 0;

/** A client of its own whose requests pass through `intercept` before they reach the database. */
export function interceptedClient(endpoint: string, intercept: Interceptor): DynamoDBClient {
  const client = localDynamoClient(endpoint);
  client.middlewareStack.add(
    (next, context) => (args) => intercept(context.commandName as string, args.input as InterceptedInput, () => next(args)) as ReturnType<typeof next>,
    { step: 'initialize', name: `intercept${++interceptorCount}` },
  );
  return client;
}

/** What the SDK raises once its retries of a throttled request are spent. */
export const throttled = () => Object.assign(new Error('slow down'), { name: 'ThrottlingException', $retryable: { throttling: true } });

/** A promise to wait on and the function that opens it: for holding a request at a chosen point. */
export function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** Every item of a base-table partition, read directly (tombstones included). */
export async function partition(client: DynamoDBClient, tableName: string, objectType: string) {
  const result = await client.send(
    new QueryCommand({ TableName: tableName, KeyConditionExpression: 'objectType = :t', ExpressionAttributeValues: { ':t': { S: objectType } }, ConsistentRead: true }),
  );
  return result.Items ?? [];
}

/** How many events the programID index holds for a program. */
export async function eventsOf(client: DynamoDBClient, tableName: string, programID: string): Promise<number> {
  const result = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: 'programID-index',
      KeyConditionExpression: 'programID = :p',
      ExpressionAttributeValues: { ':p': { S: `EVENT#${programID}` } },
      Select: 'COUNT',
    }),
  );
  return result.Count ?? 0;
}
