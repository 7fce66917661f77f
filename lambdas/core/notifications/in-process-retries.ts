import type { Logger } from '../logger';
import type { Delivery } from './change';
import { loggedDelivery } from './log-redaction';
import type { DeadLetter, RetryScheduler } from './notifier';

/**
 * Retries in this process with timers: what the local VTN uses, where there is no queue. A
 * delivery that exhausts its attempts is logged in full (less the token and the secrets a
 * callback URL may hold), for replay by hand.
 */
export class InProcessRetries implements RetryScheduler {
  constructor(
    private readonly redeliver: (delivery: Delivery) => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  async retryLater(delivery: Delivery, delayMs: number): Promise<void> {
    setTimeout(() => {
      this.redeliver(delivery).catch((error: unknown) => this.logger.error('webhook retry failed', { delivery: loggedDelivery(delivery), error }));
    }, delayMs).unref();
  }

  async giveUp(deadLetter: DeadLetter): Promise<void> {
    this.logger.error('webhook delivery given up', { delivery: loggedDelivery(deadLetter) });
  }
}
