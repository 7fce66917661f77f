import type { Logger } from '../logger';
import type { Delivery } from './change';
import type { RetryPolicy, RetryScheduler } from './notifier';
import type { DeliveryResult } from './webhook-client';

/**
 * Retries in this process with timers: what the local VTN uses, where there is no queue. A
 * delivery that exhausts its attempts is logged in full (less the token), for replay by hand.
 */
export class InProcessRetries implements RetryScheduler {
  constructor(
    private readonly policy: RetryPolicy,
    private readonly redeliver: (delivery: Delivery) => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  async failed(delivery: Delivery, result: DeliveryResult, retryable: boolean): Promise<void> {
    const delay = retryable ? this.policy.delayAfter(delivery.attempt) : undefined;
    if (delay === undefined) {
      this.logger.error('webhook delivery given up', { delivery, lastError: result.ok ? undefined : result.error });
      return;
    }
    const next = { ...delivery, attempt: delivery.attempt + 1 };
    setTimeout(() => {
      this.redeliver(next).catch((error: unknown) => this.logger.error('webhook retry failed', { delivery: next, error }));
    }, delay).unref();
  }
}
