import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { changeFromStreamRecord } from './core/notifications/stream-records';
import { notifierFor, type Notifier } from './core/notifications/notifier';
import { SqsRetries } from './core/notifications/sqs-retries';
import type { Delivery } from './core/notifications/change';
import { logger } from './core/logger';
import { vtnConfig, vtnStorage } from './core/runtime';

/**
 * The notifier in AWS. The table's stream brings every change (batches of records); the retry
 * queue brings deliveries that failed before. Records are handled all at once, so one slow
 * callback costs the batch one timeout, not one per record; a record or message that could not
 * be handled (storage or queue unavailable) is reported alone, so the others are not redone.
 */

let notifier: Notifier | undefined;

function webhookNotifier(): Notifier {
  if (!notifier) {
    const { webhooks } = vtnConfig();
    const retryQueueUrl = process.env.WEBHOOK_RETRY_QUEUE_URL;
    const deadLetterQueueUrl = process.env.WEBHOOK_DEAD_LETTER_QUEUE_URL;
    if (!retryQueueUrl || !deadLetterQueueUrl) throw new Error('WEBHOOK_RETRY_QUEUE_URL and WEBHOOK_DEAD_LETTER_QUEUE_URL must be set');
    const queues = { retryQueueUrl, deadLetterQueueUrl };
    notifier = notifierFor(webhooks, vtnStorage().subscriptions, logger(), () => new SqsRetries(new SQSClient({}), queues));
  }
  return notifier;
}

export async function handler(event: DynamoDBStreamEvent | SQSEvent): Promise<DynamoDBBatchResponse | SQSBatchResponse> {
  const records = event.Records as (DynamoDBStreamEvent['Records'][number] | SQSEvent['Records'][number])[];
  const failures = await Promise.all(
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
  );
  return { batchItemFailures: failures.filter((failure) => failure !== undefined) };
}
