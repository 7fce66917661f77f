import type { Logger } from '../logger';
import { NotFoundError } from '../errors';
import type { SubscriptionStore } from '../storage/port';
import type { Change, Delivery, DeliveryTarget } from './change';
import { deliveriesFor } from './matching';
import { postWebhook, type DeliveryResult, type WebhookOptions } from './webhook-client';

/** What happens to a delivery that failed: try again later, or give up and keep it for replay. */
export interface RetryScheduler {
  /**
   * `delivery.attempt` is the attempt that just failed; `retryable` is false when waiting cannot
   * help (the address is refused).
   */
  failed(delivery: Delivery, result: DeliveryResult, retryable: boolean): Promise<void>;
}

export interface NotifierOptions {
  webhook: WebhookOptions;
  retries: RetryScheduler;
  logger: Logger;
}

/** Backoff between attempts: base, 2 base, 4 base, ... up to `maxAttempts` in all. */
export class RetryPolicy {
  constructor(
    readonly baseMs: number,
    readonly maxAttempts: number,
  ) {}

  /** Delay before the attempt after `attempt`, or undefined when no attempt is left. */
  delayAfter(attempt: number): number | undefined {
    return attempt >= this.maxAttempts ? undefined : this.baseMs * 2 ** (attempt - 1);
  }
}

/**
 * Delivers a change to its subscribers: matching subscriptions come from the cached subscription
 * list (no read per change once warm), every delivery runs at once with its own timeout, so a
 * slow or dead callback holds up no other, and each failure goes to the retry scheduler.
 */
export class Notifier {
  constructor(
    private readonly subscriptions: SubscriptionStore,
    private readonly options: NotifierOptions,
  ) {}

  async notify(change: Change): Promise<{ delivered: number; failed: number }> {
    const deliveries = deliveriesFor(change, await this.subscriptions.all());
    const results = await Promise.all(deliveries.map((delivery) => this.attempt(delivery)));
    const delivered = results.filter(Boolean).length;
    return { delivered, failed: results.length - delivered };
  }

  /**
   * A later attempt of a failed delivery. The subscription is read again: if it is gone, or no
   * longer has this callback, the delivery is dropped; otherwise its current token is used.
   */
  async redeliver(delivery: Delivery): Promise<boolean> {
    let subscription;
    try {
      subscription = await this.subscriptions.get(delivery.subscriptionID);
    } catch (error) {
      if (error instanceof NotFoundError) return this.drop(delivery, 'the subscription was deleted');
      throw error;
    }
    const operation = subscription.objectOperations.find((candidate) => candidate.callbackUrl === delivery.callbackUrl);
    if (!operation) return this.drop(delivery, 'the subscription no longer uses this callback');
    return this.attempt({ ...delivery, bearerToken: operation.bearerToken });
  }

  private async attempt(target: DeliveryTarget): Promise<boolean> {
    const { bearerToken, ...delivery } = target;
    const result = await postWebhook(delivery.callbackUrl, delivery.notification, bearerToken, this.options.webhook);
    const fields = {
      subscriptionID: delivery.subscriptionID,
      callbackUrl: delivery.callbackUrl,
      objectType: delivery.notification.objectType,
      operation: delivery.notification.operation,
      objectID: delivery.notification.object.id,
      attempt: delivery.attempt,
    };
    if (result.ok) {
      this.options.logger.debug('webhook delivered', { ...fields, status: result.status });
      return true;
    }
    this.options.logger.warn('webhook delivery failed', { ...fields, status: result.status, error: result.error });
    await this.options.retries.failed(delivery, result, !result.refused);
    return false;
  }

  private drop(delivery: Delivery, reason: string): boolean {
    this.options.logger.info('webhook retry dropped', { subscriptionID: delivery.subscriptionID, callbackUrl: delivery.callbackUrl, reason });
    return false;
  }
}
