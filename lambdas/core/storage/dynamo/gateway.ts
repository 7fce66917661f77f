import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type BatchGetItemCommandInput,
  type DeleteItemCommandInput,
  type DynamoDBClient,
  type GetItemCommandInput,
  type PutItemCommandInput,
  type QueryCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { PayloadTooLargeError, StorageUnavailableError } from '../../errors';

const RETRYABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/**
 * The table's operations. Throttling and service faults become StorageUnavailableError, so the
 * layers above never mistake them for an answer.
 */
export class DynamoGateway {
  constructor(
    readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  get(input: GetItemCommandInput) {
    return guard(this.client.send(new GetItemCommand(input)));
  }
  put(input: PutItemCommandInput) {
    return guard(this.client.send(new PutItemCommand(input)));
  }
  update(input: UpdateItemCommandInput) {
    return guard(this.client.send(new UpdateItemCommand(input)));
  }
  delete(input: DeleteItemCommandInput) {
    return guard(this.client.send(new DeleteItemCommand(input)));
  }
  query(input: QueryCommandInput) {
    return guard(this.client.send(new QueryCommand(input)));
  }
  batchGet(input: BatchGetItemCommandInput) {
    return guard(this.client.send(new BatchGetItemCommand(input)));
  }
}

async function guard<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    throw toStorageError(error);
  }
}

/** Awaits a conditional write: true when it was applied, false when its condition failed. */
export async function conditionMet(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException'
  );
}

function toStorageError(error: unknown): unknown {
  const failure = error as { name?: string; message?: string; code?: string; $retryable?: unknown; $fault?: string };
  // The codec measures items before writing; should DynamoDB count differently, it is still the client's object.
  if (failure?.name === 'ValidationException' && /item size/i.test(failure.message ?? '')) {
    return new PayloadTooLargeError('the object is larger than a DynamoDB item may be once stored');
  }
  if (
    RETRYABLE_NAMES.has(failure?.name ?? '') ||
    NETWORK_CODES.has(failure?.code ?? '') ||
    failure?.$retryable ||
    failure?.$fault === 'server'
  ) {
    return new StorageUnavailableError(`database temporarily unavailable (${failure.name ?? failure.code})`, error);
  }
  return error;
}
