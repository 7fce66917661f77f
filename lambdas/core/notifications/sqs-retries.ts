import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Delivery } from './change';
import type { DeadLetter, RetryScheduler } from './notifier';

/** SQS delays a message 15 minutes at most. */
const MAX_DELAY_SECONDS = 900;

/**
 * Retries through SQS: a failed delivery goes to the retry queue, delayed by the backoff, and the
 * notifier function takes it from there; one that exhausts its attempts goes to the dead-letter
 * queue as it is (subscription id, callback, notification, attempts, last error), so that moving
 * it back to the retry queue replays it. Tokens are never queued: a retry reads the subscription.
 */
export class SqsRetries implements RetryScheduler {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queues: { retryQueueUrl: string; deadLetterQueueUrl: string },
  ) {}

  async retryLater(delivery: Delivery, delayMs: number): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queues.retryQueueUrl,
        MessageBody: JSON.stringify(delivery),
        DelaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil(delayMs / 1000)),
      }),
    );
  }

  async giveUp(deadLetter: DeadLetter): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queues.deadLetterQueueUrl, MessageBody: JSON.stringify(deadLetter) }));
  }
}
