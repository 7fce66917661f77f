import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { changeFromStreamRecord } from './core/notifications/stream-records';
import { notifierFor, type Notifier } from './core/notifications/notifier';
import { SqsRetries } from './core/notifications/sqs-retries';
import type { Delivery } from './core/notifications/change';
import { withDeadline } from './core/deadline';
import { logger } from './core/logger';
import { metrics } from './core/metrics';
import { primeDuringInit } from './core/priming';
import { primeStorage, vtnConfig, vtnStorage } from './core/runtime';
import type { VtnStorage } from './core/storage/port';

/**
 * The notifier in AWS. The table's stream brings every change (batches of records); the retry
 * queue brings deliveries that failed before. Records are handled side by side, their
 * deliveries sharing the instance's concurrency limit; a record or message that could not be
 * handled (storage or queue unavailable) is reported alone, so the others are not redone.
 */

/** The end of an invocation kept for queueing the deliveries that found no time to start. */
const QUEUEING_RESERVE_MS = 10_000;

/** One notifier per storage, so that resetting the runtime (tests) resets it too. */
const notifiers = new WeakMap<VtnStorage, Notifier>();

function webhookNotifier(): Notifier {
  const storage = vtnStorage();
  let notifier = notifiers.get(storage);
  if (!notifier) {
    const { webhooks } = vtnConfig();
    const retryQueueUrl = process.env.WEBHOOK_RETRY_QUEUE_URL;
    const deadLetterQueueUrl = process.env.WEBHOOK_DEAD_LETTER_QUEUE_URL;
    if (!retryQueueUrl || !deadLetterQueueUrl) throw new Error('WEBHOOK_RETRY_QUEUE_URL and WEBHOOK_DEAD_LETTER_QUEUE_URL must be set');
    const queues = { retryQueueUrl, deadLetterQueueUrl };
    notifier = notifierFor(webhooks, storage, logger(), metrics(), () => new SqsRetries(new SQSClient({}), queues));
    notifiers.set(storage, notifier);
  }
  return notifier;
}

export async function handler(event: DynamoDBStreamEvent | SQSEvent, context?: Context): Promise<DynamoDBBatchResponse | SQSBatchResponse> {
  try {
    return await handleRecords(event, context);
  } finally {
    // The invocation's deliveries, counted, in one line.
    metrics().flush();
  }
}

async function handleRecords(event: DynamoDBStreamEvent | SQSEvent, context?: Context): Promise<DynamoDBBatchResponse | SQSBatchResponse> {
  const deadline = context ? Date.now() + context.getRemainingTimeInMillis() - QUEUEING_RESERVE_MS : Infinity;
  const records = event.Records as (DynamoDBStreamEvent['Records'][number] | SQSEvent['Records'][number])[];
  const failures = await withDeadline(deadline, () => Promise.all(
    records.map(async (record) => {
      try {
        if ('messageId' in record) {
          await webhookNotifier().redeliver(JSON.parse(record.body) as Delivery);
        } else {
          const change = changeFromStreamRecord(record);
          if (change) await webhookNotifier().notify(change);
        }
        return undefined;
      } catch (error) {
        const itemIdentifier = 'messageId' in record ? record.messageId : (record.dynamodb?.SequenceNumber ?? '');
        logger().error('notification record failed; it will be retried', { itemIdentifier, error });
        return { itemIdentifier };
      }
    }),
  ));
  return { batchItemFailures: failures.filter((failure) => failure !== undefined) };
}

// A change's first delivery reads the subscriptions, and the programs for privacy.
primeDuringInit(primeStorage, () => vtnStorage().subscriptions.all());
