import { timeLeftMs } from '../deadline';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { NotFoundError } from '../errors';
import { mayRead, type Reader } from '../operations/privacy';
import type { Grant, VtnStorage } from '../storage/port';
import type { Change, Delivery, DeliveryTarget } from './change';
import { candidatesFor, deliveriesFor, eventProgramTargets, isBlSubscription, venShare } from './matching';
import { loggedUrl } from './log-redaction';
import type { WebhookConfig } from '../config';
import { NO_TIME_LEFT, WebhookClient, type DeliveryResult, type WebhookOptions } from './webhook-client';
import { ConcurrencyLimit } from './concurrency-limit';

/** A client's deliveries take at most this fraction (1/n) of the slots at once. */
const CLIENT_SHARE_DIVISOR = 4;

/** Where failed deliveries wait for their next attempt, and where those out of attempts are kept. */
export interface RetryScheduler {
  /** `delivery.attempt` is the attempt to make after `delayMs`. */
  retryLater(delivery: Delivery, delayMs: number): Promise<void>;
  /** Kept for replay by hand. */
  giveUp(deadLetter: DeadLetter): Promise<void>;
}

/** A delivery out of attempts, as kept for replay (never the token). */
export interface DeadLetter extends Delivery {
  lastError: string;
  failedAt: string;
}

/**
 * What the notifier reads: subscriptions, and for privacy the grants of VEN subscribers and an
 * event's program; each cached and coherent, so a change costs no read once warm.
 */
export type NotifierStorage = Pick<VtnStorage, 'subscriptions' | 'programs' | 'grantOf'>;

export interface NotifierOptions {
  webhook: WebhookOptions;
  retryPolicy: RetryPolicy;
  retries: RetryScheduler;
  logger: Logger;
  /** Counts attempts delivered and failed, and deliveries given up; its owner flushes it. */
  metrics: Metrics;
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
 * list, and each VEN subscriber hears only of what it may read (operations/privacy.ts), judged
 * with its cached grant (no read per change once warm); deliveries run side by side, each with its own timeout,
 * up to the client's concurrency, shared by every change and retry this notifier handles; each
 * failure goes to the retry scheduler.
 *
 * The caller's deadline (see withDeadline: a Lambda invocation's end less what it needs to
 * queue) bounds the deliveries: one that would not start in time to finish by then is queued
 * for retry untried (same attempt), rather than let the invocation time out and be redone whole.
 */
export class Notifier {
  private readonly client: WebhookClient;
  /** Each subscriber client's part of the delivery slots, while it has deliveries under way. */
  private readonly shares = new Map<string, ConcurrencyLimit>();

  constructor(
    private readonly storage: NotifierStorage,
    private readonly options: NotifierOptions,
  ) {
    this.client = new WebhookClient(options.webhook);
  }

  async notify(change: Change): Promise<{ delivered: number; failed: number }> {
    const subscriptions = await this.storage.subscriptions.all();
    const candidates = candidatesFor(change, subscriptions);
    // Privacy needs the grants of the VEN clients that would hear, and an event's program.
    const venClients = [...new Set(candidates.filter((subscription) => !isBlSubscription(subscription)).map((subscription) => subscription.clientID))];
    const grants = new Map<string, Grant>(await Promise.all(venClients.map(async (clientID) => [clientID, await this.storage.grantOf(clientID)] as const)));
    const programID = change.objectType === 'EVENT' ? (change.object as { programID?: string }).programID : undefined;
    const programTargets = programID && venClients.length > 0 ? await eventProgramTargets(this.storage, change, programID) : undefined;
    // An event's delete is judged by its program's targets as deleted: a retry may come after
    // what was kept of the program is gone, so its VEN deliveries carry them.
    const keptForRetries = change.objectType === 'EVENT' && change.operation === 'DELETE' && programTargets ? { programTargets } : {};
    const deliveries = deliveriesFor(change, subscriptions, { grants, programTargets }).map((delivery) => (delivery.subscriberClientID ? { ...delivery, ...keptForRetries } : delivery));
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
      subscription = await this.storage.subscriptions.get(delivery.subscriptionID);
    } catch (error) {
      if (error instanceof NotFoundError) return this.drop(delivery, 'the subscription was deleted');
      throw error;
    }
    const { objectType, operation: verb } = delivery.notification;
    // Still asked for: a subscription narrowed since the first attempt no longer hears of this change.
    const operation = subscription.objectOperations.find(
      (candidate) => candidate.callbackUrl === delivery.callbackUrl && (candidate.objects as string[]).includes(objectType) && candidate.operations.includes(verb),
    );
    if (!operation) return this.drop(delivery, 'the subscription no longer asks for this change at this callback');
    if (!isBlSubscription(subscription) && !(await this.stillReadableBy(subscription.clientID, delivery))) {
      return this.drop(delivery, 'its client may no longer read the object');
    }
    return this.attempt({ ...delivery, ...venShare(subscription), bearerToken: operation.bearerToken });
  }

  /**
   * Whether a VEN client may still read what a retry carries, by its grant now: a BL may have
   * taken a target from it, or given its ven away, since the first attempt. The object is as that
   * client was shown it, so only targets it was granted then can keep it readable.
   */
  private async stillReadableBy(clientID: string, delivery: Delivery): Promise<boolean> {
    const { notification } = delivery;
    const reader: Reader = { role: 'VEN', clientID, grant: await this.storage.grantOf(clientID) };
    const { objectType, object } = notification;
    const programID = objectType === 'EVENT' ? (object as { programID?: string }).programID : undefined;
    const change = { objectType, operation: notification.operation, object, programTargets: delivery.programTargets };
    const programTargets = programID ? await eventProgramTargets(this.storage, change, programID) : undefined;
    // A ven's own notification by who holds the ven now: the object shows who held it then.
    if (objectType === 'VEN' && notification.operation !== 'DELETE' && reader.grant?.venID !== object.id) return false;
    return mayRead(reader, objectType, object, programTargets);
  }

  /** Closes the client's kept connections (tests, benchmark). */
  close(): void {
    this.client.close();
  }

  private async attempt(target: DeliveryTarget): Promise<boolean> {
    const { bearerToken, subscriberClientID, ...delivery } = target;
    const startBy = Date.now() + timeLeftMs() - this.options.webhook.timeoutMs;
    const post = () => this.client.post(delivery.callbackUrl, delivery.notification, bearerToken, startBy);
    const result = await this.fairShare(subscriberClientID, startBy, post);
    const fields = {
      subscriptionID: delivery.subscriptionID,
      callbackUrl: loggedUrl(delivery.callbackUrl),
      objectType: delivery.notification.objectType,
      operation: delivery.notification.operation,
      objectID: delivery.notification.object.id,
      attempt: delivery.attempt,
    };
    if (result.ok) {
      this.options.logger.debug('webhook delivered', { ...fields, status: result.status });
      this.options.metrics.count('WebhookDelivered', {});
      return true;
    }
    if (result.deferred) {
      this.options.logger.info('webhook delivery deferred', fields);
      await this.options.retries.retryLater(delivery, 0);
      return false;
    }
    this.options.logger.warn('webhook delivery failed', { ...fields, status: result.status, error: result.error });
    this.options.metrics.count('WebhookFailed', {});
    // A refused callback will not become acceptable by waiting.
    const delayMs = result.refused ? undefined : this.options.retryPolicy.delayAfter(delivery.attempt);
    if (delayMs !== undefined) {
      await this.options.retries.retryLater({ ...delivery, attempt: delivery.attempt + 1 }, delayMs);
      return false;
    }
    this.options.metrics.count('WebhookGivenUp', {});
    await this.options.retries.giveUp({ ...delivery, lastError: result.error, failedAt: new Date().toISOString() });
    return false;
  }

  /**
   * Runs a VEN client's delivery within that client's share of the slots (a quarter of them), so
   * that one VEN's slow or hanging callbacks cannot hold every slot; a delivery that waited for
   * its share past its start-by time is deferred untried, as one that waited for a slot is.
   */
  private async fairShare(clientID: string | undefined, startBy: number, post: () => Promise<DeliveryResult>): Promise<DeliveryResult> {
    if (clientID === undefined) return post();
    let share = this.shares.get(clientID);
    if (!share) {
      share = new ConcurrencyLimit(Math.max(1, Math.ceil(this.options.webhook.concurrency / CLIENT_SHARE_DIVISOR)));
      this.shares.set(clientID, share);
    }
    try {
      return await share.run((waited) => (waited && Date.now() > startBy ? Promise.resolve(NO_TIME_LEFT) : post()));
    } finally {
      if (share.idle) this.shares.delete(clientID);
    }
  }

  private drop(delivery: Delivery, reason: string): boolean {
    this.options.logger.info('webhook retry dropped', { subscriptionID: delivery.subscriptionID, callbackUrl: loggedUrl(delivery.callbackUrl), reason });
    return false;
  }
}

/**
 * A notifier as the settings describe it. `retries` receives the notifier's own redelivery, for
 * schedulers that run the next attempt themselves.
 */
export function notifierFor(
  webhooks: WebhookConfig,
  storage: NotifierStorage,
  logger: Logger,
  metrics: Metrics,
  retries: (redeliver: (delivery: Delivery) => Promise<boolean>) => RetryScheduler,
): Notifier {
  const notifier: Notifier = new Notifier(storage, {
    webhook: { timeoutMs: webhooks.timeoutMs, allowPrivate: webhooks.allowPrivate, concurrency: webhooks.concurrency },
    retryPolicy: new RetryPolicy(webhooks.retryBaseMs, webhooks.maxAttempts),
    retries: retries((delivery) => notifier.redeliver(delivery)),
    logger,
    metrics,
  });
  return notifier;
}
